//! The organisation tree as an admin manages it by hand: one village, grid or
//! department at a time (whole rosters come through `roster`).

use domain::audit::{AuditAction, Outcome};
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
        let mut entry = caller.audit(AuditAction::CreateOrgUnit, Outcome::Denied);
        entry.record_kind = Some(ResourceKind::OrgUnit.as_str().into());
        entry.record_id = Some(parent_id.to_string());
        db.append_audit(&entry).await?;
        return Err(ServiceError::Invalid(FieldError::new(
            "parent",
            Problem::UnknownValue,
        )));
    }
    let code = Some(code.trim()).filter(|c| !c.is_empty());
    let id = db.create_org_unit(Some(parent_id), kind, name, code).await?;
    let mut entry = caller.audit(AuditAction::CreateOrgUnit, Outcome::Ok);
    entry.record_kind = Some(ResourceKind::OrgUnit.as_str().into());
    entry.record_id = Some(id.to_string());
    entry.detail = Some(format!("{} {}", kind.as_str(), name.trim()));
    db.append_audit(&entry).await?;
    Ok(id)
}
