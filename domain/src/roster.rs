//! Rosters as officials keep them in Excel: a sheet of villages, grids and departments,
//! and a sheet of people with their roles. This module reads a sheet's cells (already
//! decoded from CSV or XLSX) into checked rows, reporting every problem by row and
//! column, the way the person sees their sheet. Resolving names against the database
//! and writing happen above; an import is all or nothing.

use serde::{Deserialize, Serialize};

use crate::auth::{Role, check_new_password, clean_username};
use crate::org::{NAME_MAX_CHARS, OrgUnitKind};
use crate::validation::{FieldError, Problem, clean_name, clean_phone};

/// One problem in an imported file: where (sheet, row as numbered in Excel, column as
/// headed in the sheet), what, and the value found there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterProblem {
    pub sheet: String,
    /// 1-based, counting the header row, as Excel shows it.
    pub row: usize,
    pub column: String,
    pub problem: Problem,
    pub value: String,
}

/// What kind of sheet its header row says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetKind {
    Units,
    Users,
}

/// A unit row: kind, name, the name of its parent (empty: the importing admin's
/// township), and an optional code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    pub row: usize,
    pub kind: OrgUnitKind,
    pub name: String,
    /// For a grid, its village; for villages and departments, empty or the township.
    pub parent: String,
    pub code: Option<String>,
}

/// A person row. `unit` is a unit's name; a grid is written `村名/网格名`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub row: usize,
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub unit: String,
    pub password: String,
}

/// Column headers, Chinese as officials write them, English accepted too.
const UNIT_COLUMNS: [(&str, &[&str]); 4] = [
    ("kind", &["类型", "kind"]),
    ("name", &["名称", "name"]),
    ("parent", &["上级", "上级单位", "parent"]),
    ("code", &["编码", "代码", "code"]),
];
const USER_COLUMNS: [(&str, &[&str]); 6] = [
    ("username", &["用户名", "username"]),
    ("display_name", &["姓名", "name", "display_name"]),
    ("phone", &["电话", "手机", "phone"]),
    ("role", &["角色", "role"]),
    ("unit", &["单位", "所属单位", "unit"]),
    ("password", &["初始密码", "密码", "password"]),
];

/// A unit kind as a roster writes it.
pub fn parse_unit_kind(s: &str) -> Option<OrgUnitKind> {
    match s.trim() {
        "村" | "社区" | "村(社区)" | "村（社区）" | "village" => Some(OrgUnitKind::Village),
        "网格" | "grid" => Some(OrgUnitKind::Grid),
        "承办单位" | "部门" | "单位" | "department" => Some(OrgUnitKind::Department),
        _ => None,
    }
}

/// A role as a roster writes it: its Chinese name or its code name.
pub fn parse_role(s: &str) -> Option<Role> {
    let s = s.trim();
    Role::parse(s).or(match s {
        "管理员" | "系统管理员" => Some(Role::Admin),
        "信访办工作人员" | "工作人员" => Some(Role::Clerk),
        "包案领导" => Some(Role::CaseLeader),
        "承办人" | "经办人" | "承办单位经办人" => Some(Role::Handler),
        "信息员" => Some(Role::InfoOfficer),
        "网格员" => Some(Role::GridWorker),
        "信访代理员" | "代理员" => Some(Role::PetitionAgent),
        _ => None,
    })
}

