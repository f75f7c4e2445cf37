use domain::org::{NewOrgUnit, OrgStructure, OrgUnit, OrgUnitKind, TownshipOverview, VillageEntry};
use domain::{FieldError, Problem};
use sqlx::Row;

use crate::write::with_tx;
use crate::{Database, Result, StorageError, Tx, with_pool};

const ORG_UNIT_COLUMNS: &str = "id, parent_id, kind, name, code";

/// Inserts one unit: parent, kind, name, code; returns its id.
pub(crate) const INSERT_ORG_UNIT: &str =
    "INSERT INTO org_unit (parent_id, kind, name, code) VALUES ($1, $2, $3, $4) RETURNING id";

macro_rules! org_unit_from_row {
    ($row:expr) => {{
        let row = $row;
        let kind: String = row.try_get("kind")?;
        OrgUnit {
            id: row.try_get("id")?,
            parent_id: row.try_get("parent_id")?,
            kind: OrgUnitKind::parse(&kind)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown org unit kind {kind}").into()))?,
            name: row.try_get("name")?,
            code: row.try_get("code")?,
        }
    }};
}

impl Database {
    pub async fn org_unit(&self, id: i64) -> Result<Option<OrgUnit>> {
        let sql = format!("SELECT {ORG_UNIT_COLUMNS} FROM org_unit WHERE id = $1");
        with_pool!(self, pool => {
            match sqlx::query(&sql).bind(id).fetch_optional(pool).await? {
                Some(row) => Ok(Some(org_unit_from_row!(row))),
                None => Ok(None),
            }
        })
    }

    /// The units directly under `parent_id` (or at the root), by kind, then in the order
    /// they were created (official rosters list villages in their own order, and
    /// code-point order of Chinese names means nothing to a reader).
    pub async fn org_children(&self, parent_id: Option<i64>) -> Result<Vec<OrgUnit>> {
        let sql = format!(
            "SELECT {ORG_UNIT_COLUMNS} FROM org_unit \
             WHERE parent_id = $1 OR ($1 IS NULL AND parent_id IS NULL) ORDER BY kind, id"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(parent_id).fetch_all(pool).await?;
            let mut units = Vec::with_capacity(rows.len());
            for row in rows {
                units.push(org_unit_from_row!(row));
            }
            Ok::<_, StorageError>(units)
        })
    }

    /// The first township's name and the size of its tree, or `None` on an empty database.
    pub async fn township_overview(&self) -> Result<Option<TownshipOverview>> {
        const SQL: &str = "SELECT t.name AS township, \
              (SELECT COUNT(*) FROM org_unit v WHERE v.parent_id = t.id AND v.kind = 'village') AS villages, \
              (SELECT COUNT(*) FROM org_unit g JOIN org_unit v ON g.parent_id = v.id \
                 WHERE v.parent_id = t.id AND g.kind = 'grid') AS grids, \
              (SELECT COUNT(*) FROM org_unit d WHERE d.parent_id = t.id AND d.kind = 'department') AS departments \
            FROM org_unit t WHERE t.kind = 'township' ORDER BY t.id LIMIT 1";
        with_pool!(self, pool => {
            match sqlx::query(SQL).fetch_optional(pool).await? {
                Some(row) => Ok(Some(TownshipOverview {
                    township: row.try_get("township")?,
                    villages: row.try_get("villages")?,
                    grids: row.try_get("grids")?,
                    departments: row.try_get("departments")?,
                })),
                None => Ok(None),
            }
        })
    }

    /// The first township with its villages (each with its grids) and departments, or
    /// `None` on an empty database. Three queries, whatever the size of the tree.
    pub async fn org_structure(&self) -> Result<Option<OrgStructure>> {
        let township_sql =
            format!("SELECT {ORG_UNIT_COLUMNS} FROM org_unit WHERE kind = 'township' ORDER BY id LIMIT 1");
        let grids_sql = "SELECT g.id, g.parent_id, g.kind, g.name, g.code FROM org_unit g \
             JOIN org_unit v ON g.parent_id = v.id \
             WHERE v.parent_id = $1 AND g.kind = 'grid' ORDER BY g.id";
        let (township, children, grids) = with_pool!(self, pool => {
            let Some(row) = sqlx::query(&township_sql).fetch_optional(pool).await? else {
                return Ok(None);
            };
            let township = org_unit_from_row!(row);
            let children = self.org_children(Some(township.id)).await?;
            let mut grids = Vec::new();
            for row in sqlx::query(grids_sql).bind(township.id).fetch_all(pool).await? {
                grids.push(org_unit_from_row!(row));
            }
            (township, children, grids)
        });
        let mut villages = Vec::new();
        let mut departments = Vec::new();
        for unit in children {
            match unit.kind {
                OrgUnitKind::Village => villages.push(VillageEntry {
                    village: unit,
                    grids: Vec::new(),
                }),
                OrgUnitKind::Department => departments.push(unit),
                _ => {}
            }
        }
        for grid in grids {
            if let Some(entry) = villages.iter_mut().find(|v| Some(v.village.id) == grid.parent_id) {
                entry.grids.push(grid);
            }
        }
        Ok(Some(OrgStructure {
            township,
            villages,
            departments,
        }))
    }
}

impl Tx {
    /// Creates an org unit under `parent_id` after checking the tree's rules against the
    /// parent's kind. Returns the new id.
    pub async fn create_org_unit(
        &mut self,
        parent_id: Option<i64>,
        kind: OrgUnitKind,
        name: &str,
        code: Option<&str>,
    ) -> Result<i64> {
        let parent_kind = match parent_id {
            None => None,
            Some(id) => Some(
                self.org_unit(id)
                    .await?
                    .ok_or_else(|| FieldError::new("parent", Problem::WrongParent))?
                    .kind,
            ),
        };
        let unit = NewOrgUnit::new(kind, name, code, parent_kind)?;
        let inserted = with_tx!(self, conn => {
            sqlx::query_scalar::<_, i64>(INSERT_ORG_UNIT)
                .bind(parent_id)
                .bind(unit.kind.as_str())
                .bind(&unit.name)
                .bind(&unit.code)
                .fetch_one(&mut *conn)
                .await
        });
        match inserted {
            Ok(id) => Ok(id),
            // The same name under the same parent, or a code already in use.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                let field = if e.message().contains("code") {
                    "code"
                } else {
                    "name"
                };
                Err(FieldError::new(field, Problem::Duplicate).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A unit, read inside the transaction (so a unit made earlier in it is seen).
    pub async fn org_unit(&mut self, id: i64) -> Result<Option<OrgUnit>> {
        let sql = format!("SELECT {ORG_UNIT_COLUMNS} FROM org_unit WHERE id = $1");
        with_tx!(self, conn => {
            match sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await? {
                Some(row) => Ok(Some(org_unit_from_row!(row))),
                None => Ok(None),
            }
        })
    }
}
