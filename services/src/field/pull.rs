//! Pull: what changed in a phone's scope since its cursor, page by page, and the setup
//! its forms are filled from (the kinds, its villages and their weekly status).

use domain::auth::{Grant, Role};
use domain::field::Week;
use domain::sync::{FieldSetup, PULL_PAGE, PullResponse};
use storage::{ChangeScope, Database};

use super::deny;
use super::weekly::village_weeks;
use crate::{Caller, Result};

/// What changed in the caller's scope since `cursor`: the clerks' steps on their
/// reports, their village's weekly reports, the township's kinds and the week's status.
pub async fn pull(db: &Database, caller: &Caller, cursor: i64) -> Result<PullResponse> {
    let me = caller.user()?;
    let Some((township, grants)) = me.field_grants() else {
        return Err(deny(db, caller, None).await);
    };
    let scope = ChangeScope {
        villages: grants
            .iter()
            .filter(|g| g.role == Role::InfoOfficer)
            .map(|g| g.unit_id)
            .collect(),
        grids: grants
            .iter()
            .filter(|g| g.role == Role::GridWorker)
            .map(|g| g.unit_id)
            .collect(),
        author_id: me.user_id,
    };
    let cursor = cursor.max(0);
    let limit = i64::try_from(PULL_PAGE).unwrap_or(200);
    let mut changes = db.sync_changes(township, cursor, &scope, limit + 1).await?;
    let more = changes.len() > PULL_PAGE;
    changes.truncate(PULL_PAGE);
    let next_cursor = changes.last().map_or(cursor, |c| c.cursor);
    let setup = field_setup(db, caller, township, &grants).await?;
    // The last page of a pull ends a sync: whatever the phone had queued was pushed before.
    if !more && let Some(session) = &caller.session {
        db.record_pull(session, caller.now).await?;
    }
    Ok(PullResponse {
        changes,
        next_cursor,
        more,
        report_kinds: setup.report_kinds,
        weekly: setup.weekly,
        week_field_reports: setup.week_field_reports,
        server_time: setup.server_time,
    })
}

/// The most reports a phone is sent for its weekly lists: two weeks of a busy village.
const MAX_WEEK_REPORTS: i64 = 500;

/// The kinds and villages a field phone fills its forms from (also sent with each pull).
/// `None` for someone with no village to report for (a petition agent, say).
pub async fn setup(db: &Database, caller: &Caller) -> Result<Option<FieldSetup>> {
    let me = caller.user()?;
    let Some((township, grants)) = me.field_grants() else {
        return Ok(None);
    };
    field_setup(db, caller, township, &grants).await.map(Some)
}

async fn field_setup(db: &Database, caller: &Caller, township: i64, grants: &[&Grant]) -> Result<FieldSetup> {
    let mut villages: Vec<(i64, String)> = Vec::new();
    for village in grants.iter().filter_map(|g| g.village()) {
        if villages.iter().any(|v| v.0 == village) {
            continue;
        }
        if let Some(unit) = db.org_unit(village).await? {
            villages.push((village, unit.name));
        }
    }
    let this_week = Week::of(caller.now);
    let ids: Vec<i64> = villages.iter().map(|v| v.0).collect();
    let span = (this_week.previous().utc_range().0, this_week.utc_range().1);
    Ok(FieldSetup {
        report_kinds: db.report_kinds(township).await?,
        weekly: village_weeks(
            db,
            township,
            &villages,
            &[this_week.previous(), this_week],
            caller.now,
        )
        .await?,
        week_field_reports: db
            .village_reports_between(township, &ids, span, MAX_WEEK_REPORTS)
            .await?,
        server_time: caller.now,
    })
}
