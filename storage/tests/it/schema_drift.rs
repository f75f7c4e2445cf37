//! The two engines' schemas cannot drift apart unseen: both are migrated from scratch with
//! the project's own migrations, read back from each engine's catalogue, brought to one
//! description and compared. What is compared:
//!
//! - the tables (not sqlx's `_sqlx_migrations`, SQLite's own `sqlite_*` tables, nor the
//!   shadow tables behind an FTS5 table);
//! - per table, the columns: the kind of value (SQLite's storage class, or boolean for an
//!   INTEGER held to 0 and 1, against the kind of PostgreSQL's type, see
//!   [`SQLITE_STORES`]), NOT NULL, and the default (none, a value, the current time, or a
//!   number the database assigns);
//! - the primary key, the unique constraints and unique indexes (by column set), and the
//!   foreign keys (columns → table (columns), with their ON DELETE / ON UPDATE action);
//! - the indexes made by name (`CREATE INDEX`), with their table, columns and uniqueness;
//! - the triggers.
//!
//! CHECK constraints are not compared (SQLite keeps them only inside the table's SQL
//! text), except the one that makes an INTEGER a boolean; nor are the expressions inside
//! an expression index (each engine writes them in its own dialect).
//!
//! A difference that is meant to be there is listed in [`DELIBERATE`], with the reason;
//! every other one fails the test, all of them listed at once. An entry in the list that
//! no longer matches a difference fails it too, so the list cannot go stale.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use storage::Database;
use storage::testing::{self, TestDb};

/// Differences between the engines that are there on purpose, each as the comparison
/// words it. Anything not listed here is drift.
const DELIBERATE: &[&str] = &[
    // Full-text search. SQLite searches petitions through an FTS5 table (trigram
    // tokenizer), kept in step with `petition` by three triggers; PostgreSQL searches the
    // same text with a pg_trgm GIN index over `subject || ' ' || content`.
    "table petition_fts: only on sqlite",
    "trigger petition_fts_delete on petition: only on sqlite",
    "trigger petition_fts_insert on petition: only on sqlite",
    "trigger petition_fts_update on petition: only on sqlite",
    "index petition_text_trgm: only on postgres (on petition ((expression)))",
    // The append-only audit log. Both engines refuse UPDATE and refuse DELETE of entries
    // younger than 180 days, each in its own trigger language: SQLite with one trigger
    // per statement kind (and one against INSERT OR REPLACE, which deletes without firing
    // the delete trigger); PostgreSQL with one plpgsql guard for UPDATE and DELETE, and a
    // statement trigger against TRUNCATE, which SQLite does not have.
    "trigger audit_log_no_replace on audit_log: only on sqlite",
    "trigger audit_log_no_update on audit_log: only on sqlite",
    "trigger audit_log_retention on audit_log: only on sqlite",
    "trigger audit_log_guard on audit_log: only on postgres",
    "trigger audit_log_no_truncate on audit_log: only on postgres",
];

/// The SQLite kind of column that holds each kind of PostgreSQL column: (PostgreSQL
/// kind, SQLite kind). SQLite's kinds are its storage classes, plus `boolean` for an
/// INTEGER held to 0 and 1 by a CHECK (SQLite has no boolean type; the app binds a bool
/// as 0 or 1). SQLite has no time or date type either: the app writes a time as RFC 3339
/// text and a date as `YYYY-MM-DD` text there (see the migrations' comments). A pair not
/// listed here is a difference; a PostgreSQL `timestamp` without time zone has no entry
/// on purpose (every time here is a UTC instant).
const SQLITE_STORES: &[(&str, &str)] = &[
    ("integer", "integer"),
    ("boolean", "boolean"),
    ("real", "real"),
    ("numeric", "numeric"),
    ("text", "text"),
    ("timestamptz", "text"),
    ("date", "text"),
    ("blob", "blob"),
];

