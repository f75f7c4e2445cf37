//! Reading the audit log: only admins, only their own townships' entries, and every
//! search and export is itself logged.

use domain::audit::{AuditAction, AuditFilter, AuditOutcome};
use domain::auth::Role;
use domain::policy::ResourceKind;
use storage::{AuditPage, AuditScope, Database};

use crate::{Caller, Result, ServiceError};

pub const PAGE_SIZE: i64 = 50;

/// The townships whose entries the caller may read, or "not found" for anyone who is
/// not an admin (logged as a denial).
async fn scope(db: &Database, caller: &Caller) -> Result<AuditScope> {
    let me = caller.user()?;
    let admin_grants: Vec<_> = me.grants.iter().filter(|g| g.role == Role::Admin).collect();
    if admin_grants.is_empty() {
        let mut entry = caller.audit(AuditAction::ReadAuditLog, AuditOutcome::Denied);
        entry.record_kind = Some(ResourceKind::AuditLog.as_str().into());
        db.append_audit(&entry).await?;
        return Err(ServiceError::NotFound);
    }
    // A county admin (no township of their own) sees everything below the county.
    if admin_grants.iter().any(|g| g.township_id.is_none()) {
        return Ok(AuditScope::All);
    }
    Ok(AuditScope::Townships(
        admin_grants.iter().filter_map(|g| g.township_id).collect(),
    ))
}

/// One page (1-based) of entries matching the filter, newest first.
pub async fn search(db: &Database, caller: &Caller, filter: &AuditFilter, page: i64) -> Result<AuditPage> {
    let scope = scope(db, caller).await?;
    let page = page.max(1);
    let found = db
        .audit_entries(filter, &scope, (page - 1) * PAGE_SIZE, Some(PAGE_SIZE))
        .await?;
    let mut entry = caller.audit(AuditAction::ReadAuditLog, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::AuditLog.as_str().into());
    entry.detail = Some(format!("page {page}, {} found", found.total));
    db.append_audit(&entry).await?;
    Ok(found)
}

/// Every entry matching the filter, for a CSV or XLSX export.
pub async fn export(db: &Database, caller: &Caller, filter: &AuditFilter, format: &str) -> Result<AuditPage> {
    let scope = scope(db, caller).await?;
    let found = db.audit_entries(filter, &scope, 0, None).await?;
    let mut entry = caller.audit(AuditAction::ExportAuditLog, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::AuditLog.as_str().into());
    entry.detail = Some(format!("{format}, {} entries", found.total));
    db.append_audit(&entry).await?;
    Ok(found)
}
