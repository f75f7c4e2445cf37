//! The sync protocol between a field phone and the server (`/api/v1/sync/*`): what a push
//! batch carries, what the server answers for each record, and what a pull returns.
//! Versioned by its URL; fields are only ever added, so an old phone keeps working.
//!
//! A record is identified by the UUID the phone gave it. The server keeps a receipt per
//! UUID with a hash of the body: the same UUID and body again is a duplicate (answered
//! as success), the same UUID with another body is a conflict (reported, never
//! overwritten). Each record is judged alone, so one bad record never holds up the rest.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::field::{InboxState, InboxStep, ReportKind, Severity, Week, WeeklyStatus};
use crate::petition::{Refusal, names};
use crate::validation::{FieldError, Problem};

/// The most records one push may carry.
pub const MAX_BATCH: usize = 100;
/// The largest push body the server reads; a larger one is answered 413 unread.
pub const MAX_PUSH_BYTES: usize = 2 * 1024 * 1024;
/// How large a push the phone makes: under [`MAX_PUSH_BYTES`] with room for what its
/// measure cannot see (a proxy's or an older server's smaller limit).
pub const PUSH_BUDGET: usize = MAX_PUSH_BYTES - MAX_PUSH_BYTES / 8;
/// `{"records":[` and `]}` around the records of a push.
const ENVELOPE_BYTES: usize = r#"{"records":[]}"#.len();
/// The most changes one pull returns; the phone pulls again while `more` is true.
pub const PULL_PAGE: usize = 200;
/// Device ids and author names are short labels.
pub const LABEL_MAX: usize = 64;

/// What kind of record a push carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordType {
    /// A dispute or hazard report ([`crate::field::ReportForm`]).
    FieldReport,
    /// A weekly screening report or zero report ([`crate::field::WeeklyForm`]).
    WeeklyReport,
    /// The officer's answer to a clerk's request for more ([`SupplementForm`]).
    Supplement,
}

names!(RecordType { FieldReport => "field_report", WeeklyReport => "weekly_report", Supplement => "supplement" });

/// A UUID as phones generate them (`crypto.randomUUID()`), in lower case.
pub fn clean_uuid(field: &str, raw: &str) -> Result<String, FieldError> {
    let id = raw.trim().to_ascii_lowercase();
    let ok = id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if ok {
        Ok(id)
    } else {
        Err(FieldError::new(field, Problem::BadUuid))
    }
}

/// A push: up to [`MAX_BATCH`] records. Each record is read on its own, so one that
/// does not even parse is rejected alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PushBatch {
    pub records: Vec<serde_json::Value>,
}

/// The size of a push body (`{"records":[…]}`, compact JSON) of records of these
/// serialized sizes.
pub fn push_bytes(sizes: &[usize]) -> usize {
    ENVELOPE_BYTES + sizes.iter().sum::<usize>() + sizes.len().saturating_sub(1)
}

/// Cuts records of these serialized sizes, in order, into consecutive batches of at most
/// [`MAX_BATCH`] records whose push body is at most `budget` bytes. A record too large
/// for any batch goes alone: the server then answers 413 for it and nothing else.
/// Batches are cut greedily, so every batch but the last is final as soon as a record
/// no longer fits after it.
pub fn plan_batches(sizes: &[usize], budget: usize) -> Vec<std::ops::Range<usize>> {
    let mut batches = Vec::new();
    let mut start = 0;
    // The body of the batch so far, as push_bytes counts it.
    let mut bytes = ENVELOPE_BYTES;
    for (i, size) in sizes.iter().enumerate() {
        let comma = usize::from(i > start);
        let fits = i - start < MAX_BATCH && bytes.saturating_add(comma + size) <= budget;
        if i > start && !fits {
            batches.push(start..i);
            start = i;
            bytes = ENVELOPE_BYTES + size;
        } else {
            bytes = bytes.saturating_add(comma + size);
        }
    }
    if start < sizes.len() {
        batches.push(start..sizes.len());
    }
    batches
}

