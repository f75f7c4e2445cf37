//! The organisation tree (org_unit): county → township → village → grid, with
//! departments (承办单位) hanging off a township or a county.

use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, Problem, clean_name};

/// Longest org unit name accepted, in characters.
pub const NAME_MAX_CHARS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgUnitKind {
    County,
    Township,
    Village,
    Grid,
    Department,
}

impl OrgUnitKind {
    pub const ALL: [OrgUnitKind; 5] = [
        OrgUnitKind::County,
        OrgUnitKind::Township,
        OrgUnitKind::Village,
        OrgUnitKind::Grid,
        OrgUnitKind::Department,
    ];

    /// The name stored in the database and used in i18n keys.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgUnitKind::County => "county",
            OrgUnitKind::Township => "township",
            OrgUnitKind::Village => "village",
            OrgUnitKind::Grid => "grid",
            OrgUnitKind::Department => "department",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Which kinds may stand directly above this one; `None` in the list means "at the
    /// root of the tree".
    pub fn allowed_parents(self) -> &'static [Option<OrgUnitKind>] {
        match self {
            OrgUnitKind::County => &[None],
            OrgUnitKind::Township => &[Some(OrgUnitKind::County), None],
            OrgUnitKind::Village => &[Some(OrgUnitKind::Township)],
            OrgUnitKind::Grid => &[Some(OrgUnitKind::Village)],
            OrgUnitKind::Department => &[Some(OrgUnitKind::Township), Some(OrgUnitKind::County)],
        }
    }
}

/// An org unit about to be created, checked against the tree's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrgUnit {
    pub kind: OrgUnitKind,
    pub name: String,
    pub code: Option<String>,
}

impl NewOrgUnit {
    /// Validates the name and that `parent` is a kind this unit may hang under.
    pub fn new(
        kind: OrgUnitKind,
        name: &str,
        code: Option<&str>,
        parent: Option<OrgUnitKind>,
    ) -> Result<Self, FieldError> {
        let name = clean_name("name", name, NAME_MAX_CHARS)?;
        if !kind.allowed_parents().contains(&parent) {
            return Err(FieldError::new("parent", Problem::WrongParent));
        }
        let code = match code.map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(clean_name("code", c, 32)?),
        };
        Ok(Self { kind, name, code })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrgUnitKind::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in OrgUnitKind::ALL {
            assert_eq!(OrgUnitKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(OrgUnitKind::parse("province"), None);
    }

    #[test]
    fn the_tree_only_nests_the_right_way() {
        let ok = [
            (County, None),
            (Township, Some(County)),
            (Village, Some(Township)),
            (Grid, Some(Village)),
            (Department, Some(Township)),
            (Department, Some(County)),
        ];
        for (kind, parent) in ok {
            assert!(
                NewOrgUnit::new(kind, "名称", None, parent).is_ok(),
                "{kind:?} under {parent:?}"
            );
        }
        let bad = [
            (Village, None),
            (Village, Some(County)),
            (Grid, Some(Township)),
            (Grid, Some(Grid)),
            (County, Some(County)),
            (Department, Some(Village)),
            (Department, None),
        ];
        for (kind, parent) in bad {
            assert_eq!(
                NewOrgUnit::new(kind, "名称", None, parent).unwrap_err(),
                FieldError::new("parent", Problem::WrongParent),
                "{kind:?} under {parent:?}"
            );
        }
    }

    #[test]
    fn blank_code_is_no_code() {
        let unit = NewOrgUnit::new(Village, "东湖村", Some("  "), Some(Township)).unwrap();
        assert_eq!(unit.code, None);
    }
}

/// One unit of the tree as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: OrgUnitKind,
    pub name: String,
    pub code: Option<String>,
}

/// The township this server runs for, and the size of its tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TownshipOverview {
    pub township: String,
    pub villages: i64,
    pub grids: i64,
    pub departments: i64,
}

/// A village (or community) with the names of its grids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VillageEntry {
    pub village: OrgUnit,
    pub grids: Vec<OrgUnit>,
}

/// The township's tree as the office and field desks list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgStructure {
    pub township: OrgUnit,
    pub villages: Vec<VillageEntry>,
    pub departments: Vec<OrgUnit>,
}
