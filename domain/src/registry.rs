//! What the office and the petitioner see of petitions: the registry's rows and filter,
//! a petition's detail and timeline, and the public view behind a tracking code (which
//! holds nothing internal by construction: no names of staff, no reported party, no
//! internal notes). Plain data, shared by the server and the browser.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::attachment::MediaType;
use crate::audit::{china_day_range, china_time};
use crate::clock::{ClockStep, statutory};
use crate::intake::{PetitionerIdentity, ReportedParty};
use crate::petition::{Channel, DecisionOutcome, PetitionKind, PetitionState, Rating, Step};

/// Rows per registry page.
pub const PAGE_SIZE: u32 = 20;
/// Beyond this many matches the registry says "more than 10,000" instead of counting:
/// an exact count of a million rows costs more than the page itself.
pub const COUNT_CAP: i64 = 10_000;

/// One row of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PetitionSummary {
    pub id: i64,
    pub tracking_code: String,
    pub channel: Channel,
    pub kind: PetitionKind,
    pub state: PetitionState,
    pub subject: String,
    pub village_name: Option<String>,
    pub department_name: Option<String>,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub received_at: DateTime<Utc>,
    pub collective: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
}

/// The registry's filter, as in the page's query string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryFilter {
    pub state: Option<PetitionState>,
    pub channel: Option<Channel>,
    pub kind: Option<PetitionKind>,
    pub village_id: Option<i64>,
    pub department_id: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Words to find in the subject or content.
    pub query: Option<String>,
    pub sort: Sort,
    /// From 1.
    pub page: u32,
}

impl RegistryFilter {
    /// The date range as UTC instants: `[from 00:00, to+1 00:00)` China time.
    pub fn utc_range(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        china_day_range(self.from, self.to)
    }

    /// Reads the filter from a page's query string pairs; unknown or malformed values
    /// are ignored (a hand-edited address shows everything rather than an error).
    pub fn from_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut f = RegistryFilter::default();
        for (key, value) in pairs {
            let value = value.trim();
            let date = || NaiveDate::parse_from_str(value, "%Y-%m-%d").ok();
            match key {
                "state" => f.state = PetitionState::parse(value),
                "channel" => f.channel = Channel::parse(value),
                "kind" => f.kind = PetitionKind::parse(value),
                "village" => f.village_id = value.parse().ok(),
                "department" => f.department_id = value.parse().ok(),
                "from" => f.from = date(),
                "to" => f.to = date(),
                "q" => f.query = Some(value.to_owned()).filter(|q| !q.is_empty()),
                "sort" => {
                    f.sort = if value == "oldest" {
                        Sort::Oldest
                    } else {
                        Sort::Newest
                    }
                }
                "page" => f.page = value.parse().unwrap_or(1),
                _ => {}
            }
        }
        f
    }

    /// The query string for this filter (without `?`), for links and exports.
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        let mut put = |k: &'static str, v: Option<String>| {
            if let Some(v) = v {
                q.push((k, v));
            }
        };
        put("state", self.state.map(|s| s.as_str().to_owned()));
        put("channel", self.channel.map(|c| c.as_str().to_owned()));
        put("kind", self.kind.map(|k| k.as_str().to_owned()));
        put("village", self.village_id.map(|v| v.to_string()));
        put("department", self.department_id.map(|d| d.to_string()));
        put("from", self.from.map(|d| d.to_string()));
        put("to", self.to.map(|d| d.to_string()));
        put("q", self.words().map(str::to_owned));
        put("sort", (self.sort == Sort::Oldest).then(|| "oldest".to_owned()));
        q
    }

    /// The search words, trimmed, or None when blank.
    pub fn words(&self) -> Option<&str> {
        self.query.as_deref().map(str::trim).filter(|q| !q.is_empty())
    }
}

/// The day in China of an instant.
pub fn china_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&china_time()).date_naive()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryPage {
    pub rows: Vec<PetitionSummary>,
    /// The number of matches, up to [`COUNT_CAP`] + 1; `None` when a search matched so
    /// many of the newest petitions that the page was found without counting the rest.
    pub total: Option<i64>,
    pub page: u32,
    /// Whether a page after this one has rows.
    pub has_next: bool,
}

