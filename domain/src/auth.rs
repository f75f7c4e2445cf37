//! Who a person is to the system: roles and where they hold them, how long a session
//! lasts, what makes an acceptable password, and when repeated failures slow logins down.
//! Pure rules; hashing, storage and cookies live in the layers above.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::org::OrgUnitKind;
use crate::validation::{FieldError, Problem};

/// A role, always held on one org unit (its scope). Names from the glossary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages the organisation, accounts and the audit log of a township or county.
    Admin,
    /// Petition office clerk (信访办工作人员): registers, routes and replies.
    Clerk,
    /// The leader personally responsible for cases (包案领导).
    CaseLeader,
    /// A department's handler (承办人): sees what was sent to the department.
    Handler,
    /// Village information officer (信息员).
    InfoOfficer,
    /// Grid worker (网格员): one grid of households.
    GridWorker,
    /// Petition agent (信访代理员): files and follows petitions for residents.
    PetitionAgent,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Clerk,
        Role::CaseLeader,
        Role::Handler,
        Role::InfoOfficer,
        Role::GridWorker,
        Role::PetitionAgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clerk => "clerk",
            Role::CaseLeader => "case_leader",
            Role::Handler => "handler",
            Role::InfoOfficer => "info_officer",
            Role::GridWorker => "grid_worker",
            Role::PetitionAgent => "petition_agent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The kinds of org unit this role may be held on.
    pub fn scope_kinds(self) -> &'static [OrgUnitKind] {
        use OrgUnitKind::*;
        match self {
            Role::Admin => &[County, Township],
            Role::Clerk | Role::CaseLeader => &[Township],
            Role::Handler => &[Department],
            Role::InfoOfficer | Role::PetitionAgent => &[Village],
            Role::GridWorker => &[Grid],
        }
    }

    /// Field roles work on phones, offline for days; the others work at office desks.
    pub fn is_field(self) -> bool {
        matches!(self, Role::InfoOfficer | Role::GridWorker | Role::PetitionAgent)
    }

    /// Where a person holding this role starts after logging in.
    pub fn home(self) -> &'static str {
        if self.is_field() { "/field" } else { "/office" }
    }
}

/// Checks that `role` may be held on a unit of kind `unit_kind`.
pub fn check_grant(role: Role, unit_kind: OrgUnitKind) -> Result<(), FieldError> {
    if role.scope_kinds().contains(&unit_kind) {
        Ok(())
    } else {
        Err(FieldError::new("unit", Problem::WrongScope))
    }
}

/// The two kinds of session, with the law of the issue: office sessions die after 30
/// minutes idle or 12 hours in all; a field phone must keep working offline for days, so
/// its session lasts 30 days from its last contact (and can be revoked at any time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    Office,
    Field,
}

impl SessionKind {
    pub const OFFICE_IDLE: Duration = Duration::minutes(30);
    pub const OFFICE_ABSOLUTE: Duration = Duration::hours(12);
    pub const FIELD_IDLE: Duration = Duration::days(30);

    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Office => "office",
            SessionKind::Field => "field",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "office" => Some(SessionKind::Office),
            "field" => Some(SessionKind::Field),
            _ => None,
        }
    }

    /// A person who holds only field roles gets a field session; anyone with an office
    /// role gets the stricter office session, whatever else they hold.
    pub fn for_roles(roles: impl IntoIterator<Item = Role>) -> Self {
        let mut any = false;
        for role in roles {
            any = true;
            if !role.is_field() {
                return SessionKind::Office;
            }
        }
        if any {
            SessionKind::Field
        } else {
            SessionKind::Office
        }
    }

    /// When a session created at `created` and last seen at `last_seen` stops being valid.
    pub fn expires_at(self, created: DateTime<Utc>, last_seen: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            SessionKind::Office => (last_seen + Self::OFFICE_IDLE).min(created + Self::OFFICE_ABSOLUTE),
            SessionKind::Field => last_seen + Self::FIELD_IDLE,
        }
    }

    pub fn is_expired(self, created: DateTime<Utc>, last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now >= self.expires_at(created, last_seen)
    }

    /// The cookie's Max-Age: the longest the session could possibly live from now.
    pub fn cookie_max_age(self) -> Duration {
        match self {
            SessionKind::Office => Self::OFFICE_ABSOLUTE,
            SessionKind::Field => Self::FIELD_IDLE,
        }
    }
}

pub const USERNAME_MAX_CHARS: usize = 32;
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Argon2 hashes anything, but a megabyte "password" is a denial of service.
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Usernames: 3–32 lowercase letters, digits, `.`, `_` or `-`, starting with a letter or
/// digit. Typed on phones and read aloud over the phone, so nothing ambiguous.
pub fn clean_username(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim().to_lowercase();
    if name.is_empty() {
        return Err(FieldError::new("username", Problem::Required));
    }
    if name.chars().count() > USERNAME_MAX_CHARS {
        return Err(FieldError::new("username", Problem::TooLong));
    }
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    let ok_start = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !ok_chars || !ok_start || name.chars().count() < 3 {
        return Err(FieldError::new("username", Problem::BadUsername));
    }
    Ok(name)
}

