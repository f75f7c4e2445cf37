//! The office desk's counts: what waits for the township's petition office, each read
//! through the use case that lists it, so a count never reaches further than its list.

use domain::auth::Role;
use domain::field::{InboxFilter, InboxState, Week, WeeklyStatus};
use domain::office::OfficeDesk;
use domain::petition::PetitionState;
use domain::registry::{COUNT_CAP, RegistryFilter};
use storage::Database;

use crate::{Caller, Result, field, petition};

/// The counts for a clerk or case leader; anyone else gets an empty desk, not a refusal
/// (their desk shows only its links).
pub async fn office_desk(db: &Database, caller: &Caller) -> Result<OfficeDesk> {
    let me = caller.user()?;
    if !(me.has_role(Role::Clerk) || me.has_role(Role::CaseLeader)) {
        return Ok(OfficeDesk::default());
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
    let inbox = db.field_inbox_count(&me.office_townships(), &new_reports).await?;
    // The week whose reports are due: last week's until this week's deadline passes.
    let mut week = field::weekly_overview(db, caller, Week::of(caller.now)).await?;
    let due = week.deadline.last_due_week(caller.now);
    if due != week.week {
        week = field::weekly_overview(db, caller, due).await?;
    }
    let with = |status| week.lines.iter().filter(|l| l.week.status == status).count();
    Ok(OfficeDesk {
        awaiting_registration: Some(registry.total.unwrap_or(COUNT_CAP + 1)),
        reports_new: Some(inbox),
        reports_urgent: Some(field::urgent_waiting(db, caller).await?),
        weekly_week: Some(week.week),
        weekly_missing: Some(with(WeeklyStatus::Missing)),
        weekly_late: Some(with(WeeklyStatus::Late)),
    })
}
