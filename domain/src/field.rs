//! Field reports (issue 5): the dispute or hazard report (矛盾纠纷 / 隐患) an officer files
//! from the village, the weekly screening report (排查周报, or a zero report 零报告), and the
//! township inbox that answers them. Pure rules: the phone and the server check the same
//! things, and storage only asks this module what a record must hold.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::china_time;
use crate::auth::Role;
use crate::intake::{Errors, parse_choice as choice};
use crate::petition::{Refusal, TEXT_MAX, clean_optional_text, clean_text, names};
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

/// One entry of a township's list of report kinds (admin-editable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportKind {
    /// Stable code, stored on each report: `land`, `wages_owed`…
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Whether a report of this kind counts as a dispute or a hazard.
    pub category: Category,
}

/// The kinds every township starts with.
pub const DEFAULT_KINDS: [(&str, &str, &str, Category); 8] = [
    ("land", "土地纠纷", "Land", Category::Dispute),
    ("wages_owed", "拖欠工资", "Wages owed", Category::Dispute),
    ("neighbours", "邻里纠纷", "Neighbours", Category::Dispute),
    ("family", "婚姻家庭", "Family", Category::Dispute),
    ("demolition", "征地拆迁", "Demolition", Category::Dispute),
    ("environment", "环境污染", "Environment", Category::Hazard),
    ("safety", "安全隐患", "Safety", Category::Hazard),
    ("other", "其他", "Other", Category::Dispute),
];

pub fn default_kinds() -> Vec<ReportKind> {
    DEFAULT_KINDS
        .iter()
        .map(|(code, zh, en, category)| ReportKind {
            code: (*code).to_owned(),
            name_zh: (*zh).to_owned(),
            name_en: (*en).to_owned(),
            category: *category,
        })
        .collect()
}

pub const KIND_CODE_MAX: usize = 32;
pub const KIND_NAME_MAX: usize = 32;
pub const KINDS_MAX: usize = 50;

/// Checks a list of kinds as an admin saves it: 1–50 kinds, each code lowercase letters,
/// digits and `_`, codes unique, names present.
pub fn check_kinds(kinds: &[ReportKind]) -> Result<Vec<ReportKind>, FieldError> {
    if kinds.is_empty() {
        return Err(FieldError::new("kinds", Problem::Required));
    }
    if kinds.len() > KINDS_MAX {
        return Err(FieldError::new("kinds", Problem::TooMany));
    }
    let mut out: Vec<ReportKind> = Vec::with_capacity(kinds.len());
    for k in kinds {
        let code = k.code.trim();
        let ok = !code.is_empty()
            && code.len() <= KIND_CODE_MAX
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(FieldError::new("code", Problem::UnknownValue));
        }
        if out.iter().any(|o| o.code == code) {
            return Err(FieldError::new("code", Problem::Duplicate));
        }
        out.push(ReportKind {
            code: code.to_owned(),
            name_zh: crate::validation::clean_name("name_zh", &k.name_zh, KIND_NAME_MAX)?,
            name_en: crate::validation::clean_name("name_en", &k.name_en, KIND_NAME_MAX)?,
            category: k.category,
        });
    }
    Ok(out)
}

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

/// An ISO week (Monday to Sunday) in China time, the period of a weekly report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Week {
    monday: NaiveDate,
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

fn china_midnight(day: NaiveDate) -> DateTime<Utc> {
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

/// Where a report stands in the township's inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxState {
    New,
    Acknowledged,
    MoreInfoRequested,
    Closed,
}

/// A step on a report in the inbox. The names are what the inbox timeline stores and
/// what the phone receives on its next pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxStep {
    /// A clerk has read it and the township has it in hand.
    Acknowledge,
    /// A clerk asks the officer for more.
    RequestInfo,
    /// The officer answers a request for more (sent from the phone).
    Supplement,
    /// A clerk closes it with a note saying how it ended.
    Close,
}

names!(InboxState { New => "new", Acknowledged => "acknowledged", MoreInfoRequested => "more_info_requested", Closed => "closed" });
names!(InboxStep { Acknowledge => "acknowledge", RequestInfo => "request_info", Supplement => "supplement", Close => "close" });

/// One row of the inbox machine.
#[derive(Debug, Clone, Copy)]
pub struct InboxTransition {
    pub step: InboxStep,
    pub from: &'static [InboxState],
    pub to: InboxState,
    pub roles: &'static [Role],
    pub note_required: bool,
}

use InboxState as I;