/// The bundled list of common passwords (one per line, lowercase), refused whatever
/// their length. Only entries of 12 or more characters matter, the rest are too short
/// anyway.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Checks a new password: 12–128 characters, not a common password, not the username,
/// and not one character or a keyboard run repeated.
pub fn check_new_password(password: &str, username: &str) -> Result<(), FieldError> {
    let field = |p| Err(FieldError::new("password", p));
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return field(Problem::TooShort);
    }
    if chars > PASSWORD_MAX_CHARS {
        return field(Problem::TooLong);
    }
    let lower = password.to_lowercase();
    if is_common(&lower) || (!username.is_empty() && lower.contains(&username.to_lowercase())) {
        return field(Problem::CommonPassword);
    }
    Ok(())
}

fn is_common(lower: &str) -> bool {
    if COMMON_PASSWORDS.lines().any(|line| line.trim() == lower) {
        return true;
    }
    // One character over and over, or a short run repeated ("abcabcabcabc", "1212…").
    let chars: Vec<char> = lower.chars().collect();
    (1..=4)
        .any(|period| chars.len() > period && chars.iter().enumerate().all(|(i, c)| *c == chars[i % period]))
        || is_sequence(&chars)
}

/// "123456789012", "abcdefghijkl", "987654321098": each character one step from the last.
fn is_sequence(chars: &[char]) -> bool {
    let steps: Vec<i64> = chars.windows(2).map(|w| w[1] as i64 - w[0] as i64).collect();
    // Digits wrap: "…890123…" goes 9 → 0 (a step of -9) going up, 0 → 9 going down.
    let up = steps.iter().all(|s| *s == 1 || *s == -9);
    let down = steps.iter().all(|s| *s == -1 || *s == 9);
    !steps.is_empty() && (up || down)
}

/// How repeated login failures slow things down, per account name and per address.
///
/// Up to `free_failures` failures in a row cost nothing; after that each further attempt
/// must wait `base_delay` doubled for every failure beyond the limit, capped at
/// `max_delay`. A success clears the account's count. The rule is the same whether or
/// not the account exists, so the answer says nothing about that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub free_failures: u32,
    /// Failures older than this are forgotten.
    pub window: Duration,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Throttle {
    /// Per account: 5 failures, then 1 minute, 2, 4, … up to 30 minutes.
    pub const ACCOUNT: Throttle = Throttle {
        free_failures: 5,
        window: Duration::hours(24),
        base_delay: Duration::minutes(1),
        max_delay: Duration::minutes(30),
    };
    /// Per address: an office behind one NAT has many clerks, so the limit is higher.
    pub const ADDRESS: Throttle = Throttle {
        free_failures: 20,
        window: Duration::hours(1),
        base_delay: Duration::minutes(1),
        max_delay: Duration::minutes(30),
    };

    /// Given the times of the recent consecutive failures (any order), when the next
    /// attempt may be made, or `None` if it may be made now.
    pub fn retry_at(&self, failures: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let recent: Vec<&DateTime<Utc>> = failures.iter().filter(|t| **t > now - self.window).collect();
        let count = u32::try_from(recent.len()).unwrap_or(u32::MAX);
        if count < self.free_failures {
            return None;
        }
        let last = recent.into_iter().max()?;
        let doublings = (count - self.free_failures).min(16);
        let delay = (self.base_delay * 2_i32.pow(doublings)).min(self.max_delay);
        let at = *last + delay;
        (at > now).then_some(at)
    }
}

/// The person behind a request, as the server resolved it from the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub grants: Vec<Grant>,
    pub session_kind: SessionKind,
}

impl CurrentUser {
    pub fn roles(&self) -> impl Iterator<Item = Role> + '_ {
        self.grants.iter().map(|g| g.role)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles().any(|r| r == role)
    }

    /// Files field reports (disputes, hazards, the weekly report) for a village or grid.
    pub fn files_field_reports(&self) -> bool {
        self.has_role(Role::InfoOfficer) || self.has_role(Role::GridWorker)
    }

    /// Files the village's weekly screening report: the village's information officer.
    /// A grid worker reports disputes and hazards of the grid, and the officer lists them.
    pub fn files_weekly_reports(&self) -> bool {
        self.has_role(Role::InfoOfficer)
    }

    pub fn has_office_role(&self) -> bool {
        self.roles().any(|r| !r.is_field())
    }

    pub fn has_field_role(&self) -> bool {
        self.roles().any(Role::is_field)
    }

    /// Where to go after logging in: the office for anyone with an office role.
    pub fn home(&self) -> &'static str {
        if self.has_office_role() {
            "/office"
        } else {
            "/field"
        }
    }
}

/// One role held on one org unit. `unit_path` lists the unit's ancestors from the root
/// down to the unit itself, so scope checks need no database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_path: Vec<i64>,
    /// The township the unit is in (or is); `None` for a county-level grant.
    pub township_id: Option<i64>,
}

