//! Where an account's grants reach: the township a field officer works in and the
//! villages of their grants, the townships a clerk's inbox covers, the township an
//! admin's settings and imports are for, the roles under which someone may act on a
//! record. `policy` says whether an action is allowed; this says on what.

use crate::auth::{CurrentUser, Grant, Role};
use crate::policy::{Action, Location, ResourceKind, allows};

impl Grant {
    /// The village a field grant sits in: its own unit, or a grid's parent.
    pub fn village(&self) -> Option<i64> {
        match self.role {
            Role::GridWorker => self.unit_path.iter().rev().nth(1).copied(),
            _ => Some(self.unit_id),
        }
    }
}

impl CurrentUser {
    /// The field grants (information officer, grid worker) in the user's first field
    /// township, with that township.
    pub fn field_grants(&self) -> Option<(i64, Vec<&Grant>)> {
        let township = self
            .grants
            .iter()
            .find(|g| matches!(g.role, Role::InfoOfficer | Role::GridWorker))?
            .township_id?;
        let grants = self
            .grants
            .iter()
            .filter(|g| {
                matches!(g.role, Role::InfoOfficer | Role::GridWorker) && g.township_id == Some(township)
            })
            .collect();
        Some((township, grants))
    }

    /// The townships whose field reports inbox the user reads (clerks and case leaders).
    pub fn office_townships(&self) -> Vec<i64> {
        let mut out: Vec<i64> = self
            .grants
            .iter()
            .filter(|g| matches!(g.role, Role::Clerk | Role::CaseLeader))
            .filter_map(|g| g.township_id)
            .collect();
        out.dedup();
        out
    }

    /// The township whose field settings the user sees: an admin's own, else any of theirs.
    pub fn settings_township(&self) -> Option<i64> {
        self.grants
            .iter()
            .filter(|g| g.role == Role::Admin)
            .chain(self.grants.iter())
            .find_map(|g| g.township_id)
    }

    /// The township an admin imports a roster into: the unit of their first
    /// township-level admin grant (a county admin or a village admin has none).
    pub fn admin_township(&self) -> Option<i64> {
        self.grants
            .iter()
            .filter(|g| g.role == Role::Admin)
            .find_map(|g| g.township_id.filter(|t| *t == g.unit_id))
    }

    /// The roles under which the user may act on a petition at `location`: each grant
    /// on its own, so a role that may not write there is not borrowed from another.
    pub fn acting_roles(&self, location: &Location) -> Vec<Role> {
        self.grants
            .iter()
            .filter(|g| {
                let one = CurrentUser {
                    grants: vec![(*g).clone()],
                    ..self.clone()
                };
                allows(&one, Action::Write, ResourceKind::Petition, location)
            })
            .map(|g| g.role)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::SessionKind;

    // County 1 > township 10 > village 100 > grid 1000; township 20 > village 200.
    fn grant(role: Role, unit_path: &[i64], township_id: Option<i64>) -> Grant {
        Grant {
            role,
            unit_id: *unit_path.last().unwrap(),
            unit_name: String::new(),
            unit_path: unit_path.to_vec(),
            township_id,
        }
    }

    fn user(grants: Vec<Grant>) -> CurrentUser {
        CurrentUser {
            user_id: 7,
            username: "u".into(),
            display_name: "U".into(),
            grants,
            session_kind: SessionKind::Office,
        }
    }

    #[test]
    fn a_grid_workers_village_is_the_grids_parent() {
        assert_eq!(
            grant(Role::GridWorker, &[1, 10, 100, 1000], Some(10)).village(),
            Some(100)
        );
        assert_eq!(
            grant(Role::InfoOfficer, &[1, 10, 100], Some(10)).village(),
            Some(100)
        );
    }

    #[test]
    fn field_grants_are_those_of_the_first_field_township() {
        let me = user(vec![
            grant(Role::Clerk, &[1, 20], Some(20)),
            grant(Role::InfoOfficer, &[1, 10, 100], Some(10)),
            grant(Role::InfoOfficer, &[1, 20, 200], Some(20)),
            grant(Role::GridWorker, &[1, 10, 100, 1000], Some(10)),
        ]);
        let (township, grants) = me.field_grants().unwrap();
        assert_eq!(township, 10);
        assert_eq!(grants.iter().map(|g| g.unit_id).collect::<Vec<_>>(), [100, 1000]);
        assert_eq!(
            user(vec![grant(Role::Clerk, &[1, 10], Some(10))]).field_grants(),
            None
        );
    }

    #[test]
    fn townships_for_the_inbox_settings_and_imports() {
        let me = user(vec![
            grant(Role::Clerk, &[1, 10], Some(10)),
            grant(Role::InfoOfficer, &[1, 20, 200], Some(20)),
            grant(Role::Admin, &[1, 20], Some(20)),
        ]);
        assert_eq!(me.office_townships(), [10]);
        assert_eq!(me.settings_township(), Some(20));
        assert_eq!(me.admin_township(), Some(20));
        // A county admin has no township to import into.
        assert_eq!(user(vec![grant(Role::Admin, &[1], None)]).admin_township(), None);
        // Nor does a village's admin: the import is the township's.
        assert_eq!(
            user(vec![grant(Role::Admin, &[1, 10, 100], Some(10))]).admin_township(),
            None
        );
    }

    #[test]
    fn acting_roles_are_only_those_that_may_write_there() {
        let here = Location {
            township_id: Some(10),
            path: vec![1, 10, 100],
            departments: Vec::new(),
            owner: None,
        };
        let me = user(vec![
            grant(Role::Clerk, &[1, 10], Some(10)),
            grant(Role::Clerk, &[1, 20], Some(20)),
        ]);
        assert_eq!(me.acting_roles(&here), [Role::Clerk]);
        let elsewhere = user(vec![grant(Role::Clerk, &[1, 20], Some(20))]);
        assert!(elsewhere.acting_roles(&here).is_empty());
    }
}
