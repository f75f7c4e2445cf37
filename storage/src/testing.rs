//! Fresh, empty databases for tests (feature `testing`): always a SQLite file, and a new
//! PostgreSQL database when `MINQING_TEST_PG_URL` names a server (`./x test` starts one).
//! With `MINQING_REQUIRE_PG=1` a missing server fails the run instead of skipping it, so
//! the PostgreSQL half can never pass by silently not running.

use crate::Database;

/// A test database; its SQLite folder is removed when it is dropped.
pub struct TestDb {
    pub label: &'static str,
    pub db: Database,
    // Keeps the SQLite file's folder alive for the test.
    _dir: Option<TempDir>,
}

pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn temp_dir() -> TempDir {
    let dir = std::env::temp_dir().join(format!("minqing-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    TempDir(dir)
}

pub async fn sqlite() -> TestDb {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.0.join("minqing.db").display());
    let db = Database::connect(&url).await.expect("open sqlite");
    TestDb {
        label: "sqlite",
        db,
        _dir: Some(dir),
    }
}

/// A new, empty database on the test PostgreSQL server, or `None` if there is none.
pub async fn postgres() -> Option<TestDb> {
    let url = postgres_url().await?;
    let db = Database::connect(&url).await.expect("open postgres");
    Some(TestDb {
        label: "postgres",
        db,
        _dir: None,
    })
}

/// The URL of a new, empty database on the test PostgreSQL server (for a test that
/// hands it to another process), or `None` if there is none.
pub async fn postgres_url() -> Option<String> {
    let Ok(admin_url) = std::env::var("MINQING_TEST_PG_URL") else {
        if std::env::var("MINQING_REQUIRE_PG").is_ok_and(|v| v == "1") {
            panic!("MINQING_REQUIRE_PG=1 but MINQING_TEST_PG_URL is not set");
        }
        eprintln!("note: MINQING_TEST_PG_URL not set; PostgreSQL half of the suite skipped");
        return None;
    };
    Some(create_pg_database(&admin_url).await)
}

/// Creates a uniquely named database on the server behind `admin_url`; returns its URL.
pub async fn create_pg_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("minqing_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to the test server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let (base, _) = admin_url.rsplit_once('/').expect("admin URL names a database");
    format!("{base}/{name}")
}

/// Both engines, each fresh and empty, unmigrated.
pub async fn all() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    dbs.extend(postgres().await);
    dbs
}

/// Both engines, each fresh and migrated.
pub async fn all_migrated() -> Vec<TestDb> {
    let dbs = all().await;
    for t in &dbs {
        t.db.migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: migrate: {e}", t.label));
    }
    dbs
}

/// The audit entry a test's own set-up writes carry: set-up is not a use case, but it
/// goes through the same audited transactions as one.
pub fn setup_entry(action: domain::audit::AuditAction) -> domain::audit::NewAuditEntry {
    domain::audit::NewAuditEntry::new(chrono::Utc::now(), action, domain::audit::Outcome::Ok)
}

/// Creates an account in its own audited transaction, as the accounts service does.
pub async fn create_user(
    db: &Database,
    user: &domain::auth::NewUser,
    password_hash: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::Result<i64> {
    let mut tx = db.begin().await?;
    let id = tx.create_user(user, password_hash, now).await?;
    tx.audit(&setup_entry(domain::audit::AuditAction::CreateUser))
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Creates an org unit in its own audited transaction, as the org service does.
pub async fn create_org_unit(
    db: &Database,
    parent_id: Option<i64>,
    kind: domain::org::OrgUnitKind,
    name: &str,
    code: Option<&str>,
) -> crate::Result<i64> {
    let mut tx = db.begin().await?;
    let id = tx.create_org_unit(parent_id, kind, name, code).await?;
    tx.audit(&setup_entry(domain::audit::AuditAction::CreateOrgUnit))
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Makes inserts into the audit log fail, so that a test can show that a write whose
/// audit entry cannot be written is not kept either.
pub async fn refuse_audit_entries(db: &Database) {
    let statements: &[&str] = match db {
        Database::Sqlite(_) => &["CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END"],
        Database::Postgres { .. } => &[
            "CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'audit refused by the test'; END $$",
            "CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()",
        ],
    };
    for sql in statements {
        crate::with_pool!(db, pool => sqlx::query(sql).execute(pool).await.map(drop))
            .unwrap_or_else(|e| panic!("install the refusing trigger: {e}"));
    }
}

/// Undoes [`refuse_audit_entries`].
pub async fn accept_audit_entries(db: &Database) {
    let statements: &[&str] = match db {
        Database::Sqlite(_) => &["DROP TRIGGER test_refuse_audit"],
        Database::Postgres { .. } => &[
            "DROP TRIGGER test_refuse_audit ON audit_log",
            "DROP FUNCTION test_refuse_audit()",
        ],
    };
    for sql in statements {
        crate::with_pool!(db, pool => sqlx::query(sql).execute(pool).await.map(drop))
            .unwrap_or_else(|e| panic!("drop the refusing trigger: {e}"));
    }
}

/// Every table's rows as text, by table name (except `skip` and the migrations' own
/// table): two snapshots are equal when nothing was inserted, changed or deleted.
pub async fn snapshot(db: &Database, skip: &[&str]) -> std::collections::BTreeMap<String, String> {
    use sqlx::Row;
    let mut out = std::collections::BTreeMap::new();
    match db {
        Database::Sqlite(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
            )
            .fetch_all(pool)
            .await
            .expect("list tables");
            for table in tables.into_iter().filter(|t| !skip.contains(&t.as_str())) {
                let columns: Vec<String> = sqlx::query("SELECT name FROM pragma_table_info($1)")
                    .bind(&table)
                    .fetch_all(pool)
                    .await
                    .expect("list columns")
                    .iter()
                    .map(|r| format!("quote(\"{}\")", r.get::<String, _>("name")))
                    .collect();
                let sql = format!(
                    "SELECT COALESCE(group_concat(r, char(10)), '') FROM \
                     (SELECT {} AS r FROM \"{table}\" ORDER BY r)",
                    columns.join(" || ',' || ")
                );
                let rows: String = sqlx::query_scalar(&sql)
                    .fetch_one(pool)
                    .await
                    .expect("read table");
                out.insert(table, rows);
            }
        }
        Database::Postgres { pool, .. } => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
                 AND tablename <> '_sqlx_migrations' ORDER BY tablename",
            )
            .fetch_all(pool)
            .await
            .expect("list tables");
            for table in tables.into_iter().filter(|t| !skip.contains(&t.as_str())) {
                let sql = format!(
                    "SELECT COALESCE(string_agg(t::text, chr(10) ORDER BY t::text), '') FROM \"{table}\" t"
                );
                let rows: String = sqlx::query_scalar(&sql)
                    .fetch_one(pool)
                    .await
                    .expect("read table");
                out.insert(table, rows);
            }
        }
    }
    out
}

/// The smallest JPEG the attachment and photo checks accept: quantisation table, frame
/// header, scan header, two bytes of data.
pub fn tiny_jpeg() -> Vec<u8> {
    let mut f = vec![0xFF, 0xD8];
    f.extend([0xFF, 0xDB, 0, 67, 0]);
    f.extend([1_u8; 64]);
    f.extend([0xFF, 0xC0, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
    f.extend([0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0]);
    f.extend([0x12, 0x34, 0xFF, 0xD9]);
    f
}