/// An account as the admin pages list it. Never carries the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub disabled: bool,
    pub grants: Vec<Grant>,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub created_at: DateTime<Utc>,
    /// Sessions still open on some device.
    pub sessions: i64,
}

/// A new account, already checked: a valid username, a display name, and at least one
/// role on a unit of the right kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub grants: Vec<(Role, i64)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
    }

    #[test]
    fn every_role_round_trips_and_has_a_scope() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.as_str())
            );
            assert!(!role.scope_kinds().is_empty());
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn roles_are_held_only_on_their_kind_of_unit() {
        assert!(check_grant(Role::GridWorker, OrgUnitKind::Grid).is_ok());
        assert!(check_grant(Role::GridWorker, OrgUnitKind::Village).is_err());
        assert!(check_grant(Role::Handler, OrgUnitKind::Department).is_ok());
        assert!(check_grant(Role::Clerk, OrgUnitKind::Village).is_err());
        assert!(check_grant(Role::Admin, OrgUnitKind::County).is_ok());
    }

    #[test]
    fn office_sessions_expire_idle_and_absolute() {
        let k = SessionKind::Office;
        assert!(!k.is_expired(t(8, 0), t(8, 0), t(8, 29)));
        assert!(k.is_expired(t(8, 0), t(8, 0), t(8, 30)));
        // Kept alive by activity, but never past 12 hours.
        assert!(!k.is_expired(t(8, 0), t(19, 50), t(19, 59)));
        assert!(k.is_expired(t(8, 0), t(19, 59), t(20, 0)));
    }

    #[test]
    fn field_sessions_last_thirty_days_from_last_contact() {
        let k = SessionKind::Field;
        let created = t(8, 0);
        let synced = created + Duration::days(20);
        assert!(!k.is_expired(created, synced, synced + Duration::days(29)));
        assert!(k.is_expired(created, synced, synced + Duration::days(30)));
    }

    #[test]
    fn session_kind_follows_the_strictest_role() {
        assert_eq!(SessionKind::for_roles([Role::InfoOfficer]), SessionKind::Field);
        assert_eq!(
            SessionKind::for_roles([Role::GridWorker, Role::Clerk]),
            SessionKind::Office
        );
        assert_eq!(SessionKind::for_roles([]), SessionKind::Office);
    }

    #[test]
    fn usernames_are_plain_and_lowercased() {
        assert_eq!(clean_username("  WangFang ").unwrap(), "wangfang");
        assert_eq!(clean_username("").unwrap_err().problem, Problem::Required);
        assert_eq!(clean_username("ab").unwrap_err().problem, Problem::BadUsername);
        assert_eq!(clean_username("王芳").unwrap_err().problem, Problem::BadUsername);
        assert_eq!(clean_username("-abc").unwrap_err().problem, Problem::BadUsername);
        assert!(clean_username("zhang.san_01").is_ok());
    }

    #[test]
    fn passwords_must_be_long_and_uncommon() {
        let problem = |p: &str| check_new_password(p, "wangfang").err().map(|e| e.problem);
        assert_eq!(problem("short"), Some(Problem::TooShort));
        assert_eq!(problem(&"长".repeat(129)), Some(Problem::TooLong));
        assert_eq!(problem("password1234"), Some(Problem::CommonPassword));
        assert_eq!(problem("Password1234"), Some(Problem::CommonPassword));
        assert_eq!(problem("woaini1314520"), Some(Problem::CommonPassword));
        assert_eq!(problem("aaaaaaaaaaaa"), Some(Problem::CommonPassword));
        assert_eq!(problem("abcabcabcabc"), Some(Problem::CommonPassword));
        assert_eq!(problem("123456789012"), Some(Problem::CommonPassword));
        assert_eq!(problem("wangfang2026!"), Some(Problem::CommonPassword));
        assert_eq!(problem("春天的东湖水很清澈啊"), Some(Problem::TooShort));
        assert_eq!(problem("春天的东湖水很清澈啊真好"), None);
        assert_eq!(problem("river-lamp-71-cedar"), None);
    }

    #[test]
    fn throttle_allows_five_then_doubles_the_wait() {
        let th = Throttle::ACCOUNT;
        let now = t(9, 0);
        let fails = |n: usize| vec![now - Duration::seconds(1); n];
        assert_eq!(th.retry_at(&fails(4), now), None);
        assert_eq!(
            th.retry_at(&fails(5), now),
            Some(now - Duration::seconds(1) + Duration::minutes(1))
        );
        assert_eq!(
            th.retry_at(&fails(6), now),
            Some(now - Duration::seconds(1) + Duration::minutes(2))
        );
        assert_eq!(
            th.retry_at(&fails(40), now),
            Some(now - Duration::seconds(1) + Duration::minutes(30))
        );
        // Once the wait has passed, one more try is allowed.
        assert_eq!(th.retry_at(&fails(5), now + Duration::minutes(1)), None);
        // Failures outside the window are forgotten.
        let old = vec![now - Duration::hours(25); 10];
        assert_eq!(th.retry_at(&old, now), None);
    }
}
