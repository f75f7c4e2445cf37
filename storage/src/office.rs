//! What a township's petition office publishes (address, phone, mailing address,
//! reception, notes): written by an admin in an audited transaction, read by anyone.

use chrono::{DateTime, Utc};
use domain::document::Letterhead;

use crate::write::with_tx;
use crate::{Database, Result, Tx, with_pool};

impl Tx {
    /// Writes what the township's petition office publishes, in this transaction.
    pub async fn set_office_info(
        &mut self,
        township_id: i64,
        info: &domain::office::OfficeInfo,
        by: i64,
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO office_info (township_id, address, phone, mailing_address, reception, notes, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (township_id) DO UPDATE SET \
                 address = excluded.address, phone = excluded.phone, mailing_address = excluded.mailing_address, \
                 reception = excluded.reception, notes = excluded.notes, updated_at = excluded.updated_at, \
                 updated_by = excluded.updated_by",
            )
            .bind(township_id)
            .bind(&info.address)
            .bind(&info.phone)
            .bind(&info.mailing_address)
            .bind(&info.reception)
            .bind(&info.notes)
            .bind(at)
            .bind(by)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }
}

impl Database {
    /// What the township's petition office publishes, if an admin has written it.
    pub async fn office_info(&self, township_id: i64) -> Result<Option<domain::office::OfficeInfo>> {
        let row: Option<(String, String, String, String, String)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT address, phone, mailing_address, reception, notes FROM office_info WHERE township_id = $1",
            )
            .bind(township_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(
            |(address, phone, mailing_address, reception, notes)| domain::office::OfficeInfo {
                address,
                phone,
                mailing_address,
                reception,
                notes,
            },
        ))
    }

    /// The township's petition office as its documents name it: the township's name
    /// from the org tree, with the address and phone it publishes (empty until an admin
    /// writes them); None if `township_id` is no township.
    pub async fn letterhead(&self, township_id: i64) -> Result<Option<Letterhead>> {
        let row: Option<(String, Option<String>, Option<String>)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT t.name, o.address, o.phone FROM org_unit t \
                 LEFT JOIN office_info o ON o.township_id = t.id WHERE t.id = $1 AND t.kind = 'township'",
            )
            .bind(township_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(name, address, phone)| {
            Letterhead::new(&name, &address.unwrap_or_default(), &phone.unwrap_or_default())
        }))
    }
}
