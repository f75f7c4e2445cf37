//! The comparison: every difference between two descriptions, one line each.

use std::collections::{BTreeMap, BTreeSet};

use super::SQLITE_STORES;
use super::schema::{Schema, Table, column_list};

/// Every difference between the two schemas, one line each, sorted.
pub(super) fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (name, on_sqlite, on_postgres) in pairs(&sqlite.tables, &postgres.tables) {
        match (on_sqlite, on_postgres) {
            (Some(s), Some(p)) => compare_tables(name, s, p, &mut out),
            (Some(_), None) => out.push(format!("table {name}: only on sqlite")),
            (None, Some(_)) => out.push(format!("table {name}: only on postgres")),
            (None, None) => unreachable!(),
        }
    }
    for (name, s, p) in pairs(&sqlite.indexes, &postgres.indexes) {
        match (s, p) {
            (Some(s), Some(p)) if s != p => out.push(format!("index {name}: sqlite {s} vs postgres {p}")),
            (Some(s), None) => out.push(format!("index {name}: only on sqlite ({s})")),
            (None, Some(p)) => out.push(format!("index {name}: only on postgres ({p})")),
            _ => {}
        }
    }
    set_difference("trigger", &sqlite.triggers, &postgres.triggers, &mut out);
    out.sort();
    out
}

fn compare_tables(name: &str, sqlite: &Table, postgres: &Table, out: &mut Vec<String>) {
    for (column, s, p) in pairs(&sqlite.columns, &postgres.columns) {
        let at = format!("table {name}: column {column}");
        let (s, p) = match (s, p) {
            (Some(s), Some(p)) => (s, p),
            (Some(s), None) => {
                out.push(format!("{at}: only on sqlite ({})", s.describe()));
                continue;
            }
            (None, Some(p)) => {
                out.push(format!("{at}: only on postgres ({})", p.describe()));
                continue;
            }
            (None, None) => unreachable!(),
        };
        if !SQLITE_STORES.contains(&(p.kind.as_str(), s.kind.as_str())) {
            out.push(format!(
                "{at}: type: sqlite {} ({}) vs postgres {} ({})",
                s.declared, s.kind, p.declared, p.kind
            ));
        }
        match (s.not_null, p.not_null) {
            (true, false) => out.push(format!("{at}: NOT NULL on sqlite only")),
            (false, true) => out.push(format!("{at}: NOT NULL on postgres only")),
            _ => {}
        }
        if s.default != p.default {
            out.push(format!(
                "{at}: default: sqlite {} vs postgres {}",
                s.default, p.default
            ));
        }
    }
    if sqlite.primary_key != postgres.primary_key {
        out.push(format!(
            "table {name}: primary key: sqlite {} vs postgres {}",
            column_list(&sqlite.primary_key),
            column_list(&postgres.primary_key)
        ));
    }
    let unique = format!("table {name}: unique");
    set_difference(&unique, &sqlite.uniques, &postgres.uniques, out);
    let foreign_key = format!("table {name}: foreign key");
    set_difference(&foreign_key, &sqlite.foreign_keys, &postgres.foreign_keys, out);
}

/// Every key of either map, with its value on each side.
fn pairs<'a, V>(
    sqlite: &'a BTreeMap<String, V>,
    postgres: &'a BTreeMap<String, V>,
) -> Vec<(&'a str, Option<&'a V>, Option<&'a V>)> {
    let keys: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    keys.into_iter()
        .map(|k| (k.as_str(), sqlite.get(k), postgres.get(k)))
        .collect()
}

fn set_difference(what: &str, sqlite: &BTreeSet<String>, postgres: &BTreeSet<String>, out: &mut Vec<String>) {
    for s in sqlite.difference(postgres) {
        out.push(format!("{what} {s}: only on sqlite"));
    }
    for p in postgres.difference(sqlite) {
        out.push(format!("{what} {p}: only on postgres"));
    }
}
