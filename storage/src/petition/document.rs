//! The numbers of a petition's documents (发文字号): given in the transaction of the step
//! that issues the document, from the township's running number for its kind and year,
//! and read back unchanged for every reprint.

use chrono::{DateTime, Utc};
use domain::document::{DocumentKind, DocumentNumber};

use crate::write::with_tx;
use crate::{Database, Result, StorageError, Tx, with_pool};

fn year(stored: i64) -> Result<i32> {
    i32::try_from(stored)
        .map_err(|_| StorageError::Query(sqlx::Error::Decode(format!("document year {stored}").into())))
}

impl Tx {
    /// Gives the petition's document of `kind` its number, issued at `at`, in this
    /// transaction, and answers it. A document already numbered keeps its number (an
    /// amended decision), unless its kind is numbered anew each time
    /// ([`DocumentKind::renumbered_when_repeated`]). The township's counter row is
    /// updated with RETURNING: its lock makes concurrent writers take turns, and the
    /// unique (township, kind, year, number) backs it.
    pub async fn number_document(
        &mut self,
        petition_id: i64,
        township_id: i64,
        kind: DocumentKind,
        at: DateTime<Utc>,
    ) -> Result<DocumentNumber> {
        let renew = kind.renumbered_when_repeated();
        let issued = DocumentNumber::year_of(at);
        let stored: (i64, i64) = with_tx!(self, conn => {
            let existing: Option<(i64, i64)> = if renew {
                None
            } else {
                sqlx::query_as("SELECT year, number FROM petition_document WHERE petition_id = $1 AND kind = $2")
                    .bind(petition_id)
                    .bind(kind.as_str())
                    .fetch_optional(&mut *conn)
                    .await?
            };
            match existing {
                Some(found) => found,
                None => {
                    let number: i64 = sqlx::query_scalar(
                        "INSERT INTO document_sequence (township_id, kind, year, last_number) VALUES ($1, $2, $3, 1) \
                         ON CONFLICT (township_id, kind, year) \
                         DO UPDATE SET last_number = document_sequence.last_number + 1 RETURNING last_number",
                    )
                    .bind(township_id)
                    .bind(kind.as_str())
                    .bind(i64::from(issued))
                    .fetch_one(&mut *conn)
                    .await?;
                    let on_conflict = if renew {
                        "DO UPDATE SET township_id = excluded.township_id, year = excluded.year, \
                         number = excluded.number, issued_at = excluded.issued_at"
                    } else {
                        "DO NOTHING"
                    };
                    let sql = format!(
                        "INSERT INTO petition_document (petition_id, kind, township_id, year, number, issued_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (petition_id, kind) {on_conflict}"
                    );
                    sqlx::query(&sql)
                        .bind(petition_id)
                        .bind(kind.as_str())
                        .bind(township_id)
                        .bind(i64::from(issued))
                        .bind(number)
                        .bind(at)
                        .execute(&mut *conn)
                        .await?;
                    // What is stored: this number, or one a concurrent writer gave first.
                    sqlx::query_as("SELECT year, number FROM petition_document WHERE petition_id = $1 AND kind = $2")
                        .bind(petition_id)
                        .bind(kind.as_str())
                        .fetch_one(&mut *conn)
                        .await?
                }
            }
        });
        Ok(DocumentNumber {
            kind,
            year: year(stored.0)?,
            number: stored.1,
        })
    }
}

impl Database {
    /// The number of the petition's document of `kind` and when it was issued, if the
    /// step that issues it has been taken.
    pub async fn document_number(
        &self,
        petition_id: i64,
        kind: DocumentKind,
    ) -> Result<Option<(DocumentNumber, DateTime<Utc>)>> {
        let row: Option<(i64, i64, DateTime<Utc>)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT year, number, issued_at FROM petition_document WHERE petition_id = $1 AND kind = $2")
                .bind(petition_id)
                .bind(kind.as_str())
                .fetch_optional(pool)
                .await?
        });
        row.map(|(y, number, issued_at)| {
            Ok((
                DocumentNumber {
                    kind,
                    year: year(y)?,
                    number,
                },
                issued_at,
            ))
        })
        .transpose()
    }
}
