//! Logging in and out, sessions, and passwords.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use domain::audit::{AuditAction, AuditOutcome};
use domain::auth::{CurrentUser, SessionKind, Throttle, check_new_password};
use domain::{FieldError, Problem};
use sha2::{Digest, Sha256};
use storage::{Database, NewSession};

use crate::{Caller, Result, ServiceError};

/// Argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane): about 20 ms a hash on a
/// server core, which makes guessing slow without making logging in slow.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with a fresh random salt (PHC string format). Argon2 takes tens of
/// milliseconds of CPU on purpose, so it runs on the blocking pool, not on a thread that
/// serves requests.
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    off_thread(move || hash_blocking(&password)).await?
}

/// Hashes several passwords (a roster import) in one trip to the blocking pool.
pub async fn hash_passwords(passwords: Vec<String>) -> Result<Vec<String>> {
    off_thread(move || passwords.iter().map(|p| hash_blocking(p)).collect()).await?
}

/// True if `password` matches `hash`. A malformed hash matches nothing.
pub async fn verify_password(password: &str, hash: &str) -> Result<bool> {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    off_thread(move || verify_blocking(&password, &hash)).await
}

/// True if `password` matches the dummy hash (never, in practice): the cost of a check.
async fn verify_dummy(password: &str) -> Result<bool> {
    let password = password.to_owned();
    off_thread(move || verify_blocking(&password, &DUMMY_HASH)).await
}

fn hash_blocking(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
}

async fn off_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServiceError::Internal(format!("password worker failed: {e}")))
}

/// Checked against when the username does not exist, so a wrong name takes as long as a
/// wrong password and the timing tells nothing.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_blocking("minqing dummy password for timing").unwrap_or_default());

