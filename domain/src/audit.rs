//! The words of the audit log: what was done and how it ended. Entries are appended by
//! the server and never changed; the storage layer enforces that with triggers.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// What an entry records. Stable strings: they are stored and filtered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Login,
    Logout,
    ChangePassword,
    CreateUser,
    DisableUser,
    EnableUser,
    ResetPassword,
    RevokeSessions,
    CreateOrgUnit,
    ImportRoster,
    ExportAuditLog,
    ReadAuditLog,
    /// A request refused by the access policy (the person saw "not found").
    Denied,
    /// Someone read a petitioner's identity.
    ReadIdentity,
    /// A petition came in: online, at the desk or from an agent.
    FilePetition,
    /// A step of the petition lifecycle (the detail names it).
    PetitionStep,
    /// A tracking code was looked up (failures are how guessing shows).
    TrackPetition,
    ReadAttachment,
    ExportRegistry,
    EditOfficeInfo,
    /// A batch of field records pushed from a phone (the detail counts the outcomes).
    SyncPush,
    /// An urgent dispute or hazard report arrived and was flagged to the township (Art. 25).
    UrgentReport,
    /// A step of the township inbox on a field report (acknowledge, ask for more, close).
    FieldReportStep,
    /// A field photo finished uploading (or failed its hash check).
    UploadPhoto,
    /// An admin changed the township's list of report kinds or the weekly deadline.
    EditReportKinds,
    /// Someone in the office opened a field report (it names people and places).
    ReadFieldReport,
    /// Someone in the office looked at a field report's photo.
    ReadFieldPhoto,
}

impl AuditAction {
    pub const ALL: [AuditAction; 27] = [
        AuditAction::Login,
        AuditAction::Logout,
        AuditAction::ChangePassword,
        AuditAction::CreateUser,
        AuditAction::DisableUser,
        AuditAction::EnableUser,
        AuditAction::ResetPassword,
        AuditAction::RevokeSessions,
        AuditAction::CreateOrgUnit,
        AuditAction::ImportRoster,
        AuditAction::ExportAuditLog,
        AuditAction::ReadAuditLog,
        AuditAction::Denied,
        AuditAction::ReadIdentity,
        AuditAction::FilePetition,
        AuditAction::PetitionStep,
        AuditAction::TrackPetition,
        AuditAction::ReadAttachment,
        AuditAction::ExportRegistry,
        AuditAction::EditOfficeInfo,
        AuditAction::SyncPush,
        AuditAction::UrgentReport,
        AuditAction::FieldReportStep,
        AuditAction::UploadPhoto,
        AuditAction::EditReportKinds,
        AuditAction::ReadFieldReport,
        AuditAction::ReadFieldPhoto,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Login => "login",
            AuditAction::Logout => "logout",
            AuditAction::ChangePassword => "change_password",
            AuditAction::CreateUser => "create_user",
            AuditAction::DisableUser => "disable_user",
            AuditAction::EnableUser => "enable_user",
            AuditAction::ResetPassword => "reset_password",
            AuditAction::RevokeSessions => "revoke_sessions",
            AuditAction::CreateOrgUnit => "create_org_unit",
            AuditAction::ImportRoster => "import_roster",
            AuditAction::ExportAuditLog => "export_audit_log",
            AuditAction::ReadAuditLog => "read_audit_log",
            AuditAction::Denied => "denied",
            AuditAction::ReadIdentity => "read_identity",
            AuditAction::FilePetition => "file_petition",
            AuditAction::PetitionStep => "petition_step",
            AuditAction::TrackPetition => "track_petition",
            AuditAction::ReadAttachment => "read_attachment",
            AuditAction::ExportRegistry => "export_registry",
            AuditAction::EditOfficeInfo => "edit_office_info",
            AuditAction::SyncPush => "sync_push",
            AuditAction::UrgentReport => "urgent_report",
            AuditAction::FieldReportStep => "field_report_step",
            AuditAction::UploadPhoto => "upload_photo",
            AuditAction::EditReportKinds => "edit_report_kinds",
            AuditAction::ReadFieldReport => "read_field_report",
            AuditAction::ReadFieldPhoto => "read_field_photo",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// What came of an audited action (not to be confused with a pushed record's
/// [`crate::sync::RecordOutcome`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Ok,
    /// Refused by the policy or by the rules (a disabled account, a throttled login).
    Denied,
    /// Tried and failed (a wrong password).
    Failed,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Ok => "ok",
            AuditOutcome::Denied => "denied",
            AuditOutcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [AuditOutcome::Ok, AuditOutcome::Denied, AuditOutcome::Failed]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// Entries may not be deleted before this many days (and never edited).
pub const RETENTION_DAYS: i64 = 180;

/// An entry to append. `at` is set by the storage layer's caller (the server's clock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub action: AuditAction,
    pub record_kind: Option<String>,
    pub record_id: Option<String>,
    pub outcome: AuditOutcome,
    pub township_id: Option<i64>,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

/// The most characters the audit log keeps of each text it records. Entries are kept
/// for 180 days and cannot be deleted, so what a request carries (a username typed
/// into the login form, a user agent) is cut to these before it is written.
pub const AUDIT_LABEL_MAX: usize = 64;
pub const AUDIT_USER_AGENT_MAX: usize = 256;
pub const AUDIT_DETAIL_MAX: usize = 1_000;

/// `text` cut to at most `max` characters, marked with `…` where it was cut.
pub fn clip(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(text),
        Some((end, _)) => {
            let keep = text[..end].char_indices().last().map_or(0, |(i, _)| i);
            std::borrow::Cow::Owned(format!("{}…", &text[..keep]))
        }
    }
}

impl NewAuditEntry {
    /// The entry as the log keeps it: every text within its limit.
    pub fn clipped(&self) -> NewAuditEntry {
        let cut = |t: &Option<String>, max| t.as_deref().map(|t| clip(t, max).into_owned());
        NewAuditEntry {
            username: cut(&self.username, AUDIT_LABEL_MAX),
            record_kind: cut(&self.record_kind, AUDIT_LABEL_MAX),
            record_id: cut(&self.record_id, AUDIT_LABEL_MAX),
            address: cut(&self.address, AUDIT_LABEL_MAX),
            user_agent: cut(&self.user_agent, AUDIT_USER_AGENT_MAX),
            detail: cut(&self.detail, AUDIT_DETAIL_MAX),
            ..self.clone()
        }
    }

