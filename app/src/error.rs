//! The app layer's one error type: what a server function can answer, and what a page
//! can show. It travels as JSON; the server's edge turns it into an HTTP status and a
//! code ([`AppError::status`], [`AppError::code`]: decided here once, for server
//! functions, plain routes and the field API alike) and the page into a sentence in the
//! reader's language. The sentences the edge answers with are here too ([`code_message`],
//! [`EdgeText`]), read from the locale files like every other text.

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

    /// The code the edge answers with beside the status (`{code, message}`). Coarse on
    /// purpose: the field API names a bad field's problem itself (`Problem::code`).
    pub fn code(&self) -> &'static str {
        use domain::petition::Refusal;
        match self {
            AppError::NotFound | AppError::TrackingFailed => "not_found",
            AppError::Unauthenticated | AppError::LoginFailed => "unauthenticated",
            AppError::Throttled(_) | AppError::RateLimited(_) => "throttled",
            AppError::Invalid(_) | AppError::Roster(_) | AppError::Form(_) => "invalid",
            // The same codes as a refused record of a sync (`domain::sync::Rejection`).
            AppError::Refused(Refusal::NotAllowedInState) => "not_allowed_in_state",
            AppError::Refused(Refusal::NotYourStep) => "not_your_step",
            AppError::Refused(Refusal::NoDecision) => "no_decision",
            AppError::Changed => "conflict",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unavailable | AppError::Network(_) => "unavailable",
            AppError::Internal => "internal",
        }
    }
}

/// The sentence for a code the server answers with (`{code, message}`: the field API,
/// a sync's refused records, the plain routes), in `locale`. Codes that mean the same as
/// a page's text share it. A problem code without a sentence of its own here (those of
/// forms the phones never send) gets the general "invalid" one; anything else the
/// general fault.
#[cfg(any(feature = "ssr", test))]
pub fn code_message(locale: crate::i18n::Locale, code: &str) -> &'static str {
    use crate::i18n::*;
    match code {
        "not_found" => td_string!(locale, error.not_found),
        "unauthenticated" => td_string!(locale, outbox.expired),
        "throttled" => td_string!(locale, api_error.throttled),
        "invalid" => td_string!(locale, api_error.invalid),
        "not_allowed_in_state" | "not_your_step" | "no_decision" => td_string!(locale, inbox.refused),
        "conflict" => td_string!(locale, outbox.conflict),
        "bad_request" => td_string!(locale, error.bad_request),
        "unavailable" => td_string!(locale, error.unavailable),
        "internal" => td_string!(locale, error.internal),
        "forbidden" => td_string!(locale, api_error.forbidden),
        "malformed" => td_string!(locale, api_error.malformed),
        "too_large" => td_string!(locale, api_error.too_large),
        "unknown_record_type" => td_string!(locale, api_error.unknown_record_type),
        "author_mismatch" => td_string!(locale, api_error.author_mismatch),
        "wrong_scope" => td_string!(locale, api_error.wrong_scope),
        "offset_required" => td_string!(locale, api_error.offset_required),
        "offset_mismatch" => td_string!(locale, api_error.offset_mismatch),
        "mismatch" => td_string!(locale, api_error.mismatch),
        "required" => td_string!(locale, api_error.required),
        "too_long" => td_string!(locale, api_error.too_long),
        "control_characters" => td_string!(locale, api_error.control_characters),
        "unknown_value" => td_string!(locale, api_error.unknown_value),
        "duplicate" => td_string!(locale, api_error.duplicate),
        "too_many" => td_string!(locale, api_error.too_many),
        "bad_number" => td_string!(locale, api_error.bad_number),
        "bad_date" => td_string!(locale, api_error.bad_date),
        "bad_coordinates" => td_string!(locale, api_error.bad_coordinates),
        "in_future" => td_string!(locale, api_error.in_future),
        "too_old" => td_string!(locale, api_error.too_old),
        "bad_uuid" => td_string!(locale, api_error.bad_uuid),
        "bad_week" => td_string!(locale, api_error.bad_week),
        "file_empty" => td_string!(locale, api_error.file_empty),
        "file_too_large" => td_string!(locale, api_error.file_too_large),
        "file_type_not_allowed" => td_string!(locale, api_error.file_type_not_allowed),
        // The form's own sentences name no field, so they read well alone.
        "bad_accuracy" => td_string!(locale, problem.bad_accuracy),
        "zero_report_with_items" => td_string!(locale, problem.zero_report_with_items),
        "empty_report" => td_string!(locale, problem.empty_report),
        "wrong_week" => td_string!(locale, problem.wrong_week),
        code if domain::Problem::ALL.iter().any(|p| p.code() == code) => {
            td_string!(locale, api_error.invalid)
        }
        _ => td_string!(locale, error.internal),
    }
}

/// The codes only the server's edge answers with: beside [`AppError::code`], a problem's
/// code and a sync's rejection codes.
pub const EDGE_CODES: [&str; 4] = ["forbidden", "too_large", "offset_required", "offset_mismatch"];

/// The edge's other sentences: requests it cannot read, and its page for a panic.
#[cfg(any(feature = "ssr", test))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeText {
    /// A form post whose body is cut off or not form data.
    FormIncomplete,
    /// A tracking post without its two fields.
    TrackingForm,
    /// `/lang/<locale>` for a language we do not have.
    UnknownLanguage,
    /// A file upload without a file (no multipart boundary).
    NoFile,
    /// A ledger that could not be written.
    ExportFailed,
    /// The panic page: its title, what to do, and the label of the request id.
    Title,
    Panic,
    RequestId,
}

