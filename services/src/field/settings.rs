//! The township's field settings: the list of report kinds and the weekly deadline, read
//! by anyone in the township and changed by its admin.

use domain::audit::{AuditAction, AuditOutcome};
use domain::field::{FieldSettings, ReportKind, WeeklyDeadline, check_kinds};
use domain::policy::{Action, ResourceKind, allows};
use storage::Database;

use super::deny;
use crate::{Caller, Result};

/// The township's weekly deadline and kinds list, and whether the caller may change them.
pub async fn field_settings(db: &Database, caller: &Caller) -> Result<FieldSettings> {
    let me = caller.user()?;
    let Some(township_id) = me.settings_township() else {
        return Err(deny(db, caller, None).await);
    };
    let location = db.org_location(township_id).await?;
    if !allows(me, Action::Read, ResourceKind::OrgUnit, &location) {
        return Err(deny(db, caller, None).await);
    }
    Ok(FieldSettings {
        township_id,
        deadline: db.weekly_deadline(township_id).await?,
        kinds: db.report_kinds(township_id).await?,
        may_edit: allows(me, Action::Write, ResourceKind::OrgUnit, &location),
    })
}

/// An admin sets when the township's weekly reports are due.
pub async fn set_weekly_deadline(
    db: &Database,
    caller: &Caller,
    township_id: i64,
    deadline: WeeklyDeadline,
) -> Result<()> {
    let me = caller.user()?;
    let location = db.org_location(township_id).await?;
    if !allows(me, Action::Write, ResourceKind::OrgUnit, &location) {
        return Err(deny(db, caller, None).await);
    }
    let deadline = deadline.check()?;
    let mut tx = db.begin().await?;
    tx.set_weekly_deadline(township_id, deadline, me.user_id, caller.now)
        .await?;
    let mut entry = caller.audit(AuditAction::EditReportKinds, AuditOutcome::Ok);
    entry.township_id = Some(township_id);
    entry.detail = Some(format!(
        "weekly deadline: weekday {} {:02}:00{}",
        deadline.weekday,
        deadline.hour,
        if deadline.next_week {
            " of the next week"
        } else {
            ""
        }
    ));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(())
}

/// An admin replaces the township's list of report kinds.
pub async fn set_report_kinds(
    db: &Database,
    caller: &Caller,
    township_id: i64,
    kinds: &[ReportKind],
) -> Result<()> {
    let me = caller.user()?;
    let location = db.org_location(township_id).await?;
    if !allows(me, Action::Write, ResourceKind::OrgUnit, &location) {
        return Err(deny(db, caller, None).await);
    }
    let kinds = check_kinds(kinds)?;
    let mut tx = db.begin().await?;
    tx.set_report_kinds(township_id, &kinds).await?;
    let mut entry = caller.audit(AuditAction::EditReportKinds, AuditOutcome::Ok);
    entry.township_id = Some(township_id);
    entry.detail = Some(format!("{} kinds", kinds.len()));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(())
}
