//! Field reports from the phones: push (each record judged alone, stored idempotently
//! on its client UUID), pull (the caller's scope only), resumable photo uploads checked
//! by hash, the township inbox and the weekly report overview. Urgent reports are
//! flagged to the township the moment they arrive (Art. 25), with an audit entry.
//!
//! Split by seam: `push` and `pull` for the phones' sync, `photo` for resumable uploads,
//! `inbox` for the office's side of a report, `weekly` for the weekly status and overview,
//! `settings` for the kinds list and the weekly deadline. What they share (whose field
//! grants reach where, the refusal that answers "not found") is here.

use domain::audit::AuditAction;
use domain::auth::{CurrentUser, Grant, Role};
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

/// The caller's field grants (info officer, grid worker) in their first field township.
fn field_grants(me: &CurrentUser) -> Option<(i64, Vec<&Grant>)> {
    let township = me
        .grants
        .iter()
        .find(|g| matches!(g.role, Role::InfoOfficer | Role::GridWorker))?
        .township_id?;
    let grants = me
        .grants
        .iter()
        .filter(|g| matches!(g.role, Role::InfoOfficer | Role::GridWorker) && g.township_id == Some(township))
        .collect();
    Some((township, grants))
}

/// The village a field grant sits in: its own unit, or a grid's parent.
fn grant_village(g: &Grant) -> Option<i64> {
    match g.role {
        Role::GridWorker => g.unit_path.iter().rev().nth(1).copied(),
        _ => Some(g.unit_id),
    }
}

/// The townships whose inbox the caller reads (clerks and case leaders).
fn office_townships(me: &CurrentUser) -> Vec<i64> {
    let mut out: Vec<i64> = me
        .grants
        .iter()
        .filter(|g| matches!(g.role, Role::Clerk | Role::CaseLeader))
        .filter_map(|g| g.township_id)
        .collect();
    out.dedup();
    out
}

async fn place_location(db: &Database, place: &FieldReportPlace) -> Result<Location> {
    let mut location = db.org_location(place.grid_id.unwrap_or(place.village_id)).await?;
    location.owner = Some(place.author_id);
    Ok(location)
}
