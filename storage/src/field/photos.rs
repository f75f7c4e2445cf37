//! Photos: resumable uploads (begun under the phone's UUID, appended chunk by chunk at
//! the offset received so far, completed or reset once the bytes are checked), and a
//! report's photo once its author's upload is complete.

use chrono::{DateTime, Utc};

use super::len_i64;
use crate::database::BeginWrite;
use crate::write::{Tx, with_tx};
use crate::{Database, Result, StorageError, with_pool};

/// A photo upload as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoUpload {
    pub id: i64,
    pub client_id: String,
    pub township_id: i64,
    pub village_id: Option<i64>,
    pub uploaded_by: i64,
    pub media_type: String,
    pub byte_size: i64,
    pub sha256: String,
    pub received: i64,
    pub complete: bool,
}

#[derive(Debug, Clone)]
pub struct PhotoBegin<'a> {
    pub client_id: &'a str,
    pub township_id: i64,
    pub village_id: Option<i64>,
    pub uploaded_by: i64,
    pub media_type: &'a str,
    pub byte_size: i64,
    pub sha256: &'a str,
    pub at: DateTime<Utc>,
}

impl Database {
    /// The photo at `position` (1–5) of a report, once its author's upload is complete:
    /// its type (`jpeg`, `png`, `webp`) and bytes.
    pub async fn field_report_photo(
        &self,
        report_id: i64,
        position: i64,
    ) -> Result<Option<(String, Vec<u8>)>> {
        let row: Option<(String, Option<Vec<u8>>)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT up.media_type, up.content FROM field_report_photo p JOIN field_report r ON r.id = p.report_id \
                 JOIN photo_upload up ON up.client_uuid = p.photo_uuid AND up.uploaded_by = r.author_id \
                 WHERE p.report_id = $1 AND p.position = $2 AND up.complete = TRUE",
            )
            .bind(report_id)
            .bind(position)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.and_then(|(media, content)| content.map(|c| (media, c))))
    }

    /// Starts an upload, or finds the one begun before under the same client UUID (the
    /// caller compares what was declared). Bookkeeping, not audited: an upload becomes a
    /// record of someone's work when it completes ([`Tx::complete_photo`]).
    pub async fn begin_photo(&self, p: &PhotoBegin<'_>) -> Result<PhotoUpload> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO photo_upload (client_uuid, township_id, village_id, uploaded_by, media_type, byte_size, \
                 sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (client_uuid) DO NOTHING",
            )
            .bind(p.client_id)
            .bind(p.township_id)
            .bind(p.village_id)
            .bind(p.uploaded_by)
            .bind(p.media_type)
            .bind(p.byte_size)
            .bind(p.sha256)
            .bind(p.at)
            .execute(pool)
            .await?;
        });
        self.photo_upload(p.client_id)
            .await?
            .ok_or(StorageError::Query(sqlx::Error::RowNotFound))
    }

    pub async fn photo_upload(&self, client_id: &str) -> Result<Option<PhotoUpload>> {
        type UploadRow = (i64, String, i64, Option<i64>, i64, String, i64, String, i64, bool);
        let row: Option<UploadRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, client_uuid, township_id, village_id, uploaded_by, media_type, byte_size, sha256, received, \
                 complete FROM photo_upload WHERE client_uuid = $1",
            )
            .bind(client_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(
            |(
                id,
                client_id,
                township_id,
                village_id,
                uploaded_by,
                media_type,
                byte_size,
                sha256,
                received,
                complete,
            )| {
                PhotoUpload {
                    id,
                    client_id,
                    township_id,
                    village_id,
                    uploaded_by,
                    media_type,
                    byte_size,
                    sha256,
                    received,
                    complete,
                }
            },
        ))
    }

    /// Appends a chunk at `start`, which must be exactly what was received so far (an
    /// interrupted upload asks for the offset and continues from there). Returns the
    /// new offset, or None when `start` is not the current offset, the chunk would
    /// pass the declared size, or it is empty (stored, an empty chunk would hold the
    /// offset's key against the real one). Bookkeeping of bytes still uploading, not
    /// audited.
    pub async fn append_photo_chunk(&self, upload_id: i64, start: i64, bytes: &[u8]) -> Result<Option<i64>> {
        if bytes.is_empty() {
            return Ok(None);
        }
        let len = len_i64(bytes.len());
        with_pool!(self, pool => {
            let (_turn, mut tx) = pool.begin_write().await?;
            let moved: Option<i64> = sqlx::query_scalar(
                "UPDATE photo_upload SET received = received + $1 WHERE id = $2 AND received = $3 \
                 AND complete = FALSE AND received + $1 <= byte_size RETURNING received",
            )
            .bind(len)
            .bind(upload_id)
            .bind(start)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(received) = moved else {
                return Ok(None);
            };
            sqlx::query("INSERT INTO photo_chunk (upload_id, start, bytes) VALUES ($1, $2, $3)")
                .bind(upload_id)
                .bind(start)
                .bind(bytes)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(received))
        })
    }

    /// Whether exactly these bytes are stored as the chunk at `start`: a chunk resent
    /// after its answer was lost.
    pub async fn photo_chunk_is(&self, upload_id: i64, start: i64, bytes: &[u8]) -> Result<bool> {
        let found: i64 = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM photo_chunk WHERE upload_id = $1 AND start = $2 AND bytes = $3")
                .bind(upload_id)
                .bind(start)
                .bind(bytes)
                .fetch_one(pool)
                .await?
        });
        Ok(found > 0)
    }

    /// Every byte received so far, in order.
    pub async fn photo_bytes(&self, upload_id: i64) -> Result<Vec<u8>> {
        let chunks: Vec<(Vec<u8>,)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT bytes FROM photo_chunk WHERE upload_id = $1 ORDER BY start")
                .bind(upload_id)
                .fetch_all(pool)
                .await?
        });
        Ok(chunks.into_iter().flat_map(|(b,)| b).collect())
    }
}

/// A photo's upload made whole, in the caller's transaction.
impl Tx {
    /// Marks an upload complete with its checked bytes; its chunks go.
    pub async fn complete_photo(&mut self, upload_id: i64, content: &[u8], at: DateTime<Utc>) -> Result<()> {
        with_tx!(self, conn => {
            sqlx::query("UPDATE photo_upload SET complete = TRUE, content = $1, completed_at = $2 WHERE id = $3")
                .bind(content)
                .bind(at)
                .bind(upload_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM photo_chunk WHERE upload_id = $1")
                .bind(upload_id)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Throws away what was received (the hash did not match): the phone starts over.
    pub async fn reset_photo(&mut self, upload_id: i64) -> Result<()> {
        with_tx!(self, conn => {
            sqlx::query("DELETE FROM photo_chunk WHERE upload_id = $1")
                .bind(upload_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("UPDATE photo_upload SET received = 0 WHERE id = $1 AND complete = FALSE")
                .bind(upload_id)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }
}