/// The envelope of one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRecord {
    pub client_id: String,
    pub record_type: String,
    /// The username of the officer who made it on the phone.
    pub author: String,
    pub device_id: String,
    /// The phone's clock when the record was finished (RFC 3339).
    pub created_at: DateTime<Utc>,
    pub body: serde_json::Value,
}

/// A checked envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub client_id: String,
    pub record_type: RecordType,
    pub author: String,
    pub device_id: String,
    pub created_at: DateTime<Utc>,
    pub body: serde_json::Value,
}

/// The officer's answer to a clerk's question.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SupplementForm {
    /// The client UUID of the report the question was about.
    pub report_id: String,
    pub note: String,
}

/// Why one record was not taken. The code is stable (the phone shows the server's
/// message and keeps the record in "needs attention" until the officer fixes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Not a record at all, or a body that does not match its type.
    Malformed,
    UnknownRecordType,
    /// The record names another author than the one logged in.
    AuthorMismatch,
    /// A village, grid or report outside the caller's scope.
    WrongScope,
    /// A field with a problem.
    Invalid(FieldError),
    /// The inbox does not allow this step now (the report was closed meanwhile).
    Refused(Refusal),
}

impl Rejection {
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Malformed => "malformed",
            Rejection::UnknownRecordType => "unknown_record_type",
            Rejection::AuthorMismatch => "author_mismatch",
            Rejection::WrongScope => "wrong_scope",
            Rejection::Invalid(e) => e.problem.code(),
            Rejection::Refused(r) => match r {
                Refusal::NotAllowedInState => "not_allowed_in_state",
                Refusal::NotYourStep => "not_your_step",
                Refusal::NoDecision => "no_decision",
            },
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            Rejection::Invalid(e) => Some(&e.field),
            _ => None,
        }
    }
}

impl From<FieldError> for Rejection {
    fn from(e: FieldError) -> Self {
        Rejection::Invalid(e)
    }
}

impl PushRecord {
    /// Reads one record of a batch. The client id is returned even when the rest does
    /// not parse, so the phone can tell which record was refused.
    pub fn decode(value: &serde_json::Value) -> Result<Envelope, (Option<String>, Rejection)> {
        let id_hint = value
            .get("client_id")
            .and_then(|v| v.as_str())
            .and_then(|s| clean_uuid("client_id", s).ok());
        let fail = |r| (id_hint.clone(), r);
        let record: PushRecord =
            serde_json::from_value(value.clone()).map_err(|_| fail(Rejection::Malformed))?;
        let client_id = clean_uuid("client_id", &record.client_id).map_err(|e| fail(e.into()))?;
        let record_type =
            RecordType::parse(record.record_type.trim()).ok_or_else(|| fail(Rejection::UnknownRecordType))?;
        let device_id = crate::validation::clean_name("device_id", &record.device_id, LABEL_MAX)
            .map_err(|e| fail(e.into()))?;
        if !record.body.is_object() {
            return Err(fail(Rejection::Malformed));
        }
        Ok(Envelope {
            client_id,
            record_type,
            author: record.author.trim().to_lowercase(),
            device_id,
            created_at: record.created_at,
            body: record.body,
        })
    }
}

/// What became of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RecordOutcome {
    /// Stored now.
    Stored,
    /// Stored before with the same body: nothing was changed, and the phone may
    /// forget the record just as for `stored`.
    Duplicate,
    /// Not taken; the phone keeps it for the officer to fix and resend.
    Rejected {
        code: String,
        field: Option<String>,
        /// In the reader's language, set by the server's edge.
        message: String,
    },
    /// The same client id was stored before with a different body; the stored record
    /// was kept as it was.
    Conflict,
}

impl RecordOutcome {
    pub fn rejected(r: &Rejection) -> RecordOutcome {
        RecordOutcome::Rejected {
            code: r.code().to_owned(),
            field: r.field().map(str::to_owned),
            message: String::new(),
        }
    }

