use domain::FieldError;

/// Everything that can go wrong below the app. The server maps these to responses at
/// its edge; nothing here knows about HTTP.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unsupported database URL (use sqlite://FILE or postgres://…): {0}")]
    UnsupportedUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("invalid record: {0}")]
    Invalid(#[from] FieldError),
    /// A submission over the limit at this index of those it was given; nothing written.
    #[error("over submission limit {0}")]
    OverLimit(usize),
    /// A one-time submission key already stored with other content.
    #[error("submission key already used for another form")]
    KeyReused,
    /// A pushed record refused for a reason only the database could see (its report
    /// moved on meanwhile); the rest of the push goes on.
    #[error("record rejected: {}", .0.code())]
    Rejected(domain::sync::Rejection),
    /// A write transaction committed without its audit entry: a programming error,
    /// refused so that no unaudited write is ever kept.
    #[error("a write without its audit entry was refused")]
    Unaudited,
    #[error("backup failed: {0}")]
    Backup(String),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

impl StorageError {
    /// True when the database is out of reach rather than the request being wrong: the
    /// caller may try again later.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StorageError::Connect(_)
                | StorageError::Query(
                    sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
                )
        )
    }
}
