//! One description of a schema, whichever engine it was read from.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
pub(super) struct Schema {
    pub(super) tables: BTreeMap<String, Table>,
    /// Indexes made by name, by name: "on table (columns)", with UNIQUE / partial.
    pub(super) indexes: BTreeMap<String, String>,
    /// "name on table".
    pub(super) triggers: BTreeSet<String>,
}

#[derive(Debug, Default)]
pub(super) struct Table {
    pub(super) columns: BTreeMap<String, Column>,
    pub(super) primary_key: Vec<String>,
    /// Column sets that are unique, "(a, b)" with the columns sorted.
    pub(super) uniques: BTreeSet<String>,
    /// "(columns) → table (columns)" and the actions that are not NO ACTION.
    pub(super) foreign_keys: BTreeSet<String>,
}

#[derive(Debug)]
pub(super) struct Column {
    /// The type as the engine names it, for the report.
    pub(super) declared: String,
    /// SQLite: the storage class of its affinity, or `boolean`; PostgreSQL: the kind of
    /// the type.
    pub(super) kind: String,
    pub(super) not_null: bool,
    pub(super) default: ColumnDefault,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ColumnDefault {
    None,
    /// The time of the insert (`now()`, `strftime(…, 'now')`, `CURRENT_TIMESTAMP`).
    Now,
    /// A number the database picks (an identity, or SQLite's rowid).
    Numbered,
    /// A constant, as written without casts; booleans as 0 and 1.
    Value(String),
}

impl std::fmt::Display for ColumnDefault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnDefault::None => f.write_str("none"),
            ColumnDefault::Now => f.write_str("the current time"),
            ColumnDefault::Numbered => f.write_str("numbered by the database"),
            ColumnDefault::Value(v) => f.write_str(v),
        }
    }
}

impl Column {
    pub(super) fn describe(&self) -> String {
        let mut s = self.declared.clone();
        if self.not_null {
            s += " NOT NULL";
        }
        if self.default != ColumnDefault::None {
            s += &format!(" DEFAULT {}", self.default);
        }
        s
    }
}

pub(super) fn column_list(columns: &[String]) -> String {
    format!("({})", columns.join(", "))
}

pub(super) fn column_set(mut columns: Vec<String>) -> String {
    columns.sort();
    column_list(&columns)
}

pub(super) fn describe_index(table: &str, columns: &[String], unique: bool, partial: bool) -> String {
    format!(
        "{}on {table} {}{}",
        if unique { "UNIQUE " } else { "" },
        column_list(columns),
        if partial { " (partial)" } else { "" }
    )
}

pub(super) fn describe_foreign_key(
    columns: &[String],
    table: &str,
    references: &[String],
    on_delete: &str,
    on_update: &str,
) -> String {
    let mut s = format!("{} → {table} {}", column_list(columns), column_list(references));
    for (event, action) in [("DELETE", on_delete), ("UPDATE", on_update)] {
        if action != "NO ACTION" {
            s += &format!(" ON {event} {action}");
        }
    }
    s
}

/// A default as written, without outer parentheses and PostgreSQL's casts (`'new'::text`).
pub(super) fn normalise_default(raw: &str, boolean: bool) -> ColumnDefault {
    let mut s = raw.trim();
    loop {
        let before = s;
        if let Some((value, cast)) = s.rsplit_once("::")
            && cast
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_')
        {
            s = value.trim();
        }
        if let Some(inner) = s.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
            s = inner.trim();
        }
        if s == before {
            break;
        }
    }
    let lower = s.to_ascii_lowercase();
    if [
        "now()",
        "current_timestamp",
        "transaction_timestamp()",
        "statement_timestamp()",
    ]
    .contains(&lower.as_str())
        || lower.contains("'now'")
    {
        return ColumnDefault::Now;
    }
    if lower.starts_with("nextval(") {
        return ColumnDefault::Numbered;
    }
    match (boolean, lower.as_str()) {
        (true, "false") => ColumnDefault::Value("0".into()),
        (true, "true") => ColumnDefault::Value("1".into()),
        _ => ColumnDefault::Value(s.to_owned()),
    }
}
