//! The app layer's one error type: what a server function can answer, and what a page
//! can show. It travels as JSON; the server's edge turns it into an HTTP status
//! ([`AppError::status`]) and the page into a sentence in the reader's language.

use domain::FieldError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
// serde's default (externally tagged) form: `"unavailable"`, `{"invalid":{...}}`. A tagged
// form would make the browser buffer and re-read every error, which costs wasm size.
#[serde(rename_all = "snake_case")]
pub enum AppError {
    /// The record does not exist, or the reader may not know that it does.
    #[error("not found")]
    NotFound,
    /// Bad input the user can fix.
    #[error("invalid input: {0}")]
    Invalid(FieldError),
    /// A form with problems in several fields, every one listed.
    #[error("form has problems")]
    Form(Vec<FieldError>),
    /// The petition's lifecycle does not allow this step now, or not to this user.
    #[error("step refused")]
    Refused(domain::petition::Refusal),
    /// Someone else changed the record meanwhile.
    #[error("changed meanwhile")]
    Changed,
    /// Wrong tracking code or query password.
    #[error("tracking lookup failed")]
    TrackingFailed,
    /// Too many submissions from here; wait this many seconds.
    #[error("rate limited for {0} s")]
    RateLimited(i64),
    /// No valid session: log in first.
    #[error("not logged in")]
    Unauthenticated,
    /// Wrong username or password (never which of the two).
    #[error("login failed")]
    LoginFailed,
    /// Too many failed logins; wait this many seconds.
    #[error("throttled for {0} s")]
    Throttled(i64),
    /// An imported roster with problems, each by sheet, row and column.
    #[error("roster has problems")]
    Roster(Vec<domain::roster::RosterProblem>),
    /// A request that does not decode: arguments missing or malformed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The database is out of reach; try again later.
    #[error("storage unavailable")]
    Unavailable,
    /// The browser could not reach the server at all.
    #[error("network: {0}")]
    Network(String),
    /// A fault of ours; details are in the server log, never in the answer.
    #[error("internal error")]
    Internal,
}

impl AppError {
    /// The HTTP status the server's edge answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound => 404,
            AppError::Unauthenticated | AppError::LoginFailed => 401,
            AppError::Throttled(_) | AppError::RateLimited(_) => 429,
            AppError::Invalid(_) | AppError::Roster(_) | AppError::Form(_) => 422,
            AppError::Refused(_) | AppError::Changed => 409,
            AppError::TrackingFailed => 404,
            AppError::BadRequest(_) => 400,
            AppError::Unavailable | AppError::Network(_) => 503,
            AppError::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => AppError::BadRequest(m),
            ServerFnErrorErr::Request(m) => AppError::Network(m),
            ServerFnErrorErr::Registration(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_)
            | ServerFnErrorErr::ServerError(_)
            | ServerFnErrorErr::MiddlewareError(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::Serialization(_)
            | ServerFnErrorErr::Response(_) => AppError::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<storage::StorageError> for AppError {
    fn from(err: storage::StorageError) -> Self {
        use storage::StorageError as S;
        match err {
            S::Invalid(e) => AppError::Invalid(e),
            err if err.is_unavailable() => {
                tracing::warn!(error = %err, "storage unavailable");
                AppError::Unavailable
            }
            other => {
                tracing::error!(error = %other, "storage error");
                AppError::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<services::ServiceError> for AppError {
    fn from(err: services::ServiceError) -> Self {
        use services::ServiceError as S;
        match err {
            S::NotFound => AppError::NotFound,
            S::Unauthenticated => AppError::Unauthenticated,
            S::Invalid(e) => AppError::Invalid(e),
            S::LoginFailed => AppError::LoginFailed,
            S::Throttled(secs) => AppError::Throttled(secs),
            S::Roster(problems) => AppError::Roster(problems),
            S::Form(errors) => AppError::Form(errors),
            S::Refused(r) => AppError::Refused(r),
            S::Changed => AppError::Changed,
            S::TrackingFailed => AppError::TrackingFailed,
            S::RateLimited(secs) => AppError::RateLimited(secs),
            S::Storage(e) => e.into(),
            S::Internal(what) => {
                tracing::error!(error = %what, "service error");
                AppError::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Problem;

    #[test]
    fn errors_round_trip_through_their_wire_form() {
        for e in [
            AppError::NotFound,
            AppError::Invalid(FieldError::new("name", Problem::Required)),
            AppError::BadRequest("x".into()),
            AppError::Throttled(60),
            AppError::LoginFailed,
            AppError::Unavailable,
            AppError::Internal,
        ] {
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), e, "{json}");
        }
        assert_eq!(
            serde_json::from_str::<AppError>(r#""unavailable""#).unwrap(),
            AppError::Unavailable
        );
    }
}
