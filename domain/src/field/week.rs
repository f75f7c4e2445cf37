//! ISO weeks (Monday to Sunday) in China time: the period of a weekly report, its name
//! (`2026-W48`) and its bounds as UTC instants.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::china_time;

/// An ISO week (Monday to Sunday) in China time, the period of a weekly report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Week {
    pub(super) monday: NaiveDate,
}

impl Week {
    /// The week `at` falls in, as a China calendar sees it.
    pub fn of(at: DateTime<Utc>) -> Week {
        Week::containing(at.with_timezone(&china_time()).date_naive())
    }

    pub fn containing(day: NaiveDate) -> Week {
        let back = i64::from(day.weekday().num_days_from_monday());
        Week {
            monday: day - Duration::days(back),
        }
    }

    /// `2026-W48` (also accepts lower case `w`).
    pub fn parse(raw: &str) -> Option<Week> {
        let (year, week) = raw.trim().split_once(['W', 'w'])?;
        let year: i32 = year.strip_suffix('-')?.parse().ok()?;
        if week.len() != 2 || !(1000..=9999).contains(&year) {
            return None;
        }
        let week: u32 = week.parse().ok()?;
        NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon).map(|monday| Week { monday })
    }

    pub fn monday(self) -> NaiveDate {
        self.monday
    }

    /// The ISO year and week number.
    pub fn year_week(self) -> (i32, u32) {
        let w = self.monday.iso_week();
        (w.year(), w.week())
    }

    pub fn next(self) -> Week {
        Week {
            monday: self.monday + Duration::days(7),
        }
    }

    pub fn previous(self) -> Week {
        Week {
            monday: self.monday - Duration::days(7),
        }
    }

    /// `[Monday 00:00, next Monday 00:00)` China time, as UTC instants.
    pub fn utc_range(self) -> (DateTime<Utc>, DateTime<Utc>) {
        (china_midnight(self.monday), china_midnight(self.next().monday))
    }

    pub fn contains(self, at: DateTime<Utc>) -> bool {
        Week::of(at) == self
    }
}

pub(super) fn china_midnight(day: NaiveDate) -> DateTime<Utc> {
    // A fixed offset has no gaps, so midnight always exists.
    (day.and_time(chrono::NaiveTime::MIN) - Duration::hours(8)).and_utc()
}

impl std::fmt::Display for Week {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (year, week) = self.year_week();
        write!(f, "{year:04}-W{week:02}")
    }
}

impl From<Week> for String {
    fn from(w: Week) -> String {
        w.to_string()
    }
}

impl TryFrom<String> for Week {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Week::parse(&s).ok_or_else(|| format!("not an ISO week: {s}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::tests::now;
    use chrono::TimeZone;

    #[test]
    fn weeks_are_iso_weeks_in_china_time() {
        let w = Week::of(now());
        assert_eq!(w.to_string(), "2026-W48");
        assert_eq!(w.monday(), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        // Sunday 23:30 China time is still last week, though UTC says Sunday 15:30.
        assert_eq!(
            Week::of(Utc.with_ymd_and_hms(2026, 11, 22, 15, 30, 0).unwrap()).to_string(),
            "2026-W47"
        );
        // Monday 00:10 China time is Sunday in UTC, but this week in China.
        assert_eq!(
            Week::of(Utc.with_ymd_and_hms(2026, 11, 22, 16, 10, 0).unwrap()),
            w
        );
        let (start, end) = w.utc_range();
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 11, 22, 16, 0, 0).unwrap());
        assert_eq!(end - start, Duration::days(7));
        assert!(w.contains(start) && !w.contains(end));
        // Year boundaries follow ISO: 2026-12-31 (Thursday) is in 2026-W53; 2027-01-04 is W01.
        assert_eq!(
            Week::containing(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()).to_string(),
            "2026-W53"
        );
        assert_eq!(
            Week::containing(NaiveDate::from_ymd_opt(2027, 1, 4).unwrap()).to_string(),
            "2027-W01"
        );
        assert_eq!(Week::parse("2026-w48"), Some(w));
        assert_eq!(
            Week::parse("2026-W48")
                .map(Week::next)
                .map(|n| n.to_string())
                .as_deref(),
            Some("2026-W49")
        );
        assert_eq!(w.next().previous(), w);
        for bad in [
            "",
            "2026-48",
            "2026W48",
            "2025-W53",
            "2026-W00",
            "2026-W5",
            "26-W48",
            "2026-W48x",
        ] {
            assert_eq!(Week::parse(bad), None, "{bad}");
        }
        assert_eq!(serde_json::to_string(&w).unwrap(), "\"2026-W48\"");
        assert_eq!(serde_json::from_str::<Week>("\"2026-W48\"").unwrap(), w);
        assert!(serde_json::from_str::<Week>("\"2026-W99\"").is_err());
    }
}
