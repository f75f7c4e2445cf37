//! Importing a roster (villages, grids, departments and people) from the CSV or XLSX
//! file an official keeps. All or nothing: one bad cell refuses the file with a list of
//! every problem by sheet, row and column, and nothing is written.

use std::collections::HashSet;
use std::io::Cursor;

use domain::audit::{AuditAction, AuditOutcome};
use domain::auth::check_grant;
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
/// Columns per sheet; a roster's widest sheet has six.
pub const MAX_COLUMNS: usize = 50;
/// Sheets per workbook; a roster has two.
pub const MAX_SHEETS: usize = 16;
/// Cells read from a workbook, and cells kept, over all its sheets.
pub const MAX_CELLS: usize = 250_000;
/// Text kept from all cells: one long shared string may be used by every cell.
pub const MAX_TEXT_BYTES: usize = 8 * 1024 * 1024;
/// What an XLSX may unpack to, by its zip entries' declared sizes (the zip reader stops
/// an entry that inflates beyond its declared size). A 5,000-row roster is a few MB.
pub const MAX_UNZIPPED_BYTES: u64 = 16 * 1024 * 1024;
/// calamine keeps some 30 bytes per byte of the styles part (a record per cell
/// format), so that part gets far less.
const MAX_STYLES_BYTES: u64 = 1024 * 1024;
/// Entries in an XLSX's zip; Excel writes a dozen or two.
const MAX_ZIP_ENTRIES: usize = 1_000;

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
    // A zip's local header (or an empty zip's end record): an XLSX whatever its name.
    let zip = bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06");
    let sheets = if zip || lower.ends_with(".xlsx") {
        // calamine 0.38's cell arithmetic overflows on references such as ZZZZZZZZ1 or
        // A99999999999 (upstream #694, #709): a panic there is a file we cannot read.
        std::panic::catch_unwind(|| read_xlsx(bytes)).map_err(|_| file_problem(Problem::UnknownValue))??
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
        // Trailing empty fields are Excel's padding; a row of a million commas is not a
        // million cells.
        let used = record.len() - record.iter().rev().take_while(|f| f.is_empty()).count();
        if used > MAX_COLUMNS {
            return Err(file_problem(Problem::TooLong));
        }
        rows.push(record.iter().take(used).map(str::to_owned).collect());
        if rows.len() > MAX_ROWS + 1 {
            break;
        }
    }
    Ok(rows)
}

/// Reads every sheet through calamine's streaming cell reader, never its dense
/// `worksheet_range` (a sheet with cells in A1 and XFD1048576 would ask for hundreds of
/// GB): the zip's declared sizes and every cell are checked against the limits before
/// anything is kept.
fn read_xlsx(bytes: &[u8]) -> Result<Vec<Cells>> {
    use calamine::{Reader, Xlsx, XlsxError};
    check_zip(bytes)?;
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|_| file_problem(Problem::UnknownValue))?;
    let names = workbook.sheet_names();
    if names.len() > MAX_SHEETS {
        return Err(file_problem(Problem::TooLong));
    }
    let mut budget = Budget::default();
    let mut sheets = Vec::new();
    for name in names {
        let mut reader = match workbook.worksheet_cells_reader(&name) {
            Ok(reader) => reader,
            // A chart sheet has no cells, as calamine's own ranges treat it.
            Err(XlsxError::NotAWorksheet(_)) => {
                sheets.push((name, Vec::new()));
                continue;
            }
            Err(_) => return Err(file_problem(Problem::UnknownValue)),
        };
        // The declared dimension also counts cells that only carry formatting (a
        // template with borders down to row 10,000): cells are counted as they are
        // read, every one against the budget, and those holding data must lie within
        // the limits. Nothing is sized from the declaration.
        let mut found: Vec<((u32, u32), String)> = Vec::new();
        while let Some(cell) = reader
            .next_cell()
            .map_err(|_| file_problem(Problem::UnknownValue))?
        {
            budget.read += 1;
            if budget.read > MAX_CELLS {
                return Err(file_problem(Problem::TooLong));
            }
            let value = cell.get_value();
            if *value == calamine::DataRef::Empty {
                continue;
            }
            if !within_limits(cell.get_position()) {
                return Err(file_problem(Problem::TooLong));
            }
            budget.text += text_len(value);
            if budget.text > MAX_TEXT_BYTES {
                return Err(file_problem(Problem::TooLong));
            }
            found.push((cell.get_position(), cell_text(&value.clone().into())));
        }
        sheets.push((name, dense(found, &mut budget)?));
    }
    Ok(sheets)
}

/// What a workbook has used of the limits so far, over all its sheets.
#[derive(Default)]
struct Budget {
    read: usize,
    kept: usize,
    text: usize,
}

/// Whether a (row, column) lies within `MAX_ROWS` rows below a header and `MAX_COLUMNS`.
fn within_limits((row, column): (u32, u32)) -> bool {
    row as usize <= MAX_ROWS && (column as usize) < MAX_COLUMNS
}

