//! The one way to write a record of the office's work: a [`Tx`] from
//! [`Database::begin`], its typed write methods, [`Tx::audit`] for the entry that says
//! who did it, and [`Tx::commit`]. The audit entry is part of the same transaction, so a
//! crash, a failed insert or a refused audit row leaves neither behind; and `commit`
//! refuses a transaction that wrote no audit entry, so a write that forgets its entry
//! fails every test that reaches it.
//!
//! Bookkeeping that records no one's work stays on [`Database`]: a session's last use,
//! login attempts counted for throttling, rate-limit uses, the bytes of a photo still
//! uploading, the form's secret.

use domain::audit::NewAuditEntry;

use crate::audit::insert_audits;
use crate::database::{BeginWrite, WriteGate};
use crate::{Database, Engine, Result, StorageError};

/// A write transaction on either engine. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    pub(crate) conn: Conn,
    audited: bool,
}

pub(crate) enum Conn {
    // The transaction is declared before the turn: it is dropped (rolled back) first.
    Sqlite {
        tx: sqlx::Transaction<'static, sqlx::Sqlite>,
        _turn: WriteGate,
    },
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs the same block against whichever connection the transaction holds, as
/// `with_pool!` does for a pool: `$conn` is a `&mut` connection, reborrowed with
/// `&mut *$conn` for each statement.
macro_rules! with_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match &mut $tx.conn {
            $crate::write::Conn::Sqlite { tx: $conn, .. } => {
                let $conn: &mut sqlx::SqliteConnection = &mut **$conn;
                $body
            }
            $crate::write::Conn::Postgres($conn) => {
                let $conn: &mut sqlx::PgConnection = &mut **$conn;
                $body
            }
        }
    };
}
pub(crate) use with_tx;

impl Database {
    /// Begins a write (on SQLite, after taking the process's turn to write).
    pub async fn begin(&self) -> Result<Tx> {
        let conn = match self {
            Database::Sqlite(pool) => {
                let (turn, tx) = pool.begin_write().await?;
                Conn::Sqlite { tx, _turn: turn }
            }
            Database::Postgres { pool, .. } => Conn::Postgres(pool.begin_write().await?.1),
        };
        Ok(Tx { conn, audited: false })
    }
}

impl Tx {
    pub fn engine(&self) -> Engine {
        match self.conn {
            Conn::Sqlite { .. } => Engine::Sqlite,
            Conn::Postgres(_) => Engine::Postgres,
        }
    }

    /// Appends `entry` to the audit log, in this transaction.
    pub async fn audit(&mut self, entry: &NewAuditEntry) -> Result<()> {
        self.audit_all(std::slice::from_ref(entry)).await
    }

    /// Appends `entries` in one statement, in this transaction.
    pub async fn audit_all(&mut self, entries: &[NewAuditEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        with_tx!(self, conn => insert_audits!(&mut *conn, entries).map(drop))?;
        self.audited = true;
        Ok(())
    }

    /// Makes the writes durable, with their audit entries. A transaction that wrote no
    /// audit entry is rolled back and refused.
    pub async fn commit(self) -> Result<()> {
        if !self.audited {
            return Err(StorageError::Unaudited);
        }
        match self.conn {
            Conn::Sqlite { tx, _turn } => tx.commit().await?,
            Conn::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}
