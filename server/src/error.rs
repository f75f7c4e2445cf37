//! The server layer's error type and its mapping to HTTP responses. Whatever fails below,
//! the person gets a clear status and a short message in their language, never a panic
//! and never a bare 500 for something they did. Status and code come from the app's
//! error ([`AppError::status`], [`AppError::code`]), the sentence from the locale files
//! ([`code_message`], [`EdgeText`]), in the language of the request being answered.

use app::error::{AppError, EdgeText, code_message};
use app::i18n::Locale;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    #[error(transparent)]
    Service(#[from] services::ServiceError),
    /// A request the server cannot read; the text says what to do instead.
    #[error("bad request: {0:?}")]
    BadRequest(EdgeText),
    /// A state-changing request from another site.
    #[error("cross-site request")]
    CrossSite,
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

/// The reader's language: the app's cookie, else Chinese (the rule the pages follow).
pub fn locale(headers: &HeaderMap) -> Locale {
    let en = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| app::cookie_value(c, app::LOCALE_COOKIE))
        == Some("en");
    if en { Locale::en } else { Locale::zh_CN }
}

tokio::task_local! {
    /// The language of the request being answered, for errors raised where only the
    /// error is at hand (a `?` in a handler, a guard).
    static LOCALE: Locale;
}

/// Keeps the request's language for the errors answered while it runs.
pub async fn reader_locale(request: Request<Body>, next: Next) -> Response {
    let locale = locale(request.headers());
    LOCALE.scope(locale, next.run(request)).await
}

/// The language of the request being answered; Chinese outside one.
fn current_locale() -> Locale {
    LOCALE.try_with(|l| *l).unwrap_or(Locale::zh_CN)
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
        let locale = current_locale();
        // The app's error logs what it hides behind "unavailable" or "internal".
        let app = |e: AppError| {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, e.code(), code_message(locale, e.code()))
        };
        let (status, code, message) = match self {
            ServerError::Service(e) => app(AppError::from(e)),
            ServerError::Storage(e) => app(AppError::from(e)),
            ServerError::BadRequest(text) => (StatusCode::BAD_REQUEST, "bad_request", text.text(locale)),
            ServerError::CrossSite => (
                StatusCode::FORBIDDEN,
                "forbidden",
                code_message(locale, "forbidden"),
            ),
            ServerError::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                code_message(locale, "throttled"),
            ),
            other @ (ServerError::Bind { .. } | ServerError::Serve(_)) => {
                tracing::error!(error = %other, "request failed");
                app(AppError::Internal)
            }
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    async fn body(e: ServerError) -> (StatusCode, serde_json::Value) {
        let response = e.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .expect("body");
        (status, serde_json::from_slice(&bytes).expect("json"))
    }

    #[tokio::test]
    async fn errors_answer_in_the_language_of_the_request() {
        let (status, zh) = body(ServerError::Service(services::ServiceError::TrackingFailed)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            (zh["code"].as_str(), zh["error"].as_str()),
            (Some("not_found"), Some("not_found"))
        );
        assert!(
            zh["message"].as_str().is_some_and(|m| m.contains("没有找到")),
            "{zh}"
        );

        let (status, en) = LOCALE
            .scope(Locale::en, body(ServerError::BadRequest(EdgeText::NoFile)))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(en["code"], "bad_request");
        assert_eq!(en["message"], EdgeText::NoFile.text(Locale::en));

        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; i18n_pref_locale=en"),
        );
        assert_eq!(locale(&headers), Locale::en);
        headers.insert(header::COOKIE, HeaderValue::from_static("i18n_pref_locale=zh-CN"));
        assert_eq!(locale(&headers), Locale::zh_CN);
        assert_eq!(locale(&HeaderMap::new()), Locale::zh_CN);
    }

    /// An error raised deep in a handler finds the language `reader_locale` kept.
    #[tokio::test]
    async fn the_middleware_keeps_the_language_for_the_handler() {
        use tower::ServiceExt;
        let router = axum::Router::new()
            .route(
                "/",
                axum::routing::get(|| async { Err::<(), _>(ServerError::TooManyRequests) }),
            )
            .layer(axum::middleware::from_fn(reader_locale));
        for (cookie, expected) in [("i18n_pref_locale=en", Locale::en), ("", Locale::zh_CN)] {
            let request = Request::get("/")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .expect("request");
            let response = router.clone().oneshot(request).await.expect("response");
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
            let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
                .await
                .expect("body");
            let json: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            assert_eq!(json["message"], code_message(expected, "throttled"), "{cookie}");
        }
    }
}
