//! The organisation tree as an admin manages it by hand: one village, grid or
//! department at a time (whole rosters come through `roster`).

use domain::audit::{AuditAction, AuditOutcome};
use domain::org::OrgUnitKind;
use domain::policy::{Action, ResourceKind, allows};
use domain::{FieldError, Problem};
use storage::Database;

use crate::{Caller, Result, ServiceError};

/// Adds a unit under `parent_id`. The parent must be inside the admin's scope (else it
/// is as if it did not exist), and the kind must fit under it.
pub async fn create_unit(
    db: &Database,
    caller: &Caller,
    parent_id: i64,
    kind: &str,
    name: &str,
    code: &str,
) -> Result<i64> {
    let me = caller.user()?;
    let kind = OrgUnitKind::parse(kind.trim())
        .filter(|k| {
            matches!(
                k,
                OrgUnitKind::Village | OrgUnitKind::Grid | OrgUnitKind::Department
            )
        })
        .ok_or_else(|| FieldError::new("kind", Problem::Required))?;
    let location = db.org_location(parent_id).await?;
    if location.path.is_empty() || !allows(me, Action::Write, ResourceKind::OrgUnit, &location) {
        let mut entry = caller.audit(AuditAction::CreateOrgUnit, AuditOutcome::Denied);
        entry.record_kind = Some(ResourceKind::OrgUnit.as_str().into());
        entry.record_id = Some(parent_id.to_string());
        db.append_audit(&entry).await?;
        return Err(ServiceError::Invalid(FieldError::new(
            "parent",
            Problem::UnknownValue,
        )));
    }
    let code = Some(code.trim()).filter(|c| !c.is_empty());
    let mut tx = db.begin().await?;
    let id = tx.create_org_unit(Some(parent_id), kind, name, code).await?;
    let mut entry = caller.audit(AuditAction::CreateOrgUnit, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::OrgUnit.as_str().into());
    entry.record_id = Some(id.to_string());
    entry.detail = Some(format!("{} {}", kind.as_str(), name.trim()));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(id)
}

/// The township's villages with their grids, and its departments, for everyone (the
/// public form offers them); None on an empty database.
pub async fn structure(db: &Database) -> Result<Option<domain::org::OrgStructure>> {
    Ok(db.org_structure().await?)
}

/// What the township's office publishes (Art. 18), for everyone; None until an admin
/// writes it.
pub async fn office_info(db: &Database) -> Result<Option<(String, domain::office::OfficeInfo)>> {
    let Some(structure) = db.org_structure().await? else {
        return Ok(None);
    };
    let township = structure.township;
    Ok(db
        .office_info(township.id)
        .await?
        .map(|info| (township.name, info)))
}

/// An admin of the township writes what the office publishes. Audited.
pub async fn set_office_info(
    db: &Database,
    caller: &Caller,
    info: &domain::office::OfficeInfo,
) -> Result<()> {
    let me = caller.user()?;
    let info = info.check().map_err(ServiceError::Form)?;
    let township = db
        .org_structure()
        .await?
        .map(|s| s.township.id)
        .ok_or(ServiceError::NotFound)?;
    let location = db.org_location(township).await?;
    if !allows(me, Action::Write, ResourceKind::OrgUnit, &location) {
        let mut entry = caller.audit(AuditAction::Denied, AuditOutcome::Denied);
        entry.record_kind = Some("office_info".into());
        entry.record_id = Some(township.to_string());
        db.append_audit(&entry).await?;
        return Err(ServiceError::NotFound);
    }
    let mut tx = db.begin().await?;
    tx.set_office_info(township, &info, me.user_id, caller.now)
        .await?;
    let mut entry = caller.audit(AuditAction::EditOfficeInfo, AuditOutcome::Ok);
    entry.record_kind = Some("office_info".into());
    entry.record_id = Some(township.to_string());
    entry.township_id = Some(township);
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(())
}
