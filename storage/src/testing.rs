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