#[tokio::test]
async fn the_two_engines_have_the_same_schema() {
    let Some((sqlite, postgres)) = migrated_pair().await else {
        return;
    };
    let found = differences(&read_sqlite(&sqlite).await, &read_postgres(&postgres).await);
    let drift: Vec<&String> = found
        .iter()
        .filter(|d| !DELIBERATE.contains(&d.as_str()))
        .collect();
    let stale: Vec<&&str> = DELIBERATE
        .iter()
        .filter(|d| !found.iter().any(|f| f == *d))
        .collect();
    let mut report = String::new();
    if !drift.is_empty() {
        report += "The SQLite and PostgreSQL schemas differ (sqlite = storage/migrations/sqlite, \
                   postgres = storage/migrations/postgres). Fix the migrations, or if a \
                   difference is meant, list it in DELIBERATE with the reason:\n";
        for d in &drift {
            report += &format!("  {d}\n");
        }
    }
    if !stale.is_empty() {
        report += "DELIBERATE lists differences that are no longer there; remove them:\n";
        for d in &stale {
            report += &format!("  {d}\n");
        }
    }
    assert!(report.is_empty(), "{report}");
}

#[tokio::test]
async fn a_column_on_one_engine_only_is_reported() {
    let Some((sqlite, postgres)) = migrated_pair().await else {
        return;
    };
    // Drift made on purpose, three kinds at once: every one must be reported.
    let Database::Sqlite(pool) = &sqlite.db else {
        unreachable!()
    };
    sqlx::query("ALTER TABLE petition ADD COLUMN drift_probe TEXT")
        .execute(pool)
        .await
        .unwrap();
    let Database::Postgres { pool, .. } = &postgres.db else {
        unreachable!()
    };
    for sql in [
        "CREATE INDEX drift_probe_subject ON petition (subject)",
        "ALTER TABLE app_user ALTER COLUMN phone SET DEFAULT ''",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }

    let found = differences(&read_sqlite(&sqlite).await, &read_postgres(&postgres).await);
    let drift: Vec<&str> = found
        .iter()
        .map(String::as_str)
        .filter(|d| !DELIBERATE.contains(d))
        .collect();
    assert_eq!(
        drift,
        [
            "index drift_probe_subject: only on postgres (on petition (subject))",
            "table app_user: column phone: default: sqlite none vs postgres ''",
            "table petition: column drift_probe: only on sqlite (TEXT)",
        ]
    );
}