/// The bytes a cell's text takes, read before it is copied.
fn text_len(value: &calamine::DataRef) -> usize {
    use calamine::DataRef;
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.len(),
        DataRef::SharedString(s) => s.len(),
        // A number, date or error: a few bytes of text.
        _ => 32,
    }
}

/// A sheet's non-empty cells as rows of text from its first used row and column (as
/// calamine's ranges start), each row as long as its last cell.
fn dense(found: Vec<((u32, u32), String)>, budget: &mut Budget) -> Result<Vec<Vec<String>>> {
    let (Some(top), Some(left)) = (
        found.iter().map(|((r, _), _)| *r).min(),
        found.iter().map(|((_, c), _)| *c).min(),
    ) else {
        return Ok(Vec::new());
    };
    // Both within the limits, so the rows are at most MAX_ROWS + 1, each MAX_COLUMNS wide.
    let bottom = found.iter().map(|((r, _), _)| *r).max().unwrap_or(top);
    let mut widths = vec![0_usize; (bottom - top) as usize + 1];
    for ((r, c), _) in &found {
        let width = &mut widths[(r - top) as usize];
        *width = (*width).max((c - left) as usize + 1);
    }
    budget.kept += widths.iter().sum::<usize>();
    if budget.kept > MAX_CELLS {
        return Err(file_problem(Problem::TooLong));
    }
    let mut rows: Vec<Vec<String>> = widths.into_iter().map(|w| vec![String::new(); w]).collect();
    for ((r, c), text) in found {
        rows[(r - top) as usize][(c - left) as usize] = text;
    }
    Ok(rows)
}

/// Refuses a zip that would unpack to more than the import allows, by its entries'
/// declared sizes, before calamine unpacks anything.
fn check_zip(bytes: &[u8]) -> Result<()> {
    let zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| file_problem(Problem::UnknownValue))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(file_problem(Problem::TooLong));
    }
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_data(i)
            .map_err(|_| file_problem(Problem::UnknownValue))?;
        let size = entry.size();
        // calamine finds parts case-insensitively, with either slash.
        let styles = String::from_utf8_lossy(entry.name_raw())
            .to_ascii_lowercase()
            .ends_with("styles.xml");
        total = total.saturating_add(size);
        if total > MAX_UNZIPPED_BYTES || (styles && size > MAX_STYLES_BYTES) {
            return Err(file_problem(Problem::TooLong));
        }
    }
    Ok(())
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

/// The township the caller may import a roster into: theirs if they are its admin and
/// the policy lets them write its units. Asked before a file is read at all, so nobody
/// else can make the server parse one. Not logged in: `Unauthenticated`; anyone else:
/// "not found", logged as a denial.
pub async fn may_import(db: &Database, caller: &Caller) -> Result<i64> {
    let me = caller.user()?;
    let Some(township_id) = me.admin_township() else {
        return Err(deny(db, caller, None).await);
    };
    let location = db.org_location(township_id).await?;
    if !allows(me, Action::Write, ResourceKind::OrgUnit, &location) {
        return Err(deny(db, caller, Some(township_id)).await);
    }
    Ok(township_id)
}

/// Logs a refused import and answers "not found".
async fn deny(db: &Database, caller: &Caller, township_id: Option<i64>) -> ServiceError {
    let id = township_id.map(|id| id.to_string());
    caller
        .refused(db, AuditAction::ImportRoster, ResourceKind::OrgUnit, id)
        .await
}

/// Checks every sheet and builds the plan, or answers every problem found.
pub async fn check(db: &Database, caller: &Caller, sheets: &[Cells]) -> Result<RosterPlan> {
    let township_id = may_import(db, caller).await?;
    plan(db, township_id, sheets).await
}

/// The plan for a township an admin may import into (see [`may_import`]).
async fn plan(db: &Database, township_id: i64, sheets: &[Cells]) -> Result<RosterPlan> {
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

/// Checks and writes a roster file, all or nothing, and logs it. The caller is checked
/// before the file is read, and the file is read on a blocking thread so a large one
/// does not hold up the async workers.
pub async fn import(db: &Database, caller: &Caller, file_name: &str, bytes: Vec<u8>) -> Result<ImportReport> {
    let township_id = may_import(db, caller).await?;
    let name = file_name.to_owned();
    let read = tokio::task::spawn_blocking(move || read_file(&name, &bytes)).await;
    let plan = match read {
        Ok(Ok(sheets)) => plan(db, township_id, &sheets).await,
        Ok(Err(e)) => Err(e),
        Err(e) => Err(ServiceError::Internal(format!("reading a roster file: {e}"))),
    };
    let plan = match plan {
        Ok(plan) => plan,
        Err(e) => {
            let mut entry = caller.audit(AuditAction::ImportRoster, AuditOutcome::Failed);
            entry.detail = Some(format!("{file_name}: {e}"));
            db.append_audit(&entry).await?;
            return Err(e);
        }
    };
    let mut tx = db.begin().await?;
    let (units, users) = tx.import_roster(&plan, caller.now).await?;
    let mut entry = caller.audit(AuditAction::ImportRoster, AuditOutcome::Ok);
    entry.detail = Some(format!("{file_name}: {units} units, {users} accounts"));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(ImportReport { units, users })
}
