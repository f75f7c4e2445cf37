//! The township's list of report kinds (admin-editable): the kinds every township starts
//! with, the checks on a list as an admin saves it, the settings form that edits it, and
//! a kind's name for the reader.

use serde::{Deserialize, Serialize};

use super::deadline::WeeklyDeadline;
use super::report::Category;
use crate::validation::{FieldError, Problem};

/// One entry of a township's list of report kinds (admin-editable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportKind {
    /// Stable code, stored on each report: `land`, `wages_owed`…
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Whether a report of this kind counts as a dispute or a hazard.
    pub category: Category,
}

/// The kinds every township starts with.
pub const DEFAULT_KINDS: [(&str, &str, &str, Category); 8] = [
    ("land", "土地纠纷", "Land", Category::Dispute),
    ("wages_owed", "拖欠工资", "Wages owed", Category::Dispute),
    ("neighbours", "邻里纠纷", "Neighbours", Category::Dispute),
    ("family", "婚姻家庭", "Family", Category::Dispute),
    ("demolition", "征地拆迁", "Demolition", Category::Dispute),
    ("environment", "环境污染", "Environment", Category::Hazard),
    ("safety", "安全隐患", "Safety", Category::Hazard),
    ("other", "其他", "Other", Category::Dispute),
];

pub fn default_kinds() -> Vec<ReportKind> {
    DEFAULT_KINDS
        .iter()
        .map(|(code, zh, en, category)| ReportKind {
            code: (*code).to_owned(),
            name_zh: (*zh).to_owned(),
            name_en: (*en).to_owned(),
            category: *category,
        })
        .collect()
}

pub const KIND_CODE_MAX: usize = 32;
pub const KIND_NAME_MAX: usize = 32;
pub const KINDS_MAX: usize = 50;

/// Checks a list of kinds as an admin saves it: 1–50 kinds, each code lowercase letters,
/// digits and `_`, codes unique, names present.
pub fn check_kinds(kinds: &[ReportKind]) -> Result<Vec<ReportKind>, FieldError> {
    if kinds.is_empty() {
        return Err(FieldError::new("kinds", Problem::Required));
    }
    if kinds.len() > KINDS_MAX {
        return Err(FieldError::new("kinds", Problem::TooMany));
    }
    let mut out: Vec<ReportKind> = Vec::with_capacity(kinds.len());
    for k in kinds {
        let code = k.code.trim();
        let ok = !code.is_empty()
            && code.len() <= KIND_CODE_MAX
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(FieldError::new("code", Problem::UnknownValue));
        }
        if out.iter().any(|o| o.code == code) {
            return Err(FieldError::new("code", Problem::Duplicate));
        }
        out.push(ReportKind {
            code: code.to_owned(),
            name_zh: crate::validation::clean_name("name_zh", &k.name_zh, KIND_NAME_MAX)?,
            name_en: crate::validation::clean_name("name_en", &k.name_en, KIND_NAME_MAX)?,
            category: k.category,
        });
    }
    Ok(out)
}

/// A kind's name in the reader's language, from the township's list; a kind taken off
/// the list since the report was filed shows its code.
pub fn kind_name(kinds: &[ReportKind], code: &str, english: bool) -> String {
    match kinds.iter().find(|k| k.code == code) {
        Some(k) if english => k.name_en.clone(),
        Some(k) => k.name_zh.clone(),
        None => code.to_owned(),
    }
}

/// The township's settings for field reports, as an admin edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSettings {
    pub township_id: i64,
    pub deadline: WeeklyDeadline,
    pub kinds: Vec<ReportKind>,
    /// Whether the reader may change them (the services check again on saving).
    pub may_edit: bool,
}

/// One row of the kinds form, as typed. A row left wholly blank is no kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KindRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub category: String,
}

/// The kinds of a submitted form, blank rows left out; [`check_kinds`] judges the rest.
pub fn kinds_from_rows(rows: &[KindRow]) -> Result<Vec<ReportKind>, FieldError> {
    rows.iter()
        .filter(|r| !(r.code.trim().is_empty() && r.name_zh.trim().is_empty() && r.name_en.trim().is_empty()))
        .map(|r| {
            Ok(ReportKind {
                code: r.code.clone(),
                name_zh: r.name_zh.clone(),
                name_en: r.name_en.clone(),
                category: Category::parse(r.category.trim())
                    .ok_or_else(|| FieldError::new("category", Problem::UnknownValue))?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_lists_are_checked_as_admins_save_them() {
        assert_eq!(check_kinds(&default_kinds()).unwrap().len(), 8);
        assert_eq!(check_kinds(&[]).unwrap_err().problem, Problem::Required);
        let mut twice = default_kinds();
        twice.push(twice[0].clone());
        assert_eq!(check_kinds(&twice).unwrap_err().problem, Problem::Duplicate);
        let mut bad = default_kinds();
        bad[0].code = "Land Dispute".into();
        assert_eq!(
            check_kinds(&bad).unwrap_err(),
            FieldError::new("code", Problem::UnknownValue)
        );
        let mut unnamed = default_kinds();
        unnamed[1].name_zh = " ".into();
        assert_eq!(
            check_kinds(&unnamed).unwrap_err(),
            FieldError::new("name_zh", Problem::Required)
        );
    }

    #[test]
    fn kind_rows_skip_blank_lines_and_name_a_bad_category() {
        let row = |code: &str, category: &str| KindRow {
            code: code.into(),
            name_zh: "土地".into(),
            name_en: "Land".into(),
            category: category.into(),
        };
        let blank = KindRow {
            category: "dispute".into(),
            ..KindRow::default()
        };
        let kinds = kinds_from_rows(&[row("land", "dispute"), blank, row("fire", "hazard")]).unwrap();
        assert_eq!(kinds.len(), 2);
        assert_eq!(kinds[1].category, Category::Hazard);
        assert_eq!(
            kinds_from_rows(&[row("land", "weather")]).unwrap_err().field,
            "category"
        );
        assert_eq!(kind_name(&kinds, "fire", false), "土地");
        assert_eq!(kind_name(&kinds, "fire", true), "Land");
        assert_eq!(kind_name(&kinds, "gone", false), "gone");
    }
}
