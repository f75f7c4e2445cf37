//! Helpers shared by the services tests: requests as the use cases receive them, accounts
//! made and logged in, the form's challenge answered, and what the audit log holds.

use chrono::{DateTime, Utc};
use domain::audit::{AuditAction, AuditFilter};
use domain::auth::{NewUser, Role};
use services::Caller;
use services::challenge::{self, ChallengeAnswer};
use services::demo::DEMO_PASSWORD;
use sha2::{Digest, Sha256};
use storage::testing;
use storage::{AuditPage, AuditScope, Database};

/// The password of the accounts a test makes itself (`add_user`).
pub const PASSWORD: &str = "river-lamp-71-cedar";

/// The client id of a phone's record number `n` (a UUID, as the phone makes them).
pub fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// The SHA-256 of `bytes` in lowercase hex, as a phone declares a photo.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A request from `address` at `now` by someone not logged in, from a browser.
pub fn public(address: &str, now: DateTime<Utc>) -> Caller {
    Caller {
        address: Some(address.into()),
        user_agent: Some("test".into()),
        ..Caller::anonymous(now)
    }
}

/// The same request once `username` has logged in with `password` on it: the account
/// and its session, as the HTTP edge builds a caller.
pub async fn log_in(db: &Database, caller: Caller, username: &str, password: &str) -> Caller {
    let logged = services::auth::login(db, &caller, username, password)
        .await
        .unwrap_or_else(|e| panic!("{username}: {e}"));
    Caller {
        user: Some(logged.user),
        session: Some(services::auth::token_hash(&logged.token)),
        ..caller
    }
}

/// A demo account (`services::demo`) at work in the office at `now`.
pub async fn staff(db: &Database, username: &str, now: DateTime<Utc>) -> Caller {
    log_in(db, public("10.0.0.1", now), username, DEMO_PASSWORD).await
}

/// Creates `username` (shown under that name too) holding `role` on `unit`, with
/// `PASSWORD`; returns its id.
pub async fn add_user(db: &Database, username: &str, role: Role, unit: i64, now: DateTime<Utc>) -> i64 {
    let hash = services::auth::hash_password(PASSWORD).await.unwrap();
    let user = NewUser {
        username: username.into(),
        display_name: username.into(),
        phone: None,
        grants: vec![(role, unit)],
    };
    testing::create_user(db, &user, &hash, now).await.unwrap()
}

/// The public form's challenge, answered right by a person who loaded the form at
/// `loaded`.
pub async fn answered(db: &Database, loaded: DateTime<Utc>) -> ChallengeAnswer {
    let secret = challenge::form_secret(db).await.unwrap();
    let c = challenge::issue(&secret, loaded);
    ChallengeAnswer {
        token: c.token,
        answer: (c.a + c.b).to_string(),
        honeypot: String::new(),
    }
}

/// Every audit entry of `action`, newest first.
pub async fn audit_log(db: &Database, action: AuditAction) -> AuditPage {
    let filter = AuditFilter {
        action: Some(action),
        ..AuditFilter::default()
    };
    db.audit_entries(&filter, &AuditScope::All, 0, None)
        .await
        .unwrap()
}

/// How many audit entries of `action` there are.
pub async fn audit_count(db: &Database, action: AuditAction) -> i64 {
    let filter = AuditFilter {
        action: Some(action),
        ..AuditFilter::default()
    };
    db.audit_entries(&filter, &AuditScope::All, 0, Some(1))
        .await
        .unwrap()
        .total
}

/// An XLSX workbook with the given sheets, as Excel would save it.
pub fn workbook(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).unwrap();
        for (r, row) in (0_u32..).zip(rows.iter()) {
            for (c, cell) in (0_u16..).zip(row.iter()) {
                sheet.write_string(r, c, *cell).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}
