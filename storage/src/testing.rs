//! Fresh databases for tests (feature `testing`): always a SQLite file, and a new
//! PostgreSQL database when `MINQING_TEST_PG_URL` names a server (`./x test` starts one).
//! With `MINQING_REQUIRE_PG=1` a missing server fails the run instead of skipping it, so
//! the PostgreSQL half can never pass by silently not running.
//!
//! A migrated PostgreSQL database is a copy of a template (`CREATE DATABASE … TEMPLATE`)
//! that the first test of a process migrates once, instead of every test running every
//! migration. The template's name carries a hash of the migrations, so a changed migration
//! gets a new template; it stays on the server for the next run (`minqing_template_…`).
//! Templates of other migrations are left alone, as another checkout may be testing with
//! them on the same server; old ones can be dropped by hand.
//! Test databases are named `minqing_test_<lease>_<uuid>` and are dropped again: see
//! [`PgTestDatabase`] and [`lease`].

use std::sync::OnceLock;

use sqlx::{Connection, PgConnection};

use crate::Database;

/// A test database; its SQLite folder is removed, and its PostgreSQL database dropped,
/// when it is dropped.
pub struct TestDb {
    pub label: &'static str,
    pub db: Database,
    // Keeps the SQLite file's folder alive for the test.
    _dir: Option<TempDir>,
    // Drops the PostgreSQL database after the test (after `db`'s pool, declared before it).
    _pg: Option<PgTestDatabase>,
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
        _pg: None,
    }
}

/// A new, empty database on the test PostgreSQL server, or `None` if there is none.
pub async fn postgres() -> Option<TestDb> {
    let admin_url = admin_url()?;
    Some(pg_test_db(&admin_url, None).await)
}

/// A new database on the test PostgreSQL server with every migration applied (a copy of
/// the migrated template), or `None` if there is none.
pub async fn postgres_migrated() -> Option<TestDb> {
    let admin_url = admin_url()?;
    let template = template(&admin_url).await;
    Some(pg_test_db(&admin_url, Some(template)).await)
}

async fn pg_test_db(admin_url: &str, template: Option<&str>) -> TestDb {
    let name = new_pg_database(admin_url, template).await;
    // From here on the database is dropped again, even if connecting fails.
    let guard = PgTestDatabase {
        admin_url: admin_url.to_owned(),
        name,
    };
    let db = Database::connect(&database_url(admin_url, &guard.name))
        .await
        .expect("open postgres");
    TestDb {
        label: "postgres",
        db,
        _dir: None,
        _pg: Some(guard),
    }
}

/// The URL of a new, empty database on the test PostgreSQL server (for a test that
/// hands it to another process), or `None` if there is none.
///
/// Nothing drops it when the test ends (it is a plain URL): the first test process to
/// touch the server after this one has exited drops it (see [`lease`]).
pub async fn postgres_url() -> Option<String> {
    let admin_url = admin_url()?;
    Some(create_pg_database(&admin_url).await)
}

/// Creates a uniquely named, empty database on the server behind `admin_url`; returns its
/// URL. Dropped like [`postgres_url`]'s, by a later test process.
pub async fn create_pg_database(admin_url: &str) -> String {
    let name = new_pg_database(admin_url, None).await;
    database_url(admin_url, &name)
}

/// `MINQING_TEST_PG_URL`, or `None` (or a panic, under `MINQING_REQUIRE_PG=1`).
fn admin_url() -> Option<String> {
    let Ok(admin_url) = std::env::var("MINQING_TEST_PG_URL") else {
        if std::env::var("MINQING_REQUIRE_PG").is_ok_and(|v| v == "1") {
            panic!("MINQING_REQUIRE_PG=1 but MINQING_TEST_PG_URL is not set");
        }
        eprintln!("note: MINQING_TEST_PG_URL not set; PostgreSQL half of the suite skipped");
        return None;
    };
    Some(admin_url)
}

/// The URL of database `name` on the server behind `admin_url`.
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, _) = admin_url.rsplit_once('/').expect("admin URL names a database");
    format!("{base}/{name}")
}

