//! The township inbox: a filtered page of reports and its count, a whole report with its
//! photos and timeline, the facts about one report that the policy and the inbox machine
//! need, and recording an inbox step.

use chrono::{DateTime, Utc};
use domain::field::{
    Category, FieldReportDetail, FieldReportSummary, Gps, INBOX_PAGE, InboxEvent, InboxFilter, InboxState,
    InboxStep, ReportPhoto, Severity,
};
use domain::sync::ChangeKind;
use sqlx::{QueryBuilder, Row};

use super::changes::{NewChange, append_changes};
use super::{decode, len_i64};
use crate::write::{Tx, with_tx};
use crate::{Database, Result, with_pool};

/// The facts the policy and the inbox machine need about one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldReportPlace {
    pub id: i64,
    pub client_id: String,
    pub township_id: i64,
    pub village_id: i64,
    pub grid_id: Option<i64>,
    pub author_id: i64,
    pub state: InboxState,
}

/// One inbox step to record (the state moves only if nobody moved it meanwhile).
#[derive(Debug, Clone)]
pub struct InboxStepRecord<'a> {
    pub report_id: i64,
    pub step: InboxStep,
    pub from: InboxState,
    pub to: InboxState,
    pub at: DateTime<Utc>,
    pub actor_user_id: i64,
    pub by_name: &'a str,
    pub note: Option<&'a str>,
}

/// One line of the inbox timeline: report, at, step, from, to, actor, note.
pub(super) const INSERT_INBOX_EVENT: &str = "INSERT INTO inbox_event (report_id, at, step, from_state, to_state, actor_user_id, note) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// The inbox's columns and tables: one report's summary a row.
const INBOX_COLUMNS: &str = "r.id, r.client_uuid, r.village_id, v.name AS village_name, r.grid_id, r.kind, r.category, \
     r.severity, r.urgent, r.state, r.place, r.description, r.needs_township, r.parties, r.person_count, \
     u.display_name AS author, r.found_at, r.received_at, \
     (SELECT COUNT(*) FROM field_report_photo p WHERE p.report_id = r.id) AS photos_named, \
     (SELECT COUNT(*) FROM field_report_photo p JOIN photo_upload up ON up.client_uuid = p.photo_uuid \
        WHERE p.report_id = r.id AND up.complete = TRUE AND up.uploaded_by = r.author_id) AS photos_attached";
const INBOX_FROM: &str =
    "FROM field_report r JOIN org_unit v ON v.id = r.village_id JOIN app_user u ON u.id = r.author_id";

macro_rules! field_summary_from_row {
    ($row:expr) => {{
        let row = &$row;
        FieldReportSummary {
            id: row.try_get("id")?,
            client_id: row.try_get("client_uuid")?,
            village_id: row.try_get("village_id")?,
            village_name: row.try_get("village_name")?,
            grid_id: row.try_get("grid_id")?,
            kind: row.try_get("kind")?,
            category: decode("category", row.try_get("category")?, Category::parse)?,
            severity: decode("severity", row.try_get("severity")?, Severity::parse)?,
            urgent: row.try_get("urgent")?,
            state: decode("inbox state", row.try_get("state")?, InboxState::parse)?,
            place: row.try_get("place")?,
            description: row.try_get("description")?,
            needs_township: row.try_get("needs_township")?,
            parties: row.try_get("parties")?,
            person_count: row.try_get("person_count")?,
            author: row.try_get("author")?,
            found_at: row.try_get("found_at")?,
            received_at: row.try_get("received_at")?,
            photos_named: row.try_get("photos_named")?,
            photos_attached: row.try_get("photos_attached")?,
        }
    }};
}