    /// Whether the phone may drop the record from its outbox.
    pub fn is_settled(&self) -> bool {
        matches!(self, RecordOutcome::Stored | RecordOutcome::Duplicate)
    }
}

/// One line of a push's answer, in the order of the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordResult {
    /// Absent only when the record did not carry a readable client id.
    pub client_id: Option<String>,
    #[serde(flatten)]
    pub outcome: RecordOutcome,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<RecordResult>,
}

/// What changed, as a pull returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A step of the inbox on one of the caller's reports (its `step` says which).
    Inbox,
    /// A weekly report of the caller's village was stored (perhaps from another phone).
    WeeklyReport,
}

names!(ChangeKind { Inbox => "inbox", WeeklyReport => "weekly_report" });

/// One change in the caller's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The township's sequence number of this change; pull again from the last one.
    pub cursor: i64,
    pub kind: ChangeKind,
    /// The client UUID of the record concerned.
    pub record_id: String,
    pub step: Option<InboxStep>,
    pub state: Option<InboxState>,
    pub note: Option<String>,
    /// The display name of who took the step.
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

/// A village's report for one week, as the phone shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VillageWeek {
    pub village_id: i64,
    pub village_name: String,
    pub week: Week,
    pub status: WeeklyStatus,
    pub zero: bool,
    #[serde(deserialize_with = "rfc3339::read")]
    pub due_at: DateTime<Utc>,
    #[serde(default, deserialize_with = "rfc3339::read_option")]
    pub submitted_at: Option<DateTime<Utc>>,
}

/// What a field phone needs to fill in its forms without a connection: the township's
/// kinds and the caller's villages with their weekly report status. Sent with every pull,
/// and with the field pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSetup {
    pub report_kinds: Vec<ReportKind>,
    /// Last week's and this week's status for each of the caller's villages.
    pub weekly: Vec<VillageWeek>,
    /// The reports of those villages and weeks that the township has, from any phone.
    #[serde(default)]
    pub week_field_reports: Vec<WeekFieldReport>,
    #[serde(deserialize_with = "rfc3339::read")]
    pub server_time: DateTime<Utc>,
}

/// A dispute or hazard report of one of the caller's villages, found last week or this
/// week, as the township has it: the weekly report lists it whichever phone sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekFieldReport {
    pub client_id: String,
    pub village_id: i64,
    pub kind: String,
    pub severity: Severity,
    #[serde(deserialize_with = "rfc3339::read")]
    pub found_at: DateTime<Utc>,
}

/// Reading the setup's times (the field pages get the setup with their HTML). chrono's
/// own `Deserialize` goes through its general format parser, which would be code every
/// field page downloads for four fields; these are read with its RFC 3339 parser alone,
/// which the report form's checks use anyway. They are written as chrono writes them.
mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, de::Error};

    pub fn read<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|at| at.with_timezone(&Utc))
            .map_err(D::Error::custom)
    }

    pub fn read_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        #[derive(Deserialize)]
        struct At(#[serde(deserialize_with = "read")] DateTime<Utc>);
        Ok(Option::<At>::deserialize(d)?.map(|At(at)| at))
    }
}

