//! The field phones' JSON API, version 1: plain axum routes whose URLs never change
//! between builds (server functions' do), described by `GET /api/v1/openapi.json`.
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
//! Chinese unless the `i18n_pref_locale` cookie says `en`.

use app::session::caller_from_parts;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use domain::FieldError;
use domain::sync::{Outcome, PushBatch};
use serde::{Deserialize, Serialize};
use services::ServiceError;
use services::field::{self, PhotoDeclaration, PhotoStatus};

use crate::state::AppState;

/// The push body limit is the protocol's: the phone sizes its batches by it.
pub use domain::sync::MAX_PUSH_BYTES;
/// One photo chunk and nothing else.
pub const MAX_CHUNK_REQUEST_BYTES: usize = field::MAX_CHUNK_BYTES + 1024;
pub const UPLOAD_OFFSET: &str = "upload-offset";

const OPENAPI: &str = include_str!("openapi.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

/// The reader's language: the app's cookie, else Chinese.
pub fn lang(headers: &HeaderMap) -> Lang {
    let en = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| app::cookie_value(c, app::LOCALE_COOKIE))
        == Some("en");
    if en { Lang::En } else { Lang::Zh }
}

/// The sentence for a code, in the reader's language. Field problems name the field as
/// the code does; the phone shows the sentence beside the record it concerns.
pub fn message(lang: Lang, code: &str) -> &'static str {
    let (zh, en) = match code {
        "unauthenticated" => (
            "登录已过期，请重新登录。手机上尚未同步的记录都还在，登录后会自动发送。",
            "Your login has expired. Please log in again; the records waiting on this phone are kept and will be sent.",
        ),
        "not_found" => ("没有找到这条记录，或您无权查看。", "That record was not found."),
        "forbidden" => (
            "跨站提交已被拒绝：请在本站页面上操作。",
            "Requests from other sites are refused.",
        ),
        "malformed" => (
            "这条记录的格式不对，无法读取。请在手机上重新保存后再同步。",
            "This record could not be read. Save it again on the phone and sync.",
        ),
        "too_large" => ("提交的内容太大了。", "The request is too large."),
        "unknown_record_type" => (
            "不认识这种记录，请更新应用后再同步。",
            "Unknown kind of record; update the app and sync again.",
        ),
        "author_mismatch" => (
            "这条记录是另一位工作人员填写的，请由本人登录后同步。",
            "This record was made by someone else; they must log in to send it.",
        ),
        "wrong_scope" => (
            "只能上报本村（本网格）的情况，请核对所选的村或网格。",
            "You may only report for your own village or grid; check the village or grid chosen.",
        ),
        "not_allowed_in_state" | "not_your_step" | "no_decision" => (
            "这份报告现在不能这样办理（可能已办结），请刷新后再试。",
            "This report cannot take that step now (it may be closed); refresh and try again.",
        ),
        "conflict" => (
            "这条记录与已保存的内容不一致，已保留原记录。",
            "This differs from what was stored before; the stored copy was kept.",
        ),
        "offset_required" => (
            "缺少上传位置（Upload-Offset）。",
            "The upload offset (Upload-Offset) is missing.",
        ),
        "offset_mismatch" => (
            "上传位置不对，请从服务器给出的位置继续上传。",
            "Wrong upload offset; continue from the offset the server gives.",
        ),
        "mismatch" => (
            "照片上传后校验不一致，已丢弃，请重新上传。",
            "The photo did not match its checksum and was discarded; upload it again.",
        ),
        "required" => ("有必填的内容没有填写。", "Something required is missing."),
        "too_long" => (
            "有内容太长了，请缩短。",
            "Something is too long; please shorten it.",
        ),
        "control_characters" => (
            "内容中含有无法显示的字符，请删除后重试。",
            "The text contains characters that cannot be shown.",
        ),
        "unknown_value" => (
            "所选的内容不存在或不能选，请重新选择。",
            "A choice is unknown or not allowed; choose again.",
        ),
        "duplicate" => (
            "重复了：本周的周报已经报过，或同一内容出现了两次。",
            "A duplicate: this week's report was already sent, or something appears twice.",
        ),
        "too_many" => ("太多了：超过了允许的数量。", "Too many items."),
        "bad_number" => ("数字不对，请检查。", "A number is not right; please check it."),
        "bad_date" => ("时间格式不对。", "A time is not in the right format."),
        "bad_coordinates" => (
            "定位不对：纬度应在 -90 到 90 之间，经度在 -180 到 180 之间。",
            "The position is not right: latitude −90 to 90, longitude −180 to 180.",
        ),
        "bad_accuracy" => ("定位精度不对。", "The location accuracy is not right."),
        "in_future" => (
            "时间晚于现在，请检查手机的日期和时间。",
            "The time is later than now; check the phone's date and time.",
        ),
        "too_old" => (
            "时间太久以前了，请核对日期。",
            "The time is too long ago; check the date.",
        ),
        "bad_uuid" => (
            "记录编号不对，请重新保存后再同步。",
            "The record number is not valid; save it again and sync.",
        ),
        "bad_week" => (
            "周次不对，应为 2026-W48 这样的格式。",
            "The week is not valid; write it like 2026-W48.",
        ),
        "zero_report_with_items" => (
            "零报告不能列出矛盾纠纷或隐患。",
            "A zero report cannot list disputes or hazards.",
        ),
        "empty_report" => (
            "周报没有列出任何情况：没有发现的，请报零报告。",
            "The weekly report lists nothing; send a zero report instead.",
        ),
        "wrong_week" => (
            "列出的报告不属于这个村或不是这一周发现的。",
            "A listed report is from another village or another week.",
        ),
        "file_empty" => ("照片是空文件。", "The photo is empty."),
        "file_too_large" => (
            "照片太大了：请压缩到 2 MB 以内，每次上传不超过 256 KB。",
            "The photo is too large: at most 2 MB, in chunks of at most 256 KB.",
        ),
        "file_type_not_allowed" => (
            "只能上传 JPG、PNG 或 WebP 照片。",
            "Only JPEG, PNG or WebP photos.",
        ),
        "throttled" => (
            "请求过于频繁，请稍后再试。",
            "Too many requests; try again shortly.",
        ),
        "unavailable" => (
            "数据库暂时无法访问，请稍后重试。",
            "The database is unavailable; try again later.",
        ),
        _ => (
            "服务器出错了，请稍后重试。",
            "Something went wrong on the server; try again later.",
        ),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

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

fn error(lang: Lang, status: StatusCode, code: &str, field: Option<String>) -> Response {
    let body = ApiErrorBody {
        code: code.to_owned(),
        message: message(lang, code).to_owned(),
        field,
        offset: None,
    };
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// A use case's error as the API answers it. Bad input is never a 500.
fn service_error(lang: Lang, e: ServiceError) -> Response {
    use ServiceError as S;
    match e {
        S::NotFound | S::TrackingFailed => error(lang, StatusCode::NOT_FOUND, "not_found", None),
        S::Unauthenticated | S::LoginFailed => error(lang, StatusCode::UNAUTHORIZED, "unauthenticated", None),
        S::Invalid(FieldError { field, problem }) => error(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            problem.code(),
            Some(field),
        ),
        S::Form(errors) => match errors.into_iter().next() {
            Some(FieldError { field, problem }) => error(
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                problem.code(),
                Some(field),
            ),
            None => error(lang, StatusCode::UNPROCESSABLE_ENTITY, "malformed", None),
        },
        S::Refused(_) => error(lang, StatusCode::CONFLICT, "not_allowed_in_state", None),
        S::Changed => error(lang, StatusCode::CONFLICT, "conflict", None),
        S::Throttled(_) | S::RateLimited(_) => error(lang, StatusCode::TOO_MANY_REQUESTS, "throttled", None),
        S::Storage(e) if e.is_unavailable() => {
            error(lang, StatusCode::SERVICE_UNAVAILABLE, "unavailable", None)
        }
        other => {
            tracing::error!(error = %other, "field API request failed");
            error(lang, StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
        }
    }
}

/// The reader's language and the caller, or the 401 that keeps the phone's queue.
fn logged_in(parts: &Parts) -> Result<(Lang, services::Caller), Box<Response>> {
    let lang = lang(&parts.headers);
    let caller = caller_from_parts(parts);
    if caller.user.is_none() {
        return Err(Box::new(error(
            lang,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            None,
        )));
    }
    Ok((lang, caller))
}

fn body_rejection(lang: Lang, status: StatusCode) -> Response {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        error(lang, status, "too_large", None)
    } else {
        error(lang, StatusCode::BAD_REQUEST, "malformed", None)
    }
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(value)).into_response()
}

/// `POST /api/v1/sync/push`
pub async fn push(
    State(state): State<AppState>,
    parts: Parts,
    batch: Result<Json<PushBatch>, JsonRejection>,
) -> Response {
    let (lang, caller) = match logged_in(&parts) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    let Json(batch) = match batch {
        Ok(b) => b,
        Err(e) => return body_rejection(lang, e.status()),
    };
    match field::push(&state.db, &caller, &batch).await {
        Ok(mut answer) => {
            for line in &mut answer.results {
                if let Outcome::Rejected {
                    code, message: text, ..
                } = &mut line.outcome
                {
                    *text = message(lang, code).to_owned();
                }
            }
            json(StatusCode::OK, &answer)
        }
        Err(e) => service_error(lang, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PullQuery {
    cursor: Option<String>,
}

/// `GET /api/v1/sync/pull?cursor=N`
pub async fn pull(State(state): State<AppState>, parts: Parts, Query(q): Query<PullQuery>) -> Response {
    let (lang, caller) = match logged_in(&parts) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    let cursor = match q.cursor.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if n >= 0 => n,
            _ => return error(lang, StatusCode::BAD_REQUEST, "bad_number", Some("cursor".into())),
        },
    };
    match field::pull(&state.db, &caller, cursor).await {
        Ok(answer) => json(StatusCode::OK, &answer),
        Err(e) => service_error(lang, e),
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
    parts: Parts,
    declaration: Result<Json<PhotoDeclaration>, JsonRejection>,
) -> Response {
    let (lang, caller) = match logged_in(&parts) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    let Json(d) = match declaration {
        Ok(d) => d,
        Err(e) => return body_rejection(lang, e.status()),
    };
    match field::begin_photo(&state.db, &caller, &d).await {
        Ok(status) => {
            let mut response = with_offset(json(StatusCode::CREATED, &status), &status);
            if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/photos/{}", status.client_id)) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }
        Err(e) => service_error(lang, e),
    }
}

/// `HEAD`/`GET /api/v1/photos/{id}`: the offset to continue from.
pub async fn photo_status(State(state): State<AppState>, parts: Parts, Path(id): Path<String>) -> Response {
    let (lang, caller) = match logged_in(&parts) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    match field::photo_status(&state.db, &caller, &id).await {
        Ok(status) => with_offset(json(StatusCode::OK, &status), &status),
        Err(e) => service_error(lang, e),
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
    parts: Parts,
    Path(id): Path<String>,
    chunk: Result<Bytes, BytesRejection>,
) -> Response {
    let (lang, caller) = match logged_in(&parts) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    let chunk = match chunk {
        Ok(c) => c,
        Err(e) => return body_rejection(lang, e.status()),
    };
    let Some(offset) = chunk_offset(&parts.headers, chunk.len()) else {
        return error(lang, StatusCode::BAD_REQUEST, "offset_required", None);
    };
    match field::append_photo(&state.db, &caller, &id, offset, &chunk).await {
        Ok(appended) if appended.accepted => {
            with_offset(json(StatusCode::OK, &appended.status), &appended.status)
        }
        Ok(appended) => {
            let body = ApiErrorBody {
                code: "offset_mismatch".into(),
                message: message(lang, "offset_mismatch").into(),
                field: None,
                offset: Some(appended.status.offset),
            };
            with_offset(json(StatusCode::CONFLICT, &body), &appended.status)
        }
        Err(e) => service_error(lang, e),
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
    fn messages_follow_the_locale_cookie() {
        assert_eq!(
            lang(&headers(&[("cookie", "a=b; i18n_pref_locale=en")])),
            Lang::En
        );
        assert_eq!(lang(&headers(&[("cookie", "i18n_pref_locale=zh-CN")])), Lang::Zh);
        assert_eq!(lang(&HeaderMap::new()), Lang::Zh);
        assert!(message(Lang::Zh, "wrong_scope").contains("本村"));
        assert!(message(Lang::En, "wrong_scope").contains("village"));
        // Every problem code has its own sentence, not the fallback.
        let fallback = message(Lang::En, "no such code");
        for p in domain::Problem::ALL {
            let known_elsewhere = matches!(
                p,
                domain::Problem::WrongParent
                    | domain::Problem::BadUsername
                    | domain::Problem::UsernameTaken
                    | domain::Problem::TooShort
                    | domain::Problem::CommonPassword
                    | domain::Problem::WrongPassword
                    | domain::Problem::WrongScope
                    | domain::Problem::Mismatch
                    | domain::Problem::BadPhone
                    | domain::Problem::BadResidentIdLength
                    | domain::Problem::BadResidentIdDate
                    | domain::Problem::BadResidentIdCheck
                    | domain::Problem::WrongAnswer
                    | domain::Problem::AlreadySent
            );
            if !known_elsewhere {
                assert_ne!(message(Lang::En, p.code()), fallback, "{}", p.code());
            }
        }
        assert!(!OPENAPI.is_empty());
        assert!(serde_json::from_str::<serde_json::Value>(OPENAPI).is_ok());
    }
}
