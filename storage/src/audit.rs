//! The audit log: append and search. There is no update or delete here, and the
//! database refuses both (triggers in the migrations), admin or not.

use domain::audit::{AuditEntry, AuditFilter, AuditOutcome, NewAuditEntry};
use sqlx::Row;

use crate::{Database, Result, StorageError, with_pool};

/// One page of a search, with the total for the pager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: i64,
}

/// The scope of a search: entries of these townships (and, for a county admin, the
/// entries tied to no township, such as failed logins of unknown names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditScope {
    All,
    Townships(Vec<i64>),
}

/// Appends `entries` through `executor` (a pool, or a transaction they belong to) in one
/// statement.
macro_rules! insert_audits {
    ($executor:expr, $entries:expr) => {{
        // Cut to the log's limits here, so no caller can store an unbounded text.
        let entries: Vec<NewAuditEntry> = $entries.iter().map(NewAuditEntry::clipped).collect();
        let mut qb = sqlx::QueryBuilder::new(
            "INSERT INTO audit_log (at, user_id, username, action, record_kind, record_id, outcome, \
             township_id, address, user_agent, detail) ",
        );
        qb.push_values(&entries, |mut b, e| {
            b.push_bind(e.at)
                .push_bind(e.user_id)
                .push_bind(&e.username)
                .push_bind(e.action.as_str())
                .push_bind(&e.record_kind)
                .push_bind(&e.record_id)
                .push_bind(e.outcome.as_str())
                .push_bind(e.township_id)
                .push_bind(&e.address)
                .push_bind(&e.user_agent)
                .push_bind(&e.detail);
        });
        qb.build().execute($executor).await
    }};
}
pub(crate) use insert_audits;

/// Appends `entry` through `executor` (a pool, or a transaction the entry belongs to).
macro_rules! insert_audit {
    ($executor:expr, $entry:expr) => {{
        let e: &NewAuditEntry = $entry;
        $crate::audit::insert_audits!($executor, std::slice::from_ref(e))
    }};
}

impl Database {
    pub async fn append_audit(&self, e: &NewAuditEntry) -> Result<()> {
        with_pool!(self, pool => insert_audit!(pool, e).map(drop))?;
        Ok(())
    }

    /// Entries matching `filter` within `scope`, newest first. `limit` of `None` returns
    /// them all (for exports).
    pub async fn audit_entries(
        &self,
        filter: &AuditFilter,
        scope: &AuditScope,
        offset: i64,
        limit: Option<i64>,
    ) -> Result<AuditPage> {
        let (from, to) = filter.utc_range();
        let (record_kind, record_id) = match filter.record.as_deref().map(str::trim) {
            Some(r) if !r.is_empty() => match r.split_once(':') {
                Some((kind, id)) => (Some(kind.trim().to_owned()), Some(id.trim().to_owned())),
                None => (None, Some(r.to_owned())),
            },
            _ => (None, None),
        };
        let username = filter
            .username
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_lowercase);
        let action = filter.action.map(|a| a.as_str());
        // The township scope is bound as a JSON array, so one statement serves any
        // number of townships on both engines.
        let (all_townships, ids) = match scope {
            AuditScope::All => (true, Vec::new()),
            AuditScope::Townships(ids) => (false, ids.clone()),
        };
        let ids = format!(
            "[{}]",
            ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        );
        let in_townships = match self {
            Database::Sqlite(_) => "township_id IN (SELECT value FROM json_each($8))",
            Database::Postgres { .. } => {
                "township_id IN (SELECT jsonb_array_elements_text($8::jsonb)::bigint)"
            }
        };
        let where_sql = format!(
            "($1 IS NULL OR username = $1) AND ($2 IS NULL OR action = $2) \
             AND ($3 IS NULL OR record_kind = $3) AND ($4 IS NULL OR record_id = $4) \
             AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6) AND ($7 OR {in_townships})"
        );
        let count_sql = format!("SELECT COUNT(*) FROM audit_log WHERE {where_sql}");
        let list_sql = format!(
            "SELECT id, at, user_id, username, action, record_kind, record_id, outcome, address, user_agent, detail \
             FROM audit_log WHERE {where_sql} ORDER BY at DESC, id DESC LIMIT $9 OFFSET $10"
        );
        // SQLite: LIMIT -1 means no limit; PostgreSQL: LIMIT NULL does.
        let limit_sqlite = limit.unwrap_or(-1);
        with_pool!(self, pool => {
            macro_rules! bind_filter {
                ($q:expr) => {
                    $q.bind(&username)
                        .bind(action)
                        .bind(&record_kind)
                        .bind(&record_id)
                        .bind(from)
                        .bind(to)
                        .bind(all_townships)
                        .bind(&ids)
                };
            }
            let total: i64 = bind_filter!(sqlx::query_scalar(&count_sql)).fetch_one(pool).await?;
            let rows = bind_filter!(sqlx::query(&list_sql))
                .bind(if matches!(self, Database::Sqlite(_)) { Some(limit_sqlite) } else { limit })
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let mut entries = Vec::with_capacity(rows.len());
            for row in rows {
                let outcome: String = row.try_get("outcome")?;
                entries.push(AuditEntry {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    user_id: row.try_get("user_id")?,
                    username: row.try_get("username")?,
                    action: row.try_get("action")?,
                    record_kind: row.try_get("record_kind")?,
                    record_id: row.try_get("record_id")?,
                    outcome: AuditOutcome::parse(&outcome)
                        .ok_or_else(|| sqlx::Error::Decode(format!("unknown outcome {outcome}").into()))?,
                    address: row.try_get("address")?,
                    user_agent: row.try_get("user_agent")?,
                    detail: row.try_get("detail")?,
                });
            }
            Ok::<_, StorageError>(AuditPage { entries, total })
        })
    }
}
