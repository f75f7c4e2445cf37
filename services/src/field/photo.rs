//! Resumable photo uploads: a phone declares the file (size, SHA-256, type), sends it in
//! chunks it can resume after a lost connection, and the whole is checked by hash and
//! content type before it is kept as a report's photo.

use domain::attachment::{self, MediaType};
use domain::audit::{AuditAction, AuditOutcome};
use domain::sync::clean_uuid;
use domain::{FieldError, Problem};
use sha2::{Digest, Sha256};
use storage::{Database, PhotoBegin, PhotoUpload};

use super::{deny, hex};
use crate::{Caller, Result, ServiceError};

/// A field photo, compressed on the phone to about 200 KB; anything over this is not one.
pub const MAX_PHOTO_BYTES: i64 = 2 * 1024 * 1024;
/// The largest chunk one request may append.
pub const MAX_CHUNK_BYTES: usize = 256 * 1024;

/// What a phone declares before uploading a photo.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct PhotoDeclaration {
    pub client_id: String,
    pub byte_size: i64,
    /// Lower-case hex SHA-256 of the whole file.
    pub sha256: String,
    /// `image/jpeg`, `image/png` or `image/webp` (or just `jpeg`…).
    pub media_type: String,
}

/// How far an upload has come.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PhotoStatus {
    pub client_id: String,
    pub byte_size: i64,
    /// Bytes received so far: the offset to send the next chunk at.
    pub offset: i64,
    pub complete: bool,
}

impl From<&PhotoUpload> for PhotoStatus {
    fn from(u: &PhotoUpload) -> Self {
        PhotoStatus {
            client_id: u.client_id.clone(),
            byte_size: u.byte_size,
            offset: u.received,
            complete: u.complete,
        }
    }
}

fn photo_media(raw: &str) -> Option<MediaType> {
    match raw.trim().trim_start_matches("image/") {
        "jpeg" | "jpg" => Some(MediaType::Jpeg),
        "png" => Some(MediaType::Png),
        "webp" => Some(MediaType::Webp),
        _ => None,
    }
}

/// Starts an upload, or finds the one begun before under the same UUID with the same
/// declaration (a phone that lost the answer asks again). Another declaration under a
/// stored UUID is a conflict.
pub async fn begin_photo(db: &Database, caller: &Caller, d: &PhotoDeclaration) -> Result<PhotoStatus> {
    let me = caller.user()?;
    let Some((township, grants)) = me.field_grants() else {
        return Err(deny(db, caller, None).await);
    };
    let client_id = clean_uuid("client_id", &d.client_id)?;
    let media = photo_media(&d.media_type)
        .ok_or_else(|| FieldError::new("media_type", Problem::FileTypeNotAllowed))?;
    if d.byte_size <= 0 {
        return Err(FieldError::new("byte_size", Problem::FileEmpty).into());
    }
    if d.byte_size > MAX_PHOTO_BYTES {
        return Err(FieldError::new("byte_size", Problem::FileTooLarge).into());
    }
    let sha256 = d.sha256.trim().to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(FieldError::new("sha256", Problem::UnknownValue).into());
    }
    let upload = db
        .begin_photo(&PhotoBegin {
            client_id: &client_id,
            township_id: township,
            village_id: grants.iter().find_map(|g| g.village()),
            uploaded_by: me.user_id,
            media_type: media.as_str(),
            byte_size: d.byte_size,
            sha256: &sha256,
            at: caller.now,
        })
        .await?;
    if upload.uploaded_by != me.user_id {
        return Err(deny(db, caller, Some(&client_id)).await);
    }
    if upload.byte_size != d.byte_size || upload.sha256 != sha256 || upload.media_type != media.as_str() {
        return Err(ServiceError::Changed);
    }
    Ok(PhotoStatus::from(&upload))
}

/// The caller's own upload, or "not found" (logged).
async fn own_upload(db: &Database, caller: &Caller, client_id: &str) -> Result<PhotoUpload> {
    let me = caller.user()?;
    let id = clean_uuid("client_id", client_id).map_err(|_| ServiceError::NotFound)?;
    match db.photo_upload(&id).await? {
        Some(u) if u.uploaded_by == me.user_id => Ok(u),
        _ => Err(deny(db, caller, Some(&id)).await),
    }
}

pub async fn photo_status(db: &Database, caller: &Caller, client_id: &str) -> Result<PhotoStatus> {
    Ok(PhotoStatus::from(&own_upload(db, caller, client_id).await?))
}

/// What an append came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub status: PhotoStatus,
    /// False when `offset` was not where the upload stands (the status says where).
    pub accepted: bool,
}

