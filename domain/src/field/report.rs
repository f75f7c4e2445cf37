//! The dispute or hazard report (矛盾纠纷 / 隐患) an officer files from the village: its
//! category and severity, the form as the phone sends it, and the checks that turn it into
//! a record ready to store.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::kinds::ReportKind;
use crate::intake::{Errors, parse_choice as choice};
use crate::petition::{TEXT_MAX, clean_optional_text, clean_text, names};
use crate::sync::clean_uuid;
use crate::validation::{FieldError, Problem};

/// A conflict between parties, or a risk found in the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Dispute,
    Hazard,
}

/// How grave the officer judges it. Urgent reports reach the township at once (Art. 25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    General,
    Serious,
    Urgent,
}

names!(Category { Dispute => "dispute", Hazard => "hazard" });
names!(Severity { General => "general", Serious => "serious", Urgent => "urgent" });

/// Photos a report may carry (each compressed on the phone to about 200 KB).
pub const MAX_PHOTOS: usize = 5;
pub const PLACE_MAX: usize = 200;
pub const PARTIES_MAX: usize = 500;
pub const ACTION_MAX: usize = 2000;
/// How far ahead of the server's clock a phone's clock may run.
pub const CLOCK_SKEW: Duration = Duration::minutes(10);
/// How long ago a report's finding may lie.
pub const MAX_AGE: Duration = Duration::days(366);
/// A GPS fix worse than this is no position at all.
pub const ACCURACY_MAX_M: f64 = 100_000.0;

/// A dispute or hazard report as the phone sends it. Optional numbers are `null` when
/// the officer left them out; everything else is text as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportForm {
    pub kind: String,
    pub severity: String,
    pub village_id: Option<i64>,
    pub grid_id: Option<i64>,
    pub place: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    /// When it was found, RFC 3339 (`2026-11-23T09:30:00+08:00`).
    pub found_at: String,
    /// Who is involved (names or a description of the parties).
    pub parties: String,
    pub person_count: Option<i64>,
    pub description: String,
    /// What was done on the spot.
    pub action_taken: String,
    pub needs_township: bool,
    /// The client UUIDs of the photos, uploaded separately (`/api/v1/photos`).
    pub photos: Vec<String>,
}

/// A position from the phone, with its accuracy radius in metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gps {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
}

/// A checked report, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewFieldReport {
    pub kind: String,
    pub category: Category,
    pub severity: Severity,
    pub village_id: i64,
    pub grid_id: Option<i64>,
    pub place: String,
    pub gps: Option<Gps>,
    pub found_at: DateTime<Utc>,
    pub parties: Option<String>,
    pub person_count: Option<i64>,
    pub description: String,
    pub action_taken: Option<String>,
    pub needs_township: bool,
    pub photos: Vec<String>,
}

impl NewFieldReport {
    /// Flagged to the township the moment it arrives (Art. 25).
    pub fn is_urgent(&self) -> bool {
        self.severity == Severity::Urgent
    }
}

/// A time sent by the phone: RFC 3339, not in the future (beyond [`CLOCK_SKEW`]) and not
/// older than `max_age`.
pub fn check_time(
    field: &str,
    raw: &str,
    now: DateTime<Utc>,
    max_age: Duration,
) -> Result<DateTime<Utc>, FieldError> {
    if raw.trim().is_empty() {
        return Err(FieldError::new(field, Problem::Required));
    }
    let at = DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| FieldError::new(field, Problem::BadDate))?
        .with_timezone(&Utc);
    if at > now + CLOCK_SKEW {
        return Err(FieldError::new(field, Problem::InFuture));
    }
    if at < now - max_age {
        return Err(FieldError::new(field, Problem::TooOld));
    }
    Ok(at)
}

fn check_gps(form: &ReportForm) -> Result<Option<Gps>, FieldError> {
    let bad = |field| FieldError::new(field, Problem::BadCoordinates);
    match (form.latitude, form.longitude) {
        (None, None) => match form.accuracy_m {
            Some(_) => Err(FieldError::new("accuracy_m", Problem::BadAccuracy)),
            None => Ok(None),
        },
        (Some(_), None) => Err(bad("longitude")),
        (None, Some(_)) => Err(bad("latitude")),
        (Some(latitude), Some(longitude)) => {
            if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
                return Err(bad("latitude"));
            }
            if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
                return Err(bad("longitude"));
            }
            if let Some(a) = form.accuracy_m
                && (!a.is_finite() || !(0.0..=ACCURACY_MAX_M).contains(&a))
            {
                return Err(FieldError::new("accuracy_m", Problem::BadAccuracy));
            }
            Ok(Some(Gps {
                latitude,
                longitude,
                accuracy_m: form.accuracy_m,
            }))
        }
    }
}

