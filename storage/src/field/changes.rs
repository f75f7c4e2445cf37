//! The change feed the phones pull: each write of a township's field work appends its
//! changes, numbered in order as the transaction ends, and a pull reads those after its
//! cursor that the caller may see.

use domain::field::{InboxState, InboxStep};
use domain::sync::{Change, ChangeKind};
use sqlx::{QueryBuilder, Row};

use super::decode;
use crate::{Database, Result, with_pool};

/// Whose changes a pull sees: reports in these villages or grids, or by this author.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeScope {
    pub villages: Vec<i64>,
    pub grids: Vec<i64>,
    pub author_id: i64,
}

/// A change to append to the feed, numbered when the transaction ends.
pub(super) struct NewChange {
    pub(super) kind: ChangeKind,
    pub(super) record_uuid: String,
    pub(super) village_id: Option<i64>,
    pub(super) grid_id: Option<i64>,
    pub(super) author_id: Option<i64>,
    pub(super) step: Option<InboxStep>,
    pub(super) state: Option<InboxState>,
    pub(super) note: Option<String>,
    pub(super) by_name: Option<String>,
}

/// Numbers `changes` after the township's last change and appends them: the last
/// statements of a writing transaction, so the counter's row is locked only briefly.
macro_rules! append_changes {
    ($tx:expr, $township:expr, $changes:expr, $at:expr) => {{
        let changes: &[NewChange] = $changes;
        if !changes.is_empty() {
            let last: i64 = sqlx::query_scalar(
                "INSERT INTO sync_sequence (township_id, last_seq) VALUES ($1, $2) \
                 ON CONFLICT (township_id) DO UPDATE SET last_seq = sync_sequence.last_seq + $2 \
                 RETURNING last_seq",
            )
            .bind($township)
            .bind(len_i64(changes.len()))
            .fetch_one(&mut *$tx)
            .await?;
            let first = last - len_i64(changes.len()) + 1;
            for (i, c) in changes.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO sync_change (township_id, seq, kind, record_uuid, village_id, grid_id, author_id, \
                     step, state, note, by_name, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind($township)
                .bind(first + len_i64(i))
                .bind(c.kind.as_str())
                .bind(&c.record_uuid)
                .bind(c.village_id)
                .bind(c.grid_id)
                .bind(c.author_id)
                .bind(c.step.map(InboxStep::as_str))
                .bind(c.state.map(InboxState::as_str))
                .bind(&c.note)
                .bind(&c.by_name)
                .bind($at)
                .execute(&mut *$tx)
                .await?;
            }
        }
    }};
}
pub(super) use append_changes;

impl Database {
    /// The changes after `cursor` in a township that `scope` may see, oldest first.
    pub async fn sync_changes(
        &self,
        township_id: i64,
        cursor: i64,
        scope: &ChangeScope,
        limit: i64,
    ) -> Result<Vec<Change>> {
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(
                "SELECT seq, kind, record_uuid, step, state, note, by_name, at FROM sync_change WHERE township_id = ",
            );
            qb.push_bind(township_id);
            qb.push(" AND seq > ").push_bind(cursor);
            qb.push(" AND (author_id = ").push_bind(scope.author_id);
            for (column, ids) in [("village_id", &scope.villages), ("grid_id", &scope.grids)] {
                if ids.is_empty() {
                    continue;
                }
                qb.push(format!(" OR {column} IN ("));
                let mut list = qb.separated(", ");
                for id in ids {
                    list.push_bind(*id);
                }
                list.push_unseparated(")");
            }
            qb.push(") ORDER BY seq LIMIT ").push_bind(limit);
            let rows = qb.build().fetch_all(pool).await?;
            let mut changes = Vec::with_capacity(rows.len());
            for row in rows {
                let step: Option<String> = row.try_get("step")?;
                let state: Option<String> = row.try_get("state")?;
                changes.push(Change {
                    cursor: row.try_get("seq")?,
                    kind: decode("change kind", row.try_get("kind")?, ChangeKind::parse)?,
                    record_id: row.try_get("record_uuid")?,
                    step: step.as_deref().map(|s| decode("inbox step", s, InboxStep::parse)).transpose()?,
                    state: state.as_deref().map(|s| decode("inbox state", s, InboxState::parse)).transpose()?,
                    note: row.try_get("note")?,
                    by: row.try_get("by_name")?,
                    at: row.try_get("at")?,
                });
            }
            Ok(changes)
        })
    }
}