/// Appends a chunk at `offset`. When the last byte arrives the whole file is checked
/// against the declared SHA-256 and type: a match completes it (and attaches it to any
/// report naming it); a mismatch throws the bytes away so the phone starts over. A chunk
/// sent again after its answer was lost is accepted as it was, with the current status.
pub async fn append_photo(
    db: &Database,
    caller: &Caller,
    client_id: &str,
    offset: i64,
    chunk: &[u8],
) -> Result<Appended> {
    let upload = own_upload(db, caller, client_id).await?;
    // An empty chunk moves nothing forward, and no file is made of one.
    if chunk.is_empty() {
        return Err(FieldError::new("chunk", Problem::FileEmpty).into());
    }
    if chunk.len() > MAX_CHUNK_BYTES {
        return Err(FieldError::new("chunk", Problem::FileTooLarge).into());
    }
    if offset < 0 {
        return Err(FieldError::new("offset", Problem::BadNumber).into());
    }
    // The file's last chunk, by where it ends (a complete upload keeps no chunks).
    let ends_the_file = |u: &PhotoUpload| {
        i64::try_from(chunk.len())
            .ok()
            .and_then(|len| offset.checked_add(len))
            == Some(u.byte_size)
    };
    if upload.complete {
        // A resend of the last chunk after the answer was lost.
        return Ok(Appended {
            accepted: ends_the_file(&upload),
            status: PhotoStatus::from(&upload),
        });
    }
    let Some(received) = db.append_photo_chunk(upload.id, offset, chunk).await? else {
        let now = db.photo_upload(&upload.client_id).await?.unwrap_or(upload);
        if !now.complete && now.received == now.byte_size {
            // Every byte came, but finishing the file failed (its transaction did not
            // commit): finish it on the resend, or it would never be.
            let status = finish_upload(db, caller, &now).await?;
            return Ok(Appended {
                accepted: ends_the_file(&now),
                status,
            });
        }
        // Not where the upload stands: either this very chunk was stored before (its
        // answer was lost; the phone goes on from the current offset), or the phone
        // must ask where to go on from.
        let accepted = if now.complete {
            ends_the_file(&now)
        } else {
            offset < now.received && db.photo_chunk_is(now.id, offset, chunk).await?
        };
        return Ok(Appended {
            status: PhotoStatus::from(&now),
            accepted,
        });
    };
    let status = if received == upload.byte_size {
        finish_upload(db, caller, &PhotoUpload { received, ..upload }).await?
    } else {
        PhotoStatus {
            offset: received,
            ..PhotoStatus::from(&upload)
        }
    };
    Ok(Appended {
        status,
        accepted: true,
    })
}

/// Checks a fully received upload against its declaration and keeps it as the report's
/// photo, or throws the bytes away; either with the audit entry that says so, in one
/// transaction.
async fn finish_upload(db: &Database, caller: &Caller, upload: &PhotoUpload) -> Result<PhotoStatus> {
    let bytes = db.photo_bytes(upload.id).await?;
    let hash_ok = hex(&Sha256::digest(&bytes)) == upload.sha256;
    let type_ok = attachment::check(&bytes).is_ok_and(|m| m.as_str() == upload.media_type);
    let mut entry = caller.audit(AuditAction::UploadPhoto, AuditOutcome::Ok);
    entry.record_kind = Some("photo".into());
    entry.record_id = Some(upload.client_id.clone());
    entry.township_id = Some(upload.township_id);
    let mut tx = db.begin().await?;
    if !(hash_ok && type_ok) {
        tx.reset_photo(upload.id).await?;
        entry.outcome = AuditOutcome::Failed;
        entry.detail = Some(if hash_ok { "type mismatch" } else { "hash mismatch" }.into());
        tx.audit(&entry).await?;
        tx.commit().await?;
        let problem = if hash_ok {
            FieldError::new("media_type", Problem::FileTypeNotAllowed)
        } else {
            FieldError::new("sha256", Problem::Mismatch)
        };
        return Err(problem.into());
    }
    tx.complete_photo(upload.id, &bytes, caller.now).await?;
    entry.detail = Some(format!("{} bytes", bytes.len()));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(PhotoStatus {
        complete: true,
        ..PhotoStatus::from(upload)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_types_by_name_or_mime() {
        assert_eq!(photo_media("image/jpeg"), Some(MediaType::Jpeg));
        assert_eq!(photo_media("webp"), Some(MediaType::Webp));
        assert_eq!(photo_media("application/pdf"), None);
    }
}
