//! The office desk's counts: what waits for the township's petition office, each
//! counted over the same scope as the list its tile opens.

use domain::auth::Role;
use domain::field::{InboxFilter, InboxState, WeeklyStatus};
use domain::office::OfficeDesk;
use domain::petition::PetitionState;
use domain::registry::{COUNT_CAP, RegistryFilter};
use storage::Database;

use crate::{Caller, Result, field, petition};

/// The counts for a clerk or case leader of a township; `None` for anyone else (their
/// desk shows only its links), which is no refusal.
pub async fn office_desk(db: &Database, caller: &Caller) -> Result<Option<OfficeDesk>> {
    let me = caller.user()?;
    let townships = me.office_townships();
    let Some(township) = townships.first().copied() else {
        return Ok(None);
    };
    if !(me.has_role(Role::Clerk) || me.has_role(Role::CaseLeader)) {
        return Ok(None);
    }
    let waiting = RegistryFilter {
        state: Some(PetitionState::Submitted),
        page: 1,
        ..RegistryFilter::default()
    };
    let registry = petition::registry(db, caller, &waiting).await?;
    let new_reports = InboxFilter {
        state: Some(InboxState::New),
        page: 1,
        ..InboxFilter::default()
    };
    // The week whose reports are due: last week's until this week's deadline passes.
    let due = db.weekly_deadline(township).await?.last_due_week(caller.now);
    let week = field::weekly_overview(db, caller, due).await?;
    let with = |status| week.lines.iter().filter(|l| l.week.status == status).count();
    Ok(Some(OfficeDesk {
        awaiting_registration: registry.total.unwrap_or(COUNT_CAP + 1),
        reports_new: db.field_inbox_count(&townships, &new_reports).await?,
        reports_urgent: field::urgent_waiting(db, caller).await?,
        weekly_week: week.week,
        weekly_missing: with(WeeklyStatus::Missing),
        weekly_late: with(WeeklyStatus::Late),
    }))
}
