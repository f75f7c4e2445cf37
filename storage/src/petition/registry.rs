//! The registry: who may see which petitions, one page of the filtered search (read in
//! an index's order; words looked for row by row in a window of the newest before the
//! full-text index is asked), and the rows for a ledger export.

use chrono::{DateTime, Utc};
use domain::petition::{Channel, PetitionKind, PetitionState};
use domain::registry::{COUNT_CAP, PAGE_SIZE, PetitionSummary, RegistryFilter, RegistryPage, Sort};
use sqlx::{QueryBuilder, Row};

use super::decode;
use crate::{Database, Result, with_pool};

/// Who may see which petitions in the registry: the union of these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PetitionScope {
    pub townships: Vec<i64>,
    pub departments: Vec<i64>,
    pub agent: Option<i64>,
}

impl PetitionScope {
    pub fn is_empty(&self) -> bool {
        self.townships.is_empty() && self.departments.is_empty() && self.agent.is_none()
    }
}

pub(super) const SUMMARY_COLUMNS: &str = "p.id, p.tracking_code, p.channel, p.kind, p.state, p.subject, \
     v.name AS village_name, d.name AS department_name, p.received_at, p.collective";
pub(super) const SUMMARY_JOINS: &str = "LEFT JOIN org_unit v ON v.id = p.village_id \
     LEFT JOIN org_unit d ON d.id = p.department_id";

macro_rules! summary_from_row {
    ($row:expr) => {{
        let row = &$row;
        PetitionSummary {
            id: row.try_get("id")?,
            tracking_code: row.try_get("tracking_code")?,
            channel: decode("channel", row.try_get("channel")?, Channel::parse)?,
            kind: decode("kind", row.try_get("kind")?, PetitionKind::parse)?,
            state: decode("state", row.try_get("state")?, PetitionState::parse)?,
            subject: row.try_get("subject")?,
            village_name: row.try_get("village_name")?,
            department_name: row.try_get("department_name")?,
            received_at: row.try_get("received_at")?,
            collective: row.try_get("collective")?,
        }
    }};
}
pub(super) use summary_from_row;

impl Database {
    /// One page of the registry: the filter within the scope, newest (or oldest) first.
    ///
    /// Without words the page is read in the order of an index and the matches counted up
    /// to [`COUNT_CAP`] + 1. With words, the newest [`SCAN_WINDOW`] petitions of the filter
    /// are read first, in order, each checked for the words: a common phrase fills the page
    /// after a few dozen rows, and any match outside the window is older than all inside
    /// it, so the page is exact. Only when the window holds too few matches (a rare phrase)
    /// does the full-text index answer, and the matches are counted.
    pub async fn registry(&self, filter: &RegistryFilter, scope: &PetitionScope) -> Result<RegistryPage> {
        let page = filter.page.max(1);
        let empty = RegistryPage {
            rows: Vec::new(),
            total: Some(0),
            page,
            has_next: false,
        };
        if scope.is_empty() {
            return Ok(empty);
        }
        let offset = i64::from(page - 1) * i64::from(PAGE_SIZE);
        let want = i64::from(PAGE_SIZE) + 1;
        let Some(words) = filter.words() else {
            let rows = self
                .rows_where(filter, scope, Words::Any, None, offset, want)
                .await?;
            let total = self.count_where(filter, scope, Words::Any, COUNT_CAP + 1).await?;
            return Ok(page_of(rows, Some(total), page));
        };
        let Some(edge) = self.window_edge(filter, scope).await? else {
            // The whole filter fits in the window: read it all, count exactly.
            let rows = self
                .rows_where(filter, scope, Words::Scan(words), None, offset, want)
                .await?;
            let total = self
                .count_where(filter, scope, Words::Scan(words), SCAN_WINDOW + 1)
                .await?;
            return Ok(page_of(rows, Some(total), page));
        };
        let rows = self
            .rows_where(filter, scope, Words::Scan(words), Some(edge), offset, want)
            .await?;
        if rows.len() > PAGE_SIZE as usize {
            return Ok(page_of(rows, None, page));
        }
        let rows = self
            .rows_where(filter, scope, Words::Index(words), None, offset, want)
            .await?;
        let total = self
            .count_where(filter, scope, Words::Index(words), COUNT_CAP + 1)
            .await?;
        Ok(page_of(rows, Some(total), page))
    }

