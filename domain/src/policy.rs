//! The access policy: one function decides whether a person may read or write a kind of
//! record at a place in the organisation tree. Every server-side read and write asks it
//! (storage queries are scoped with the same rules), and a record the person may not see
//! is answered "not found", so nothing leaks its existence.

use serde::{Deserialize, Serialize};

use crate::auth::{CurrentUser, Grant, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Read,
    Write,
}

/// Every kind of record the policy knows. Kinds whose tables come in later issues are
/// here already, so their rules are decided (and tested) once, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// Villages, grids, departments.
    OrgUnit,
    /// People's accounts and their roles.
    UserAccount,
    /// Entries of the audit log.
    AuditLog,
    /// A petition's content and its path through the office.
    Petition,
    /// The petitioner's name, ID number, phone and address, kept apart from the content.
    PetitionerIdentity,
    /// Dispute and hazard reports and weekly screening reports from the field.
    FieldReport,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 6] = [
        ResourceKind::OrgUnit,
        ResourceKind::UserAccount,
        ResourceKind::AuditLog,
        ResourceKind::Petition,
        ResourceKind::PetitionerIdentity,
        ResourceKind::FieldReport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::OrgUnit => "org_unit",
            ResourceKind::UserAccount => "user_account",
            ResourceKind::AuditLog => "audit_log",
            ResourceKind::Petition => "petition",
            ResourceKind::PetitionerIdentity => "petitioner_identity",
            ResourceKind::FieldReport => "field_report",
        }
    }
}

/// Where a record sits, as far as access is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The township the record belongs to (`None` only for county-level records).
    pub township_id: Option<i64>,
    /// The org units it sits under, root first: county, township, village, grid (as deep
    /// as known). A grant on any of them may cover the record.
    pub path: Vec<i64>,
    /// Departments the record was assigned or forwarded to.
    pub departments: Vec<i64>,
    /// The account that filed it, for records a person may always see (their own
    /// petitions as an agent, their own account).
    pub owner: Option<i64>,
}

impl Grant {
    /// The grant's unit is the record's place or one of its ancestors.
    fn covers(&self, at: &Location) -> bool {
        at.path.contains(&self.unit_id)
    }
}

/// Whether `user` may do `action` on a record of `kind` located at `at`.
pub fn allows(user: &CurrentUser, action: Action, kind: ResourceKind, at: &Location) -> bool {
    use Action::*;
    use ResourceKind::*;
    let own = at.owner == Some(user.user_id);
    user.grants.iter().any(|g| {
        let covers = g.covers(at);
        let in_department = g.role == Role::Handler && at.departments.contains(&g.unit_id);
        match (kind, action, g.role) {
            // Everyone sees the names of their own township's villages, grids and
            // departments (needed to pick a village on any form); admins change them.
            (OrgUnit, Read, Role::Admin) => covers,
            (OrgUnit, Read, _) => g.township_id.is_some() && g.township_id == at.township_id,
            (OrgUnit, Write, role) => role == Role::Admin && covers,

            (UserAccount, Read, _) if own => true,
            (UserAccount, _, role) => role == Role::Admin && covers,

            (AuditLog, Read, role) => role == Role::Admin && covers,
            // Entries are appended by the system, never written by a person.
            (AuditLog, Write, _) => false,

            (Petition, _, Role::Clerk | Role::CaseLeader) => covers,
            (Petition, _, Role::Handler) => in_department,
            (Petition, _, Role::PetitionAgent) => own && covers,
            (Petition, _, Role::Admin | Role::InfoOfficer | Role::GridWorker) => false,

            // Departments work on the content; the petitioner's identity stays with the
            // petition office, so it can never reach a person or unit reported on.
            (PetitionerIdentity, Read, Role::Clerk | Role::CaseLeader) => covers,
            (PetitionerIdentity, Write, Role::Clerk) => covers,
            (PetitionerIdentity, _, Role::PetitionAgent) => own && covers,
            (PetitionerIdentity, _, _) => false,

            (FieldReport, _, Role::InfoOfficer | Role::GridWorker | Role::Clerk) => covers,
            (FieldReport, Read, Role::CaseLeader) => covers,
            (FieldReport, _, _) => false,
        }
    })
}

/// The access matrix as a plain table, written apart from [`allows`] so tests (here and
/// on real databases in `services`) can check the one against the other.
#[cfg(any(test, feature = "testing"))]
pub mod matrix {
    use super::{Action, ResourceKind};
    use crate::auth::Role;

