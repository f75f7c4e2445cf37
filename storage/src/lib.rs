//! Storage for Minqing: one [`Database`] with the same methods over SQLite (the embedded
//! default) and PostgreSQL (the scale-out engine). Each method holds its SQL once where
//! the dialects agree, and per engine where they do not; the shared test suite in
//! `tests/` runs every method against both.

mod account;
mod audit;
mod bulk;
mod database;
mod demo;
mod error;
mod field;
mod limits;
mod office;
mod org;
mod petition;
mod roster;
mod secret;
#[cfg(feature = "testing")]
pub mod testing;
mod write;

pub use account::{Credentials, NewSession, SessionRecord};
pub use audit::{AuditPage, AuditScope};
pub use bulk::BulkPetition;
pub use database::{Database, Engine};
pub use demo::DemoSummary;
pub use error::StorageError;
pub use field::{
    ChangeScope, FieldReportPlace, InboxStepRecord, PhotoBegin, PhotoUpload, PushEntry, PushItem,
    ReportInsert, Stored, SupplementInsert, SyncReceipt, WeeklyInsert, WeeklyRow,
};
pub use petition::{
    Inserted, NewAttachment, PetitionInsert, PetitionPlace, PetitionScope, SCAN_WINDOW, StepChange,
    StepRecord, SubmissionLimit,
};
pub use roster::{PlannedUnit, PlannedUser, RosterPlan, UnitRef};
pub use write::Tx;

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Runs the same block against whichever pool the database holds. The block is compiled
/// once per engine, so its SQL must be valid in both dialects.
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Database::Sqlite($pool) => $body,
            $crate::Database::Postgres { pool: $pool, .. } => $body,
        }
    };
}
pub(crate) use with_pool;