    /// The rows of the registry matching `filter` within `scope`, in its order, up to
    /// `limit` (for a ledger export), the words found through the full-text index.
    pub async fn registry_rows(
        &self,
        filter: &RegistryFilter,
        scope: &PetitionScope,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<PetitionSummary>> {
        if scope.is_empty() {
            return Ok(Vec::new());
        }
        let words = filter.words().map_or(Words::Any, Words::Index);
        self.rows_where(filter, scope, words, None, offset, limit).await
    }

    /// The `received_at` of the first petition past the newest (or oldest, by the sort)
    /// [`SCAN_WINDOW`] that pass the filter's indexed conditions; `None` when no more do.
    ///
    /// Any part of the filter bounds the window correctly (a match outside it is still
    /// older than everything inside), so only the parts one index answers are used, and
    /// the edge is found in the index alone: a village (with its state), else a
    /// department, else the townships of the scope with the state, channel or kind;
    /// dates always.
    async fn window_edge(
        &self,
        filter: &RegistryFilter,
        scope: &PetitionScope,
    ) -> Result<Option<DateTime<Utc>>> {
        let dates = RegistryFilter {
            from: filter.from,
            to: filter.to,
            sort: filter.sort,
            ..RegistryFilter::default()
        };
        let single = scope.agent.is_none() && (scope.townships.is_empty() != scope.departments.is_empty());
        let (indexed, scope) = if filter.village_id.is_some() {
            let f = RegistryFilter {
                village_id: filter.village_id,
                state: filter.state,
                ..dates
            };
            (f, None)
        } else if filter.department_id.is_some() {
            (
                RegistryFilter {
                    department_id: filter.department_id,
                    ..dates
                },
                None,
            )
        } else if single && !scope.townships.is_empty() {
            // The township's indexes by state, by channel and by kind: one of them.
            let f = if filter.state.is_some() {
                RegistryFilter {
                    state: filter.state,
                    ..dates
                }
            } else if filter.channel.is_some() {
                RegistryFilter {
                    channel: filter.channel,
                    ..dates
                }
            } else {
                RegistryFilter {
                    kind: filter.kind,
                    ..dates
                }
            };
            (f, Some(scope))
        } else if single {
            (dates, Some(scope))
        } else {
            // An agent's own petitions, or a mixed scope: few enough to filter whole.
            (filter.clone(), Some(scope))
        };
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new("SELECT p.received_at FROM petition p WHERE ");
            self.push_registry_where(&mut qb, &indexed, scope, Words::Any, None);
            // Ordered by time alone: ties at the edge are all inside the window anyway,
            // and the index then answers without reading a single row (PostgreSQL's
            // index-only scan; with `id` as well it fetched every row to sort the ties).
            let order = match filter.sort {
                Sort::Newest => "p.received_at DESC",
                Sort::Oldest => "p.received_at ASC",
            };
            qb.push(format!(" ORDER BY {order} LIMIT 1 OFFSET "));
            qb.push_bind(SCAN_WINDOW);
            Ok(qb.build_query_scalar().fetch_optional(pool).await?)
        })
    }

    async fn rows_where(
        &self,
        filter: &RegistryFilter,
        scope: &PetitionScope,
        words: Words<'_>,
        edge: Option<DateTime<Utc>>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<PetitionSummary>> {
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(format!("SELECT {SUMMARY_COLUMNS} FROM petition p {SUMMARY_JOINS} WHERE "));
            self.push_registry_where(&mut qb, filter, Some(scope), words, edge);
            qb.push(format!(" ORDER BY {} LIMIT ", order_of(filter.sort)));
            qb.push_bind(limit);
            qb.push(" OFFSET ");
            qb.push_bind(offset);
            let rows = qb.build().fetch_all(pool).await?;
            let mut summaries = Vec::with_capacity(rows.len());
            for row in rows {
                summaries.push(summary_from_row!(row));
            }
            Ok(summaries)
        })
    }

    /// The matches, counted up to `cap`.
    async fn count_where(
        &self,
        filter: &RegistryFilter,
        scope: &PetitionScope,
        words: Words<'_>,
        cap: i64,
    ) -> Result<i64> {
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1 FROM petition p WHERE ");
            self.push_registry_where(&mut qb, filter, Some(scope), words, None);
            qb.push(" LIMIT ");
            qb.push_bind(cap);
            qb.push(") AS capped");
            Ok(qb.build_query_scalar().fetch_one(pool).await?)
        })
    }

    fn push_registry_where<'q, DB>(
        &self,
        qb: &mut QueryBuilder<'q, DB>,
        f: &RegistryFilter,
        scope: Option<&PetitionScope>,
        words: Words<'_>,
        edge: Option<DateTime<Utc>>,
    ) where
        DB: sqlx::Database,
        i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        // The scope: built from plain lists so each part can use its own index. Without
        // one (a window's edge only), a condition that is always true.
        match scope {
            None => {
                qb.push("1 = 1");
            }
            Some(scope) => {
                qb.push("(");
                let mut first = true;
                let mut part = |qb: &mut QueryBuilder<'q, DB>, column: &str, ids: &[i64]| {
                    if ids.is_empty() {
                        return;
                    }
                    if !first {
                        qb.push(" OR ");
                    }
                    first = false;
                    qb.push(format!("p.{column} IN ("));
                    let mut list = qb.separated(", ");
                    for id in ids {
                        list.push_bind(*id);
                    }
                    list.push_unseparated(")");
                };
                part(qb, "township_id", &scope.townships);
                part(qb, "department_id", &scope.departments);
                if let Some(agent) = scope.agent {
                    part(qb, "agent_user_id", &[agent]);
                }
                qb.push(")");
            }
        }

        if let Some(state) = f.state {
            qb.push(" AND p.state = ").push_bind(state.as_str());
        }
        if let Some(channel) = f.channel {
            qb.push(" AND p.channel = ").push_bind(channel.as_str());
        }
        if let Some(kind) = f.kind {
            qb.push(" AND p.kind = ").push_bind(kind.as_str());
        }
        if let Some(village) = f.village_id {
            qb.push(" AND p.village_id = ").push_bind(village);
        }
        if let Some(department) = f.department_id {
            qb.push(" AND p.department_id = ").push_bind(department);
        }
        let (from, to) = f.utc_range();
        if let Some(from) = from {
            qb.push(" AND p.received_at >= ").push_bind(from);
        }
        if let Some(to) = to {
            qb.push(" AND p.received_at < ").push_bind(to);
        }
        // The window: everything from its edge on (ties at the edge included).
        if let Some(edge) = edge {
            let op = match f.sort {
                Sort::Newest => " AND p.received_at >= ",
                Sort::Oldest => " AND p.received_at <= ",
            };
            qb.push(op).push_bind(edge);
        }
        let like = |w: &str| format!("%{}%", escape_like(w));
        match (words, self) {
            (Words::Any, _) => {}
            // Trigrams need three characters; shorter words are found by scanning.
            (Words::Index(w), Database::Sqlite(_)) if w.chars().count() >= 3 => {
                qb.push(" AND p.id IN (SELECT rowid FROM petition_fts WHERE petition_fts MATCH ")
                    .push_bind(format!("\"{}\"", w.replace('"', "\"\"")))
                    .push(")");
            }
            (Words::Index(w) | Words::Scan(w), Database::Sqlite(_)) => {
                qb.push(" AND (p.subject LIKE ")
                    .push_bind(like(w))
                    .push(" ESCAPE '\\' OR p.content LIKE ")
                    .push_bind(like(w))
                    .push(" ESCAPE '\\')");
            }
            // The trigram index covers this expression.
            (Words::Index(w), Database::Postgres { .. }) => {
                qb.push(" AND (p.subject || ' ' || p.content) ILIKE ")
                    .push_bind(like(w))
                    .push(" ESCAPE '\\'");
            }
            // The same match, written so that no index can serve it: given ILIKE, the
            // planner intersected the window with the trigram index, which for a common
            // phrase reads tens of thousands of entries (24 ms) where walking the window
            // in order stops after a few dozen rows.
            // Words without a cased letter (Chinese, digits) match the same either way,
            // and lower-casing every row read doubles the time a row takes.
            (Words::Scan(w), Database::Postgres { .. }) if !w.chars().any(is_cased) => {
                qb.push(" AND strpos(p.subject || ' ' || p.content, ")
                    .push_bind(w.to_owned())
                    .push(") > 0");
            }
            (Words::Scan(w), Database::Postgres { .. }) => {
                qb.push(" AND strpos(lower(p.subject || ' ' || p.content), lower(")
                    .push_bind(w.to_owned())
                    .push(")) > 0");
            }
        }
    }
}

