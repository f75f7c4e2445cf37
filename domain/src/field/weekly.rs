//! The weekly screening report (排查周报, or a zero report 零报告): the form as the phone
//! sends it, its checks, and which stored reports it may list.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::report::check_uuid_list;
use super::week::Week;
use crate::intake::Errors;
use crate::petition::clean_optional_text;
use crate::validation::{FieldError, Problem};

/// The most reports one weekly report may list.
pub const WEEKLY_ITEMS_MAX: usize = 500;
pub const NOTE_MAX: usize = 2000;

/// A weekly screening report as the phone sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WeeklyForm {
    pub village_id: Option<i64>,
    /// `2026-W48`.
    pub week: String,
    /// An explicit zero report (零报告): nothing found this week.
    pub zero: bool,
    /// The client UUIDs of the week's dispute and hazard reports.
    pub items: Vec<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWeeklyReport {
    pub village_id: i64,
    pub week: Week,
    pub zero: bool,
    pub items: Vec<String>,
    pub note: Option<String>,
}

/// Checks a weekly report: a real week, not after this one nor more than a year back;
/// a zero report lists nothing, any other lists something.
pub fn check_weekly(form: &WeeklyForm, now: DateTime<Utc>) -> Result<NewWeeklyReport, Vec<FieldError>> {
    let mut errors = Errors(Vec::new());
    let village_id = errors.take(
        form.village_id
            .ok_or_else(|| FieldError::new("village_id", Problem::Required)),
    );
    let week = match form.week.trim() {
        "" => errors.take(Err(FieldError::new("week", Problem::Required))),
        raw => errors.take(Week::parse(raw).ok_or_else(|| FieldError::new("week", Problem::BadWeek))),
    };
    let this_week = Week::of(now);
    let week = week.and_then(|w| {
        let problem = if w > this_week {
            Some(Problem::InFuture)
        } else if w.monday < this_week.monday - Duration::weeks(53) {
            Some(Problem::TooOld)
        } else {
            None
        };
        match problem {
            Some(p) => errors.take(Err(FieldError::new("week", p))),
            None => Some(w),
        }
    });
    let items = errors.take(check_uuid_list("items", &form.items, WEEKLY_ITEMS_MAX));
    if let Some(items) = &items {
        if form.zero && !items.is_empty() {
            errors
                .0
                .push(FieldError::new("items", Problem::ZeroReportWithItems));
        }
        if !form.zero && items.is_empty() {
            errors.0.push(FieldError::new("items", Problem::EmptyReport));
        }
    }
    let note = errors
        .take(clean_optional_text("note", &form.note, NOTE_MAX))
        .flatten();
    match (village_id, week, items) {
        (Some(village_id), Some(week), Some(items)) if errors.0.is_empty() => Ok(NewWeeklyReport {
            village_id,
            week,
            zero: form.zero,
            items,
            note,
        }),
        _ => Err(errors.0),
    }
}

/// Whether a stored report may be listed in a village's report for `week`: the same
/// village, found that week.
pub fn check_item(
    week: Week,
    village_id: i64,
    item_village: i64,
    item_found_at: DateTime<Utc>,
) -> Result<(), FieldError> {
    if item_village != village_id {
        return Err(FieldError::new("items", Problem::WrongScope));
    }
    if !week.contains(item_found_at) {
        return Err(FieldError::new("items", Problem::WrongWeek));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::tests::{PHOTO, now, one};

    fn weekly() -> WeeklyForm {
        WeeklyForm {
            village_id: Some(12),
            week: "2026-W48".into(),
            zero: false,
            items: vec![PHOTO.into()],
            note: String::new(),
        }
    }

    fn weekly_problems(f: &WeeklyForm) -> Vec<(String, Problem)> {
        check_weekly(f, now())
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.problem))
            .collect()
    }

    #[test]
    fn a_weekly_report_lists_reports_or_is_an_explicit_zero_report() {
        let r = check_weekly(&weekly(), now()).unwrap();
        assert_eq!(
            (r.week.to_string().as_str(), r.zero, r.items.len()),
            ("2026-W48", false, 1)
        );
        let zero = WeeklyForm {
            zero: true,
            items: vec![],
            ..weekly()
        };
        assert!(check_weekly(&zero, now()).unwrap().zero);
        let zero_with_items = WeeklyForm {
            zero: true,
            ..weekly()
        };
        assert_eq!(
            weekly_problems(&zero_with_items),
            one("items", Problem::ZeroReportWithItems)
        );
        let empty = WeeklyForm {
            items: vec![],
            ..weekly()
        };
        assert_eq!(weekly_problems(&empty), one("items", Problem::EmptyReport));
    }

    #[test]
    fn a_weekly_report_is_for_a_real_past_or_current_week() {
        for (week, problem) in [
            ("", Problem::Required),
            ("W48", Problem::BadWeek),
            ("2026-W49", Problem::InFuture),
            ("2025-W40", Problem::TooOld),
        ] {
            let f = WeeklyForm {
                week: week.into(),
                ..weekly()
            };
            assert_eq!(weekly_problems(&f), one("week", problem), "{week}");
        }
        let last_week = WeeklyForm {
            week: "2026-W47".into(),
            ..weekly()
        };
        assert!(check_weekly(&last_week, now()).is_ok());
        let nowhere = WeeklyForm {
            village_id: None,
            ..weekly()
        };
        assert_eq!(weekly_problems(&nowhere), one("village_id", Problem::Required));
    }

    #[test]
    fn listed_reports_are_the_villages_own_from_that_week() {
        let w = Week::parse("2026-W48").unwrap();
        let (start, end) = w.utc_range();
        assert!(check_item(w, 12, 12, start).is_ok());
        assert_eq!(
            check_item(w, 12, 13, start).unwrap_err().problem,
            Problem::WrongScope
        );
        assert_eq!(
            check_item(w, 12, 12, end).unwrap_err().problem,
            Problem::WrongWeek
        );
        assert_eq!(
            check_item(w, 12, 12, start - Duration::seconds(1))
                .unwrap_err()
                .problem,
            Problem::WrongWeek
        );
    }
}
