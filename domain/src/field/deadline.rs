//! When a week's report is due (configured per township), where a village stands with
//! it, when a report counts as finished, and the township's weekly overview of its villages.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::week::{Week, china_midnight};
use crate::petition::names;
use crate::validation::{FieldError, Problem};

/// When a week's report is due: a weekday (1 = Monday … 7 = Sunday) and an hour, China
/// time, in the week itself or in the one after. Configured per township.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyDeadline {
    pub weekday: u8,
    pub hour: u8,
    pub next_week: bool,
}

impl WeeklyDeadline {
    /// Monday noon of the following week: the weekend's findings still belong to the
    /// week, and the office reads the reports on Monday afternoon.
    pub const DEFAULT: WeeklyDeadline = WeeklyDeadline {
        weekday: 1,
        hour: 12,
        next_week: true,
    };

    pub fn check(self) -> Result<WeeklyDeadline, FieldError> {
        if !(1..=7).contains(&self.weekday) {
            return Err(FieldError::new("weekday", Problem::BadNumber));
        }
        if self.hour > 23 {
            return Err(FieldError::new("hour", Problem::BadNumber));
        }
        Ok(self)
    }

    pub fn due_at(self, week: Week) -> DateTime<Utc> {
        let days = i64::from(self.weekday.clamp(1, 7) - 1) + if self.next_week { 7 } else { 0 };
        china_midnight(week.monday) + Duration::days(days) + Duration::hours(i64::from(self.hour.min(23)))
    }

    /// The latest week whose report is already due at `now`: this week once its
    /// deadline has passed, else the one before (with the default deadline, last week's
    /// until Monday noon and also after it). Where the office looks for missing and late
    /// reports.
    pub fn last_due_week(self, now: DateTime<Utc>) -> Week {
        let mut week = Week::of(now);
        while self.due_at(week) > now {
            week = week.previous();
        }
        week
    }
}

impl Default for WeeklyDeadline {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Where a village stands with one week's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeeklyStatus {
    /// Nothing yet, and not yet due.
    Pending,
    /// Reports listed, in by the deadline.
    OnTime,
    /// In after the deadline (zero or not).
    Late,
    /// A zero report, in by the deadline.
    Zero,
    /// Nothing, and the deadline has passed.
    Missing,
}

names!(WeeklyStatus { Pending => "pending", OnTime => "on_time", Late => "late", Zero => "zero", Missing => "missing" });

/// The status of a village's report for `week`. `submitted` is when the report was
/// finished on the phone (never later than when it reached the server) and whether it
/// was a zero report.
pub fn weekly_status(
    week: Week,
    deadline: WeeklyDeadline,
    submitted: Option<(DateTime<Utc>, bool)>,
    now: DateTime<Utc>,
) -> WeeklyStatus {
    let due = deadline.due_at(week);
    match submitted {
        Some((at, _)) if at > due => WeeklyStatus::Late,
        Some((_, true)) => WeeklyStatus::Zero,
        Some((_, false)) => WeeklyStatus::OnTime,
        None if now > due => WeeklyStatus::Missing,
        None => WeeklyStatus::Pending,
    }
}

/// When a weekly report counts as finished: the phone's own time (it may have been
/// offline for days), but never later than it reached the server, and never earlier than
/// the end of the phone's last sync before it arrived (`synced_after`): a report that had
/// been on the phone then would have been sent then, so a claim earlier than that is a
/// backdated one.
pub fn finished_at(
    claimed: DateTime<Utc>,
    synced_after: Option<DateTime<Utc>>,
    received: DateTime<Utc>,
) -> DateTime<Utc> {
    synced_after.map_or(claimed, |s| claimed.max(s)).min(received)
}

/// One village's line in the weekly overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyLine {
    pub week: crate::sync::VillageWeek,
    /// How many dispute and hazard reports the weekly report lists.
    pub items: i64,
    /// Who sent the weekly report.
    pub reported_by: Option<String>,
}

/// How many villages stand where, for the top of the overview.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyCounts {
    pub on_time: usize,
    pub late: usize,
    pub zero: usize,
    pub missing: usize,
    pub pending: usize,
}

/// A week's reports across the township's villages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyOverview {
    pub week: Week,
    pub deadline: WeeklyDeadline,
    pub due_at: DateTime<Utc>,
    pub lines: Vec<WeeklyLine>,
}

