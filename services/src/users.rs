//! Accounts as an admin manages them: list, create, disable, reset, end sessions. Every
//! call is scoped by the access policy; an account outside the admin's scope answers
//! "not found" and the attempt is logged.

use domain::audit::{AuditAction, AuditOutcome};
use domain::auth::{NewUser, Role, UserSummary, check_new_password, clean_username};
use domain::policy::{Action, Location, ResourceKind, allows};
use domain::validation::{clean_name, clean_phone};
use domain::{FieldError, Problem};
use storage::Database;

use crate::auth::hash_password;
use crate::{Caller, Result, ServiceError};

/// The form an admin fills in to create an account, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewUserForm {
    pub username: String,
    pub display_name: String,
    pub phone: String,
    pub role: String,
    pub unit_id: i64,
    pub password: String,
}

pub const DISPLAY_NAME_MAX_CHARS: usize = 32;

/// Where each of an account's roles sits, as the policy sees the account.
fn locations(user: &UserSummary) -> Vec<Location> {
    user.grants
        .iter()
        .map(|g| Location {
            township_id: g.township_id,
            path: g.unit_path.clone(),
            departments: Vec::new(),
            owner: Some(user.id),
        })
        .collect()
}

/// Whether the caller may read (any of its roles in scope) or change (all of them in
/// scope) the account.
fn may(caller: &Caller, action: Action, user: &UserSummary) -> bool {
    let Some(me) = &caller.user else { return false };
    let locations = locations(user);
    let each = |l: &Location| allows(me, action, ResourceKind::UserAccount, l);
    match action {
        Action::Read => user.id == me.user_id || locations.iter().any(each),
        Action::Write => !locations.is_empty() && locations.iter().all(each),
    }
}

async fn deny(db: &Database, caller: &Caller, action: AuditAction, user_id: i64) -> ServiceError {
    caller
        .refused(db, action, ResourceKind::UserAccount, Some(user_id.to_string()))
        .await
}

/// The accounts the caller may see.
pub async fn list(db: &Database, caller: &Caller) -> Result<Vec<UserSummary>> {
    caller.user()?;
    Ok(db
        .users()
        .await?
        .into_iter()
        .filter(|u| may(caller, Action::Read, u))
        .collect())
}

/// One account the caller may change, or "not found" (logged as a denial).
async fn writable(db: &Database, caller: &Caller, action: AuditAction, user_id: i64) -> Result<UserSummary> {
    caller.user()?;
    match db.user(user_id).await? {
        Some(user) if may(caller, Action::Write, &user) => Ok(user),
        _ => Err(deny(db, caller, action, user_id).await),
    }
}

/// Checks a new account's form against the rules and the caller's scope.
pub async fn check_new_user(db: &Database, caller: &Caller, form: &NewUserForm) -> Result<NewUser> {
    let me = caller.user()?;
    let username = clean_username(&form.username)?;
    let display_name = clean_name("display_name", &form.display_name, DISPLAY_NAME_MAX_CHARS)?;
    let phone = clean_phone("phone", &form.phone)?;
    let role = Role::parse(form.role.trim()).ok_or_else(|| FieldError::new("role", Problem::Required))?;
    let unit = db
        .org_unit(form.unit_id)
        .await?
        .ok_or_else(|| FieldError::new("unit", Problem::Required))?;
    domain::auth::check_grant(role, unit.kind)?;
    // The unit must be inside the admin's own scope, or it is as if it did not exist.
    let location = db.org_location(unit.id).await?;
    if !allows(me, Action::Write, ResourceKind::UserAccount, &location) {
        return Err(FieldError::new("unit", Problem::UnknownValue).into());
    }
    check_new_password(&form.password, &username)?;
    Ok(NewUser {
        username,
        display_name,
        phone,
        grants: vec![(role, unit.id)],
    })
}

/// Creates an account. Returns its id.
pub async fn create(db: &Database, caller: &Caller, form: &NewUserForm) -> Result<i64> {
    let new = check_new_user(db, caller, form).await?;
    let hash = hash_password(&form.password).await?;
    let mut tx = db.begin().await?;
    let id = tx.create_user(&new, &hash, caller.now).await?;
    let mut entry = caller.audit(AuditAction::CreateUser, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::UserAccount.as_str().into());
    entry.record_id = Some(id.to_string());
    let roles: Vec<&str> = new.grants.iter().map(|(role, _)| role.as_str()).collect();
    entry.detail = Some(format!("{} {}", new.username, roles.join(",")));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(id)
}

/// Disables (ending every session at once) or re-enables an account. An admin cannot
/// disable their own account: that would lock the township out.
pub async fn set_disabled(db: &Database, caller: &Caller, user_id: i64, disabled: bool) -> Result<()> {
    let action = if disabled {
        AuditAction::DisableUser
    } else {
        AuditAction::EnableUser
    };
    let user = writable(db, caller, action, user_id).await?;
    if disabled && Some(user.id) == caller.user.as_ref().map(|u| u.user_id) {
        return Err(FieldError::new("user", Problem::WrongScope).into());
    }
    let mut tx = db.begin().await?;
    tx.set_user_disabled(user.id, disabled).await?;
    let mut entry = caller.audit(action, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::UserAccount.as_str().into());
    entry.record_id = Some(user.id.to_string());
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password for someone who forgot theirs; all their sessions end.
pub async fn reset_password(db: &Database, caller: &Caller, user_id: i64, password: &str) -> Result<()> {
    let user = writable(db, caller, AuditAction::ResetPassword, user_id).await?;
    check_new_password(password, &user.username)?;
    let hash = hash_password(password).await?;
    let mut tx = db.begin().await?;
    tx.set_password_hash(user.id, &hash, caller.now, None).await?;
    let mut entry = caller.audit(AuditAction::ResetPassword, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::UserAccount.as_str().into());
    entry.record_id = Some(user.id.to_string());
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of an account on every device ("lost phone"). The account stays
/// enabled; the person logs in again on their new phone.
pub async fn revoke_sessions(db: &Database, caller: &Caller, user_id: i64) -> Result<u64> {
    let user = writable(db, caller, AuditAction::RevokeSessions, user_id).await?;
    let mut tx = db.begin().await?;
    let ended = tx.delete_sessions_of(user.id).await?;
    let mut entry = caller.audit(AuditAction::RevokeSessions, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::UserAccount.as_str().into());
    entry.record_id = Some(user.id.to_string());
    entry.detail = Some(format!("{ended} sessions"));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(ended)
}
