//! Field reports from the phones: push (each record judged alone, stored idempotently
//! on its client UUID), pull (the caller's scope only), resumable photo uploads checked
//! by hash, the township inbox and the weekly report overview. Urgent reports are
//! flagged to the township the moment they arrive (Art. 25), with an audit entry.
//!
//! Split by seam: `push` and `pull` for the phones' sync, `photo` for resumable uploads,
//! `inbox` for the office's side of a report, `weekly` for the weekly status and overview,
//! `settings` for the kinds list and the weekly deadline. What they share (the refusal
//! that answers "not found", a report's place as the policy sees it) is here; where a
//! caller's grants reach is `domain::grants`.

use domain::audit::AuditAction;
use domain::policy::{Location, ResourceKind};
use storage::{Database, FieldReportPlace};

use crate::{Caller, Result, ServiceError};

mod inbox;
mod photo;
mod pull;
mod push;
mod settings;
mod weekly;

pub use inbox::{inbox, inbox_step, report, report_photo, urgent_waiting};
pub use photo::{
    Appended, MAX_CHUNK_BYTES, MAX_PHOTO_BYTES, PhotoDeclaration, PhotoStatus, append_photo, begin_photo,
    photo_status,
};
pub use pull::{pull, setup};
pub use push::push;
pub use settings::{field_settings, set_report_kinds, set_weekly_deadline};
pub use weekly::weekly_overview;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Logs a refusal of something in the field and answers "not found".
async fn deny(db: &Database, caller: &Caller, record_id: Option<&str>) -> ServiceError {
    let id = record_id.map(str::to_owned);
    caller
        .refused(db, AuditAction::Denied, ResourceKind::FieldReport, id)
        .await
}

async fn place_location(db: &Database, place: &FieldReportPlace) -> Result<Location> {
    let mut location = db.org_location(place.grid_id.unwrap_or(place.village_id)).await?;
    location.owner = Some(place.author_id);
    Ok(location)
}