impl RegistryPage {
    /// More matches than are counted: the reader is asked to narrow the search.
    pub fn capped(&self) -> bool {
        self.total.is_none_or(|t| t > COUNT_CAP)
    }

    /// How many pages there are, when the matches were counted.
    pub fn pages(&self) -> Option<u32> {
        let total = self.total?.min(COUNT_CAP);
        Some(u32::try_from((total + i64::from(PAGE_SIZE) - 1) / i64::from(PAGE_SIZE)).unwrap_or(u32::MAX))
    }
}

/// A written decision (处理意见书, Art. 32).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub request: String,
    pub facts_reasons: String,
    pub decision: String,
    pub legal_basis: String,
    pub outcome: DecisionOutcome,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    pub id: i64,
    pub position: i64,
    pub file_name: String,
    pub media_type: MediaType,
    pub byte_size: i64,
}

/// One step on a petition's timeline, as the office sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEvent {
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub at: DateTime<Utc>,
    /// None: the petition was filed (online or by an agent).
    pub step: Option<Step>,
    pub to_state: PetitionState,
    /// The staff member's display name; None when the petitioner took the step.
    pub actor: Option<String>,
    pub department: Option<String>,
    pub note: Option<String>,
    pub public_note: Option<String>,
}

/// Everything the office sees of a petition, except who the people named on it are
/// ([`PetitionIdentity`]), which is fetched apart, under its own rule, and audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PetitionDetail {
    pub summary: PetitionSummary,
    pub township_id: i64,
    pub village_id: Option<i64>,
    pub department_id: Option<i64>,
    pub forwarded_to: Option<String>,
    pub content: String,
    pub request: Option<String>,
    pub facts_reasons: Option<String>,
    pub batch_count: i64,
    pub person_count: i64,
    pub reported: Option<ReportedParty>,
    #[serde(with = "chrono::serde::ts_milliseconds_option")]
    pub accepted_at: Option<DateTime<Utc>>,
    pub extension_days: i64,
    pub reply_delivered_on: Option<NaiveDate>,
    pub evaluation: Option<Rating>,
    pub evaluation_comment: Option<String>,
    pub has_decision: bool,
    pub decision: Option<Decision>,
    pub attachments: Vec<AttachmentInfo>,
    pub timeline: Vec<TimelineEvent>,
    pub deadlines: Vec<Deadline>,
}

/// Every person a petition names as its own: the petitioner, a visit's representatives
/// (petitioners too, Art. 20) and the resident's consent an agent recorded (which names
/// them). Never part of [`PetitionDetail`]: a unit handling the case or reported on
/// reads it only where the policy allows, and every read is audited (Art. 30, 46).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PetitionIdentity {
    pub petitioner: PetitionerIdentity,
    pub representatives: Vec<String>,
    pub agent_consent: Option<String>,
}

/// A legal clock running on a petition: the step, its last day, and whether it was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub step: ClockStep,
    pub due_on: NaiveDate,
    pub done: bool,
}

/// The dates a petition needs to know its deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockDates {
    pub state: PetitionState,
    pub received_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub extension_days: i64,
    pub reply_delivered_on: Option<NaiveDate>,
}

/// The deadlines that apply now, each counted from its recorded event (never from
/// "now"), in calendar days per the clock table. Working-day clocks come with the
/// holiday calendar.
pub fn deadlines(d: ClockDates) -> Vec<Deadline> {
    let add = |day: NaiveDate, days: i64| day.checked_add_days(chrono::Days::new(days.max(0) as u64));
    let mut out = Vec::new();
    let received = china_date(d.received_at);
    let routed = !matches!(d.state, PetitionState::Submitted | PetitionState::Registered);
    if let Some(due_on) = add(received, i64::from(statutory(ClockStep::RegisterAndRoute).days)) {
        out.push(Deadline {
            step: ClockStep::RegisterAndRoute,
            due_on,
            done: routed,
        });
    }
    if let Some(accepted) = d.accepted_at.map(china_date) {
        let days = i64::from(statutory(ClockStep::Reply).days) + d.extension_days;
        if let Some(due_on) = add(accepted, days) {
            out.push(Deadline {
                step: ClockStep::Reply,
                due_on,
                done: d.reply_delivered_on.is_some(),
            });
        }
    }
    if let Some(delivered) = d.reply_delivered_on
        && !d.state.is_final()
        && let Some(due_on) = add(delivered, i64::from(statutory(ClockStep::RequestReview).days))
    {
        out.push(Deadline {
            step: ClockStep::RequestReview,
            due_on,
            done: !matches!(d.state, PetitionState::Replied | PetitionState::Evaluated),
        });
    }
    out
}

