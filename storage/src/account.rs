//! Accounts, role grants, sessions and login failures. Password hashes go in and out as
//! opaque strings: hashing is the caller's business, so this layer never sees a password.

use chrono::{DateTime, Utc};
use domain::auth::{Grant, NewUser, Role, SessionKind, UserSummary, check_grant};
use domain::{FieldError, Problem};
use sqlx::Row;

use crate::write::with_tx;
use crate::{Database, Result, StorageError, Tx, with_pool};

/// What login needs to know about an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user_id: i64,
    pub username: String,
    pub password_hash: String,
    pub disabled: bool,
}

/// A stored session, found by the hash of its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub user_id: i64,
    pub kind: SessionKind,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// A session about to be stored.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub kind: SessionKind,
    pub now: DateTime<Utc>,
    pub address: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Inserts one account (enabled): username, display name, phone, hash, created at;
/// returns its id.
pub(crate) const INSERT_USER: &str = "INSERT INTO app_user (username, display_name, phone, password_hash, \
     disabled, created_at, password_changed_at) VALUES ($1, $2, $3, $4, FALSE, $5, $5) RETURNING id";

/// Grants a role: user, role, unit.
pub(crate) const INSERT_GRANT: &str =
    "INSERT INTO role_grant (user_id, role, org_unit_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl Database {
    pub async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        const SQL: &str = "SELECT id, username, password_hash, disabled FROM app_user WHERE username = $1";
        with_pool!(self, pool => {
            let Some(row) = sqlx::query(SQL).bind(username).fetch_optional(pool).await? else {
                return Ok(None);
            };
            Ok(Some(Credentials {
                user_id: row.try_get("id")?,
                username: row.try_get("username")?,
                password_hash: row.try_get("password_hash")?,
                disabled: row.try_get("disabled")?,
            }))
        })
    }

    pub async fn password_hash(&self, user_id: i64) -> Result<Option<String>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar::<_, String>("SELECT password_hash FROM app_user WHERE id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// A role's unit with its ancestors, root first, and the township among them.
    async fn unit_path(&self, unit_id: i64) -> Result<(Vec<i64>, Option<i64>)> {
        const SQL: &str = "WITH RECURSIVE up (id, parent_id, kind, depth) AS ( \
               SELECT id, parent_id, kind, 0 FROM org_unit WHERE id = $1 \
               UNION ALL \
               SELECT o.id, o.parent_id, o.kind, up.depth + 1 FROM org_unit o JOIN up ON o.id = up.parent_id \
               WHERE up.depth < 16) \
             SELECT id, kind FROM up ORDER BY depth DESC";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).bind(unit_id).fetch_all(pool).await?;
            let mut path = Vec::with_capacity(rows.len());
            let mut township = None;
            for row in rows {
                let id: i64 = row.try_get("id")?;
                let kind: String = row.try_get("kind")?;
                if kind == "township" {
                    township = Some(id);
                }
                path.push(id);
            }
            Ok::<_, StorageError>((path, township))
        })
    }

    /// Where `unit_id` sits: its path and township, for the access policy.
    pub async fn org_location(&self, unit_id: i64) -> Result<domain::policy::Location> {
        let (path, township_id) = self.unit_path(unit_id).await?;
        Ok(domain::policy::Location {
            township_id,
            path,
            ..Default::default()
        })
    }

    /// The account's roles with their units' paths, ready for the access policy.
    pub async fn grants(&self, user_id: i64) -> Result<Vec<Grant>> {
        const SQL: &str = "SELECT g.role, g.org_unit_id, o.name FROM role_grant g \
             JOIN org_unit o ON o.id = g.org_unit_id WHERE g.user_id = $1 ORDER BY g.role, g.org_unit_id";
        let rows: Vec<(String, i64, String)> = with_pool!(self, pool => {
            sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await?
        });
        let mut grants = Vec::with_capacity(rows.len());
        for (role, unit_id, unit_name) in rows {
            let role = Role::parse(&role)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown role {role}").into()))?;
            let (unit_path, township_id) = self.unit_path(unit_id).await?;
            grants.push(Grant {
                role,
                unit_id,
                unit_name,
                unit_path,
                township_id,
            });
        }
        Ok(grants)
    }

    /// One account, without its password hash.
    pub async fn user(&self, user_id: i64) -> Result<Option<UserSummary>> {
        Ok(self.users_where(Some(user_id)).await?.pop())
    }

    /// Every account with its grants and open sessions, oldest first. The caller keeps
    /// only those the reader's scope covers.
    pub async fn users(&self) -> Result<Vec<UserSummary>> {
        self.users_where(None).await
    }

    async fn users_where(&self, only: Option<i64>) -> Result<Vec<UserSummary>> {
        const SQL: &str = "SELECT u.id, u.username, u.display_name, u.phone, u.disabled, u.created_at, \
               (SELECT COUNT(*) FROM user_session s WHERE s.user_id = u.id) AS sessions \
             FROM app_user u WHERE ($1 IS NULL OR u.id = $1) ORDER BY u.id";
        let mut users = with_pool!(self, pool => {
            let rows = sqlx::query(SQL).bind(only).fetch_all(pool).await?;
            let mut users = Vec::with_capacity(rows.len());
            for row in rows {
                users.push(UserSummary {
                    id: row.try_get("id")?,
                    username: row.try_get("username")?,
                    display_name: row.try_get("display_name")?,
                    phone: row.try_get("phone")?,
                    disabled: row.try_get("disabled")?,
                    created_at: row.try_get("created_at")?,
                    sessions: row.try_get("sessions")?,
                    grants: Vec::new(),
                });
            }
            users
        });
        for user in &mut users {
            user.grants = self.grants(user.id).await?;
        }
        Ok(users)
    }

    /// The session with this token hash, if its account is still enabled.
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        const SQL: &str = "SELECT s.user_id, s.kind, s.created_at, s.last_seen_at FROM user_session s \
             JOIN app_user u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.disabled = $2";
        with_pool!(self, pool => {
            let Some(row) = sqlx::query(SQL).bind(token_hash).bind(false).fetch_optional(pool).await? else {
                return Ok(None);
            };
            let kind: String = row.try_get("kind")?;
            Ok(Some(SessionRecord {
                user_id: row.try_get("user_id")?,
                kind: SessionKind::parse(&kind)
                    .ok_or_else(|| sqlx::Error::Decode(format!("unknown session kind {kind}").into()))?,
                created_at: row.try_get("created_at")?,
                last_seen_at: row.try_get("last_seen_at")?,
            }))
        })
    }

    pub async fn touch_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE user_session SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Notes that a session's phone finished a sync (its last pull).
    pub async fn record_pull(&self, token_hash: &str, at: DateTime<Utc>) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE user_session SET last_pull_at = $1 WHERE token_hash = $2")
                .bind(at)
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// When a session's phone last finished a sync, if ever.
    pub async fn last_pull(&self, token_hash: &str) -> Result<Option<DateTime<Utc>>> {
        let at: Option<Option<DateTime<Utc>>> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT last_pull_at FROM user_session WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(pool)
                .await?
        });
        Ok(at.flatten())
    }

    /// Deletes an expired session (bookkeeping: the log in and out are what is audited).
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM user_session WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Records a login attempt against `key` before its password is checked, so that
    /// attempts made in parallel count against each other. Returns the attempt's id; a
    /// successful or refused-unchecked attempt is taken back with
    /// [`Database::forget_login_attempt`], a failed one stays as a failure.
    pub async fn record_login_attempt(&self, key: &str, now: DateTime<Utc>) -> Result<i64> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar::<_, i64>(
                "INSERT INTO login_failure (key, at) VALUES ($1, $2) RETURNING id",
            )
            .bind(key)
            .bind(now)
            .fetch_one(pool)
            .await?)
        })
    }

    /// The failures recorded for `key` since `since`, leaving out the attempt `except`
    /// (the one being judged).
    pub async fn login_failures(
        &self,
        key: &str,
        since: DateTime<Utc>,
        except: i64,
    ) -> Result<Vec<DateTime<Utc>>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar::<_, DateTime<Utc>>(
                "SELECT at FROM login_failure WHERE key = $1 AND at > $2 AND id <> $3 ORDER BY at",
            )
            .bind(key)
            .bind(since)
            .bind(except)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn forget_login_attempt(&self, id: i64) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM login_failure WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Forgets `key`'s failures (after a successful login) and everyone's older than
    /// `before`, so the table stays small.
    pub async fn clear_login_failures(&self, key: &str, before: DateTime<Utc>) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM login_failure WHERE key = $1 OR at < $2")
                .bind(key)
                .bind(before)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}

