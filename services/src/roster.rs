//! Importing a roster (villages, grids, departments and people) from the CSV or XLSX
//! file an official keeps. All or nothing: one bad cell refuses the file with a list of
//! every problem by sheet, row and column, and nothing is written.

use std::collections::HashSet;
use std::io::Cursor;

use domain::audit::{AuditAction, Outcome};
use domain::auth::{Role, check_grant};
use domain::org::{OrgUnit, OrgUnitKind};
use domain::policy::{Action, ResourceKind, allows};
use domain::roster::{RosterProblem, Sheet, SheetKind, UnitRow, UserRow, sheet_kind};
use domain::{FieldError, Problem};
use storage::{Database, PlannedUnit, PlannedUser, RosterPlan, UnitRef};

use crate::auth::hash_passwords;
use crate::{Caller, Result, ServiceError};

/// Larger files are refused before they are read.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Rows per sheet; a township's roster is hundreds of rows, not tens of thousands.
pub const MAX_ROWS: usize = 5_000;

/// A decoded sheet: its name and its cells as text.
pub type Cells = (String, Vec<Vec<String>>);

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub units: usize,
    pub users: usize,
}

fn file_problem(problem: Problem) -> ServiceError {
    ServiceError::Invalid(FieldError::new("file", problem))
}

/// Reads a CSV (UTF-8, or GBK as Excel saves it on Chinese Windows) or an XLSX file
/// into sheets of text cells.
pub fn read_file(file_name: &str, bytes: &[u8]) -> Result<Vec<Cells>> {
    if bytes.is_empty() {
        return Err(file_problem(Problem::Required));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(file_problem(Problem::TooLong));
    }
    let lower = file_name.to_lowercase();
    let sheets = if bytes.starts_with(b"PK") || lower.ends_with(".xlsx") {
        read_xlsx(bytes)?
    } else if lower.ends_with(".csv") || lower.ends_with(".txt") || !lower.contains('.') {
        vec![(file_stem(file_name), read_csv(bytes)?)]
    } else {
        return Err(file_problem(Problem::UnknownValue));
    };
    if sheets.iter().any(|(_, rows)| rows.len() > MAX_ROWS + 1) {
        return Err(file_problem(Problem::TooLong));
    }
    Ok(sheets)
}

fn file_stem(name: &str) -> String {
    name.rsplit_once('.').map_or(name, |(stem, _)| stem).to_owned()
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => {
            let (text, _, had_errors) = encoding_rs::GBK.decode(bytes);
            if had_errors {
                return Err(file_problem(Problem::UnknownValue));
            }
            text.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| file_problem(Problem::UnknownValue))?;
        rows.push(record.iter().map(str::to_owned).collect());
        if rows.len() > MAX_ROWS + 1 {
            break;
        }
    }
    Ok(rows)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Cells>> {
    use calamine::{Reader, Xlsx};
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes.to_vec())).map_err(|_| file_problem(Problem::UnknownValue))?;
    let mut sheets = Vec::new();
    for name in workbook.sheet_names() {
        let range = workbook
            .worksheet_range(&name)
            .map_err(|_| file_problem(Problem::UnknownValue))?;
        let rows = range
            .rows()
            .take(MAX_ROWS + 2)
            .map(|row| row.iter().map(cell_text).collect())
            .collect();
        sheets.push((name, rows));
    }
    Ok(sheets)
}

/// A cell as text. Whole numbers lose Excel's ".0" (phone numbers are often typed as
/// numbers).
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// The township an admin imports into: the unit of their first township-level admin
/// grant.
fn admin_township(caller: &Caller) -> Result<i64> {
    let me = caller.user()?;
    me.grants
        .iter()
        .filter(|g| g.role == Role::Admin)
        .find_map(|g| g.township_id.filter(|t| *t == g.unit_id))
        .ok_or(ServiceError::NotFound)
}