/// SQLite migration 0008 closed two kinds of drift by making nine tables anew (and the
/// four that reference three of them): a database that holds rows in all of them when it
/// meets 0008 keeps every row, index and reference, and changes only those constraints.
#[tokio::test]
async fn the_sqlite_tables_made_anew_for_parity_keep_their_rows() {
    let t = testing::sqlite().await;
    let Database::Sqlite(pool) = &t.db else {
        unreachable!()
    };
    // The schema as it was before 0008: the migrations up to 0007, copied to a folder
    // of their own (the checksums are the same, so `migrate` then runs only what follows).
    let before_0008 = testing::temp_dir();
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    for entry in std::fs::read_dir(&migrations).expect("read the SQLite migrations") {
        let path = entry.expect("read the SQLite migrations").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap().to_owned();
        let version: i64 = name.split('_').next().unwrap().parse().unwrap();
        if version <= 7 {
            std::fs::copy(&path, before_0008.0.join(&name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(before_0008.0.as_path())
        .await
        .expect("read migrations 0001-0007")
        .run(pool)
        .await
        .expect("migrate up to 0007");

    // A row in every table 0008 makes anew, each column set (the ones 0006 and 0007
    // added too), booleans of both values, and rows that reference them.
    sqlx::raw_sql(
        "INSERT INTO org_unit (id, kind, name) VALUES (1, 'county', '青山县'),
             (2, 'township', '东湖镇'), (3, 'village', '东湖村'), (4, 'township', '西湖镇');
         INSERT INTO app_user (id, username, display_name, password_hash, created_at,
             password_changed_at) VALUES (1, 'grid', '网格员', 'hash', '2026-01-01T00:00:00Z',
             '2026-01-01T00:00:00Z');
         INSERT INTO user_session VALUES ('token', 1, 'field', '2026-01-02T00:00:00Z',
             '2026-01-02T01:00:00Z', '127.0.0.1', 'phone', '2026-01-02T00:30:00Z');
         INSERT INTO tracking_sequence VALUES ('2026-01-02', 7);
         INSERT INTO app_secret VALUES ('form_challenge', 'secret');
         INSERT INTO sync_receipt VALUES ('receipt-uuid', 1, 'weekly_report', 'hash',
             '2026-01-02T00:00:00Z');
         INSERT INTO weekly_deadline VALUES (2, 5, 17, 1, '2026-01-02T00:00:00Z', 1),
             (4, 1, 9, 0, '2026-01-02T00:00:00Z', NULL);
         INSERT INTO field_report VALUES (10, 'report-uuid', 2, 3, NULL, 'land', 'dispute',
             'urgent', 1, '村口', 30.25, 114.5, 8.0, '2026-01-02T00:00:00Z', '两户', 2, '争地',
             NULL, 0, 'acknowledged', 1, 'device', '2026-01-02T00:00:00Z',
             '2026-01-02T00:01:00Z', '2026-01-02T00:02:00Z', 'body-hash'),
             (11, 'report-uuid-2', 2, 3, NULL, 'safety', 'hazard', 'general', 0, '桥', NULL,
             NULL, NULL, '2026-01-03T00:00:00Z', NULL, NULL, '桥裂', '已围挡', 1, 'new', 1,
             'device', '2026-01-03T00:00:00Z', '2026-01-03T00:01:00Z',
             '2026-01-03T00:01:00Z', NULL);
         INSERT INTO field_report_photo VALUES (10, 1, 'photo-uuid');
         INSERT INTO inbox_event VALUES (20, 10, '2026-01-02T00:03:00Z', 'acknowledge', 'new',
             'acknowledged', 1, '收到');
         INSERT INTO photo_upload VALUES (30, 'photo-uuid', 2, 3, 1, 'jpeg', 4, 'sha', 4, 1,
             X'FFD8FFD9', '2026-01-02T00:00:00Z', '2026-01-02T00:00:05Z'),
             (31, 'photo-uuid-2', 2, NULL, 1, 'png', 8, 'sha2', 4, 0, NULL,
             '2026-01-02T00:00:00Z', NULL);
         INSERT INTO photo_chunk VALUES (31, 0, X'89504E47');
         INSERT INTO weekly_report VALUES (40, 'weekly-uuid', 2, 3, '2026-W01', 0, '一起', 1,
             'device', '2026-01-02T00:00:00Z', '2026-01-02T00:01:00Z', '2026-01-01T00:00:00Z'),
             (41, 'weekly-uuid-2', 2, 3, '2026-W02', 1, NULL, 1, 'device',
             '2026-01-09T00:00:00Z', '2026-01-09T00:01:00Z', NULL);
         INSERT INTO weekly_report_item VALUES (40, 10);",
    )
    .execute(pool)
    .await
    .expect("fill the tables at 0007");
    // A boolean the app never wrote but SQLite kept until now: read as true (any
    // non-zero is), so it is kept as 1.
    sqlx::query("INSERT INTO weekly_deadline VALUES (3, 7, 20, 2, '2026-01-02T00:00:00Z', NULL)")
        .execute(pool)
        .await
        .unwrap();

    let schema_before = read_sqlite(&t).await;
    let rows_before = testing::snapshot(&t.db, &["weekly_deadline"]).await;
    t.db.migrate().await.expect("migrate from 0007");
    let rows_after = testing::snapshot(&t.db, &["weekly_deadline"]).await;
    assert_eq!(rows_before, rows_after, "0008 changed rows");
    let deadlines: Vec<(i64, i64)> =
        sqlx::query_as("SELECT township_id, next_week FROM weekly_deadline ORDER BY township_id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(deadlines, [(2, 1), (3, 1), (4, 0)]);

    // `differences` names its two sides sqlite and postgres: here they are the schema
    // before 0008 and after it.
    assert_eq!(
        differences(&schema_before, &read_sqlite(&t).await),
        [
            "table app_secret: column name: NOT NULL on postgres only",
            "table field_report: column needs_township: type: sqlite INTEGER (integer) vs postgres INTEGER (boolean)",
            "table field_report: column urgent: type: sqlite INTEGER (integer) vs postgres INTEGER (boolean)",
            "table photo_upload: column complete: type: sqlite INTEGER (integer) vs postgres INTEGER (boolean)",
            "table sync_receipt: column client_uuid: NOT NULL on postgres only",
            "table tracking_sequence: column day: NOT NULL on postgres only",
            "table user_session: column token_hash: NOT NULL on postgres only",
            "table weekly_deadline: column next_week: type: sqlite INTEGER (integer) vs postgres INTEGER (boolean)",
            "table weekly_report: column zero: type: sqlite INTEGER (integer) vs postgres INTEGER (boolean)",
        ]
    );
    let broken: Vec<(String, Option<i64>, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    // Nothing of the rebuild is left behind, and the references work: deleting a report
    // takes its photos and inbox steps with it, and a report named by a weekly report
    // cannot go.
    let leftovers: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE name LIKE '%\\_new%' ESCAPE '\\'")
            .fetch_all(pool)
            .await
            .unwrap();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(
        sqlx::query("DELETE FROM field_report WHERE id = 10")
            .execute(pool)
            .await
            .is_err()
    );
    sqlx::query("DELETE FROM weekly_report WHERE id = 40")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM field_report WHERE id = 10")
        .execute(pool)
        .await
        .unwrap();
    let orphans: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM field_report_photo) + (SELECT count(*) FROM inbox_event) \
         + (SELECT count(*) FROM weekly_report_item)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(orphans, 0);
    // And the new constraints hold.
    for sql in [
        "INSERT INTO app_secret (name, value) VALUES (NULL, 'x')",
        "UPDATE photo_upload SET complete = 2 WHERE id = 31",
    ] {
        assert!(sqlx::query(sql).execute(pool).await.is_err(), "{sql}");
    }
}

/// A fresh SQLite and a fresh PostgreSQL database, each migrated by `Database::migrate`;
/// `None` when there is no PostgreSQL server (a panic under `MINQING_REQUIRE_PG=1`).
async fn migrated_pair() -> Option<(TestDb, TestDb)> {
    let postgres = testing::postgres().await?;
    let sqlite = testing::sqlite().await;
    for t in [&sqlite, &postgres] {
        t.db.migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: migrate: {e}", t.label));
    }
    Some((sqlite, postgres))
}

// ---- One description of a schema ----

#[derive(Debug, Default)]
struct Schema {
    tables: BTreeMap<String, Table>,
    /// Indexes made by name, by name: "on table (columns)", with UNIQUE / partial.
    indexes: BTreeMap<String, String>,
    /// "name on table".
    triggers: BTreeSet<String>,
}

#[derive(Debug, Default)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    /// Column sets that are unique, "(a, b)" with the columns sorted.
    uniques: BTreeSet<String>,
    /// "(columns) → table (columns)" and the actions that are not NO ACTION.
    foreign_keys: BTreeSet<String>,
}

#[derive(Debug)]
struct Column {
    /// The type as the engine names it, for the report.
    declared: String,
    /// SQLite: the storage class of its affinity, or `boolean`; PostgreSQL: the kind of
    /// the type.
    kind: String,
    not_null: bool,
    default: ColumnDefault,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ColumnDefault {
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
    fn describe(&self) -> String {
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

fn column_list(columns: &[String]) -> String {
    format!("({})", columns.join(", "))
}

fn column_set(mut columns: Vec<String>) -> String {
    columns.sort();
    column_list(&columns)
}

fn describe_index(table: &str, columns: &[String], unique: bool, partial: bool) -> String {
    format!(
        "{}on {table} {}{}",
        if unique { "UNIQUE " } else { "" },
        column_list(columns),
        if partial { " (partial)" } else { "" }
    )
}

fn describe_foreign_key(
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
fn normalise_default(raw: &str, boolean: bool) -> ColumnDefault {
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

// ---- Reading each catalogue ----

async fn read_sqlite(t: &TestDb) -> Schema {
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

/// The kind of a PostgreSQL type (`information_schema.columns.data_type`).
fn postgres_kind(data_type: &str) -> String {
    match data_type {
        "smallint" | "integer" | "bigint" => "integer",
        "boolean" => "boolean",
        "real" | "double precision" => "real",
        "numeric" => "numeric",
        "text" | "character varying" | "character" => "text",
        "timestamp with time zone" => "timestamptz",
        "date" => "date",
        "bytea" => "blob",
        other => other,
    }
    .to_owned()
}

async fn read_postgres(t: &TestDb) -> Schema {
    let Database::Postgres { pool, .. } = &t.db else {
        panic!("{} is not PostgreSQL", t.label)
    };
    let mut schema = Schema::default();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
         AND c.relname <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("list postgres tables");
    for name in tables {
        schema.tables.insert(name, Table::default());
    }
    read_postgres_columns(pool, &mut schema).await;
    read_postgres_constraints(pool, &mut schema).await;
    read_postgres_indexes(pool, &mut schema).await;
    for row in sqlx::query(
        "SELECT tg.tgname::text AS name, t.relname::text AS table_name FROM pg_trigger tg \
         JOIN pg_class t ON t.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND NOT tg.tgisinternal",
    )
    .fetch_all(pool)
    .await
    .expect("list postgres triggers")
    {
        schema.triggers.insert(format!(
            "{} on {}",
            row.get::<String, _>("name"),
            row.get::<String, _>("table_name")
        ));
    }
    schema
}

async fn read_postgres_columns(pool: &PgPool, schema: &mut Schema) {
    let columns = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, \
         is_nullable = 'NO' AS not_null, column_default::text, is_identity = 'YES' AS identity \
         FROM information_schema.columns WHERE table_schema = current_schema()",
    )
    .fetch_all(pool)
    .await
    .expect("list postgres columns");
    for c in columns {
        let Some(table) = schema.tables.get_mut(&c.get::<String, _>("table_name")) else {
            continue;
        };
        let declared: String = c.get("data_type");
        let default = match c.get::<Option<String>, _>("column_default") {
            Some(raw) => normalise_default(&raw, declared == "boolean"),
            None if c.get::<bool, _>("identity") => ColumnDefault::Numbered,
            None => ColumnDefault::None,
        };
        table.columns.insert(
            c.get("column_name"),
            Column {
                kind: postgres_kind(&declared),
                declared,
                not_null: c.get("not_null"),
                default,
            },
        );
    }
}

async fn read_postgres_constraints(pool: &PgPool, schema: &mut Schema) {
    let constraints = sqlx::query(
        "SELECT t.relname::text AS table_name, con.contype::text AS kind, \
         ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
               ORDER BY k.ord) AS columns, \
         r.relname::text AS target, \
         ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord) \
               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum \
               ORDER BY k.ord) AS target_columns, \
         con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update \
         FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         LEFT JOIN pg_class r ON r.oid = con.confrelid \
         WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f')",
    )
    .fetch_all(pool)
    .await
    .expect("list postgres constraints");
    let action = |code: &str| match code {
        "a" => "NO ACTION",
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        other => panic!("unknown foreign key action {other}"),
    };
    for c in constraints {
        let Some(table) = schema.tables.get_mut(&c.get::<String, _>("table_name")) else {
            continue;
        };
        let columns: Vec<String> = c.get("columns");
        if c.get::<String, _>("kind") == "p" {
            table.primary_key = columns;
        } else {
            table.foreign_keys.insert(describe_foreign_key(
                &columns,
                &c.get::<String, _>("target"),
                &c.get::<Vec<String>, _>("target_columns"),
                action(&c.get::<String, _>("on_delete")),
                action(&c.get::<String, _>("on_update")),
            ));
        }
    }
}

async fn read_postgres_indexes(pool: &PgPool, schema: &mut Schema) {
    let indexes = sqlx::query(
        "SELECT i.relname::text AS name, t.relname::text AS table_name, \
         x.indisunique AS is_unique, x.indisprimary AS is_primary, \
         x.indpred IS NOT NULL AS partial, \
         EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid \
                 AND c.contype IN ('p', 'u', 'x')) AS for_constraint, \
         ARRAY(SELECT COALESCE(a.attname::text, '(expression)') \
               FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
               LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum \
               ORDER BY k.ord) AS columns \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema()",
    )
    .fetch_all(pool)
    .await
    .expect("list postgres indexes");
    for x in indexes {
        let table_name: String = x.get("table_name");
        let Some(table) = schema.tables.get_mut(&table_name) else {
            continue;
        };
        let columns: Vec<String> = x.get("columns");
        let unique: bool = x.get("is_unique");
        let partial: bool = x.get("partial");
        if unique && !x.get::<bool, _>("is_primary") {
            table
                .uniques
                .insert(column_set(columns.clone()) + if partial { " (partial)" } else { "" });
        }
        // An index that a PRIMARY KEY or UNIQUE constraint made is compared as the
        // constraint; the rest were made by name.
        if !x.get::<bool, _>("for_constraint") {
            schema.indexes.insert(
                x.get("name"),
                describe_index(&table_name, &columns, unique, partial),
            );
        }
    }
}

// ---- The comparison ----

/// Every difference between the two schemas, one line each, sorted.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
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
