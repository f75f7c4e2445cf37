//! Petitions: taking one in (with its identity, people, attachments and first timeline
//! entry, in one transaction), taking a step (the state changes only if nobody changed
//! it meanwhile), the registry's filtered search, and the public view of one. The writes
//! are [`Tx`](crate::Tx) methods: the service audits them in the same transaction.
//!
//! One submodule a subject: `intake` (taking a petition in), `steps` (taking a step),
//! `detail` (one petition as the office reads it), `document` (the numbers of its printed
//! documents), `registry` (the filtered search), and `tracking` (what the petitioner
//! sees).

mod detail;
mod document;
mod intake;
mod registry;
mod steps;
mod tracking;

pub use detail::PetitionPlace;
pub use intake::{Inserted, NewAttachment, PetitionInsert, SubmissionLimit};
pub use registry::{PetitionScope, SCAN_WINDOW};
pub use steps::{StepChange, StepRecord};

use crate::{Result, StorageError};

fn decode<T>(name: &str, value: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(value)
        .ok_or_else(|| StorageError::Query(sqlx::Error::Decode(format!("unknown {name} {value}").into())))
}