/// An account's writes: each is a record of an admin's or the person's own work, audited
/// in the same transaction by the caller.
impl Tx {
    /// Creates an account with its grants. The grants' units must exist and be of the
    /// kind each role is held on.
    pub async fn create_user(
        &mut self,
        user: &NewUser,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        if user.grants.is_empty() {
            return Err(FieldError::new("role", Problem::Required).into());
        }
        for (role, unit_id) in &user.grants {
            let unit = self
                .org_unit(*unit_id)
                .await?
                .ok_or_else(|| FieldError::new("unit", Problem::UnknownValue))?;
            check_grant(*role, unit.kind)?;
        }
        with_tx!(self, conn => {
            let inserted = sqlx::query_scalar::<_, i64>(INSERT_USER)
                .bind(&user.username)
                .bind(&user.display_name)
                .bind(&user.phone)
                .bind(password_hash)
                .bind(now)
                .fetch_one(&mut *conn)
                .await;
            let id = match inserted {
                Ok(id) => id,
                Err(e) if is_unique_violation(&e) => {
                    return Err(FieldError::new("username", Problem::UsernameTaken).into());
                }
                Err(e) => return Err(e.into()),
            };
            for (role, unit_id) in &user.grants {
                sqlx::query(INSERT_GRANT)
                    .bind(id)
                    .bind(role.as_str())
                    .bind(unit_id)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(id)
        })
    }

    /// Replaces the password hash and ends every session of the account except `keep`
    /// (the person's own session when they change their own password).
    pub async fn set_password_hash(
        &mut self,
        user_id: i64,
        hash: &str,
        now: DateTime<Utc>,
        keep: Option<&str>,
    ) -> Result<bool> {
        with_tx!(self, conn => {
            let changed = sqlx::query("UPDATE app_user SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
                .bind(hash)
                .bind(now)
                .bind(user_id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM user_session WHERE user_id = $1 AND ($2 IS NULL OR token_hash <> $2)")
                .bind(user_id)
                .bind(keep)
                .execute(&mut *conn)
                .await?;
            Ok(changed == 1)
        })
    }

    /// Disables or enables an account. Disabling ends all its sessions at once, on every
    /// device.
    pub async fn set_user_disabled(&mut self, user_id: i64, disabled: bool) -> Result<bool> {
        with_tx!(self, conn => {
            let changed = sqlx::query("UPDATE app_user SET disabled = $1 WHERE id = $2")
                .bind(disabled)
                .bind(user_id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if disabled {
                sqlx::query("DELETE FROM user_session WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(changed == 1)
        })
    }

    /// Starts a session (a login).
    pub async fn create_session(&mut self, s: &NewSession<'_>) -> Result<()> {
        with_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO user_session (token_hash, user_id, kind, created_at, last_seen_at, address, user_agent) \
                 VALUES ($1, $2, $3, $4, $4, $5, $6)",
            )
            .bind(s.token_hash)
            .bind(s.user_id)
            .bind(s.kind.as_str())
            .bind(s.now)
            .bind(s.address)
            .bind(s.user_agent)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Ends one session (a logout).
    pub async fn end_session(&mut self, token_hash: &str) -> Result<()> {
        with_tx!(self, conn => {
            sqlx::query("DELETE FROM user_session WHERE token_hash = $1")
                .bind(token_hash)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Ends every session of the account ("lost phone"). Returns how many ended.
    pub async fn delete_sessions_of(&mut self, user_id: i64) -> Result<u64> {
        with_tx!(self, conn => {
            Ok(sqlx::query("DELETE FROM user_session WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *conn)
                .await?
                .rows_affected())
        })
    }
}