impl WeeklyOverview {
    pub fn counts(&self) -> WeeklyCounts {
        let mut c = WeeklyCounts::default();
        for l in &self.lines {
            let n = match l.week.status {
                WeeklyStatus::OnTime => &mut c.on_time,
                WeeklyStatus::Late => &mut c.late,
                WeeklyStatus::Zero => &mut c.zero,
                WeeklyStatus::Missing => &mut c.missing,
                WeeklyStatus::Pending => &mut c.pending,
            };
            *n += 1;
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_last_due_week_is_the_latest_whose_deadline_has_passed() {
        let week = Week::parse("2026-W48").unwrap();
        let deadline = WeeklyDeadline::DEFAULT;
        // Monday noon (China) of the week after: W48 is due 2026-11-30 12:00 +08:00.
        let due = deadline.due_at(week);
        assert_eq!(deadline.last_due_week(due), week);
        assert_eq!(
            deadline.last_due_week(due - Duration::seconds(1)),
            week.previous()
        );
        // Friday of W48 itself: W47 is the latest due.
        let friday = Utc.with_ymd_and_hms(2026, 11, 27, 4, 0, 0).unwrap();
        assert_eq!(deadline.last_due_week(friday), week.previous());
        // Due on Friday 18:00 of the same week: by Saturday that week is due.
        let same_week = WeeklyDeadline {
            weekday: 5,
            hour: 18,
            next_week: false,
        };
        let saturday = Utc.with_ymd_and_hms(2026, 11, 28, 4, 0, 0).unwrap();
        assert_eq!(same_week.last_due_week(saturday), week);
        assert_eq!(same_week.last_due_week(friday), week.previous());
    }

    #[test]
    fn deadlines_fall_where_configured() {
        let w = Week::parse("2026-W48").unwrap();
        // Default: next Monday 12:00 China time.
        assert_eq!(
            WeeklyDeadline::DEFAULT.due_at(w),
            Utc.with_ymd_and_hms(2026, 11, 30, 4, 0, 0).unwrap()
        );
        let friday = WeeklyDeadline {
            weekday: 5,
            hour: 17,
            next_week: false,
        };
        assert_eq!(
            friday.due_at(w),
            Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap()
        );
        assert!(friday.check().is_ok());
        for (weekday, hour, field) in [(0, 9, "weekday"), (8, 9, "weekday"), (1, 24, "hour")] {
            let d = WeeklyDeadline {
                weekday,
                hour,
                next_week: false,
            };
            assert_eq!(d.check().unwrap_err(), FieldError::new(field, Problem::BadNumber));
        }
    }

    #[test]
    fn a_weekly_report_is_finished_between_the_last_sync_and_its_arrival() {
        let at = |h: i64| Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap() + chrono::Duration::hours(h);
        // Offline for days: the phone's time stands.
        assert_eq!(finished_at(at(0), None, at(50)), at(0));
        assert_eq!(finished_at(at(0), Some(at(-10)), at(50)), at(0));
        // Claimed before a sync it was not part of: the sync's end instead.
        assert_eq!(finished_at(at(0), Some(at(30)), at(50)), at(30));
        // A clock ahead of the server: its arrival.
        assert_eq!(finished_at(at(60), Some(at(30)), at(50)), at(50));
    }

    #[test]
    fn a_villages_week_is_on_time_late_zero_missing_or_pending() {
        let w = Week::parse("2026-W48").unwrap();
        let d = WeeklyDeadline::DEFAULT;
        let due = d.due_at(w);
        let before = due - Duration::hours(1);
        let after = due + Duration::minutes(1);
        use WeeklyStatus::*;
        assert_eq!(weekly_status(w, d, None, before), Pending);
        assert_eq!(weekly_status(w, d, None, due), Pending);
        assert_eq!(weekly_status(w, d, None, after), Missing);
        assert_eq!(weekly_status(w, d, Some((before, false)), after), OnTime);
        assert_eq!(weekly_status(w, d, Some((due, false)), after), OnTime);
        assert_eq!(weekly_status(w, d, Some((before, true)), after), Zero);
        assert_eq!(weekly_status(w, d, Some((after, false)), after), Late);
        assert_eq!(weekly_status(w, d, Some((after, true)), after), Late);
    }
}