/// Every test database's name starts so; the sweep in [`lease`] looks for it.
const TEST_PREFIX: &str = "minqing_test_";
/// Classes (the first key of `pg_advisory_lock(int, int)`) of the locks below.
const LEASE_LOCK: i32 = 0x4d51_0001;
const TEMPLATE_LOCK: i32 = 0x4d51_0002;

/// Creates a new database, a copy of `template` or empty; returns its name.
async fn new_pg_database(admin_url: &str, template: Option<&str>) -> String {
    let name = format!(
        "{TEST_PREFIX}{:08x}_{}",
        lease(admin_url),
        uuid::Uuid::new_v4().simple()
    );
    let sql = match template {
        Some(template) => format!("CREATE DATABASE {name} TEMPLATE {template}"),
        None => format!("CREATE DATABASE {name}"),
    };
    let mut admin = PgConnection::connect(admin_url)
        .await
        .expect("connect to the test server");
    sqlx::query(&sql)
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = admin.close().await;
    name
}

/// Drops its database when it is dropped. `Drop` cannot wait for async work and may run
/// on the test's runtime, where no other runtime can be entered, so it connects from a
/// thread of its own with a small runtime and waits for it: the database is gone before
/// the test's thread goes on (and before the process can exit). A database that is not
/// dropped here (a process killed mid-test) is swept up by the next test process, see
/// [`lease`].
struct PgTestDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        let admin_url = std::mem::take(&mut self.admin_url);
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(async {
                    let mut admin = PgConnection::connect(&admin_url).await?;
                    drop_database(&mut admin, &name).await?;
                    admin.close().await
                })
                .map_err(|e| e.to_string())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            // No panic: this may run while a failed test unwinds.
            eprintln!(
                "note: test database {} not dropped ({dropped:?}); a later test run drops it",
                self.name
            );
        }
    }
}

/// Drops database `name`, ending the connections still open to it (the test's pool is
/// dropped without being closed, and closes in the background).
async fn drop_database(admin: &mut PgConnection, name: &str) -> sqlx::Result<()> {
    end_connections(admin, name).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut *admin)
        .await?;
    Ok(())
}

/// Ends every other connection to database `name` and waits until they are gone.
/// `DROP DATABASE … WITH (FORCE)` and `CREATE DATABASE … TEMPLATE` would wait for them
/// too, but in steps of 100 ms; watching them go takes a few.
async fn end_connections(admin: &mut PgConnection, name: &str) -> sqlx::Result<()> {
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(name)
    .execute(&mut *admin)
    .await?;
    for _ in 0..1000 {
        let connected: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = $1)")
                .bind(name)
                .fetch_one(&mut *admin)
                .await?;
        if !connected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    Ok(())
}

/// This process's lease on the test server: a number that names its databases, and a
/// session-level advisory lock on that number, held by a connection that stays open until
/// the process exits (however it exits: the server releases the lock when the connection
/// goes). A database whose lease is not held belongs to a process that is gone, so taking
/// the lease also sweeps such databases away: ones made by [`postgres_url`], and any whose
/// drop did not happen (a killed process). Databases of processes still running are left
/// alone, so test processes may run side by side on one server.
fn lease(admin_url: &str) -> u32 {
    static LEASE: OnceLock<u32> = OnceLock::new();
    *LEASE.get_or_init(|| take_lease(admin_url))
}

fn take_lease(admin_url: &str) -> u32 {
    let key = uuid::Uuid::new_v4().as_u128() as u32;
    let admin_url = admin_url.to_owned();
    let (taken, taken_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("minqing-test-pg-lease".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = taken.send(Err(e.to_string()));
                    return;
                }
            };
            runtime.block_on(async move {
                let mut conn = match PgConnection::connect(&admin_url).await {
                    Ok(conn) => conn,
                    Err(e) => {
                        let _ = taken.send(Err(e.to_string()));
                        return;
                    }
                };
                let locked = sqlx::query("SELECT pg_advisory_lock($1, $2)")
                    .bind(LEASE_LOCK)
                    .bind(key as i32)
                    .execute(&mut conn)
                    .await;
                if let Err(e) = locked {
                    let _ = taken.send(Err(e.to_string()));
                    return;
                }
                // Swept before the first database is made, so that it is done even if
                // this process is over quickly.
                if let Err(e) = sweep(&mut conn, key).await {
                    eprintln!("note: sweeping old test databases failed: {e}");
                }
                let _ = taken.send(Ok(()));
                // Hold the connection, and with it the lease, until the process exits.
                std::future::pending::<()>().await
            })
        })
        .expect("start the lease thread");
    match taken_rx.recv() {
        Ok(Ok(())) => key,
        Ok(Err(e)) => panic!("take a lease on the test server: {e}"),
        Err(_) => panic!("take a lease on the test server: the lease thread died"),
    }
}