pub const INBOX: [InboxTransition; 4] = [
    InboxTransition {
        step: InboxStep::Acknowledge,
        from: &[I::New],
        to: I::Acknowledged,
        roles: &[Role::Clerk],
        note_required: false,
    },
    InboxTransition {
        step: InboxStep::RequestInfo,
        from: &[I::New, I::Acknowledged],
        to: I::MoreInfoRequested,
        roles: &[Role::Clerk],
        note_required: true,
    },
    // The answer puts the report back in front of the clerks.
    InboxTransition {
        step: InboxStep::Supplement,
        from: &[I::MoreInfoRequested],
        to: I::New,
        roles: &[Role::InfoOfficer, Role::GridWorker],
        note_required: true,
    },
    InboxTransition {
        step: InboxStep::Close,
        from: &[I::New, I::Acknowledged, I::MoreInfoRequested],
        to: I::Closed,
        roles: &[Role::Clerk],
        note_required: true,
    },
];

impl InboxStep {
    pub fn transition(self) -> &'static InboxTransition {
        match INBOX.iter().find(|t| t.step == self) {
            Some(t) => t,
            None => unreachable!("every InboxStep has a row in INBOX"),
        }
    }
}

impl InboxState {
    /// The state after `role` takes `step`, or why not.
    pub fn apply(self, role: Role, step: InboxStep) -> Result<InboxState, Refusal> {
        let t = step.transition();
        if !t.from.contains(&self) {
            return Err(Refusal::NotAllowedInState);
        }
        if !t.roles.contains(&role) {
            return Err(Refusal::NotYourStep);
        }
        Ok(t.to)
    }

    pub fn open_steps(self, role: Role) -> Vec<InboxStep> {
        InboxStep::ALL
            .iter()
            .copied()
            .filter(|s| self.apply(role, *s).is_ok())
            .collect()
    }
}

/// The note of a step: required where the table says so, at most [`NOTE_MAX`].
pub fn check_note(step: InboxStep, raw: &str) -> Result<Option<String>, FieldError> {
    if step.transition().note_required {
        clean_text("note", raw, NOTE_MAX).map(Some)
    } else {
        clean_optional_text("note", raw, NOTE_MAX)
    }
}

/// The township inbox's filter. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InboxFilter {
    pub village_id: Option<i64>,
    pub severity: Option<Severity>,
    pub state: Option<InboxState>,
    pub urgent_only: bool,
    /// Everything not yet closed (the inbox page's default view).
    pub open_only: bool,
    /// 1-based.
    pub page: u32,
}

impl InboxFilter {
    /// The inbox page's view: what is still open unless another state (or `all`) is asked for.
    pub fn from_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut f = InboxFilter {
            open_only: true,
            page: 1,
            ..InboxFilter::default()
        };
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "village" => f.village_id = value.parse().ok(),
                "severity" => f.severity = Severity::parse(value),
                "state" => {
                    (f.state, f.open_only) = match (value, InboxState::parse(value)) {
                        ("all", _) => (None, false),
                        (_, Some(s)) => (Some(s), false),
                        // `open`, empty or unknown: the default view.
                        (_, None) => (None, true),
                    }
                }
                "urgent" => f.urgent_only = matches!(value, "1" | "true" | "on"),
                "page" => f.page = value.parse().unwrap_or(1).max(1),
                _ => {}
            }
        }
        f
    }

    /// The query string pairs for this filter (without the page), for links.
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(v) = self.village_id {
            q.push(("village", v.to_string()));
        }
        if let Some(s) = self.severity {
            q.push(("severity", s.as_str().to_owned()));
        }
        let state = match (self.state, self.open_only) {
            (Some(s), _) => s.as_str(),
            (None, true) => "open",
            (None, false) => "all",
        };
        q.push(("state", state.to_owned()));
        if self.urgent_only {
            q.push(("urgent", "1".to_owned()));
        }
        q
    }
}

/// The inbox's page size.
pub const INBOX_PAGE: u32 = 50;

/// One report as the inbox lists it: urgent ones first, then newest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldReportSummary {
    pub id: i64,
    pub client_id: String,
    pub village_id: i64,
    pub village_name: String,
    pub grid_id: Option<i64>,
    pub kind: String,
    pub category: Category,
    pub severity: Severity,
    pub urgent: bool,
    pub state: InboxState,
    pub place: String,
    pub description: String,
    pub needs_township: bool,
    /// Who is involved, and how many people.
    pub parties: Option<String>,
    pub person_count: Option<i64>,
    pub author: String,
    pub found_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// Photos the report names, and how many of them have fully arrived.
    pub photos_named: i64,
    pub photos_attached: i64,
}

