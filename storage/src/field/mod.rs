//! Field reports in storage: a phone's push stored in one transaction (each record in a
//! savepoint of its own, so a record that breaks a constraint is rejected alone), the
//! receipts that make a resend a duplicate, the change feed the phones pull, resumable
//! photo uploads, weekly reports, report kinds and the township inbox.
//!
//! One submodule a subject: `push` (the records a phone sends), `receipts` (what makes a
//! resend a duplicate), `changes` (the feed the phones pull), `photos` (uploads),
//! `weekly` (weekly reports and their deadline), `kinds` (report kinds) and `inbox` (the
//! township's inbox and its steps).

mod changes;
mod inbox;
mod kinds;
mod photos;
mod push;
mod receipts;
mod weekly;

pub use changes::ChangeScope;
pub use inbox::{FieldReportPlace, InboxStepRecord};
pub use photos::{PhotoBegin, PhotoUpload};
pub use push::{PushEntry, PushItem, ReportInsert, Stored, SupplementInsert, WeeklyInsert};
pub use receipts::SyncReceipt;
pub use weekly::WeeklyRow;

use crate::{Result, StorageError};

fn decode<T>(name: &str, value: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(value)
        .ok_or_else(|| StorageError::Query(sqlx::Error::Decode(format!("unknown {name} {value}").into())))
}

fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