/// Drops the test databases whose lease nobody holds (other than `own`).
async fn sweep(conn: &mut PgConnection, own: u32) -> sqlx::Result<()> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE starts_with(datname::text, $1)")
            .bind(TEST_PREFIX)
            .fetch_all(&mut *conn)
            .await?;
    let mut by_lease = std::collections::BTreeMap::<u32, Vec<String>>::new();
    for name in names {
        let lease = name
            .strip_prefix(TEST_PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .filter(|(lease, _)| lease.len() == 8)
            .and_then(|(lease, _)| u32::from_str_radix(lease, 16).ok());
        // Names in no other shape are not ours to judge.
        if let Some(lease) = lease.filter(|l| *l != own) {
            by_lease.entry(lease).or_default().push(name);
        }
    }
    for (lease, names) in by_lease {
        let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(LEASE_LOCK)
            .bind(lease as i32)
            .fetch_one(&mut *conn)
            .await?;
        if !free {
            continue;
        }
        for name in names {
            drop_database(conn, &name).await?;
        }
        sqlx::query("SELECT pg_advisory_unlock($1, $2)")
            .bind(LEASE_LOCK)
            .bind(lease as i32)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The migrated template's name, built on first use in this process if the server has
/// none yet for these migrations. An advisory lock makes processes that start together
/// build it one at a time: the first builds, the others then find it ready. It is marked
/// ready (`IS_TEMPLATE`) only once migrated, so one left half-built by a killed process
/// is built again; and it refuses connections once ready, because PostgreSQL copies a
/// database only while nobody is connected to it.
async fn template(admin_url: &str) -> &'static str {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE.get_or_init(|| build_template(admin_url)).await
}

async fn build_template(admin_url: &str) -> String {
    let name = format!("minqing_template_{:016x}", migrations_hash());
    let mut admin = PgConnection::connect(admin_url)
        .await
        .expect("connect to the test server");
    // Released by the unlock below, or by the server if this panics (the connection goes).
    sqlx::query("SELECT pg_advisory_lock($1, 0)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .expect("lock the template");
    let ready: Option<bool> = sqlx::query_scalar("SELECT datistemplate FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut admin)
        .await
        .expect("look for the template");
    if ready != Some(true) {
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::query(&sql)
                .execute(&mut admin)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let db = Database::connect(&database_url(admin_url, &name))
            .await
            .expect("open the template");
        db.migrate().await.expect("migrate the template");
        db.close().await;
        end_connections(&mut admin, &name)
            .await
            .expect("close the template's connections");
        let sql = format!("ALTER DATABASE {name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
        sqlx::query(&sql)
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    sqlx::query("SELECT pg_advisory_unlock($1, 0)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .expect("unlock the template");
    let _ = admin.close().await;
    name
}

/// FNV-1a over the PostgreSQL migrations' versions and checksums (a hash that stays the
/// same across builds and Rust versions, unlike std's).
fn migrations_hash() -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for m in crate::database::POSTGRES_MIGRATIONS.iter() {
        for byte in m.version.to_le_bytes().iter().chain(m.checksum.iter()) {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// Both engines, each fresh and empty, unmigrated.
pub async fn all() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    dbs.extend(postgres().await);
    dbs
}

/// Both engines, each fresh and migrated.
pub async fn all_migrated() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    dbs.extend(postgres_migrated().await);
    // The PostgreSQL copy is migrated already; this finds it up to date.
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
    domain::audit::NewAuditEntry::new(chrono::Utc::now(), action, domain::audit::AuditOutcome::Ok)
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
