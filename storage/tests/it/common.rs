//! Helpers shared by the storage suite: the demo township's ids, a new account, and raw
//! SQL on either engine. Fresh databases come from `storage::testing`.

use domain::auth::{NewUser, Role};
use storage::Database;

/// Ids in the seeded demo township: its first village (with its first grid), its second
/// village and its first department.
pub struct Demo {
    pub township: i64,
    pub village: i64,
    pub grid: i64,
    pub other_village: i64,
    pub department: i64,
}

/// Seeds the demo township (`Database::seed_demo`) and returns its ids.
pub async fn demo(db: &Database) -> Demo {
    db.seed_demo().await.expect("seed");
    let s = db.org_structure().await.expect("structure").expect("township");
    Demo {
        township: s.township.id,
        village: s.villages[0].village.id,
        grid: s.villages[0].grids[0].id,
        other_village: s.villages[1].village.id,
        department: s.departments[0].id,
    }
}

/// An account named (and shown as) `name`, holding `role` on `unit`.
pub fn user(name: &str, role: Role, unit: i64) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: name.into(),
        phone: None,
        grants: vec![(role, unit)],
    }
}

/// Runs raw SQL as someone with access to the app's pool would (an attacker, or the
/// owner role setting up); the rows it touched.
pub async fn exec(db: &Database, sql: &str) -> Result<u64, sqlx::Error> {
    match db {
        Database::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|r| r.rows_affected()),
        Database::Postgres { pool, .. } => sqlx::query(sql).execute(pool).await.map(|r| r.rows_affected()),
    }
}

/// A folder holding one engine's migrations (`sqlite` or `postgres`) up to `last`, to
/// bring a database to an earlier schema: the checksums are the same, so `migrate` then
/// runs only what follows.
pub fn migrations_up_to(engine: &str, last: i64) -> storage::testing::TempDir {
    let dir = storage::testing::temp_dir();
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(engine);
    for entry in std::fs::read_dir(&migrations).expect("read the migrations") {
        let path = entry.expect("read the migrations").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a file name")
            .to_owned();
        let version: i64 = name
            .split('_')
            .next()
            .and_then(|v| v.parse().ok())
            .expect("a numbered migration");
        if version <= last {
            std::fs::copy(&path, dir.0.join(&name)).expect("copy a migration");
        }
    }
    dir
}