/// A list of client UUIDs: at most `max`, each a UUID, none twice.
pub fn check_uuid_list(field: &str, raw: &[String], max: usize) -> Result<Vec<String>, FieldError> {
    if raw.len() > max {
        return Err(FieldError::new(field, Problem::TooMany));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for r in raw {
        let id = clean_uuid(field, r)?;
        if out.contains(&id) {
            return Err(FieldError::new(field, Problem::Duplicate));
        }
        out.push(id);
    }
    Ok(out)
}

/// Checks a whole report against the township's list of kinds; every problem at once.
pub fn check_report(
    form: &ReportForm,
    kinds: &[ReportKind],
    now: DateTime<Utc>,
) -> Result<NewFieldReport, Vec<FieldError>> {
    let mut errors = Errors(Vec::new());
    let kind = errors.take(choice("kind", &form.kind, |s| {
        kinds.iter().find(|k| k.code == s).cloned()
    }));
    let severity = errors.take(choice("severity", &form.severity, Severity::parse));
    let village_id = errors.take(
        form.village_id
            .ok_or_else(|| FieldError::new("village_id", Problem::Required)),
    );
    let place = errors.take(clean_text("place", &form.place, PLACE_MAX));
    let gps = errors.take(check_gps(form)).flatten();
    let found_at = errors.take(check_time("found_at", &form.found_at, now, MAX_AGE));
    let parties = errors
        .take(clean_optional_text("parties", &form.parties, PARTIES_MAX))
        .flatten();
    let person_count = match form.person_count {
        Some(n) if !(1..=99_999).contains(&n) => {
            errors.0.push(FieldError::new("person_count", Problem::BadNumber));
            None
        }
        n => n,
    };
    if parties.is_none() && form.person_count.is_none() {
        errors.0.push(FieldError::new("parties", Problem::Required));
    }
    let description = errors.take(clean_text("description", &form.description, TEXT_MAX));
    let action_taken = errors
        .take(clean_optional_text(
            "action_taken",
            &form.action_taken,
            ACTION_MAX,
        ))
        .flatten();
    let photos = errors.take(check_uuid_list("photos", &form.photos, MAX_PHOTOS));
    match (kind, severity, village_id, place, found_at, description, photos) {
        (
            Some(kind),
            Some(severity),
            Some(village_id),
            Some(place),
            Some(found_at),
            Some(description),
            Some(photos),
        ) if errors.0.is_empty() => Ok(NewFieldReport {
            category: kind.category,
            kind: kind.code,
            severity,
            village_id,
            grid_id: form.grid_id,
            place,
            gps,
            found_at,
            parties,
            person_count,
            description,
            action_taken,
            needs_township: form.needs_township,
            photos,
        }),
        _ => Err(errors.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::kinds::default_kinds;
    use crate::field::tests::{PHOTO, now, one};
    use chrono::TimeZone;

    fn form() -> ReportForm {
        ReportForm {
            kind: "land".into(),
            severity: "serious".into(),
            village_id: Some(12),
            grid_id: None,
            place: "三组晒谷场".into(),
            latitude: Some(28.19),
            longitude: Some(112.97),
            accuracy_m: Some(12.5),
            found_at: "2026-11-23T09:30:00+08:00".into(),
            parties: "张某、李某".into(),
            person_count: Some(2),
            description: "两户因宅基地边界争执。".into(),
            action_taken: "现场劝解，约定周三调解。".into(),
            needs_township: true,
            photos: vec![PHOTO.into()],
        }
    }

    fn problems(f: &ReportForm) -> Vec<(String, Problem)> {
        check_report(f, &default_kinds(), now())
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.problem))
            .collect()
    }

    #[test]
    fn a_complete_report_passes_and_takes_its_category_from_the_kind() {
        let r = check_report(&form(), &default_kinds(), now()).unwrap();
        assert_eq!(
            (r.kind.as_str(), r.category, r.severity),
            ("land", Category::Dispute, Severity::Serious)
        );
        assert_eq!(r.found_at, Utc.with_ymd_and_hms(2026, 11, 23, 1, 30, 0).unwrap());
        assert_eq!(r.gps.unwrap().accuracy_m, Some(12.5));
        assert!(!r.is_urgent());
        let safety = ReportForm {
            kind: "safety".into(),
            severity: "urgent".into(),
            ..form()
        };
        let r = check_report(&safety, &default_kinds(), now()).unwrap();
        assert_eq!(r.category, Category::Hazard);
        assert!(r.is_urgent());
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let bad = ReportForm {
            kind: String::new(),
            severity: "apocalyptic".into(),
            village_id: None,
            place: " ".into(),
            description: String::new(),
            ..form()
        };
        assert_eq!(
            problems(&bad),
            vec![
                ("kind".to_owned(), Problem::Required),
                ("severity".to_owned(), Problem::UnknownValue),
                ("village_id".to_owned(), Problem::Required),
                ("place".to_owned(), Problem::Required),
                ("description".to_owned(), Problem::Required),
            ]
        );
    }

    #[test]
    fn a_kind_must_be_on_the_townships_list() {
        let f = ReportForm {
            kind: "weather".into(),
            ..form()
        };
        assert_eq!(problems(&f), one("kind", Problem::UnknownValue));
        let mut kinds = default_kinds();
        kinds.push(ReportKind {
            code: "weather".into(),
            name_zh: "气象灾害".into(),
            name_en: "Weather".into(),
            category: Category::Hazard,
        });
        assert!(check_report(&f, &kinds, now()).is_ok());
    }

    #[test]
    fn gps_is_both_coordinates_in_range_with_a_sane_accuracy() {
        let no_gps = ReportForm {
            latitude: None,
            longitude: None,
            accuracy_m: None,
            ..form()
        };
        assert_eq!(check_report(&no_gps, &default_kinds(), now()).unwrap().gps, None);
        let cases = [
            (Some(91.0), Some(112.0), None, "latitude", Problem::BadCoordinates),
            (
                Some(28.0),
                Some(-180.5),
                None,
                "longitude",
                Problem::BadCoordinates,
            ),
            (Some(28.0), None, None, "longitude", Problem::BadCoordinates),
            (None, Some(112.0), None, "latitude", Problem::BadCoordinates),
            (None, None, Some(5.0), "accuracy_m", Problem::BadAccuracy),
            (
                Some(28.0),
                Some(112.0),
                Some(-1.0),
                "accuracy_m",
                Problem::BadAccuracy,
            ),
            (
                Some(28.0),
                Some(112.0),
                Some(1e9),
                "accuracy_m",
                Problem::BadAccuracy,
            ),
            (
                Some(f64::NAN),
                Some(112.0),
                None,
                "latitude",
                Problem::BadCoordinates,
            ),
        ];
        for (latitude, longitude, accuracy_m, field, problem) in cases {
            let f = ReportForm {
                latitude,
                longitude,
                accuracy_m,
                ..form()
            };
            assert_eq!(
                problems(&f),
                one(field, problem),
                "{latitude:?} {longitude:?} {accuracy_m:?}"
            );
        }
        // The edges are real places.
        let edge = ReportForm {
            latitude: Some(-90.0),
            longitude: Some(180.0),
            accuracy_m: Some(0.0),
            ..form()
        };
        assert!(check_report(&edge, &default_kinds(), now()).is_ok());
    }

    #[test]
    fn found_at_is_a_real_time_not_ahead_and_not_ancient() {
        for (raw, problem) in [
            ("", Problem::Required),
            ("2026-11-23 09:30", Problem::BadDate),
            ("2026-11-23T10:11:00+08:00", Problem::InFuture),
            ("2025-11-01T10:00:00+08:00", Problem::TooOld),
        ] {
            let f = ReportForm {
                found_at: raw.into(),
                ..form()
            };
            assert_eq!(problems(&f), one("found_at", problem), "{raw}");
        }
        // A phone's clock a few minutes ahead is tolerated.
        let skewed = ReportForm {
            found_at: "2026-11-23T10:09:00+08:00".into(),
            ..form()
        };
        assert!(check_report(&skewed, &default_kinds(), now()).is_ok());
    }

    #[test]
    fn parties_or_a_count_and_counts_in_range() {
        let neither = ReportForm {
            parties: " ".into(),
            person_count: None,
            ..form()
        };
        assert_eq!(problems(&neither), one("parties", Problem::Required));
        let count_only = ReportForm {
            parties: String::new(),
            person_count: Some(30),
            ..form()
        };
        assert!(check_report(&count_only, &default_kinds(), now()).is_ok());
        for n in [0, -3, 100_000] {
            let f = ReportForm {
                person_count: Some(n),
                ..form()
            };
            assert_eq!(problems(&f), one("person_count", Problem::BadNumber), "{n}");
        }
    }

    #[test]
    fn at_most_five_distinct_photo_references() {
        let ids: Vec<String> = (0..6)
            .map(|i| format!("0b6f1e2a-3c4d-4e5f-8a9b-0c1d2e3f4a5{i}"))
            .collect();
        let six = ReportForm {
            photos: ids.clone(),
            ..form()
        };
        assert_eq!(problems(&six), one("photos", Problem::TooMany));
        let five = ReportForm {
            photos: ids[..5].to_vec(),
            ..form()
        };
        assert_eq!(
            check_report(&five, &default_kinds(), now()).unwrap().photos.len(),
            5
        );
        let twice = ReportForm {
            photos: vec![PHOTO.into(), PHOTO.to_uppercase()],
            ..form()
        };
        assert_eq!(problems(&twice), one("photos", Problem::Duplicate));
        let junk = ReportForm {
            photos: vec!["photo1.jpg".into()],
            ..form()
        };
        assert_eq!(problems(&junk), one("photos", Problem::BadUuid));
    }

    #[test]
    fn long_texts_and_control_characters_are_refused() {
        let f = ReportForm {
            place: "地".repeat(PLACE_MAX + 1),
            action_taken: "a\u{7}b".into(),
            ..form()
        };
        assert_eq!(
            problems(&f),
            vec![
                ("place".to_owned(), Problem::TooLong),
                ("action_taken".to_owned(), Problem::ControlCharacters)
            ]
        );
    }
}