/// Checks every sheet and builds the plan, or answers every problem found.
pub async fn check(db: &Database, caller: &Caller, sheets: &[Cells]) -> Result<RosterPlan> {
    let township_id = admin_township(caller)?;
    let me = caller.user()?;
    let location = db.org_location(township_id).await?;
    if !allows(me, Action::Write, ResourceKind::OrgUnit, &location) {
        return Err(ServiceError::NotFound);
    }
    let mut problems: Vec<RosterProblem> = Vec::new();
    let mut unit_rows: Vec<(String, UnitRow)> = Vec::new();
    let mut user_rows: Vec<(String, UserRow)> = Vec::new();
    for (name, cells) in sheets {
        let sheet = Sheet { name, cells };
        match cells.first().and_then(|h| sheet_kind(h)) {
            Some(SheetKind::Units) => {
                let (rows, found) = sheet.units();
                unit_rows.extend(rows.into_iter().map(|r| (name.clone(), r)));
                problems.extend(found);
            }
            Some(SheetKind::Users) => {
                let (rows, found) = sheet.users();
                user_rows.extend(rows.into_iter().map(|r| (name.clone(), r)));
                problems.extend(found);
            }
            // An empty sheet (Excel's "Sheet2") is no problem; a sheet of something else is.
            None if cells.iter().all(|r| r.iter().all(|c| c.trim().is_empty())) => {}
            None => problems.push(RosterProblem {
                sheet: name.clone(),
                row: 1,
                column: String::new(),
                problem: Problem::UnknownValue,
                value: cells.first().map(|h| h.join(",")).unwrap_or_default(),
            }),
        }
    }
    if unit_rows.is_empty() && user_rows.is_empty() && problems.is_empty() {
        return Err(file_problem(Problem::Required));
    }

    let existing = db.org_subtree(township_id).await?;
    let township = existing
        .iter()
        .find(|u| u.id == township_id)
        .cloned()
        .ok_or(ServiceError::NotFound)?;
    let mut plan = RosterPlan::default();
    let problem = |sheet: &str, row: usize, column: &str, p: Problem, value: &str| RosterProblem {
        sheet: sheet.to_owned(),
        row,
        column: column.to_owned(),
        problem: p,
        value: value.to_owned(),
    };

    // Units: villages and departments under the township, grids under a village.
    for (sheet, row) in &unit_rows {
        let parent = match row.kind {
            OrgUnitKind::Grid => find_village(&existing, &plan, township_id, &row.parent),
            _ if row.parent.is_empty() || row.parent == township.name => Some(UnitRef::Existing(township_id)),
            _ => None,
        };
        let Some(parent) = parent else {
            problems.push(problem(
                sheet,
                row.row,
                "上级",
                Problem::UnknownValue,
                &row.parent,
            ));
            continue;
        };
        let taken = matches!(parent, UnitRef::Existing(p) if existing
            .iter()
            .any(|u| u.kind == row.kind && u.name == row.name && u.parent_id == Some(p)));
        if taken {
            problems.push(problem(sheet, row.row, "名称", Problem::Duplicate, &row.name));
            continue;
        }
        plan.units.push(PlannedUnit {
            parent,
            kind: row.kind,
            name: row.name.clone(),
            code: row.code.clone(),
        });
    }

    // People: each on a unit named in the sheet (existing or just planned).
    let usernames: Vec<String> = user_rows.iter().map(|(_, u)| u.username.clone()).collect();
    let taken: HashSet<String> = db.taken_usernames(&usernames).await?.into_iter().collect();
    let mut pending: Vec<(UserRow, UnitRef)> = Vec::new();
    for (sheet, row) in &user_rows {
        if taken.contains(&row.username) {
            problems.push(problem(
                sheet,
                row.row,
                "用户名",
                Problem::UsernameTaken,
                &row.username,
            ));
            continue;
        }
        let Some((unit, kind)) = find_unit(&existing, &plan, &township, &row.unit) else {
            problems.push(problem(sheet, row.row, "单位", Problem::UnknownValue, &row.unit));
            continue;
        };
        if check_grant(row.role, kind).is_err() {
            problems.push(problem(
                sheet,
                row.row,
                "角色",
                Problem::WrongScope,
                row.role.as_str(),
            ));
            continue;
        }
        pending.push((row.clone(), unit));
    }

    if !problems.is_empty() {
        problems.sort_by(|a, b| (&a.sheet, a.row).cmp(&(&b.sheet, b.row)));
        return Err(ServiceError::Roster(problems));
    }
    let hashes = hash_passwords(pending.iter().map(|(row, _)| row.password.clone()).collect()).await?;
    for ((row, unit), password_hash) in pending.into_iter().zip(hashes) {
        plan.users.push(PlannedUser {
            password_hash,
            username: row.username,
            display_name: row.display_name,
            phone: row.phone,
            role: row.role,
            unit,
        });
    }
    Ok(plan)
}