/// The newest petitions of a filter a search reads row by row before it turns to the
/// full-text index: at 1 in 100 petitions holding the words the page is full by then.
pub const SCAN_WINDOW: i64 = 2_000;

/// How a search's words are looked for.
#[derive(Debug, Clone, Copy)]
enum Words<'a> {
    /// No words.
    Any,
    /// In each row read (the rows come in the registry's order, so the first page stops
    /// early).
    Scan(&'a str),
    /// Through the full-text index (SQLite FTS5 trigrams; pg_trgm on PostgreSQL).
    Index(&'a str),
}

fn order_of(sort: Sort) -> &'static str {
    match sort {
        Sort::Newest => "p.received_at DESC, p.id DESC",
        Sort::Oldest => "p.received_at ASC, p.id ASC",
    }
}

/// A page from up to `PAGE_SIZE + 1` rows: the one past the page only says there is a
/// next page.
fn page_of(mut rows: Vec<PetitionSummary>, total: Option<i64>, page: u32) -> RegistryPage {
    let has_next = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    RegistryPage {
        rows,
        total,
        page,
        has_next,
    }
}

/// A letter with an upper and a lower case.
fn is_cased(c: char) -> bool {
    c.is_lowercase() || c.is_uppercase()
}

/// `%`, `_` and `\` typed by a person are searched for as themselves.
fn escape_like(words: &str) -> String {
    let mut out = String::with_capacity(words.len());
    for c in words.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
