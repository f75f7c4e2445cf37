//! `minqing seed-demo`: a realistic township to try the app with.

use domain::org::{NewOrgUnit, OrgUnitKind};

use crate::{Database, Result, with_pool};

pub const DEMO_COUNTY: &str = "青山县";
pub const DEMO_TOWNSHIP: &str = "东湖镇";

/// Twelve villages and communities; a community (社区) gets three grids, a village two.
const VILLAGES: [&str; 12] = [
    "东湖村",
    "西岭村",
    "南坪村",
    "北港村",
    "杨柳村",
    "石桥村",
    "枫林村",
    "白沙村",
    "桃源村",
    "青石村",
    "新华社区",
    "和平社区",
];
const DEPARTMENTS: [&str; 5] = [
    "东湖派出所",
    "东湖司法所",
    "东湖国土所",
    "东湖镇民政办",
    "东湖镇农业农村办",
];
const GRID_NAMES: [&str; 3] = ["第一网格", "第二网格", "第三网格"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    /// False when the demo township was already there and nothing was written.
    pub created: bool,
    pub units: usize,
}

/// One row of the plan: the index of its parent in the plan, and the unit.
type PlanRow = (Option<usize>, NewOrgUnit);

fn demo_plan() -> Result<Vec<PlanRow>> {
    use OrgUnitKind::*;
    let mut plan: Vec<PlanRow> = Vec::new();
    let push = |parent: Option<usize>, kind, name: &str, code: Option<String>, plan: &mut Vec<PlanRow>| {
        let parent_kind = parent.map(|i| plan[i].1.kind);
        let unit = NewOrgUnit::new(kind, name, code.as_deref(), parent_kind)?;
        plan.push((parent, unit));
        Ok::<usize, crate::StorageError>(plan.len() - 1)
    };
    let county = push(None, County, DEMO_COUNTY, Some("QS".into()), &mut plan)?;
    let township = push(
        Some(county),
        Township,
        DEMO_TOWNSHIP,
        Some("QS-DH".into()),
        &mut plan,
    )?;
    for (v, village) in VILLAGES.iter().enumerate() {
        let code = format!("QS-DH-{:02}", v + 1);
        let vi = push(Some(township), Village, village, Some(code.clone()), &mut plan)?;
        let grids = if village.ends_with("社区") { 3 } else { 2 };
        for (g, grid) in GRID_NAMES.iter().take(grids).enumerate() {
            push(Some(vi), Grid, grid, Some(format!("{code}-{}", g + 1)), &mut plan)?;
        }
    }
    for department in DEPARTMENTS {
        push(Some(township), Department, department, None, &mut plan)?;
    }
    Ok(plan)
}

impl Database {
    /// Creates the demo county and township in one transaction, unless the township is
    /// already there (running it twice changes nothing).
    pub async fn seed_demo(&self) -> Result<DemoSummary> {
        let plan = demo_plan()?;
        let created = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let exists: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM org_unit WHERE kind = 'township' AND name = $1",
            )
            .bind(DEMO_TOWNSHIP)
            .fetch_optional(&mut *tx)
            .await?;
            if exists.is_some() {
                false
            } else {
                let mut ids: Vec<i64> = Vec::with_capacity(plan.len());
                for (parent, unit) in &plan {
                    let id: i64 = sqlx::query_scalar(crate::org::INSERT_ORG_UNIT)
                    .bind(parent.map(|i| ids[i]))
                    .bind(unit.kind.as_str())
                    .bind(&unit.name)
                    .bind(&unit.code)
                    .fetch_one(&mut *tx)
                    .await?;
                    ids.push(id);
                }
                tx.commit().await?;
                true
            }
        });
        Ok(DemoSummary {
            created,
            units: if created { plan.len() } else { 0 },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_is_a_valid_tree_of_the_promised_size() {
        let plan = demo_plan().unwrap();
        let count = |k| plan.iter().filter(|(_, u)| u.kind == k).count();
        assert_eq!(count(OrgUnitKind::Village), 12);
        assert_eq!(count(OrgUnitKind::Department), 5);
        assert_eq!(count(OrgUnitKind::Grid), 10 * 2 + 2 * 3);
        // Every parent comes before its children, so ids exist when they are needed.
        assert!(plan.iter().enumerate().all(|(i, (p, _))| p.is_none_or(|p| p < i)));
    }
}
