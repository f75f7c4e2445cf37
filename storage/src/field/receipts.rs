//! Sync receipts: who stored a client UUID and the hash of what they sent, so that a
//! resend is a duplicate and anything else under a stored UUID a conflict. A report is
//! its own receipt (its row keeps the body's hash); other records leave a `sync_receipt`
//! row.

use sqlx::QueryBuilder;

use super::push::Stored;
use crate::{Database, Result, with_pool};

/// A sync receipt: who stored the UUID, and the hash of what they sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReceipt {
    pub client_id: String,
    pub user_id: i64,
    pub body_hash: String,
}

impl SyncReceipt {
    /// A resend by the same person with the same body is a duplicate; anything else
    /// under a stored UUID is a conflict.
    pub fn judge(&self, user_id: i64, body_hash: &str) -> Stored {
        if self.user_id == user_id && self.body_hash == body_hash {
            Stored::Duplicate
        } else {
            Stored::Conflict
        }
    }
}

/// The receipts that the reports with these UUIDs are, read through `$executor`.
macro_rules! report_receipts {
    ($executor:expr, $ids:expr) => {{
        let ids: &[&str] = $ids;
        let mut qb = QueryBuilder::new(
            "SELECT client_uuid, author_id, COALESCE(body_hash, '') FROM field_report WHERE client_uuid IN (",
        );
        let mut list = qb.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        list.push_unseparated(")");
        let rows: Vec<(String, i64, String)> = qb.build_query_as().fetch_all($executor).await?;
        rows.into_iter()
            .map(|(client_id, user_id, body_hash)| SyncReceipt {
                client_id,
                user_id,
                body_hash,
            })
            .collect::<Vec<SyncReceipt>>()
    }};
}
pub(super) use report_receipts;

impl Database {
    /// The receipts already stored for these client UUIDs.
    pub async fn sync_receipts(&self, client_ids: &[&str]) -> Result<Vec<SyncReceipt>> {
        if client_ids.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new("SELECT client_uuid, user_id, body_hash FROM sync_receipt WHERE client_uuid IN (");
            let mut list = qb.separated(", ");
            for id in client_ids {
                list.push_bind(*id);
            }
            list.push_unseparated(")");
            let rows: Vec<(String, i64, String)> = qb.build_query_as().fetch_all(pool).await?;
            let mut out: Vec<SyncReceipt> = rows
                .into_iter()
                .map(|(client_id, user_id, body_hash)| SyncReceipt { client_id, user_id, body_hash })
                .collect();
            out.extend(report_receipts!(pool, client_ids));
            Ok(out)
        })
    }
}
