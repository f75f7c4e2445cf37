//! The township inbox: the office's list of field reports, a report and its photos as
//! the office reads them (each reading audited), and the clerks' steps on a report.

use domain::attachment::MediaType;
use domain::audit::{AuditAction, AuditOutcome};
use domain::field::{InboxFilter, InboxPage, InboxState, InboxStep, ReportView, check_note};
use domain::policy::{Action, Location, ResourceKind, allows};
use storage::{Database, FieldReportPlace, InboxStepRecord};

use super::{deny, place_location};
use crate::{Caller, Result, ServiceError};

/// The township inbox: one page of the reports of the caller's townships, urgent first,
/// with how many match in all and the kinds to name them by.
pub async fn inbox(db: &Database, caller: &Caller, filter: &InboxFilter) -> Result<InboxPage> {
    let me = caller.user()?;
    let townships = me.office_townships();
    let Some(first) = townships.first().copied() else {
        return Err(deny(db, caller, None).await);
    };
    Ok(InboxPage {
        rows: db.field_inbox(&townships, filter).await?,
        total: db.field_inbox_count(&townships, filter).await?,
        page: filter.page.max(1),
        kinds: db.report_kinds(first).await?,
    })
}

/// How many urgent reports wait for the township (new, or answered by the officer), for
/// the office's navigation. Anyone without an inbox has none; that is no refusal.
pub async fn urgent_waiting(db: &Database, caller: &Caller) -> Result<i64> {
    let townships = caller.user()?.office_townships();
    let filter = InboxFilter {
        urgent_only: true,
        state: Some(InboxState::New),
        ..InboxFilter::default()
    };
    Ok(db.field_inbox_count(&townships, &filter).await?)
}

/// The report `id` if the caller may `action` it; anything else is "not found", logged.
async fn permitted_report(
    db: &Database,
    caller: &Caller,
    id: i64,
    action: Action,
) -> Result<(FieldReportPlace, Location)> {
    let me = caller.user()?;
    let Some(place) = db.field_report_by_id(id).await? else {
        return Err(deny(db, caller, Some(&id.to_string())).await);
    };
    let location = place_location(db, &place).await?;
    if !allows(me, action, ResourceKind::FieldReport, &location) {
        return Err(deny(db, caller, Some(&place.client_id)).await);
    }
    Ok((place, location))
}

fn read_entry(
    caller: &Caller,
    action: AuditAction,
    place: &FieldReportPlace,
) -> domain::audit::NewAuditEntry {
    let mut entry = caller.audit(action, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::FieldReport.as_str().into());
    entry.record_id = Some(place.client_id.clone());
    entry.township_id = Some(place.township_id);
    entry
}

/// A whole report as the office reads it, with the inbox steps open to the reader. It
/// names people and places, so every reading is in the audit log.
pub async fn report(db: &Database, caller: &Caller, id: i64) -> Result<ReportView> {
    let me = caller.user()?;
    let (place, location) = permitted_report(db, caller, id, Action::Read).await?;
    let detail = db
        .field_report_detail(place.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    db.append_audit(&read_entry(caller, AuditAction::ReadFieldReport, &place))
        .await?;
    let mut open_steps: Vec<InboxStep> = Vec::new();
    for g in &me.grants {
        for step in place.state.open_steps(g.role) {
            // The officer's answer comes from the phone, not from the office's page.
            if step != InboxStep::Supplement && !open_steps.contains(&step) {
                open_steps.push(step);
            }
        }
    }
    if !allows(me, Action::Write, ResourceKind::FieldReport, &location) {
        open_steps.clear();
    }
    Ok(ReportView {
        detail,
        open_steps,
        kinds: db.report_kinds(place.township_id).await?,
    })
}

/// The photo at `position` of a report, for someone who may read the report; each
/// look is in the audit log.
pub async fn report_photo(
    db: &Database,
    caller: &Caller,
    id: i64,
    position: i64,
) -> Result<(MediaType, Vec<u8>)> {
    let (place, _) = permitted_report(db, caller, id, Action::Read).await?;
    let (media, bytes) = db
        .field_report_photo(place.id, position)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let media =
        MediaType::parse(&media).ok_or_else(|| ServiceError::Internal(format!("photo type {media}")))?;
    let mut entry = read_entry(caller, AuditAction::ReadFieldPhoto, &place);
    entry.detail = Some(format!("photo {position}"));
    db.append_audit(&entry).await?;
    Ok((media, bytes))
}

/// A clerk acknowledges a report, asks the officer for more, or closes it with a note;
/// the officer's phone sees it on its next pull.
pub async fn inbox_step(
    db: &Database,
    caller: &Caller,
    report_id: i64,
    step: InboxStep,
    note: &str,
) -> Result<()> {
    let me = caller.user()?;
    let (place, _) = permitted_report(db, caller, report_id, Action::Write).await?;
    let next = me
        .grants
        .iter()
        .map(|g| place.state.apply(g.role, step))
        .reduce(|a, b| a.or(b))
        .unwrap_or(Err(domain::petition::Refusal::NotYourStep))
        .map_err(ServiceError::Refused)?;
    let note = check_note(step, note)?;
    let mut tx = db.begin().await?;
    let recorded = tx
        .record_inbox_step(&InboxStepRecord {
            report_id: place.id,
            step,
            from: place.state,
            to: next,
            at: caller.now,
            actor_user_id: me.user_id,
            by_name: &me.display_name,
            note: note.as_deref(),
        })
        .await?;
    // Someone moved it first: nothing was written, the transaction is dropped.
    if !recorded {
        return Err(ServiceError::Changed);
    }
    let mut entry = caller.audit(AuditAction::FieldReportStep, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::FieldReport.as_str().into());
    entry.record_id = Some(place.client_id.clone());
    entry.township_id = Some(place.township_id);
    entry.detail = Some(step.as_str().into());
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(())
}
