//! The server's named secrets (the one behind the public form's challenge and its query
//! passwords): made once, the same on every server instance ever after.

use crate::{Database, Result, with_pool};

impl Database {
    /// A named secret, made by `fresh` the first time it is asked for and the same ever
    /// after, on every server instance.
    pub async fn secret(&self, name: &str, fresh: impl FnOnce() -> String) -> Result<String> {
        // Read first: every form asks, and a write per form would queue behind the writer.
        let known: Option<String> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT value FROM app_secret WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
        });
        if let Some(value) = known {
            return Ok(value);
        }
        let value = fresh();
        with_pool!(self, pool => {
            sqlx::query("INSERT INTO app_secret (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(&value)
                .execute(pool)
                .await?;
            Ok(sqlx::query_scalar("SELECT value FROM app_secret WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await?)
        })
    }
}