/// One public step on the tracking page: what happened and when, nothing about who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicEvent {
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub at: DateTime<Utc>,
    /// None: the petition was filed.
    pub step: Option<Step>,
    pub public_note: Option<String>,
}

/// What `/track` shows the petitioner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicStatus {
    pub tracking_code: String,
    pub state: PetitionState,
    pub subject: String,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub received_at: DateTime<Utc>,
    pub timeline: Vec<PublicEvent>,
    pub deadlines: Vec<Deadline>,
    /// The written reply, once delivered.
    pub reply: Option<Decision>,
    pub reply_delivered_on: Option<NaiveDate>,
    pub evaluation: Option<Rating>,
    pub evaluation_comment: Option<String>,
}

impl PublicStatus {
    pub fn can_evaluate(&self) -> bool {
        self.state == PetitionState::Replied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn deadlines_count_from_their_events() {
        // Received late on 23 November in China (UTC 16:30 is 00:30 on the 24th).
        let received_at = Utc.with_ymd_and_hms(2026, 11, 23, 16, 30, 0).unwrap();
        let base = ClockDates {
            state: PetitionState::Registered,
            received_at,
            accepted_at: None,
            extension_days: 0,
            reply_delivered_on: None,
        };
        let d = deadlines(base);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].due_on, NaiveDate::from_ymd_opt(2026, 12, 9).unwrap());
        assert!(!d[0].done);

        let accepted = ClockDates {
            state: PetitionState::Extended,
            accepted_at: Some(Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap()),
            extension_days: 30,
            ..base
        };
        let d = deadlines(accepted);
        assert!(d[0].done);
        assert_eq!(d[1].step, ClockStep::Reply);
        assert_eq!(d[1].due_on, NaiveDate::from_ymd_opt(2027, 2, 28).unwrap());

        let replied = ClockDates {
            state: PetitionState::Replied,
            reply_delivered_on: NaiveDate::from_ymd_opt(2027, 1, 10),
            ..accepted
        };
        let d = deadlines(replied);
        assert!(d[1].done);
        assert_eq!(
            (d[2].step, d[2].due_on, d[2].done),
            (
                ClockStep::RequestReview,
                NaiveDate::from_ymd_opt(2027, 2, 9).unwrap(),
                false
            )
        );
    }

    #[test]
    fn the_filter_round_trips_through_the_address() {
        let f = RegistryFilter::from_query([
            ("state", "assigned"),
            ("village", "12"),
            ("from", "2026-11-01"),
            ("q", " 土地 "),
            ("sort", "oldest"),
            ("page", "3"),
            ("channel", "nonsense"),
        ]);
        assert_eq!(f.state, Some(PetitionState::Assigned));
        assert_eq!(f.channel, None);
        assert_eq!((f.village_id, f.sort, f.page), (Some(12), Sort::Oldest, 3));
        let q = f.to_query();
        let back = RegistryFilter::from_query(q.iter().map(|(k, v)| (*k, v.as_str())));
        assert_eq!(back, RegistryFilter { page: 0, ..f });
    }

    #[test]
    fn pages_are_counted_up_to_the_cap() {
        let page = |total| RegistryPage {
            rows: vec![],
            total,
            page: 1,
            has_next: false,
        };
        assert_eq!(page(Some(0)).pages(), Some(0));
        assert_eq!(page(Some(21)).pages(), Some(2));
        assert!(!page(Some(COUNT_CAP)).capped());
        assert!(page(Some(COUNT_CAP + 1)).capped());
        assert_eq!(page(Some(COUNT_CAP + 1)).pages(), Some(500));
        // Not counted: too many to count, and no page total to show.
        assert!(page(None).capped());
        assert_eq!(page(None).pages(), None);
    }
}
