//! Report kinds: a township's own list of the kinds of report its phones offer, or the
//! defaults.

use domain::field::{Category, ReportKind};

use super::{decode, len_i64};
use crate::write::{Tx, with_tx};
use crate::{Database, Result, with_pool};

impl Database {
    /// The township's report kinds: its own list, or the defaults.
    pub async fn report_kinds(&self, township_id: i64) -> Result<Vec<ReportKind>> {
        let rows: Vec<(String, String, String, String)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT code, name_zh, name_en, category FROM report_kind WHERE township_id = $1 \
                 OR (township_id IS NULL AND NOT EXISTS (SELECT 1 FROM report_kind WHERE township_id = $1)) \
                 ORDER BY position",
            )
            .bind(township_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(code, name_zh, name_en, category)| {
                Ok(ReportKind {
                    code,
                    name_zh,
                    name_en,
                    category: decode("category", &category, Category::parse)?,
                })
            })
            .collect()
    }
}

/// The township's list of report kinds, replaced in the caller's transaction.
impl Tx {
    /// Replaces the township's list of kinds (checked by the caller). Stored reports
    /// keep the code they were filed with.
    pub async fn set_report_kinds(&mut self, township_id: i64, kinds: &[ReportKind]) -> Result<()> {
        with_tx!(self, conn => {
            sqlx::query("DELETE FROM report_kind WHERE township_id = $1")
                .bind(township_id)
                .execute(&mut *conn)
                .await?;
            for (i, k) in kinds.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO report_kind (township_id, code, name_zh, name_en, category, position) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(township_id)
                .bind(&k.code)
                .bind(&k.name_zh)
                .bind(&k.name_en)
                .bind(k.category.as_str())
                .bind(len_i64(i + 1))
                .execute(&mut *conn)
                .await?;
            }
        });
        Ok(())
    }
}