/// The inbox filter's conditions on `field_report r`, within these townships.
fn push_inbox_where<'q, DB>(qb: &mut QueryBuilder<'q, DB>, townships: &[i64], f: &InboxFilter)
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    qb.push("r.township_id IN (");
    let mut list = qb.separated(", ");
    for t in townships {
        list.push_bind(*t);
    }
    list.push_unseparated(")");
    if let Some(v) = f.village_id {
        qb.push(" AND r.village_id = ").push_bind(v);
    }
    if let Some(s) = f.severity {
        qb.push(" AND r.severity = ").push_bind(s.as_str());
    }
    if let Some(s) = f.state {
        qb.push(" AND r.state = ").push_bind(s.as_str());
    } else if f.open_only {
        qb.push(" AND r.state <> ").push_bind(InboxState::Closed.as_str());
    }
    if f.urgent_only {
        qb.push(" AND r.urgent = TRUE");
    }
}

impl Database {
    /// A report by its client UUID.
    pub async fn field_report_by_uuid(&self, client_id: &str) -> Result<Option<FieldReportPlace>> {
        self.field_report_place("client_uuid = $1", client_id.to_owned(), None)
            .await
    }

    pub async fn field_report_by_id(&self, id: i64) -> Result<Option<FieldReportPlace>> {
        self.field_report_place("id = $1", String::new(), Some(id)).await
    }

    async fn field_report_place(
        &self,
        filter: &str,
        uuid: String,
        id: Option<i64>,
    ) -> Result<Option<FieldReportPlace>> {
        let sql = format!(
            "SELECT id, client_uuid, township_id, village_id, grid_id, author_id, state FROM field_report WHERE {filter}"
        );
        type PlaceRow = (i64, String, i64, i64, Option<i64>, i64, String);
        let row: Option<PlaceRow> = with_pool!(self, pool => {
            let q = sqlx::query_as(&sql);
            let q = match id {
                Some(id) => q.bind(id),
                None => q.bind(uuid),
            };
            q.fetch_optional(pool).await?
        });
        row.map(
            |(id, client_id, township_id, village_id, grid_id, author_id, state)| {
                Ok(FieldReportPlace {
                    id,
                    client_id,
                    township_id,
                    village_id,
                    grid_id,
                    author_id,
                    state: decode("inbox state", &state, InboxState::parse)?,
                })
            },
        )
        .transpose()
    }