/// One page of the township inbox, with the township's kinds to name each report's kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxPage {
    pub rows: Vec<FieldReportSummary>,
    /// Every report the filter matches, on all pages.
    pub total: i64,
    pub page: u32,
    pub kinds: Vec<ReportKind>,
}

impl InboxPage {
    pub fn pages(&self) -> i64 {
        let size = i64::from(INBOX_PAGE);
        ((self.total + size - 1) / size).max(1)
    }

    pub fn has_next(&self) -> bool {
        i64::from(self.page) < self.pages()
    }
}

/// A kind's name in the reader's language, from the township's list; a kind taken off
/// the list since the report was filed shows its code.
pub fn kind_name(kinds: &[ReportKind], code: &str, english: bool) -> String {
    match kinds.iter().find(|k| k.code == code) {
        Some(k) if english => k.name_en.clone(),
        Some(k) => k.name_zh.clone(),
        None => code.to_owned(),
    }
}

/// A photo a report names: where it stands in the report (1–5), and whether its upload
/// by the report's author is complete (only then can it be shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportPhoto {
    pub position: i64,
    pub photo_uuid: String,
    pub complete: bool,
}

/// One line of a report's inbox timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEvent {
    pub at: DateTime<Utc>,
    pub step: InboxStep,
    pub from: InboxState,
    pub to: InboxState,
    /// Who took the step (a clerk, or the officer answering).
    pub actor: Option<String>,
    pub note: Option<String>,
}

/// A whole report as the township reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldReportDetail {
    pub summary: FieldReportSummary,
    pub grid_name: Option<String>,
    pub gps: Option<Gps>,
    pub action_taken: Option<String>,
    /// When the officer finished it on the phone (never later than its arrival).
    pub created_at: DateTime<Utc>,
    pub photos: Vec<ReportPhoto>,
    pub history: Vec<InboxEvent>,
}

/// A report with the inbox steps the reader may take on it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    pub detail: FieldReportDetail,
    pub open_steps: Vec<InboxStep>,
    pub kinds: Vec<ReportKind>,
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

/// The township's settings for field reports, as an admin edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSettings {
    pub township_id: i64,
    pub deadline: WeeklyDeadline,
    pub kinds: Vec<ReportKind>,
    /// Whether the reader may change them (the services check again on saving).
    pub may_edit: bool,
}

/// One row of the kinds form, as typed. A row left wholly blank is no kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KindRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub category: String,
}