/// Which columns a header row has: `(field, index)` for each known column found.
fn columns(header: &[String], known: &[(&'static str, &[&str])]) -> Vec<(&'static str, usize)> {
    known
        .iter()
        .filter_map(|(field, names)| {
            header
                .iter()
                .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
                .map(|i| (*field, i))
        })
        .collect()
}

/// Tells a sheet's kind from its header row, or `None` if it is neither.
pub fn sheet_kind(header: &[String]) -> Option<SheetKind> {
    let has = |known: &[(&'static str, &[&str])], field: &str| {
        columns(header, known).iter().any(|(f, _)| *f == field)
    };
    if has(&USER_COLUMNS, "username") {
        Some(SheetKind::Users)
    } else if has(&UNIT_COLUMNS, "kind") && has(&UNIT_COLUMNS, "name") {
        Some(SheetKind::Units)
    } else {
        None
    }
}

/// Reads one sheet's cells. Blank rows are skipped. Returns the rows, and every
/// problem found (the caller refuses the whole file if there is any).
pub struct Sheet<'a> {
    pub name: &'a str,
    pub cells: &'a [Vec<String>],
}

impl Sheet<'_> {
    fn header(&self) -> &[String] {
        self.cells.first().map(Vec::as_slice).unwrap_or(&[])
    }

    /// The sheet's data rows with their Excel row numbers, blank rows left out.
    fn rows(&self) -> impl Iterator<Item = (usize, &Vec<String>)> {
        self.cells
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
            .map(|(i, r)| (i + 1, r))
    }

    fn problem(&self, row: usize, column: &str, problem: Problem, value: &str) -> RosterProblem {
        RosterProblem {
            sheet: self.name.to_owned(),
            row,
            column: column.to_owned(),
            problem,
            value: value.chars().take(64).collect(),
        }
    }

    /// The trimmed text of `field`'s column in a row (empty if the row is short).
    fn cell(cols: &[(&'static str, usize)], cells: &[String], field: &str) -> String {
        cols.iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, i)| cells.get(*i))
            .map(|c| c.trim().to_owned())
            .unwrap_or_default()
    }

    /// The header a field was read from, as the sheet spells it. A column the sheet lacks
    /// (a grid's 上级 in a sheet without that column) is named as a missing column is, by
    /// its first name, never by the internal field name.
    fn heading(&self, cols: &[(&'static str, usize)], field: &str) -> String {
        cols.iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, i)| self.header().get(*i).cloned())
            .or_else(|| {
                UNIT_COLUMNS
                    .iter()
                    .chain(USER_COLUMNS.iter())
                    .find(|(f, _)| *f == field)
                    .map(|(_, names)| names[0].to_owned())
            })
            .unwrap_or_else(|| field.to_owned())
    }

    fn missing_columns(&self, known: &[(&'static str, &[&str])], required: &[&str]) -> Vec<RosterProblem> {
        let found = columns(self.header(), known);
        required
            .iter()
            .filter(|field| !found.iter().any(|(f, _)| f == *field))
            .map(|field| {
                let names = known
                    .iter()
                    .find(|(f, _)| f == field)
                    .map(|(_, n)| n[0])
                    .unwrap_or(field);
                self.problem(1, names, Problem::Required, "")
            })
            .collect()
    }

    pub fn units(&self) -> (Vec<UnitRow>, Vec<RosterProblem>) {
        let mut problems = self.missing_columns(&UNIT_COLUMNS, &["kind", "name"]);
        if !problems.is_empty() {
            return (Vec::new(), problems);
        }
        let cols = columns(self.header(), &UNIT_COLUMNS);
        let mut out = Vec::new();
        for (row, cells) in self.rows() {
            let cell = |field: &str| Self::cell(&cols, cells, field);
            let mut fail = |field: &str, e: Problem, value: &str| {
                problems.push(self.problem(row, &self.heading(&cols, field), e, value));
            };
            let kind_text = cell("kind");
            let kind = parse_unit_kind(&kind_text);
            if kind.is_none() {
                let p = if kind_text.is_empty() {
                    Problem::Required
                } else {
                    Problem::UnknownValue
                };
                fail("kind", p, &kind_text);
            }
            let name = clean_name("name", &cell("name"), NAME_MAX_CHARS)
                .map_err(|e| fail("name", e.problem, &cell("name")))
                .ok();
            let parent = cell("parent");
            if kind == Some(OrgUnitKind::Grid) && parent.is_empty() {
                fail("parent", Problem::Required, "");
            }
            let code = Some(cell("code")).filter(|c| !c.is_empty());
            if let (Some(kind), Some(name)) = (kind, name) {
                out.push(UnitRow {
                    row,
                    kind,
                    name,
                    parent,
                    code,
                });
            }
        }
        // The same unit twice in one file.
        for (i, a) in out.iter().enumerate() {
            if out[..i]
                .iter()
                .any(|b| b.kind == a.kind && b.name == a.name && b.parent == a.parent)
            {
                problems.push(self.problem(a.row, &self.heading(&cols, "name"), Problem::Duplicate, &a.name));
            }
        }
        (out, problems)
    }

    pub fn users(&self) -> (Vec<UserRow>, Vec<RosterProblem>) {
        let mut problems = self.missing_columns(
            &USER_COLUMNS,
            &["username", "display_name", "role", "unit", "password"],
        );
        if !problems.is_empty() {
            return (Vec::new(), problems);
        }
        let cols = columns(self.header(), &USER_COLUMNS);
        let mut out: Vec<UserRow> = Vec::new();
        for (row, cells) in self.rows() {
            let cell = |field: &str| Self::cell(&cols, cells, field);
            let mut fail = |field: &str, e: FieldError, value: &str| {
                problems.push(self.problem(row, &self.heading(&cols, field), e.problem, value));
            };
            let username = clean_username(&cell("username"))
                .map_err(|e| fail("username", e, &cell("username")))
                .ok();
            let display_name = clean_name("display_name", &cell("display_name"), 32)
                .map_err(|e| fail("display_name", e, &cell("display_name")))
                .ok();
            let phone = clean_phone("phone", &cell("phone"))
                .map_err(|e| fail("phone", e, &cell("phone")))
                .ok();
            let role_text = cell("role");
            let role = parse_role(&role_text);
            if role.is_none() {
                let p = if role_text.is_empty() {
                    Problem::Required
                } else {
                    Problem::UnknownValue
                };
                fail("role", FieldError::new("role", p), &role_text);
            }
            let unit = cell("unit");
            if unit.is_empty() {
                fail("unit", FieldError::new("unit", Problem::Required), "");
            }
            let password = cell("password");
            let password_ok = match check_new_password(&password, username.as_deref().unwrap_or_default()) {
                Ok(()) => true,
                Err(e) => {
                    // The password itself is never echoed back into a report.
                    fail("password", e, "");
                    false
                }
            };
            if let (Some(username), Some(display_name), Some(phone), Some(role), false, true) =
                (username, display_name, phone, role, unit.is_empty(), password_ok)
            {
                if out.iter().any(|u| u.username == username) {
                    problems.push(self.problem(
                        row,
                        &self.heading(&cols, "username"),
                        Problem::Duplicate,
                        &username,
                    ));
                    continue;
                }
                out.push(UserRow {
                    row,
                    username,
                    display_name,
                    phone,
                    role,
                    unit,
                    password,
                });
            }
        }
        (out, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect()
    }

    #[test]
    fn sheets_are_told_apart_by_their_headers() {
        let units = sheet(&[&["类型", "名称", "上级"]]);
        let users = sheet(&[&["用户名", "姓名", "角色", "单位", "初始密码"]]);
        assert_eq!(sheet_kind(&units[0]), Some(SheetKind::Units));
        assert_eq!(sheet_kind(&users[0]), Some(SheetKind::Users));
        assert_eq!(sheet_kind(&sheet(&[&["日期", "事项"]])[0]), None);
    }

    #[test]
    fn unit_rows_are_checked_cell_by_cell() {
        let cells = sheet(&[
            &["类型", "名称", "上级", "编码"],
            &["村", "红旗村", "", "QS-DH-13"],
            &["网格", "第一网格", "红旗村", ""],
            &["", "", "", ""],
            &["小组", "第二组", "红旗村", ""],
            &["网格", "", "", ""],
            &["村", "红旗村", "", ""],
        ]);
        let (rows, problems) = Sheet {
            name: "单位",
            cells: &cells,
        }
        .units();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].code.as_deref(), Some("QS-DH-13"));
        let found: Vec<(usize, &str, Problem)> = problems
            .iter()
            .map(|p| (p.row, p.column.as_str(), p.problem))
            .collect();
        assert_eq!(
            found,
            vec![
                (5, "类型", Problem::UnknownValue),
                (6, "名称", Problem::Required),
                (6, "上级", Problem::Required),
                (7, "名称", Problem::Duplicate),
            ]
        );
    }

    #[test]
    fn a_column_the_sheet_lacks_is_named_as_people_head_it() {
        // A grid needs its village, but this sheet has no 上级 column at all: the problem
        // names the column as the template heads it, not the field's code name.
        let cells = sheet(&[&["类型", "名称"], &["网格", "第一网格"]]);
        let (_, problems) = Sheet {
            name: "单位",
            cells: &cells,
        }
        .units();
        let found: Vec<(usize, &str, Problem)> = problems
            .iter()
            .map(|p| (p.row, p.column.as_str(), p.problem))
            .collect();
        assert_eq!(found, vec![(2, "上级", Problem::Required)]);
    }

    #[test]
    fn user_rows_report_every_bad_cell_and_never_the_password() {
        let cells = sheet(&[
            &["用户名", "姓名", "电话", "角色", "单位", "初始密码"],
            &[
                "lisi",
                "李四",
                "13800138000",
                "网格员",
                "东湖村/第一网格",
                "spring-river-2026-walk",
            ],
            &["王五", "王五", "12345", "村长", "", "password1234"],
            &["lisi", "李四二", "", "信息员", "东湖村", "another-long-pass-77"],
        ]);
        let (rows, problems) = Sheet {
            name: "人员",
            cells: &cells,
        }
        .users();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].role, Role::GridWorker);
        let found: Vec<(usize, &str, Problem)> = problems
            .iter()
            .map(|p| (p.row, p.column.as_str(), p.problem))
            .collect();
        assert_eq!(
            found,
            vec![
                (3, "用户名", Problem::BadUsername),
                (3, "电话", Problem::BadPhone),
                (3, "角色", Problem::UnknownValue),
                (3, "单位", Problem::Required),
                (3, "初始密码", Problem::CommonPassword),
                (4, "用户名", Problem::Duplicate),
            ]
        );
        assert!(
            problems
                .iter()
                .all(|p| p.column != "初始密码" || p.value.is_empty())
        );
    }

    #[test]
    fn a_sheet_without_its_columns_says_which_are_missing() {
        let cells = sheet(&[&["用户名", "姓名"], &["a", "b"]]);
        let (_, problems) = Sheet {
            name: "人员",
            cells: &cells,
        }
        .users();
        let missing: Vec<&str> = problems.iter().map(|p| p.column.as_str()).collect();
        assert_eq!(missing, ["角色", "单位", "初始密码"]);
    }
}
