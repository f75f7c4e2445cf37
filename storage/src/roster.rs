//! Writing an imported roster: new units (in order, a unit may hang under one created
//! earlier in the same file) and new accounts, all in one transaction. The plan has been
//! checked above; if the database still refuses a row, nothing is written.

use chrono::{DateTime, Utc};
use domain::auth::Role;
use domain::org::OrgUnitKind;

use crate::write::with_tx;
use crate::{Database, Result, Tx, with_pool};

/// A unit already in the database, or one created earlier in the same plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitRef {
    Existing(i64),
    New(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedUnit {
    pub parent: UnitRef,
    pub kind: OrgUnitKind,
    pub name: String,
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedUser {
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub password_hash: String,
    pub role: Role,
    pub unit: UnitRef,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterPlan {
    pub units: Vec<PlannedUnit>,
    pub users: Vec<PlannedUser>,
}

impl Tx {
    /// Writes the whole plan, or nothing if the transaction is not committed. Returns the
    /// number of units and accounts made.
    pub async fn import_roster(&mut self, plan: &RosterPlan, now: DateTime<Utc>) -> Result<(usize, usize)> {
        with_tx!(self, tx => {
            let mut ids: Vec<i64> = Vec::with_capacity(plan.units.len());
            let resolve = |r: UnitRef, ids: &[i64]| match r {
                UnitRef::Existing(id) => Some(id),
                UnitRef::New(i) => ids.get(i).copied(),
            };
            for unit in &plan.units {
                let parent = resolve(unit.parent, &ids)
                    .ok_or_else(|| sqlx::Error::Protocol("roster plan refers to a later unit".into()))?;
                let id = sqlx::query_scalar::<_, i64>(crate::org::INSERT_ORG_UNIT)
                .bind(parent)
                .bind(unit.kind.as_str())
                .bind(&unit.name)
                .bind(&unit.code)
                .fetch_one(&mut *tx)
                .await?;
                ids.push(id);
            }
            for user in &plan.users {
                let unit = resolve(user.unit, &ids)
                    .ok_or_else(|| sqlx::Error::Protocol("roster plan refers to an unknown unit".into()))?;
                let id = sqlx::query_scalar::<_, i64>(crate::account::INSERT_USER)
                .bind(&user.username)
                .bind(&user.display_name)
                .bind(&user.phone)
                .bind(&user.password_hash)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(crate::account::INSERT_GRANT)
                    .bind(id)
                    .bind(user.role.as_str())
                    .bind(unit)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok((plan.units.len(), plan.users.len()))
        })
    }
}

impl Database {
    /// Every unit under `root` (itself included), for resolving names in an import.
    pub async fn org_subtree(&self, root: i64) -> Result<Vec<domain::org::OrgUnit>> {
        const SQL: &str = "WITH RECURSIVE down (id, depth) AS ( \
               SELECT id, 0 FROM org_unit WHERE id = $1 \
               UNION ALL \
               SELECT o.id, down.depth + 1 FROM org_unit o JOIN down ON o.parent_id = down.id \
               WHERE down.depth < 16) \
             SELECT o.id, o.parent_id, o.kind, o.name, o.code FROM org_unit o JOIN down ON down.id = o.id \
             ORDER BY o.id";
        with_pool!(self, pool => {
            let rows = sqlx::query_as::<_, (i64, Option<i64>, String, String, Option<String>)>(SQL)
                .bind(root)
                .fetch_all(pool)
                .await?;
            let mut units = Vec::with_capacity(rows.len());
            for (id, parent_id, kind, name, code) in rows {
                let kind = OrgUnitKind::parse(&kind)
                    .ok_or_else(|| sqlx::Error::Decode(format!("unknown org unit kind {kind}").into()))?;
                units.push(domain::org::OrgUnit {
                    id,
                    parent_id,
                    kind,
                    name,
                    code,
                });
            }
            Ok(units)
        })
    }

    /// Which of these usernames are already taken.
    pub async fn taken_usernames(&self, names: &[String]) -> Result<Vec<String>> {
        let json = serde_json_array(names);
        let sql = match self {
            Database::Sqlite(_) => {
                "SELECT username FROM app_user WHERE username IN (SELECT value FROM json_each($1))"
            }
            Database::Postgres { .. } => {
                "SELECT username FROM app_user WHERE username IN (SELECT jsonb_array_elements_text($1::jsonb))"
            }
        };
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar::<_, String>(sql).bind(&json).fetch_all(pool).await?)
        })
    }
}

/// A JSON array of strings, escaped by hand (no serde_json in this crate).
fn serde_json_array(items: &[String]) -> String {
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in item.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_arrays_escape_what_they_must() {
        let items = ["a\"b".to_owned(), "东\\湖".to_owned(), "x\ny".to_owned()];
        assert_eq!(super::serde_json_array(&items), r#"["a\"b","东\\湖","x\u000ay"]"#);
        assert_eq!(super::serde_json_array(&[]), "[]");
    }
}