/// The kinds of a submitted form, blank rows left out; [`check_kinds`] judges the rest.
pub fn kinds_from_rows(rows: &[KindRow]) -> Result<Vec<ReportKind>, FieldError> {
    rows.iter()
        .filter(|r| !(r.code.trim().is_empty() && r.name_zh.trim().is_empty() && r.name_en.trim().is_empty()))
        .map(|r| {
            Ok(ReportKind {
                code: r.code.clone(),
                name_zh: r.name_zh.clone(),
                name_en: r.name_en.clone(),
                category: Category::parse(r.category.trim())
                    .ok_or_else(|| FieldError::new("category", Problem::UnknownValue))?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        // Monday 2026-11-23, 10:00 China time.
        Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap()
    }

    const PHOTO: &str = "0b6f1e2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b";

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

    fn one(field: &str, p: Problem) -> Vec<(String, Problem)> {
        vec![(field.to_owned(), p)]
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

    #[test]
    fn kind_lists_are_checked_as_admins_save_them() {
        assert_eq!(check_kinds(&default_kinds()).unwrap().len(), 8);
        assert_eq!(check_kinds(&[]).unwrap_err().problem, Problem::Required);
        let mut twice = default_kinds();
        twice.push(twice[0].clone());
        assert_eq!(check_kinds(&twice).unwrap_err().problem, Problem::Duplicate);
        let mut bad = default_kinds();
        bad[0].code = "Land Dispute".into();
        assert_eq!(
            check_kinds(&bad).unwrap_err(),
            FieldError::new("code", Problem::UnknownValue)
        );
        let mut unnamed = default_kinds();
        unnamed[1].name_zh = " ".into();
        assert_eq!(
            check_kinds(&unnamed).unwrap_err(),
            FieldError::new("name_zh", Problem::Required)
        );
    }

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

    /// The specification, written apart from the table: from-states, to-state, roles.
    fn spec(step: InboxStep) -> (Vec<InboxState>, InboxState, Vec<Role>) {
        use InboxStep::*;
        match step {
            Acknowledge => (vec![I::New], I::Acknowledged, vec![Role::Clerk]),
            RequestInfo => (
                vec![I::New, I::Acknowledged],
                I::MoreInfoRequested,
                vec![Role::Clerk],
            ),
            Supplement => (
                vec![I::MoreInfoRequested],
                I::New,
                vec![Role::InfoOfficer, Role::GridWorker],
            ),
            Close => (
                vec![I::New, I::Acknowledged, I::MoreInfoRequested],
                I::Closed,
                vec![Role::Clerk],
            ),
        }
    }

    #[test]
    fn every_inbox_state_step_and_role_is_as_specified() {
        assert_eq!(InboxStep::ALL.len(), INBOX.len());
        for &step in InboxStep::ALL {
            let (from, to, roles) = spec(step);
            for &state in InboxState::ALL {
                for role in Role::ALL {
                    let got = state.apply(role, step);
                    let want = if !from.contains(&state) {
                        Err(Refusal::NotAllowedInState)
                    } else if !roles.contains(&role) {
                        Err(Refusal::NotYourStep)
                    } else {
                        Ok(to)
                    };
                    assert_eq!(got, want, "{step:?} from {state:?} by {role:?}");
                }
            }
        }
        // Closed is final for everyone.
        for role in Role::ALL {
            assert!(InboxState::Closed.open_steps(role).is_empty());
        }
        assert_eq!(
            InboxState::New.open_steps(Role::Clerk),
            vec![InboxStep::Acknowledge, InboxStep::RequestInfo, InboxStep::Close]
        );
        assert_eq!(
            InboxState::MoreInfoRequested.open_steps(Role::InfoOfficer),
            vec![InboxStep::Supplement]
        );
    }

    #[test]
    fn a_question_a_closure_and_an_answer_need_a_note() {
        assert_eq!(check_note(InboxStep::Acknowledge, " ").unwrap(), None);
        for step in [InboxStep::RequestInfo, InboxStep::Close, InboxStep::Supplement] {
            assert_eq!(
                check_note(step, "").unwrap_err().problem,
                Problem::Required,
                "{step:?}"
            );
        }
        assert_eq!(
            check_note(InboxStep::Close, " 已调解 ").unwrap().as_deref(),
            Some("已调解")
        );
        assert_eq!(
            check_note(InboxStep::Close, &"长".repeat(NOTE_MAX + 1))
                .unwrap_err()
                .problem,
            Problem::TooLong
        );
    }

    #[test]
    fn the_inbox_filter_reads_and_writes_its_address() {
        let f = InboxFilter::from_query([]);
        assert!(f.open_only && f.state.is_none() && f.page == 1);
        let f = InboxFilter::from_query([
            ("village", "12"),
            ("severity", "urgent"),
            ("state", "closed"),
            ("urgent", "1"),
            ("page", "0"),
        ]);
        assert_eq!(
            (
                f.village_id,
                f.severity,
                f.state,
                f.open_only,
                f.urgent_only,
                f.page
            ),
            (
                Some(12),
                Some(Severity::Urgent),
                Some(InboxState::Closed),
                false,
                true,
                1
            )
        );
        let back = f.to_query();
        let again = InboxFilter::from_query(back.iter().map(|(k, v)| (*k, v.as_str())));
        assert_eq!(again, f);
        let all = InboxFilter::from_query([("state", "all"), ("severity", "apocalyptic")]);
        assert!(!all.open_only && all.state.is_none() && all.severity.is_none());
        assert!(InboxFilter::from_query([("state", "bogus")]).open_only);
    }

    #[test]
    fn kind_rows_skip_blank_lines_and_name_a_bad_category() {
        let row = |code: &str, category: &str| KindRow {
            code: code.into(),
            name_zh: "土地".into(),
            name_en: "Land".into(),
            category: category.into(),
        };
        let blank = KindRow {
            category: "dispute".into(),
            ..KindRow::default()
        };
        let kinds = kinds_from_rows(&[row("land", "dispute"), blank, row("fire", "hazard")]).unwrap();
        assert_eq!(kinds.len(), 2);
        assert_eq!(kinds[1].category, Category::Hazard);
        assert_eq!(
            kinds_from_rows(&[row("land", "weather")]).unwrap_err().field,
            "category"
        );
        assert_eq!(kind_name(&kinds, "fire", false), "土地");
        assert_eq!(kind_name(&kinds, "fire", true), "Land");
        assert_eq!(kind_name(&kinds, "gone", false), "gone");
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
