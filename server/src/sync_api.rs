//! The field phones' JSON API, version 1: plain axum routes whose URLs never change
//! between builds (server functions' do), described by `GET /api/v1/openapi.json`. The
//! app's server functions, under the same `/api/` prefix, are `app::api`, not this.
//!
//! - `POST /api/v1/sync/push`: a batch of records; an answer per record.
//! - `GET /api/v1/sync/pull?cursor=N`: what changed in the caller's scope since N.
//! - `POST /api/v1/photos`: declare an upload (client UUID, size, SHA-256, type).
//! - `PUT /api/v1/photos/{id}`: append a chunk at `Upload-Offset` (or `Content-Range`).
//! - `HEAD`/`GET /api/v1/photos/{id}`: how far it has come (`Upload-Offset`).
//!
//! The session is the ordinary cookie (a field session lasts 30 days from its last
//! contact). No session answers 401 with a JSON body, so the phone keeps its queue and
//! asks the officer to log in again. Every error is `{code, message}`, the message in
//! Chinese unless the `i18n_pref_locale` cookie says `en` (`crate::error::locale`), taken
//! from the locale files (`app::error::code_message`).

use app::error::{AppError, code_message};
use app::i18n::Locale;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::FieldError;
use domain::sync::{PushBatch, RecordOutcome};
use serde::{Deserialize, Serialize};
use services::ServiceError;
use services::field::{self, PhotoDeclaration, PhotoStatus};

use crate::extract::LoggedIn;
use crate::state::AppState;

/// The push body limit is the protocol's: the phone sizes its batches by it.
pub use domain::sync::MAX_PUSH_BYTES;
/// One photo chunk and nothing else.
pub const MAX_CHUNK_REQUEST_BYTES: usize = field::MAX_CHUNK_BYTES + 1024;
pub const UPLOAD_OFFSET: &str = "upload-offset";

const OPENAPI: &str = include_str!("openapi.json");

#[derive(Debug, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `offset_mismatch`: where the upload stands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
}

/// An error as the API answers it: `{code, message[, field]}`, not cached.
pub(crate) fn error_response(
    locale: Locale,
    status: StatusCode,
    code: &str,
    field: Option<String>,
) -> Response {
    let body = ApiErrorBody {
        code: code.to_owned(),
        message: code_message(locale, code).to_owned(),
        field,
        offset: None,
    };
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// A use case's error as the API answers it: the app's status and code, except that bad
/// input names its field and problem, as a refused record does. Never a 500 for input.
fn service_error(locale: Locale, e: ServiceError) -> Response {
    let e = AppError::from(e);
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match e {
        AppError::Invalid(FieldError { field, problem }) => {
            error_response(locale, status, problem.code(), Some(field))
        }
        AppError::Form(errors) => match errors.into_iter().next() {
            Some(FieldError { field, problem }) => {
                error_response(locale, status, problem.code(), Some(field))
            }
            None => error_response(locale, status, "malformed", None),
        },
        other => error_response(locale, status, other.code(), None),
    }
}

fn body_rejection(locale: Locale, status: StatusCode) -> Response {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        error_response(locale, status, "too_large", None)
    } else {
        error_response(locale, StatusCode::BAD_REQUEST, "malformed", None)
    }
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(value)).into_response()
}