/// A new session token (256 random bits, URL-safe) and the hash stored for it.
fn new_token() -> (String, String) {
    let mut bytes = [0_u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// What the database stores for a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A successful login: the cookie to set and where to go.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub token: String,
    pub kind: SessionKind,
    pub user: CurrentUser,
}

fn account_key(username: &str) -> String {
    format!("user:{username}")
}

fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

/// Logs in with a username and password. Throttled per account name and per address;
/// the answer for a wrong name and a wrong password is the same.
pub async fn login(db: &Database, caller: &Caller, username: &str, password: &str) -> Result<LoggedIn> {
    let now = caller.now;
    let username = username.trim().to_lowercase();
    if username.is_empty() {
        return Err(FieldError::new("username", Problem::Required).into());
    }
    if password.is_empty() {
        return Err(FieldError::new("password", Problem::Required).into());
    }
    // No account has a longer name or password: refused before anything is recorded
    // (failures and the audit log keep what they are given for months).
    if username.chars().count() > domain::auth::USERNAME_MAX_CHARS {
        return Err(FieldError::new("username", Problem::TooLong).into());
    }
    if password.chars().count() > domain::auth::PASSWORD_MAX_CHARS {
        return Err(FieldError::new("password", Problem::TooLong).into());
    }
    let mut keys = vec![(account_key(&username), Throttle::ACCOUNT)];
    if let Some(address) = &caller.address {
        keys.push((address_key(address), Throttle::ADDRESS));
    }
    // Record the attempt first and judge it against the others, so a burst of parallel
    // guesses cannot all pass the check before any of them is counted.
    let mut attempts = Vec::with_capacity(keys.len());
    for (key, _) in &keys {
        attempts.push(db.record_login_attempt(key, now).await?);
    }
    for ((key, rule), attempt) in keys.iter().zip(&attempts) {
        let failures = db.login_failures(key, now - rule.window, *attempt).await?;
        if let Some(at) = rule.retry_at(&failures, now) {
            // A refused attempt was never checked, so it does not lengthen the wait.
            for id in &attempts {
                db.forget_login_attempt(*id).await?;
            }
            let mut entry = caller.audit(AuditAction::Login, AuditOutcome::Denied);
            entry.username = Some(username.clone());
            entry.detail = Some("throttled".into());
            db.append_audit(&entry).await?;
            return Err(ServiceError::Throttled((at - now).num_seconds().max(1)));
        }
    }

    let credentials = db.credentials(&username).await?;
    let ok = match &credentials {
        Some(c) => verify_password(password, &c.password_hash).await? && !c.disabled,
        None => {
            verify_dummy(password).await?;
            false
        }
    };
    let Some(credentials) = credentials.filter(|_| ok) else {
        // The recorded attempts stay: they are the failures.
        let mut entry = caller.audit(AuditAction::Login, AuditOutcome::Failed);
        entry.username = Some(username.clone());
        db.append_audit(&entry).await?;
        return Err(ServiceError::LoginFailed);
    };

    // Success wipes the account's failures; the address keeps its earlier ones (other
    // names tried from there) but not this attempt.
    for id in &attempts {
        db.forget_login_attempt(*id).await?;
    }
    db.clear_login_failures(&account_key(&username), now - Duration::hours(24))
        .await?;
    let grants = db.grants(credentials.user_id).await?;
    let kind = SessionKind::for_roles(grants.iter().map(|g| g.role));
    let user = current_user(db, credentials.user_id, kind)
        .await?
        .ok_or(ServiceError::LoginFailed)?;
    let (token, hash) = new_token();
    let mut tx = db.begin().await?;
    tx.create_session(&NewSession {
        token_hash: &hash,
        user_id: credentials.user_id,
        kind,
        now,
        address: caller.address.as_deref(),
        user_agent: caller.user_agent.as_deref(),
    })
    .await?;
    let caller = Caller {
        user: Some(user.clone()),
        ..caller.clone()
    };
    let mut entry = caller.audit(AuditAction::Login, AuditOutcome::Ok);
    entry.detail = Some(kind.as_str().into());
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(LoggedIn { token, kind, user })
}

async fn current_user(db: &Database, user_id: i64, kind: SessionKind) -> Result<Option<CurrentUser>> {
    let Some(user) = db.user(user_id).await? else {
        return Ok(None);
    };
    Ok(Some(CurrentUser {
        user_id,
        username: user.username,
        display_name: user.display_name,
        grants: user.grants,
        session_kind: kind,
    }))
}

/// A session that is still valid.
#[derive(Debug, Clone)]
pub struct ResolvedSession {
    pub user: CurrentUser,
    pub token_hash: String,
    /// The session's last contact was moved forward (a field cookie should be renewed).
    pub touched: bool,
}

/// Contact is recorded at most once a minute, so browsing does not write on every
/// request.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// Finds the session for a cookie's token. Expired sessions are deleted and answer
/// `None`, as do sessions of disabled accounts.
pub async fn resolve_session(
    db: &Database,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<ResolvedSession>> {
    // A token is 43 characters of base64url; anything else cannot be one of ours.
    if token.len() != 43
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    let hash = token_hash(token);
    let Some(session) = db.session(&hash).await? else {
        return Ok(None);
    };
    if session
        .kind
        .is_expired(session.created_at, session.last_seen_at, now)
    {
        db.delete_session(&hash).await?;
        return Ok(None);
    }
    let touched = now - session.last_seen_at >= TOUCH_EVERY;
    if touched {
        db.touch_session(&hash, now).await?;
    }
    let Some(user) = current_user(db, session.user_id, session.kind).await? else {
        return Ok(None);
    };
    Ok(Some(ResolvedSession {
        user,
        token_hash: hash,
        touched,
    }))
}

/// Ends the caller's session.
pub async fn logout(db: &Database, caller: &Caller) -> Result<()> {
    let Some(hash) = &caller.session else {
        return Ok(());
    };
    if caller.user.is_none() {
        // A session whose account is gone: nothing of anyone's to record.
        return Ok(db.delete_session(hash).await?);
    }
    let mut tx = db.begin().await?;
    tx.end_session(hash).await?;
    tx.audit(&caller.audit(AuditAction::Logout, AuditOutcome::Ok))
        .await?;
    Ok(tx.commit().await?)
}

/// Changes the caller's own password. Their other sessions end (a phone that was lost
/// is locked out by changing the password); this one stays.
pub async fn change_password(
    db: &Database,
    caller: &Caller,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<()> {
    let user = caller.user()?;
    let hash = db
        .password_hash(user.user_id)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    if !verify_password(current, &hash).await? {
        let mut entry = caller.audit(AuditAction::ChangePassword, AuditOutcome::Failed);
        entry.record_kind = Some("user_account".into());
        entry.record_id = Some(user.user_id.to_string());
        db.append_audit(&entry).await?;
        return Err(FieldError::new("current_password", Problem::WrongPassword).into());
    }
    check_new_password(new, &user.username).map_err(|e| FieldError::new("new_password", e.problem))?;
    if new != confirm {
        return Err(FieldError::new("confirm_password", Problem::Mismatch).into());
    }
    let new_hash = hash_password(new).await?;
    let mut tx = db.begin().await?;
    tx.set_password_hash(user.user_id, &new_hash, caller.now, caller.session.as_deref())
        .await?;
    let mut entry = caller.audit(AuditAction::ChangePassword, AuditOutcome::Ok);
    entry.record_kind = Some("user_account".into());
    entry.record_id = Some(user.user_id.to_string());
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(())
}