    /// The roles allowed `action` on `kind` in their own scope (for a record they filed
    /// themselves). No role is ever allowed in another township.
    pub fn allowed_in_own_scope(kind: ResourceKind, action: Action) -> &'static [Role] {
        use Action::*;
        use ResourceKind::*;
        use Role::*;
        match (kind, action) {
            (OrgUnit, Read) => &Role::ALL,
            (OrgUnit, Write) => &[Admin],
            // Everyone may read their own account.
            (UserAccount, Read) => &Role::ALL,
            (UserAccount, Write) => &[Admin],
            (AuditLog, Read) => &[Admin],
            (AuditLog, Write) => &[],
            (Petition, _) => &[Clerk, CaseLeader, Handler, PetitionAgent],
            (PetitionerIdentity, Read) => &[Clerk, CaseLeader, PetitionAgent],
            (PetitionerIdentity, Write) => &[Clerk, PetitionAgent],
            (FieldReport, Read) => &[Clerk, CaseLeader, InfoOfficer, GridWorker],
            (FieldReport, Write) => &[Clerk, InfoOfficer, GridWorker],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::SessionKind;

    // Two townships of one county. A: township 10, village 100, grid 1000, department
    // 20. B: township 11, village 110, grid 1100, department 21.
    const COUNTY: i64 = 1;

    struct Place {
        township: i64,
        village: i64,
        grid: i64,
        department: i64,
    }
    const A: Place = Place {
        township: 10,
        village: 100,
        grid: 1000,
        department: 20,
    };
    const B: Place = Place {
        township: 11,
        village: 110,
        grid: 1100,
        department: 21,
    };

    fn grant(role: Role, p: &Place) -> Grant {
        let (unit_id, unit_path) = match role {
            Role::Admin | Role::Clerk | Role::CaseLeader => (p.township, vec![COUNTY, p.township]),
            Role::Handler => (p.department, vec![COUNTY, p.township, p.department]),
            Role::InfoOfficer | Role::PetitionAgent => (p.village, vec![COUNTY, p.township, p.village]),
            Role::GridWorker => (p.grid, vec![COUNTY, p.township, p.village, p.grid]),
        };
        Grant {
            role,
            unit_id,
            unit_name: String::new(),
            unit_path,
            township_id: Some(p.township),
        }
    }

    fn user(role: Role) -> CurrentUser {
        CurrentUser {
            user_id: 7,
            username: "u".into(),
            display_name: "U".into(),
            grants: vec![grant(role, &A)],
            session_kind: SessionKind::for_roles([role]),
        }
    }

    /// A record in a grid of the place, sent to its department, filed by `owner`.
    fn record(p: &Place, owner: i64) -> Location {
        Location {
            township_id: Some(p.township),
            path: vec![COUNTY, p.township, p.village, p.grid],
            departments: vec![p.department],
            owner: Some(owner),
        }
    }

    #[test]
    fn access_matrix_every_role_kind_action_and_scope() {
        for role in Role::ALL {
            let u = user(role);
            for kind in ResourceKind::ALL {
                for action in [Action::Read, Action::Write] {
                    let want = super::matrix::allowed_in_own_scope(kind, action).contains(&role);
                    let own = allows(&u, action, kind, &record(&A, u.user_id));
                    assert_eq!(own, want, "{role:?} {action:?} {kind:?} in own scope");
                    // Foreign township, filed by someone else: never.
                    let foreign = allows(&u, action, kind, &record(&B, 99));
                    assert!(!foreign, "{role:?} {action:?} {kind:?} in a foreign township");
                }
            }
        }
    }

    #[test]
    fn a_grant_covers_only_its_own_subtree() {
        // A grid worker of grid 1000 does not see a report from another grid of the
        // same village; the village's officer sees both.
        let other_grid = Location {
            township_id: Some(A.township),
            path: vec![COUNTY, A.township, A.village, 1001],
            ..Location::default()
        };
        let report = ResourceKind::FieldReport;
        assert!(!allows(
            &user(Role::GridWorker),
            Action::Read,
            report,
            &other_grid
        ));
        assert!(allows(
            &user(Role::InfoOfficer),
            Action::Read,
            report,
            &other_grid
        ));
        // Another village of the same township: not the officer's.
        let other_village = Location {
            township_id: Some(A.township),
            path: vec![COUNTY, A.township, 101],
            ..Location::default()
        };
        assert!(!allows(
            &user(Role::InfoOfficer),
            Action::Read,
            report,
            &other_village
        ));
        assert!(allows(&user(Role::Clerk), Action::Read, report, &other_village));
    }

    #[test]
    fn handlers_see_only_what_was_sent_to_their_department() {
        let mut petition = record(&A, 99);
        assert!(allows(
            &user(Role::Handler),
            Action::Read,
            ResourceKind::Petition,
            &petition
        ));
        petition.departments = vec![22];
        assert!(!allows(
            &user(Role::Handler),
            Action::Read,
            ResourceKind::Petition,
            &petition
        ));
        // And never the petitioner's identity, even when the case is theirs.
        petition.departments = vec![A.department];
        assert!(!allows(
            &user(Role::Handler),
            Action::Read,
            ResourceKind::PetitionerIdentity,
            &petition
        ));
    }

    #[test]
    fn agents_see_only_the_petitions_they_filed() {
        let agent = user(Role::PetitionAgent);
        assert!(allows(
            &agent,
            Action::Read,
            ResourceKind::Petition,
            &record(&A, agent.user_id)
        ));
        assert!(!allows(
            &agent,
            Action::Read,
            ResourceKind::Petition,
            &record(&A, 99)
        ));
    }

    #[test]
    fn a_county_admin_covers_every_township_below() {
        let admin = CurrentUser {
            grants: vec![Grant {
                role: Role::Admin,
                unit_id: COUNTY,
                unit_name: String::new(),
                unit_path: vec![COUNTY],
                township_id: None,
            }],
            ..user(Role::Admin)
        };
        for place in [&A, &B] {
            assert!(allows(
                &admin,
                Action::Write,
                ResourceKind::UserAccount,
                &record(place, 99)
            ));
            assert!(allows(
                &admin,
                Action::Read,
                ResourceKind::AuditLog,
                &record(place, 99)
            ));
        }
    }

    #[test]
    fn nobody_without_grants_may_do_anything() {
        let nobody = CurrentUser {
            grants: vec![],
            ..user(Role::Clerk)
        };
        for kind in ResourceKind::ALL {
            assert!(!allows(&nobody, Action::Read, kind, &record(&A, 99)));
        }
    }
}
