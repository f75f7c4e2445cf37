use domain::FieldError;
use storage::StorageError;

/// What a use case can answer besides success. The app maps these to its own error and
/// the HTTP edge to statuses.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Not there, or the caller may not know it is there (the policy said no).
    #[error("not found")]
    NotFound,
    /// No valid session.
    #[error("not logged in")]
    Unauthenticated,
    /// Bad input the user can fix.
    #[error("invalid: {0}")]
    Invalid(#[from] FieldError),
    /// An imported file with problems, each by sheet, row and column; nothing was written.
    #[error("roster has {} problems", .0.len())]
    Roster(Vec<domain::roster::RosterProblem>),
    /// A form with problems in several fields, all listed; nothing was written.
    #[error("form has {} problems", .0.len())]
    Form(Vec<FieldError>),
    /// The lifecycle does not allow this step now, or not to this caller.
    #[error("step refused: {0}")]
    Refused(domain::petition::Refusal),
    /// Someone else changed the record since it was read; reload and try again.
    #[error("changed meanwhile")]
    Changed,
    /// Wrong tracking code or query password (never which of the two).
    #[error("tracking lookup failed")]
    TrackingFailed,
    /// Too many submissions or lookups from here; try again after this many seconds.
    #[error("rate limited for {0} s")]
    RateLimited(i64),
    /// Wrong username or password (which of the two is never said).
    #[error("login failed")]
    LoginFailed,
    /// Too many failures; try again after this many seconds.
    #[error("throttled for {0} s")]
    Throttled(i64),
    #[error(transparent)]
    Storage(StorageError),
    /// A fault of ours (say, the password hasher failing); details go to the log.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StorageError> for ServiceError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Invalid(field) => ServiceError::Invalid(field),
            other => ServiceError::Storage(other),
        }
    }
}
