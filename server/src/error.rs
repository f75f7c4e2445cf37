//! The server layer's error type and its mapping to HTTP responses. Whatever fails below,
//! the person gets a clear status and a short message in their language, never a panic
//! and never a bare 500 for something they did.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    #[error(transparent)]
    Service(#[from] services::ServiceError),
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("too many requests")]
    TooManyRequests,
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server stopped: {0}")]
    Serve(std::io::Error),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    /// The same as `error`, under the name the field API uses (`{code, message}`).
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        use services::ServiceError as S;
        let (status, code, message) = match &self {
            ServerError::BadRequest(what) => (StatusCode::BAD_REQUEST, "bad_request", *what),
            ServerError::Forbidden(what) => (StatusCode::FORBIDDEN, "forbidden", *what),
            ServerError::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                "提交过于频繁，请稍等片刻再试。",
            ),
            ServerError::Service(S::NotFound) => (StatusCode::NOT_FOUND, "not_found", "没有找到这条记录。"),
            ServerError::Service(S::Unauthenticated | S::LoginFailed) => {
                (StatusCode::UNAUTHORIZED, "unauthenticated", "请先登录。")
            }
            ServerError::Service(S::TrackingFailed) => {
                (StatusCode::NOT_FOUND, "not_found", "查询码或查询密码不正确。")
            }
            ServerError::Service(S::Refused(_) | S::Changed) => (
                StatusCode::CONFLICT,
                "conflict",
                "这件事现在不能这样办理，请刷新后再试。",
            ),
            ServerError::Service(S::Throttled(_) | S::RateLimited(_)) => (
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                "请求过于频繁，请稍后再试。",
            ),
            ServerError::Service(S::Invalid(_) | S::Roster(_) | S::Form(_)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid", "填写的内容有误。")
            }
            ServerError::Service(S::Storage(e)) if e.is_unavailable() => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "数据库暂时无法访问，请稍后重试。",
            ),
            ServerError::Storage(e) if e.is_unavailable() => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "数据库暂时无法访问，请稍后重试。",
            ),
            ServerError::Storage(storage::StorageError::Invalid(_)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid", "填写的内容有误。")
            }
            _ => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "服务器出错了，请稍后重试。",
            ),
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        (
            status,
            axum::Json(ErrorBody {
                error: code,
                code,
                message,
            }),
        )
            .into_response()
    }
}