    /// One page of the inbox of these townships: urgent first, then newest. A photo counts
    /// as attached once its author's upload of that UUID is complete.
    pub async fn field_inbox(&self, townships: &[i64], f: &InboxFilter) -> Result<Vec<FieldReportSummary>> {
        if townships.is_empty() {
            return Ok(Vec::new());
        }
        let page = i64::from(f.page.max(1));
        let size = i64::from(INBOX_PAGE);
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(format!("SELECT {INBOX_COLUMNS} {INBOX_FROM} WHERE "));
            push_inbox_where(&mut qb, townships, f);
            qb.push(" ORDER BY r.urgent DESC, r.received_at DESC, r.id DESC LIMIT ").push_bind(size);
            qb.push(" OFFSET ").push_bind((page - 1) * size);
            let rows = qb.build().fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(field_summary_from_row!(row));
            }
            Ok(out)
        })
    }

    /// How many reports of these townships the filter matches (on every page).
    pub async fn field_inbox_count(&self, townships: &[i64], f: &InboxFilter) -> Result<i64> {
        if townships.is_empty() {
            return Ok(0);
        }
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM field_report r WHERE ");
            push_inbox_where(&mut qb, townships, f);
            Ok(qb.build_query_scalar().fetch_one(pool).await?)
        })
    }

    /// A whole report: what the inbox lists, where exactly, what was done on the spot,
    /// the photos it names, and its inbox timeline (oldest first).
    pub async fn field_report_detail(&self, id: i64) -> Result<Option<FieldReportDetail>> {
        type PhotoRow = (i64, String, bool);
        type EventRow = (
            DateTime<Utc>,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
        );
        let (detail, photos, events) = with_pool!(self, pool => {
            let sql = format!(
                "SELECT {INBOX_COLUMNS}, g.name AS grid_name, r.latitude, r.longitude, r.accuracy_m, r.action_taken, \
                 r.created_at {INBOX_FROM} LEFT JOIN org_unit g ON g.id = r.grid_id WHERE r.id = $1"
            );
            let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(pool).await? else {
                return Ok(None);
            };
            let latitude: Option<f64> = row.try_get("latitude")?;
            let longitude: Option<f64> = row.try_get("longitude")?;
            let accuracy_m: Option<f64> = row.try_get("accuracy_m")?;
            let detail = FieldReportDetail {
                summary: field_summary_from_row!(row),
                grid_name: row.try_get("grid_name")?,
                gps: latitude.zip(longitude).map(|(latitude, longitude)| Gps {
                    latitude,
                    longitude,
                    accuracy_m,
                }),
                action_taken: row.try_get("action_taken")?,
                created_at: row.try_get("created_at")?,
                photos: Vec::new(),
                history: Vec::new(),
            };
            let photos: Vec<PhotoRow> = sqlx::query_as(
                "SELECT p.position, p.photo_uuid, EXISTS (SELECT 1 FROM photo_upload up WHERE up.client_uuid = p.photo_uuid \
                 AND up.complete = TRUE AND up.uploaded_by = r.author_id) AS complete \
                 FROM field_report_photo p JOIN field_report r ON r.id = p.report_id WHERE p.report_id = $1 ORDER BY p.position",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let events: Vec<EventRow> = sqlx::query_as(
                "SELECT e.at, e.step, e.from_state, e.to_state, u.display_name, e.note FROM inbox_event e \
                 LEFT JOIN app_user u ON u.id = e.actor_user_id WHERE e.report_id = $1 ORDER BY e.id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            (detail, photos, events)
        });
        let mut detail = detail;
        detail.photos = photos
            .into_iter()
            .map(|(position, photo_uuid, complete)| ReportPhoto {
                position,
                photo_uuid,
                complete,
            })
            .collect();
        detail.history = events
            .into_iter()
            .map(|(at, step, from, to, actor, note)| {
                Ok(InboxEvent {
                    at,
                    step: decode("inbox step", &step, InboxStep::parse)?,
                    from: decode("inbox state", &from, InboxState::parse)?,
                    to: decode("inbox state", &to, InboxState::parse)?,
                    actor,
                    note,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Some(detail))
    }
}

/// The inbox's steps on a report, in the caller's transaction.
impl Tx {
    /// Records an inbox step: the state moves from `from` to `to` only if the report is
    /// still in `from`; the timeline and the change feed get their lines in the same
    /// transaction. Returns false if the state had changed.
    pub async fn record_inbox_step(&mut self, s: &InboxStepRecord<'_>) -> Result<bool> {
        with_tx!(self, conn => {
            let row: Option<(String, i64, i64, Option<i64>, i64)> = sqlx::query_as(
                "UPDATE field_report SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4 \
                 RETURNING client_uuid, township_id, village_id, grid_id, author_id",
            )
            .bind(s.to.as_str())
            .bind(s.at)
            .bind(s.report_id)
            .bind(s.from.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            let Some((record_uuid, township_id, village, grid, author)) = row else {
                return Ok(false);
            };
            sqlx::query(INSERT_INBOX_EVENT)
            .bind(s.report_id)
            .bind(s.at)
            .bind(s.step.as_str())
            .bind(s.from.as_str())
            .bind(s.to.as_str())
            .bind(s.actor_user_id)
            .bind(s.note)
            .execute(&mut *conn)
            .await?;
            let change = [NewChange {
                kind: ChangeKind::Inbox,
                record_uuid,
                village_id: Some(village),
                grid_id: grid,
                author_id: Some(author),
                step: Some(s.step),
                state: Some(s.to),
                note: s.note.map(str::to_owned),
                by_name: Some(s.by_name.to_owned()),
            }];
            append_changes!(conn, township_id, &change, s.at);
            Ok(true)
        })
    }
}