impl FieldSetup {
    /// The caller's villages, each once, in the order the server gave them.
    pub fn villages(&self) -> Vec<(i64, String)> {
        let mut out: Vec<(i64, String)> = Vec::new();
        for w in &self.weekly {
            if !out.iter().any(|(id, _)| *id == w.village_id) {
                out.push((w.village_id, w.village_name.clone()));
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// Send this as `cursor` next time.
    pub next_cursor: i64,
    /// More changes are waiting: pull again at once.
    pub more: bool,
    /// The township's current list of report kinds.
    pub report_kinds: Vec<ReportKind>,
    /// This week's report status for each of the caller's villages.
    pub weekly: Vec<VillageWeek>,
    /// The reports of those villages found last week or this week, from any phone.
    #[serde(default)]
    pub week_field_reports: Vec<WeekFieldReport>,
    pub server_time: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "0b6f1e2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b";

    fn record() -> serde_json::Value {
        json!({
            "client_id": ID.to_uppercase(),
            "record_type": "field_report",
            "author": "Officer",
            "device_id": "phone-1",
            "created_at": "2026-11-23T09:30:00+08:00",
            "body": {"kind": "land"},
        })
    }

    #[test]
    fn uuids_are_the_phones_canonical_form() {
        assert_eq!(clean_uuid("id", &format!(" {} ", ID.to_uppercase())).unwrap(), ID);
        for bad in [
            "",
            "0b6f1e2a3c4d4e5f8a9b0c1d2e3f4a5b",
            "0b6f1e2a-3c4d-4e5f-8a9b-0c1d2e3f4a5",
            "0b6f1e2a-3c4d-4e5f-8a9b-0c1d2e3f4a5g",
            "0b6f1e2a_3c4d-4e5f-8a9b-0c1d2e3f4a5b",
        ] {
            assert_eq!(
                clean_uuid("id", bad).unwrap_err().problem,
                Problem::BadUuid,
                "{bad}"
            );
        }
    }

    #[test]
    fn a_record_decodes_with_its_id_type_and_author_cleaned() {
        let e = PushRecord::decode(&record()).unwrap();
        assert_eq!(e.client_id, ID);
        assert_eq!(e.record_type, RecordType::FieldReport);
        assert_eq!(e.author, "officer");
        assert_eq!(e.created_at.to_rfc3339(), "2026-11-23T01:30:00+00:00");
    }

    #[test]
    fn a_bad_record_is_refused_alone_and_still_named_when_possible() {
        let cases = [
            (json!("not an object"), None, "malformed"),
            (json!({"client_id": ID}), Some(ID), "malformed"),
            (
                {
                    let mut r = record();
                    r["record_type"] = json!("home_visit");
                    r
                },
                Some(ID),
                "unknown_record_type",
            ),
            (
                {
                    let mut r = record();
                    r["client_id"] = json!("42");
                    r
                },
                None,
                "bad_uuid",
            ),
            (
                {
                    let mut r = record();
                    r["created_at"] = json!("yesterday");
                    r
                },
                Some(ID),
                "malformed",
            ),
            (
                {
                    let mut r = record();
                    r["body"] = json!([1, 2]);
                    r
                },
                Some(ID),
                "malformed",
            ),
            (
                {
                    let mut r = record();
                    r["device_id"] = json!("");
                    r
                },
                Some(ID),
                "required",
            ),
        ];
        for (value, id, code) in cases {
            let (got_id, r) = PushRecord::decode(&value).unwrap_err();
            assert_eq!((got_id.as_deref(), r.code()), (id, code), "{value}");
        }
    }

    #[test]
    fn outcomes_travel_as_a_status_with_their_reason() {
        let line = RecordResult {
            client_id: Some(ID.into()),
            outcome: RecordOutcome::rejected(&Rejection::Invalid(FieldError::new(
                "latitude",
                Problem::BadCoordinates,
            ))),
        };
        assert_eq!(
            serde_json::to_value(&line).unwrap(),
            json!({"client_id": ID, "status": "rejected", "code": "bad_coordinates", "field": "latitude", "message": ""})
        );
        let stored = RecordResult {
            client_id: Some(ID.into()),
            outcome: RecordOutcome::Stored,
        };
        assert_eq!(
            serde_json::to_value(&stored).unwrap(),
            json!({"client_id": ID, "status": "stored"})
        );
        let back: RecordResult =
            serde_json::from_value(json!({"client_id": ID, "status": "conflict"})).unwrap();
        assert_eq!(back.outcome, RecordOutcome::Conflict);
        assert!(RecordOutcome::Duplicate.is_settled() && RecordOutcome::Stored.is_settled());
        assert!(!RecordOutcome::Conflict.is_settled());
        assert_eq!(Rejection::WrongScope.code(), "wrong_scope");
        assert_eq!(Rejection::AuthorMismatch.field(), None);
    }

    /// A plan as (start, end) pairs.
    fn cuts(sizes: &[usize], budget: usize) -> Vec<(usize, usize)> {
        plan_batches(sizes, budget)
            .into_iter()
            .map(|r| (r.start, r.end))
            .collect()
    }

    #[test]
    fn batches_are_cut_by_count_and_by_bytes_in_order() {
        assert!(plan_batches(&[], PUSH_BUDGET).is_empty());
        assert_eq!(cuts(&[10; 250], PUSH_BUDGET), [(0, 100), (100, 200), (200, 250)]);
        // The envelope and the commas count: three records of 10 bytes make 46.
        assert_eq!(push_bytes(&[10, 10, 10]), 46);
        assert_eq!(cuts(&[10, 10, 10], 46), [(0, 3)]);
        assert_eq!(cuts(&[10, 10, 10], 45), [(0, 2), (2, 3)]);
        // A record too large for any batch goes alone, and the rest around it go on.
        assert_eq!(cuts(&[10, 10, 100, 10], 50), [(0, 2), (2, 3), (3, 4)]);
        assert_eq!(cuts(&[100], 50), [(0, 1)]);
        // Greedy: a longer list only adds to what a shorter one planned.
        let sizes: Vec<usize> = (0..300).map(|i| 1_000 + (i * 7_919) % 40_000).collect();
        let all = plan_batches(&sizes, PUSH_BUDGET);
        let part = plan_batches(&sizes[..150], PUSH_BUDGET);
        assert_eq!(all[..part.len() - 1], part[..part.len() - 1]);
        // Every record once, in order, every batch within both limits.
        assert_eq!(all.first().map(|r| r.start), Some(0));
        assert_eq!(all.last().map(|r| r.end), Some(sizes.len()));
        for pair in all.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        for r in &all {
            assert!(
                r.len() <= MAX_BATCH && push_bytes(&sizes[r.clone()]) <= PUSH_BUDGET,
                "{r:?}"
            );
        }
    }

    /// A dispute report at the most the form allows: every text at its longest in
    /// Chinese characters (3 bytes each in UTF-8), every number at its longest.
    fn largest_report(n: usize) -> serde_json::Value {
        use crate::field::{
            ACTION_MAX, Category, KIND_CODE_MAX, MAX_PHOTOS, PARTIES_MAX, PLACE_MAX, ReportForm, check_report,
        };
        let zh = |max: usize| "纠".repeat(max);
        let kind = ReportKind {
            code: "k".repeat(KIND_CODE_MAX),
            name_zh: "土地".into(),
            name_en: "Land".into(),
            category: Category::Dispute,
        };
        let form = ReportForm {
            kind: kind.code.clone(),
            severity: "serious".into(),
            village_id: Some(i64::MAX),
            grid_id: Some(i64::MAX),
            place: zh(PLACE_MAX),
            latitude: Some(-89.123_456_789_012_34),
            longitude: Some(-179.123_456_789_012_3),
            accuracy_m: Some(99_999.123_456_789),
            found_at: "2026-11-23T09:30:00.123456789+08:00".into(),
            parties: zh(PARTIES_MAX),
            person_count: Some(99_999),
            description: zh(crate::petition::TEXT_MAX),
            action_taken: zh(ACTION_MAX),
            needs_township: false,
            photos: (0..MAX_PHOTOS)
                .map(|i| format!("0b6f1e2a-3c4d-4e5f-8a9b-0c1d2e3f{i:04}"))
                .collect(),
        };
        let now = DateTime::parse_from_rfc3339("2026-11-23T10:00:00+08:00")
            .unwrap()
            .with_timezone(&Utc);
        assert!(check_report(&form, std::slice::from_ref(&kind), now).is_ok());
        assert_eq!(form.place.len(), 3 * PLACE_MAX);
        let record = PushRecord {
            client_id: format!("0b6f1e2a-3c4d-4e5f-8a9b-{n:012}"),
            record_type: RecordType::FieldReport.as_str().into(),
            author: "a".repeat(crate::auth::USERNAME_MAX_CHARS),
            device_id: zh(LABEL_MAX),
            created_at: now,
            body: serde_json::to_value(&form).unwrap(),
        };
        assert!(PushRecord::decode(&serde_json::to_value(&record).unwrap()).is_ok());
        serde_json::to_value(&record).unwrap()
    }

    #[test]
    fn a_full_batch_of_the_largest_reports_is_split_to_fit_the_push_limit() {
        let records: Vec<serde_json::Value> = (0..MAX_BATCH).map(largest_report).collect();
        let sizes: Vec<usize> = records.iter().map(|r| r.to_string().len()).collect();
        // As one push, they are over the server's limit (the 413 of issue 20).
        let whole = serde_json::to_string(&PushBatch {
            records: records.clone(),
        })
        .unwrap();
        assert_eq!(whole.len(), push_bytes(&sizes));
        assert!(whole.len() > MAX_PUSH_BYTES, "{}", whole.len());
        let plan = plan_batches(&sizes, PUSH_BUDGET);
        assert!(plan.len() > 1);
        assert_eq!(plan.iter().map(|r| r.len()).sum::<usize>(), MAX_BATCH);
        for r in plan {
            // Measured as the phone sends it, not as the plan reckons it.
            let body = serde_json::to_string(&PushBatch {
                records: records[r.clone()].to_vec(),
            })
            .unwrap();
            assert_eq!(body.len(), push_bytes(&sizes[r.clone()]), "{r:?}");
            assert!(body.len() <= PUSH_BUDGET && PUSH_BUDGET < MAX_PUSH_BYTES, "{r:?}");
        }
    }

    #[test]
    fn record_types_round_trip() {
        for t in RecordType::ALL {
            assert_eq!(RecordType::parse(t.as_str()), Some(*t));
            assert_eq!(serde_json::to_string(t).unwrap(), format!("\"{}\"", t.as_str()));
        }
        for k in ChangeKind::ALL {
            assert_eq!(serde_json::to_string(k).unwrap(), format!("\"{}\"", k.as_str()));
        }
    }

    #[test]
    fn the_setup_s_times_read_back_as_written_and_in_any_offset() {
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc);
        let setup = FieldSetup {
            report_kinds: Vec::new(),
            weekly: vec![VillageWeek {
                village_id: 1,
                village_name: "青山村".to_owned(),
                week: Week::of(at("2026-11-23T09:30:00+08:00")),
                status: WeeklyStatus::OnTime,
                zero: true,
                due_at: at("2026-11-29T23:59:59.999+08:00"),
                submitted_at: Some(at("2026-11-24T10:00:00.123456789Z")),
            }],
            week_field_reports: vec![WeekFieldReport {
                client_id: ID.to_owned(),
                village_id: 1,
                kind: "land".to_owned(),
                severity: Severity::General,
                found_at: at("2026-11-23T01:30:00Z"),
            }],
            server_time: at("2026-11-24T10:00:01Z"),
        };
        let text = serde_json::to_string(&setup).unwrap();
        assert_eq!(serde_json::from_str::<FieldSetup>(&text).unwrap(), setup);

        // Written by another server in China time, or without a submission: the same instants.
        let mut value = serde_json::to_value(&setup).unwrap();
        value["server_time"] = json!("2026-11-24T18:00:01+08:00");
        value["weekly"][0]["submitted_at"] = json!(null);
        let read: FieldSetup = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(read.server_time, setup.server_time);
        assert_eq!(read.weekly[0].submitted_at, None);
        value["weekly"][0].as_object_mut().unwrap().remove("submitted_at");
        let read: FieldSetup = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(read.weekly[0].submitted_at, None);

        value["server_time"] = json!("yesterday");
        assert!(serde_json::from_value::<FieldSetup>(value).is_err());
    }
}
