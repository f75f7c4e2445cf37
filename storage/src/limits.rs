//! Limits on what people without an account may do: public forms per address and per
//! phone, tracking look-ups that fail per address and per tracking code. Each use is a
//! row of `public_submission` under its key. Checking a limit and counting against it is
//! one step, in a transaction that holds a lock on the key, so a burst of parallel
//! requests, or requests to several server processes, cannot all pass the same count.

use chrono::{DateTime, Utc};

use crate::database::BeginWrite;
use crate::petition::SubmissionLimit;
use crate::{Database, Result, with_pool};

/// Serialises the transactions that count the same key until they end.
pub(crate) trait KeyLock {
    fn lock_key(&mut self, key: &str) -> impl std::future::Future<Output = sqlx::Result<()>> + Send;
}

impl KeyLock for sqlx::Transaction<'static, sqlx::Sqlite> {
    /// Nothing to do: a write transaction began with `BEGIN IMMEDIATE`, which holds the
    /// database's one write lock (across processes too) until it ends.
    async fn lock_key(&mut self, _key: &str) -> sqlx::Result<()> {
        Ok(())
    }
}

impl KeyLock for sqlx::Transaction<'static, sqlx::Postgres> {
    /// A transaction-scoped advisory lock on the key's hash: READ COMMITTED alone lets two
    /// transactions count the same rows and both insert.
    async fn lock_key(&mut self, key: &str) -> sqlx::Result<()> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key)
            .execute(&mut **self)
            .await
            .map(drop)
    }
}

/// The limits in the order their locks are taken: always the same, so two transactions
/// locking the same keys cannot wait on each other.
pub(crate) fn lock_order(limits: &[SubmissionLimit]) -> Vec<(usize, &SubmissionLimit)> {
    let mut ordered: Vec<(usize, &SubmissionLimit)> = limits.iter().enumerate().collect();
    ordered.sort_by(|a, b| a.1.key.cmp(&b.1.key));
    ordered
}

/// Locks, prunes and counts every limit inside `$tx`; returns early from the enclosing
/// function with `Ok(Err(index))` / `Err(StorageError::OverLimit(index))` as `$over`
/// builds it when one is used up.
macro_rules! check_limits {
    ($tx:expr, $limits:expr, $over:expr) => {
        for (i, limit) in $crate::limits::lock_order($limits) {
            $crate::limits::KeyLock::lock_key(&mut $tx, &limit.key).await?;
            // What lies outside the window no longer counts for this key.
            sqlx::query("DELETE FROM public_submission WHERE key = $1 AND at < $2")
                .bind(&limit.key)
                .bind(limit.since)
                .execute(&mut *$tx)
                .await?;
            let used: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM public_submission WHERE key = $1 AND at >= $2")
                    .bind(&limit.key)
                    .bind(limit.since)
                    .fetch_one(&mut *$tx)
                    .await?;
            if used >= limit.max {
                return ($over)(i);
            }
        }
    };
}
pub(crate) use check_limits;

impl Database {
    /// Takes one use of every limit, or of none: if each is under its maximum, a use is
    /// counted against each and their ids come back (to give back with
    /// [`Database::give_back_uses`] when the use turns out not to count); otherwise
    /// nothing is counted and the answer is the index of a limit that is used up.
    pub async fn take_uses(
        &self,
        limits: &[SubmissionLimit],
        at: DateTime<Utc>,
    ) -> Result<std::result::Result<Vec<i64>, usize>> {
        with_pool!(self, pool => {
            let (_turn, mut tx) = pool.begin_write().await?;
            // No window is longer than a day: older uses of any key count for nothing.
            sqlx::query("DELETE FROM public_submission WHERE at < $1")
                .bind(at - chrono::Duration::days(1))
                .execute(&mut *tx)
                .await?;
            check_limits!(tx, limits, |i| Ok(Err(i)));
            let mut ids = Vec::with_capacity(limits.len());
            for limit in limits {
                let id: i64 = sqlx::query_scalar("INSERT INTO public_submission (key, at) VALUES ($1, $2) RETURNING id")
                    .bind(&limit.key)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                ids.push(id);
            }
            tx.commit().await?;
            Ok(Ok(ids))
        })
    }

    /// Uncounts uses taken by [`Database::take_uses`] (a look-up that succeeded).
    pub async fn give_back_uses(&self, ids: &[i64]) -> Result<()> {
        with_pool!(self, pool => {
            for id in ids {
                sqlx::query("DELETE FROM public_submission WHERE id = $1")
                    .bind(id)
                    .execute(pool)
                    .await?;
            }
        });
        Ok(())
    }
}
