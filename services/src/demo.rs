//! Demo accounts for `minqing seed-demo`: one per role in the demo township, all with
//! the same published password (README). Never run this on a real deployment.

use chrono::{DateTime, Utc};
use domain::audit::{AuditAction, AuditOutcome, NewAuditEntry};
use domain::auth::{NewUser, Role};
use domain::org::OrgUnitKind;
use domain::policy::ResourceKind;
use storage::Database;

use crate::Result;
use crate::auth::hash_password;

pub const DEMO_PASSWORD: &str = "minqing-demo-2026";

/// (username, display name, role). The unit is picked by role: the township, its first
/// department, its first village, or that village's first grid.
pub const DEMO_USERS: [(&str, &str, Role); 7] = [
    ("admin", "赵敏", Role::Admin),
    ("clerk", "王芳", Role::Clerk),
    ("leader", "李建国", Role::CaseLeader),
    ("handler", "陈志强", Role::Handler),
    ("officer", "张秀英", Role::InfoOfficer),
    ("gridworker", "刘洋", Role::GridWorker),
    ("agent", "周丽", Role::PetitionAgent),
];

/// Creates the demo accounts that are missing. Returns how many were created.
pub async fn seed_demo_users(db: &Database, now: DateTime<Utc>) -> Result<usize> {
    let Some(structure) = db.org_structure().await? else {
        return Ok(0);
    };
    let village = structure.villages.first();
    let unit_for = |role: Role| -> Option<i64> {
        match role.scope_kinds().first()? {
            OrgUnitKind::County | OrgUnitKind::Township => Some(structure.township.id),
            OrgUnitKind::Department => structure.departments.first().map(|d| d.id),
            OrgUnitKind::Village => village.map(|v| v.village.id),
            OrgUnitKind::Grid => village.and_then(|v| v.grids.first()).map(|g| g.id),
        }
    };
    let hash = hash_password(DEMO_PASSWORD).await?;
    let mut created = 0;
    for (username, display_name, role) in DEMO_USERS {
        if db.credentials(username).await?.is_some() {
            continue;
        }
        let Some(unit) = unit_for(role) else { continue };
        let user = NewUser {
            username: username.into(),
            display_name: display_name.into(),
            phone: None,
            grants: vec![(role, unit)],
        };
        create_demo_user(db, &user, &hash, now).await?;
        created += 1;
    }
    Ok(created)
}

/// Creates one demo or test account, audited as made by the command line (no user).
pub async fn create_demo_user(db: &Database, user: &NewUser, hash: &str, now: DateTime<Utc>) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = tx.create_user(user, hash, now).await?;
    let mut entry = NewAuditEntry::new(now, AuditAction::CreateUser, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::UserAccount.as_str().into());
    entry.record_id = Some(id.to_string());
    entry.detail = Some(format!("{} (demo)", user.username));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(id)
}