#[cfg(any(feature = "ssr", test))]
impl EdgeText {
    pub const ALL: [EdgeText; 8] = [
        EdgeText::FormIncomplete,
        EdgeText::TrackingForm,
        EdgeText::UnknownLanguage,
        EdgeText::NoFile,
        EdgeText::ExportFailed,
        EdgeText::Title,
        EdgeText::Panic,
        EdgeText::RequestId,
    ];

    pub fn text(self, locale: crate::i18n::Locale) -> &'static str {
        use crate::i18n::*;
        match self {
            EdgeText::FormIncomplete => td_string!(locale, error.form_incomplete),
            EdgeText::TrackingForm => td_string!(locale, track.intro),
            EdgeText::UnknownLanguage => td_string!(locale, error.unknown_language),
            EdgeText::NoFile => td_string!(locale, error.no_file),
            EdgeText::ExportFailed => td_string!(locale, error.export_failed),
            EdgeText::Title => td_string!(locale, error.title),
            EdgeText::Panic => td_string!(locale, error.panic),
            EdgeText::RequestId => td_string!(locale, error.request_id),
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
    use crate::i18n::Locale;
    use domain::Problem;
    use domain::petition::Refusal;
    use domain::sync::Rejection;

    /// One of each error; the match has no wildcard, so a new variant fails to compile
    /// here until it is listed.
    fn every_app_error() -> Vec<AppError> {
        let all = vec![
            AppError::NotFound,
            AppError::Invalid(FieldError::new("name", Problem::Required)),
            AppError::Form(Vec::new()),
            AppError::Refused(Refusal::NotAllowedInState),
            AppError::Refused(Refusal::NotYourStep),
            AppError::Refused(Refusal::NoDecision),
            AppError::Changed,
            AppError::TrackingFailed,
            AppError::RateLimited(1),
            AppError::Unauthenticated,
            AppError::LoginFailed,
            AppError::Throttled(1),
            AppError::Roster(Vec::new()),
            AppError::BadRequest(String::new()),
            AppError::Unavailable,
            AppError::Network(String::new()),
            AppError::Internal,
        ];
        for e in &all {
            match e {
                AppError::NotFound
                | AppError::Invalid(_)
                | AppError::Form(_)
                | AppError::Refused(_)
                | AppError::Changed
                | AppError::TrackingFailed
                | AppError::RateLimited(_)
                | AppError::Unauthenticated
                | AppError::LoginFailed
                | AppError::Throttled(_)
                | AppError::Roster(_)
                | AppError::BadRequest(_)
                | AppError::Unavailable
                | AppError::Network(_)
                | AppError::Internal => {}
            }
        }
        all
    }

    /// A sync's refused records, likewise listed in full.
    fn every_rejection() -> Vec<Rejection> {
        let all = vec![
            Rejection::Malformed,
            Rejection::UnknownRecordType,
            Rejection::AuthorMismatch,
            Rejection::WrongScope,
            Rejection::Invalid(FieldError::new("week", Problem::BadWeek)),
            Rejection::Refused(Refusal::NotAllowedInState),
            Rejection::Refused(Refusal::NotYourStep),
            Rejection::Refused(Refusal::NoDecision),
        ];
        for r in &all {
            match r {
                Rejection::Malformed
                | Rejection::UnknownRecordType
                | Rejection::AuthorMismatch
                | Rejection::WrongScope
                | Rejection::Invalid(_)
                | Rejection::Refused(_) => {}
            }
        }
        all
    }

    /// Every code the server can answer has its own sentence (not the general fault's)
    /// in both languages: a text missing from en would fall back to the zh-CN one.
    #[test]
    fn every_code_the_server_answers_has_a_sentence_in_both_languages() {
        let fault = code_message(Locale::en, "no such code");
        let mut codes: Vec<&str> = every_app_error().iter().map(AppError::code).collect();
        codes.extend(every_rejection().iter().map(Rejection::code));
        codes.extend(Problem::ALL.iter().map(|p| p.code()));
        codes.extend(EDGE_CODES);
        for code in codes {
            let (zh, en) = (code_message(Locale::zh_CN, code), code_message(Locale::en, code));
            assert!(!zh.is_empty() && zh != en, "{code}: {zh} / {en}");
            assert!(code == "internal" || en != fault, "{code} has no sentence");
        }
        for text in EdgeText::ALL {
            let (zh, en) = (text.text(Locale::zh_CN), text.text(Locale::en));
            assert!(!zh.is_empty() && zh != en, "{text:?}: {zh} / {en}");
        }
    }

    #[test]
    fn statuses_and_codes_are_the_edges() {
        let answer = |e: AppError| (e.status(), e.code());
        assert_eq!(answer(AppError::TrackingFailed), (404, "not_found"));
        assert_eq!(answer(AppError::LoginFailed), (401, "unauthenticated"));
        assert_eq!(answer(AppError::RateLimited(5)), (429, "throttled"));
        assert_eq!(answer(AppError::Form(Vec::new())), (422, "invalid"));
        assert_eq!(answer(AppError::Changed), (409, "conflict"));
        assert_eq!(answer(AppError::Network(String::new())), (503, "unavailable"));
    }

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
