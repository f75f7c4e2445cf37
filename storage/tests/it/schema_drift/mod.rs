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

use storage::Database;
use storage::testing::{self, TestDb};

use compare::differences;
use postgres::read_postgres;
use sqlite::read_sqlite;

mod compare;
mod postgres;
mod schema;
mod sqlite;
mod upgrade;

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
