//! Who is asking, as axum extractors: a handler that acts for someone takes one of these
//! instead of reading the session itself.

use std::convert::Infallible;

use app::error::AppError;
use app::i18n::Locale;
use app::session::caller_from_parts;
use axum::extract::FromRequestParts;
use axum::http::{StatusCode, request::Parts};
use axum::response::Response;

use crate::error::locale;
use crate::sync_api::error_response;

/// The caller of a form or a download, logged in or not (with their address and user
/// agent): the use case decides what they may do.
pub struct RequestCaller(pub services::Caller);

impl<S: Send + Sync> FromRequestParts<S> for RequestCaller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(caller_from_parts(parts)))
    }
}

/// A logged-in caller of the phones' API, with the reader's language. Without a session
/// the request is answered 401 with a JSON body in that language: the phone keeps its
/// queue and asks the officer to log in again.
pub struct LoggedIn {
    pub locale: Locale,
    pub caller: services::Caller,
}

impl<S: Send + Sync> FromRequestParts<S> for LoggedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let locale = locale(&parts.headers);
        let caller = caller_from_parts(parts);
        if caller.user.is_none() {
            let refused = AppError::Unauthenticated;
            let status = StatusCode::from_u16(refused.status()).unwrap_or(StatusCode::UNAUTHORIZED);
            return Err(error_response(locale, status, refused.code(), None));
        }
        Ok(Self { locale, caller })
    }
}