/// A village of the township by name, existing or planned earlier in the file.
fn find_village(existing: &[OrgUnit], plan: &RosterPlan, township_id: i64, name: &str) -> Option<UnitRef> {
    let name = name.trim();
    existing
        .iter()
        .find(|u| u.kind == OrgUnitKind::Village && u.parent_id == Some(township_id) && u.name == name)
        .map(|u| UnitRef::Existing(u.id))
        .or_else(|| {
            plan.units
                .iter()
                .position(|u| u.kind == OrgUnitKind::Village && u.name == name)
                .map(UnitRef::New)
        })
}

/// A unit a person's role sits on: the township, a department or village by name, or a
/// grid written `村名/网格名`.
fn find_unit(
    existing: &[OrgUnit],
    plan: &RosterPlan,
    township: &OrgUnit,
    name: &str,
) -> Option<(UnitRef, OrgUnitKind)> {
    let name = name.trim();
    if name == township.name {
        return Some((UnitRef::Existing(township.id), OrgUnitKind::Township));
    }
    if let Some((village, grid)) = name.split_once(['/', '／']) {
        let village_ref = find_village(existing, plan, township.id, village)?;
        let grid = grid.trim();
        let found = match village_ref {
            UnitRef::Existing(v) => existing
                .iter()
                .find(|u| u.kind == OrgUnitKind::Grid && u.parent_id == Some(v) && u.name == grid)
                .map(|u| UnitRef::Existing(u.id)),
            UnitRef::New(_) => None,
        };
        return found
            .or_else(|| {
                plan.units
                    .iter()
                    .position(|u| u.kind == OrgUnitKind::Grid && u.parent == village_ref && u.name == grid)
                    .map(UnitRef::New)
            })
            .map(|r| (r, OrgUnitKind::Grid));
    }
    let under_township = |u: &&OrgUnit| {
        u.parent_id == Some(township.id) && matches!(u.kind, OrgUnitKind::Village | OrgUnitKind::Department)
    };
    existing
        .iter()
        .find(|u| under_township(u) && u.name == name)
        .map(|u| (UnitRef::Existing(u.id), u.kind))
        .or_else(|| {
            plan.units
                .iter()
                .position(|u| {
                    u.parent == UnitRef::Existing(township.id)
                        && matches!(u.kind, OrgUnitKind::Village | OrgUnitKind::Department)
                        && u.name == name
                })
                .map(|i| (UnitRef::New(i), plan.units[i].kind))
        })
}

/// Checks and writes a roster file, all or nothing, and logs it.
pub async fn import(db: &Database, caller: &Caller, file_name: &str, bytes: &[u8]) -> Result<ImportReport> {
    let sheets = read_file(file_name, bytes)?;
    let plan = match check(db, caller, &sheets).await {
        Ok(plan) => plan,
        Err(e) => {
            let mut entry = caller.audit(AuditAction::ImportRoster, Outcome::Failed);
            entry.detail = Some(format!("{file_name}: {e}"));
            db.append_audit(&entry).await?;
            return Err(e);
        }
    };
    let (units, users) = db.import_roster(&plan, caller.now).await?;
    let mut entry = caller.audit(AuditAction::ImportRoster, Outcome::Ok);
    entry.detail = Some(format!("{file_name}: {units} units, {users} accounts"));
    db.append_audit(&entry).await?;
    Ok(ImportReport { units, users })
}
