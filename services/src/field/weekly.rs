//! The weekly reports' status: each village's week as the phone and the office see it,
//! and the township's overview of who reported for a week.

use domain::field::{Week, WeeklyLine, WeeklyOverview, weekly_status};
use domain::org::OrgUnitKind;
use domain::sync::VillageWeek;
use storage::Database;

use super::deny;
use crate::{Caller, Result};

/// This week's and last week's status for each village, as the phone and the office
/// see them.
pub(super) async fn village_weeks(
    db: &Database,
    township: i64,
    villages: &[(i64, String)],
    weeks: &[Week],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<VillageWeek>> {
    let deadline = db.weekly_deadline(township).await?;
    let mut out = Vec::new();
    for week in weeks {
        let rows = db.weekly_reports(township, &week.to_string()).await?;
        for (village_id, village_name) in villages {
            let row = rows.iter().find(|r| r.0 == *village_id);
            let submitted = row.map(|(_, zero, created, received, synced)| {
                (domain::field::finished_at(*created, *synced, *received), *zero)
            });
            out.push(VillageWeek {
                village_id: *village_id,
                village_name: village_name.clone(),
                week: *week,
                status: weekly_status(*week, deadline, submitted, now),
                zero: submitted.is_some_and(|s| s.1),
                due_at: deadline.due_at(*week),
                submitted_at: submitted.map(|s| s.0),
            });
        }
    }
    Ok(out)
}

/// Which villages of the caller's township have reported for `week`: on time, late,
/// zero, missing or not yet due; with how many reports each listed and who sent it.
pub async fn weekly_overview(db: &Database, caller: &Caller, week: Week) -> Result<WeeklyOverview> {
    let me = caller.user()?;
    let Some(township) = me.office_townships().first().copied() else {
        return Err(deny(db, caller, None).await);
    };
    let villages: Vec<(i64, String)> = db
        .org_children(Some(township))
        .await?
        .into_iter()
        .filter(|u| u.kind == OrgUnitKind::Village)
        .map(|u| (u.id, u.name))
        .collect();
    let deadline = db.weekly_deadline(township).await?;
    let reported = db.weekly_report_lines(township, &week.to_string()).await?;
    let lines = village_weeks(db, township, &villages, &[week], caller.now)
        .await?
        .into_iter()
        .map(|w| {
            let line = reported.iter().find(|r| r.0 == w.village_id);
            WeeklyLine {
                items: line.map_or(0, |l| l.1),
                reported_by: line.map(|l| l.2.clone()),
                week: w,
            }
        })
        .collect();
    Ok(WeeklyOverview {
        week,
        deadline,
        due_at: deadline.due_at(week),
        lines,
    })
}
