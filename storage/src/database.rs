use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::{Result, StorageError, with_pool};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
pub(crate) static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A transaction that will write, with the process's turn to write on SQLite.
///
/// SQLite has one writer. Writers that meet at its lock wait in its busy handler, which
/// sleeps and retries (1, 2, 5, 10 … ms), so under load most of their time is sleep. Here
/// they queue on one in-process lock instead and take SQLite's write lock at `BEGIN`
/// (`IMMEDIATE`), so a transaction that reads first cannot fail on upgrading its lock
/// either. Keep the gate until the transaction is committed or dropped.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = sqlx::Result<(WriteGate, sqlx::Transaction<'static, Self::Db>)>> + Send;
}

/// The turn to write (SQLite only; PostgreSQL writers need none).
pub(crate) type WriteGate = Option<tokio::sync::MutexGuard<'static, ()>>;

static SQLITE_WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> sqlx::Result<(WriteGate, sqlx::Transaction<'static, sqlx::Sqlite>)> {
        let gate = SQLITE_WRITER.lock().await;
        Ok((Some(gate), self.begin_with("BEGIN IMMEDIATE").await?))
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> sqlx::Result<(WriteGate, sqlx::Transaction<'static, sqlx::Postgres>)> {
        Ok((None, self.begin().await?))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A connection pool to one of the two engines. Cloning is cheap (the pools are shared).
#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(SqlitePool),
    /// The URL is kept for `pg_dump`, which makes PostgreSQL's consistent backups.
    Postgres {
        pool: PgPool,
        url: String,
    },
}

impl Database {
    /// Opens `sqlite://FILE` (creating the file and its folder) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Self::connect_sqlite(url).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(StorageError::Connect)?;
            Ok(Database::Postgres {
                pool,
                url: url.to_owned(),
            })
        } else {
            Err(StorageError::UnsupportedUrl(url.to_owned()))
        }
    }

    async fn connect_sqlite(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(StorageError::Connect)?
            .create_if_missing(true)
            // WAL lets readers run beside the writer; FULL makes an acknowledged write
            // survive power loss, which WAL's usual NORMAL does not.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Reads straight from the mapped file instead of a system call and a copy per
            // page, and a larger page cache per connection: searches read many pages.
            .pragma("mmap_size", "1073741824")
            .pragma("cache_size", "-16384");
        let file = options.get_filename();
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StorageError::Connect(sqlx::Error::Io(e)))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(StorageError::Connect)?;
        Ok(Database::Sqlite(pool))
    }

    pub fn engine(&self) -> Engine {
        match self {
            Database::Sqlite(_) => Engine::Sqlite,
            Database::Postgres { .. } => Engine::Postgres,
        }
    }

    /// Brings the schema up to date. Safe to run on every start.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Database::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            // A server running under a role that may not change the schema (so that it
            // cannot alter the audit log) finds nothing to do and asks for no DDL.
            Database::Postgres { pool, .. } => {
                if !postgres_up_to_date(pool).await {
                    POSTGRES_MIGRATIONS.run(pool).await?;
                }
            }
        }
        Ok(())
    }

    /// A round trip to the database, for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Writes a consistent snapshot of the whole database to `out` while the server keeps
    /// serving. SQLite: `VACUUM INTO`, a new database file. PostgreSQL: `pg_dump` in its
    /// custom format (restore with `pg_restore`). Refuses to overwrite an existing file.
    pub async fn backup(&self, out: &Path) -> Result<()> {
        if out.exists() {
            return Err(StorageError::Backup(format!("{} already exists", out.display())));
        }
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StorageError::Backup(e.to_string()))?;
        }
        let target = out
            .to_str()
            .ok_or_else(|| StorageError::Backup("the output path is not valid UTF-8".into()))?;
        match self {
            Database::Sqlite(pool) => {
                sqlx::query("VACUUM INTO ?").bind(target).execute(pool).await?;
            }
            Database::Postgres { url, .. } => {
                let output = tokio::process::Command::new("pg_dump")
                    .arg("--format=custom")
                    .arg("--no-owner")
                    .arg("--file")
                    .arg(target)
                    .arg("--dbname")
                    .arg(url)
                    .output()
                    .await
                    .map_err(|e| StorageError::Backup(format!("cannot run pg_dump: {e}")))?;
                if !output.status.success() {
                    let _ = std::fs::remove_file(out);
                    return Err(StorageError::Backup(
                        String::from_utf8_lossy(&output.stderr).trim().to_owned(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Waits for in-flight queries, then closes every connection.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}

/// True when every embedded migration is applied with the same checksum. Read with a
/// plain SELECT: migrating creates sqlx's table first, which needs CREATE on the schema.
async fn postgres_up_to_date(pool: &PgPool) -> bool {
    let applied: sqlx::Result<Vec<(i64, Vec<u8>)>> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await;
    let Ok(applied) = applied else {
        return false;
    };
    POSTGRES_MIGRATIONS.iter().all(|m| {
        applied
            .iter()
            .any(|(v, c)| *v == m.version && c.as_slice() == &*m.checksum)
    })
}