    pub fn new(at: DateTime<Utc>, action: AuditAction, outcome: AuditOutcome) -> Self {
        Self {
            at,
            user_id: None,
            username: None,
            action,
            record_kind: None,
            record_id: None,
            outcome,
            township_id: None,
            address: None,
            user_agent: None,
            detail: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// Sent as milliseconds: the browser then needs no date parser (a smaller wasm).
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub action: String,
    pub record_kind: Option<String>,
    pub record_id: Option<String>,
    pub outcome: AuditOutcome,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

/// What the audit page searches by. Dates are calendar days in China time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub username: Option<String>,
    pub action: Option<AuditAction>,
    /// Record kind and id, for example `user_account:12`, or just the id.
    pub record: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl AuditFilter {
    /// The filter's date range as UTC instants: `[from 00:00, to+1 00:00)` China time.
    pub fn utc_range(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        china_day_range(self.from, self.to)
    }
}

/// A range of China dates as UTC instants: `[from 00:00, to+1 00:00)`.
pub fn china_day_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(china_time()).single())
            .map(|t| t.with_timezone(&Utc))
    };
    (
        from.and_then(start),
        to.and_then(|d| d.succ_opt()).and_then(start),
    )
}

/// Asia/Shanghai: UTC+8 all year (no daylight saving since 1991), so a fixed offset is
/// exact for every date the system will ever store.
pub const fn china_time() -> FixedOffset {
    CHINA_TIME
}

// Checked when compiling: a bad offset would fail the build, never a request.
const CHINA_TIME: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// A UTC instant as China shows it: `2026-11-23 15:04:05`. Written out by hand rather
/// than with `format`, whose machinery would otherwise be compiled into the wasm.
pub fn format_china_time(at: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let t = at.with_timezone(&china_time());
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A `YYYY-MM-DD` date as a date field sends it, or `None`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let mut parts = s.trim().splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_outcomes_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", a.as_str()));
        }
        for o in [AuditOutcome::Ok, AuditOutcome::Denied, AuditOutcome::Failed] {
            assert_eq!(AuditOutcome::parse(o.as_str()), Some(o));
        }
    }

    #[test]
    fn dates_are_china_days() {
        use chrono::TimeZone;
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let f = AuditFilter {
            from: Some(day),
            to: Some(day),
            ..AuditFilter::default()
        };
        let (from, to) = f.utc_range();
        assert_eq!(from, Some(Utc.with_ymd_and_hms(2026, 11, 22, 16, 0, 0).unwrap()));
        assert_eq!(to, Some(Utc.with_ymd_and_hms(2026, 11, 23, 16, 0, 0).unwrap()));
        assert_eq!(
            format_china_time(Utc.with_ymd_and_hms(2026, 11, 23, 16, 30, 5).unwrap()),
            "2026-11-24 00:30:05"
        );
        assert_eq!(parse_date(" 2026-02-28 "), NaiveDate::from_ymd_opt(2026, 2, 28));
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("2026/02/28"), None);
    }
}
