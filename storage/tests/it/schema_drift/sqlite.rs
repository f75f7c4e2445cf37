//! Reading SQLite's catalogue (`sqlite_schema` and the table pragmas).

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;
use sqlx::sqlite::SqlitePool;
use storage::Database;
use storage::testing::TestDb;

use super::schema::{
    Column, ColumnDefault, Schema, Table, column_set, describe_foreign_key, describe_index, normalise_default,
};

pub(super) async fn read_sqlite(t: &TestDb) -> Schema {
    let Database::Sqlite(pool) = &t.db else {
        panic!("{} is not SQLite", t.label)
    };
    let mut schema = Schema::default();
    // `pragma_table_list` tells shadow tables (an FTS5 table's storage) from tables.
    let tables = sqlx::query(
        "SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' \
         AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .expect("list sqlite tables");
    for row in tables {
        let name: String = row.get("name");
        let mut table = Table::default();
        if row.get::<String, _>("type") == "table" {
            let without_rowid = row.get::<i64, _>("wr") == 1;
            read_sqlite_table(pool, &name, without_rowid, &mut table, &mut schema.indexes).await;
        }
        schema.tables.insert(name, table);
    }
    for row in sqlx::query("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        .fetch_all(pool)
        .await
        .expect("list sqlite triggers")
    {
        schema.triggers.insert(format!(
            "{} on {}",
            row.get::<String, _>("name"),
            row.get::<String, _>("tbl_name")
        ));
    }
    schema
}

async fn read_sqlite_table(
    pool: &SqlitePool,
    name: &str,
    without_rowid: bool,
    table: &mut Table,
    indexes: &mut BTreeMap<String, String>,
) {
    let foreign_keys = sqlx::query(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete \
         FROM pragma_foreign_key_list(?) ORDER BY id, seq",
    )
    .bind(name)
    .fetch_all(pool)
    .await
    .expect("list sqlite foreign keys");
    // One row per column of each foreign key, `id` telling the keys apart.
    struct ForeignKey {
        target: String,
        from: Vec<String>,
        to: Vec<Option<String>>,
        on_delete: String,
        on_update: String,
    }
    let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
    for row in &foreign_keys {
        let fk = by_id.entry(row.get("id")).or_insert_with(|| ForeignKey {
            target: row.get("table"),
            from: Vec::new(),
            to: Vec::new(),
            on_delete: row.get("on_delete"),
            on_update: row.get("on_update"),
        });
        fk.from.push(row.get("from"));
        fk.to.push(row.get("to"));
    }
    let fk_columns: BTreeSet<String> = by_id.values().flat_map(|fk| fk.from.clone()).collect();
    for fk in by_id.into_values() {
        // A reference without columns names the other table's primary key.
        let to: Vec<String> = if fk.to.iter().all(Option::is_some) {
            fk.to.into_iter().flatten().collect()
        } else {
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk")
                .bind(&fk.target)
                .fetch_all(pool)
                .await
                .expect("read the referenced key")
        };
        table.foreign_keys.insert(describe_foreign_key(
            &fk.from,
            &fk.target,
            &to,
            &fk.on_delete,
            &fk.on_update,
        ));
    }

    // The table's CREATE statement, without spaces and in lower case, for its CHECKs.
    let sql: String = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = ?")
        .bind(name)
        .fetch_one(pool)
        .await
        .expect("read the table's SQL");
    let sql: String = sql
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let columns =
        sqlx::query("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid")
            .bind(name)
            .fetch_all(pool)
            .await
            .expect("list sqlite columns");
    let mut key: Vec<(i64, String)> = columns
        .iter()
        .filter(|c| c.get::<i64, _>("pk") > 0)
        .map(|c| (c.get("pk"), c.get("name")))
        .collect();
    key.sort();
    table.primary_key = key.into_iter().map(|(_, c)| c).collect();
    for c in columns {
        let column: String = c.get("name");
        let declared: String = c.get("type");
        // An INTEGER PRIMARY KEY is the rowid: never NULL, and numbered by SQLite when
        // the insert gives none. A key that is also a foreign key names its parent row,
        // which every insert gives, so it is not counted as numbered by the database.
        let rowid = !without_rowid
            && declared.eq_ignore_ascii_case("INTEGER")
            && table.primary_key == [column.clone()];
        let mut kind = sqlite_storage_class(&declared);
        if kind == "integer" && sql.contains(&format!("check({}in(0,1))", column.to_lowercase())) {
            kind = "boolean";
        }
        let default = match c.get::<Option<String>, _>("dflt_value") {
            Some(raw) => normalise_default(&raw, false),
            None if rowid && !fk_columns.contains(&column) => ColumnDefault::Numbered,
            None => ColumnDefault::None,
        };
        table.columns.insert(
            column,
            Column {
                kind: kind.to_owned(),
                declared,
                not_null: c.get::<bool, _>("notnull") || rowid,
                default,
            },
        );
    }

    let index_list =
        sqlx::query("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?) ORDER BY name")
            .bind(name)
            .fetch_all(pool)
            .await
            .expect("list sqlite indexes");
    for index in index_list {
        let index_name: String = index.get("name");
        let unique: bool = index.get("unique");
        let partial: bool = index.get("partial");
        let origin: String = index.get("origin");
        // Expressions have no column name.
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT COALESCE(name, '(expression)') FROM pragma_index_info(?) ORDER BY seqno",
        )
        .bind(&index_name)
        .fetch_all(pool)
        .await
        .expect("list sqlite index columns");
        if unique && origin != "pk" {
            table
                .uniques
                .insert(column_set(columns.clone()) + if partial { " (partial)" } else { "" });
        }
        // `c`: made by CREATE INDEX; `u` and `pk` are made by SQLite for a constraint.
        if origin == "c" {
            indexes.insert(index_name, describe_index(name, &columns, unique, partial));
        }
    }
}

/// The storage class of a declared type's affinity (SQLite's rules, §3.1 of "Datatypes
/// In SQLite").
fn sqlite_storage_class(declared: &str) -> &'static str {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        "integer"
    } else if ["CHAR", "CLOB", "TEXT"].iter().any(|s| t.contains(s)) {
        "text"
    } else if t.contains("BLOB") || t.is_empty() {
        "blob"
    } else if ["REAL", "FLOA", "DOUB"].iter().any(|s| t.contains(s)) {
        "real"
    } else {
        "numeric"
    }
}
