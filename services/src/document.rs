//! A petition's printed documents (`domain::document`): what one shows, for someone who
//! may read the petition. The petitioner's name heads a notice or decision only for a
//! reader the policy lets see the identity, and that read is audited like any other.

use domain::document::{DocumentKind, PrintedDocument};
use domain::policy::{Action, ResourceKind, allows};
use domain::registry::china_date;
use storage::Database;

use crate::petition::{permitted, read_identity};
use crate::{Caller, Result, ServiceError};

/// The document of `kind` for petition `id`, as it prints: its number and date (stable
/// across reprints), the office, and its addressee.
pub async fn print(db: &Database, caller: &Caller, id: i64, kind: DocumentKind) -> Result<PrintedDocument> {
    let (place, location) = permitted(db, caller, id, ResourceKind::Petition, Action::Read).await?;
    let me = caller.user()?;
    let detail = db.petition_detail(id).await?.ok_or(ServiceError::NotFound)?;
    let office = db
        .letterhead(place.township_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let numbered = db.document_number(id, kind).await?;
    let issued_at = match (kind, &detail.decision) {
        (DocumentKind::Decision, Some(d)) => Some(d.decided_at),
        _ => numbered.map(|(_, at)| at),
    };
    let addressee = match kind {
        // The unit is told the matter, never who raised it.
        DocumentKind::Assignment => detail.summary.department_name.clone(),
        _ if allows(me, Action::Read, ResourceKind::PetitionerIdentity, &location) => {
            let purpose = format!("print {}", kind.as_str());
            let who = read_identity(db, caller, &place, Some(purpose)).await?;
            Some(who.petitioner.name)
        }
        _ => None,
    };
    Ok(PrintedDocument {
        kind,
        number: numbered.map(|(n, _)| n),
        issued_on: china_date(issued_at.unwrap_or(caller.now)),
        office,
        addressee,
        detail,
    })
}
