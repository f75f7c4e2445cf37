//! Field reports (issue 5): the dispute or hazard report (矛盾纠纷 / 隐患) an officer files
//! from the village, the weekly screening report (排查周报, or a zero report 零报告), and the
//! township inbox that answers them. Pure rules: the phone and the server check the same
//! things, and storage only asks this module what a record must hold.

mod deadline;
mod inbox;
mod kinds;
mod report;
mod week;
mod weekly;

pub use deadline::{
    WeeklyCounts, WeeklyDeadline, WeeklyLine, WeeklyOverview, WeeklyStatus, finished_at, weekly_status,
};
pub use inbox::{
    FieldReportDetail, FieldReportSummary, INBOX, INBOX_PAGE, InboxEvent, InboxFilter, InboxPage, InboxState,
    InboxStep, InboxTransition, ReportPhoto, ReportView, check_note,
};
pub use kinds::{
    DEFAULT_KINDS, FieldSettings, KIND_CODE_MAX, KIND_NAME_MAX, KINDS_MAX, KindRow, ReportKind, check_kinds,
    default_kinds, kind_name, kinds_from_rows,
};
pub use report::{
    ACCURACY_MAX_M, ACTION_MAX, CLOCK_SKEW, Category, Gps, MAX_AGE, MAX_PHOTOS, NewFieldReport, PARTIES_MAX,
    PLACE_MAX, ReportForm, Severity, check_report, check_time, check_uuid_list,
};
pub use week::Week;
pub use weekly::{NOTE_MAX, NewWeeklyReport, WEEKLY_ITEMS_MAX, WeeklyForm, check_item, check_weekly};

/// Shared by the submodules' tests: a fixed "now", a photo reference, one expected problem.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::Problem;
    use chrono::{DateTime, TimeZone, Utc};

    pub(super) fn now() -> DateTime<Utc> {
        // Monday 2026-11-23, 10:00 China time.
        Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap()
    }

    pub(super) const PHOTO: &str = "0b6f1e2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b";

    pub(super) fn one(field: &str, p: Problem) -> Vec<(String, Problem)> {
        vec![(field.to_owned(), p)]
    }

    #[test]
    fn names_round_trip() {
        for s in InboxState::ALL {
            assert_eq!(InboxState::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        for s in InboxStep::ALL {
            assert_eq!(InboxStep::parse(s.as_str()), Some(*s));
        }
        for s in Severity::ALL {
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        for s in WeeklyStatus::ALL {
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
        }
    }
}