/// `POST /api/v1/sync/push`
pub async fn push(
    State(state): State<AppState>,
    LoggedIn { locale, caller }: LoggedIn,
    batch: Result<Json<PushBatch>, JsonRejection>,
) -> Response {
    let Json(batch) = match batch {
        Ok(b) => b,
        Err(e) => return body_rejection(locale, e.status()),
    };
    match field::push(&state.db, &caller, &batch).await {
        Ok(mut answer) => {
            for line in &mut answer.results {
                if let RecordOutcome::Rejected {
                    code, message: text, ..
                } = &mut line.outcome
                {
                    *text = code_message(locale, code).to_owned();
                }
            }
            json(StatusCode::OK, &answer)
        }
        Err(e) => service_error(locale, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PullQuery {
    cursor: Option<String>,
}

/// `GET /api/v1/sync/pull?cursor=N`
pub async fn pull(
    State(state): State<AppState>,
    LoggedIn { locale, caller }: LoggedIn,
    Query(q): Query<PullQuery>,
) -> Response {
    let cursor = match q.cursor.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if n >= 0 => n,
            _ => {
                return error_response(
                    locale,
                    StatusCode::BAD_REQUEST,
                    "bad_number",
                    Some("cursor".into()),
                );
            }
        },
    };
    match field::pull(&state.db, &caller, cursor).await {
        Ok(answer) => json(StatusCode::OK, &answer),
        Err(e) => service_error(locale, e),
    }
}

fn with_offset(mut response: Response, status: &PhotoStatus) -> Response {
    if let Ok(v) = HeaderValue::from_str(&status.offset.to_string()) {
        response.headers_mut().insert(UPLOAD_OFFSET, v);
    }
    response
}

/// `POST /api/v1/photos`: declares an upload; 201 with where to send the bytes.
pub async fn begin_photo(
    State(state): State<AppState>,
    LoggedIn { locale, caller }: LoggedIn,
    declaration: Result<Json<PhotoDeclaration>, JsonRejection>,
) -> Response {
    let Json(d) = match declaration {
        Ok(d) => d,
        Err(e) => return body_rejection(locale, e.status()),
    };
    match field::begin_photo(&state.db, &caller, &d).await {
        Ok(status) => {
            let mut response = with_offset(json(StatusCode::CREATED, &status), &status);
            if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/photos/{}", status.client_id)) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }
        Err(e) => service_error(locale, e),
    }
}

/// `HEAD`/`GET /api/v1/photos/{id}`: the offset to continue from.
pub async fn photo_status(
    State(state): State<AppState>,
    LoggedIn { locale, caller }: LoggedIn,
    Path(id): Path<String>,
) -> Response {
    match field::photo_status(&state.db, &caller, &id).await {
        Ok(status) => with_offset(json(StatusCode::OK, &status), &status),
        Err(e) => service_error(locale, e),
    }
}

/// Where a chunk starts: `Upload-Offset: N`, or `Content-Range: bytes N-M/T` (whose
/// range must match the chunk's length).
fn chunk_offset(headers: &HeaderMap, len: usize) -> Option<i64> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(raw) = text(UPLOAD_OFFSET) {
        return raw.parse::<i64>().ok().filter(|n| *n >= 0);
    }
    let range = text("content-range")?.strip_prefix("bytes ")?;
    let (span, _total) = range.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let (start, end) = (start.trim().parse::<i64>().ok()?, end.trim().parse::<i64>().ok()?);
    let len = i64::try_from(len).ok()?;
    (start >= 0 && end - start + 1 == len).then_some(start)
}

/// `PUT /api/v1/photos/{id}`: appends one chunk. 200 with the new offset; 409 with the
/// current offset when the chunk does not start there; 422 when the finished file does
/// not match its hash (the bytes are discarded and the upload starts over).
pub async fn append_photo(
    State(state): State<AppState>,
    LoggedIn { locale, caller }: LoggedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
    chunk: Result<Bytes, BytesRejection>,
) -> Response {
    let chunk = match chunk {
        Ok(c) => c,
        Err(e) => return body_rejection(locale, e.status()),
    };
    let Some(offset) = chunk_offset(&headers, chunk.len()) else {
        return error_response(locale, StatusCode::BAD_REQUEST, "offset_required", None);
    };
    match field::append_photo(&state.db, &caller, &id, offset, &chunk).await {
        Ok(appended) if appended.accepted => {
            with_offset(json(StatusCode::OK, &appended.status), &appended.status)
        }
        Ok(appended) => {
            let body = ApiErrorBody {
                code: "offset_mismatch".into(),
                message: code_message(locale, "offset_mismatch").into(),
                field: None,
                offset: Some(appended.status.offset),
            };
            with_offset(json(StatusCode::CONFLICT, &body), &appended.status)
        }
        Err(e) => service_error(locale, e),
    }
}

/// `GET /api/v1/openapi.json`
pub async fn openapi() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        OPENAPI,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn offsets_come_from_either_header() {
        assert_eq!(chunk_offset(&headers(&[("upload-offset", "400")]), 10), Some(400));
        assert_eq!(
            chunk_offset(&headers(&[("content-range", "bytes 400-409/1000")]), 10),
            Some(400)
        );
        assert_eq!(
            chunk_offset(&headers(&[("content-range", "bytes 400-409/*")]), 10),
            Some(400)
        );
        // A range that does not match the chunk, junk, or nothing.
        assert_eq!(
            chunk_offset(&headers(&[("content-range", "bytes 400-499/1000")]), 10),
            None
        );
        assert_eq!(chunk_offset(&headers(&[("upload-offset", "-1")]), 10), None);
        assert_eq!(
            chunk_offset(&headers(&[("content-range", "items 1-2/3")]), 2),
            None
        );
        assert_eq!(chunk_offset(&HeaderMap::new(), 10), None);
    }

    #[test]
    fn the_codes_answered_here_have_their_sentences() {
        assert!(code_message(Locale::zh_CN, "wrong_scope").contains("本村"));
        assert!(code_message(Locale::en, "wrong_scope").contains("village"));
        // The codes this module writes itself: each its own sentence, in both languages.
        let fault = code_message(Locale::en, "no such code");
        for code in [
            "malformed",
            "too_large",
            "bad_number",
            "offset_required",
            "offset_mismatch",
        ] {
            assert_ne!(code_message(Locale::en, code), fault, "{code}");
            assert_ne!(
                code_message(Locale::zh_CN, code),
                code_message(Locale::en, code),
                "{code}"
            );
        }
        assert!(!OPENAPI.is_empty());
        assert!(serde_json::from_str::<serde_json::Value>(OPENAPI).is_ok());
    }
}
