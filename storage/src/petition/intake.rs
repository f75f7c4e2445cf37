//! Taking a petition in: the checked form and what the service decided about it, stored
//! with its identity, people, attachments, first timeline entry and count against the
//! submission limits in one transaction (the same form posted twice is one petition).

use chrono::{DateTime, Utc};
use domain::attachment::MediaType;
use domain::intake::NewPetition;
use domain::petition::{PetitionState, Step};

use crate::write::{Conn, with_tx};
use crate::{Database, Result, StorageError, Tx, with_pool};

/// An attachment ready to store: typed by its content, metadata already stripped.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub file_name: String,
    pub media_type: MediaType,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// A checked petition and what the service decided about it.
#[derive(Clone)]
pub struct PetitionInsert<'a> {
    pub petition: &'a NewPetition,
    /// `Submitted` (the online inbox) or `Registered` (taken in at the office).
    pub state: PetitionState,
    pub township_id: i64,
    pub received_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub query_secret_hash: &'a str,
    pub submission_key: Option<&'a str>,
    /// A hash of the form's content, stored with its key: the same key with the same
    /// content is a resend; with other content, another form (refused, nothing shown).
    pub submission_hash: Option<&'a str>,
    pub created_by: Option<i64>,
    pub agent_user_id: Option<i64>,
    pub consent_at: Option<DateTime<Utc>>,
    pub attachments: &'a [NewAttachment],
    /// Public submissions: the limits the new petition must keep; it counts against each.
    pub limits: &'a [SubmissionLimit],
}

/// At most `max` public submissions (or lookups) counted against `key` since `since`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionLimit {
    pub key: String,
    pub max: i64,
    pub since: DateTime<Utc>,
}

/// What was stored, or found already stored under the same submission key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inserted {
    pub id: i64,
    pub tracking_code: String,
    /// False when the same form had been stored before (a retry).
    pub created: bool,
}

impl Database {
    /// Begins the transaction that takes in a petition, and stores it there (see
    /// [`Tx::insert_petition`]); the caller writes the audit entry and commits. The same
    /// form posted twice is one petition: if it was stored before under the same
    /// submission key, the answer is that petition with no transaction (nothing written,
    /// nothing to audit), also when the other copy was stored at the same moment and this
    /// transaction failed on the key (it is dropped before the other copy is read). Over a
    /// limit, nothing is written and the answer is [`StorageError::OverLimit`].
    pub async fn begin_petition(&self, p: &PetitionInsert<'_>) -> Result<(Inserted, Option<Tx>)> {
        // Read before taking the turn to write: a resent form waits for no writer.
        if let Some(key) = p.submission_key
            && let Some(found) = self.petition_by_submission_key(key, p.submission_hash).await?
        {
            return Ok((found, None));
        }
        let mut tx = self.begin().await?;
        match tx.insert_petition(p).await {
            Ok(inserted) => Ok((inserted, Some(tx))),
            Err(StorageError::Query(sqlx::Error::Database(e)))
                if e.is_unique_violation() && p.submission_key.is_some() =>
            {
                // The same key arrived twice at once; the other copy won. This
                // transaction is spoilt (PostgreSQL refuses anything more in it).
                drop(tx);
                let key = p.submission_key.unwrap_or_default();
                let found = self
                    .petition_by_submission_key(key, p.submission_hash)
                    .await?
                    .ok_or(StorageError::Query(sqlx::Error::Database(e)))?;
                Ok((found, None))
            }
            Err(e) => Err(e),
        }
    }

    /// The petition stored under a submission key, if its content hash is `hash`; a
    /// stored petition with another hash is [`StorageError::KeyReused`], and nothing of
    /// it leaves this function.
    async fn petition_by_submission_key(&self, key: &str, hash: Option<&str>) -> Result<Option<Inserted>> {
        let row: Option<(i64, String, Option<String>)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT id, tracking_code, submission_hash FROM petition WHERE submission_key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        });
        match row {
            Some((_, _, stored)) if stored.as_deref() != hash => Err(StorageError::KeyReused),
            found => Ok(found.map(|(id, tracking_code, _)| Inserted {
                id,
                tracking_code,
                created: false,
            })),
        }
    }
}

impl Tx {
    /// Stores a new petition with everything that belongs to it and its count against
    /// the submission limits, in this transaction. Over a limit nothing is written and
    /// the answer is [`StorageError::OverLimit`]; a submission key stored before fails on
    /// its unique index ([`Database::begin_petition`] answers with the stored petition).
    pub async fn insert_petition(&mut self, p: &PetitionInsert<'_>) -> Result<Inserted> {
        // The limits are checked and counted under a lock on each key, held until the
        // transaction ends, so two forms at once cannot both slip under a limit.
        match &mut self.conn {
            Conn::Sqlite { tx, .. } => {
                crate::limits::check_limits!(*tx, p.limits, |i| Err(StorageError::OverLimit(i)))
            }
            Conn::Postgres(tx) => {
                crate::limits::check_limits!(*tx, p.limits, |i| Err(StorageError::OverLimit(i)))
            }
        }
        let n = p.petition;
        let day = domain::registry::china_date(p.received_at);
        let visit = n.visit.as_ref();
        with_tx!(self, conn => {
            let number: i64 = sqlx::query_scalar(
                "INSERT INTO tracking_sequence (day, last_number) VALUES ($1, 1) \
                 ON CONFLICT (day) DO UPDATE SET last_number = tracking_sequence.last_number + 1 \
                 RETURNING last_number",
            )
            .bind(day)
            .fetch_one(&mut *conn)
            .await?;
            let tracking_code = domain::petition::tracking_code(day, u32::try_from(number).unwrap_or(u32::MAX));
            let registered_at = (p.state == PetitionState::Registered).then_some(p.now);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO petition (tracking_code, query_secret_hash, submission_key, submission_hash, channel, \
                 kind, state, township_id, village_id, subject, content, request, facts_reasons, batch_count, \
                 person_count, collective, received_at, registered_at, agent_user_id, agent_consent, created_by, \
                 updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
                 $21, $22) RETURNING id",
            )
            .bind(&tracking_code)
            .bind(p.query_secret_hash)
            .bind(p.submission_key)
            .bind(p.submission_hash)
            .bind(n.channel.as_str())
            .bind(n.kind.as_str())
            .bind(p.state.as_str())
            .bind(p.township_id)
            .bind(n.village_id)
            .bind(&n.subject)
            .bind(&n.content)
            .bind(&n.request)
            .bind(&n.facts_reasons)
            .bind(visit.map_or(1, |v| i64::from(v.batch_count)))
            .bind(visit.map_or(1, |v| i64::from(v.person_count)))
            .bind(visit.is_some_and(|v| v.collective))
            .bind(p.received_at)
            .bind(registered_at)
            .bind(p.agent_user_id)
            .bind(&n.agent_consent)
            .bind(p.created_by)
            .bind(p.now)
            .fetch_one(&mut *conn)
            .await?;
            let who = &n.petitioner;
            sqlx::query(
                "INSERT INTO petitioner (petition_id, name, resident_id, phone, address, consent_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(&who.name)
            .bind(&who.resident_id)
            .bind(&who.phone)
            .bind(&who.address)
            .bind(p.consent_at)
            .execute(&mut *conn)
            .await?;
            for (i, name) in visit.map(|v| v.representatives.as_slice()).unwrap_or_default().iter().enumerate() {
                sqlx::query("INSERT INTO petition_representative (petition_id, position, name) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(i64::try_from(i + 1).unwrap_or(i64::MAX))
                    .bind(name)
                    .execute(&mut *conn)
                    .await?;
            }
            if let Some(r) = &n.reported {
                sqlx::query("INSERT INTO reported_party (petition_id, name, unit, details) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(&r.name)
                    .bind(&r.unit)
                    .bind(&r.details)
                    .execute(&mut *conn)
                    .await?;
            }
            for (i, a) in p.attachments.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO petition_attachment (petition_id, position, file_name, media_type, byte_size, sha256, content) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(i64::try_from(i + 1).unwrap_or(i64::MAX))
                .bind(&a.file_name)
                .bind(a.media_type.as_str())
                .bind(i64::try_from(a.bytes.len()).unwrap_or(i64::MAX))
                .bind(&a.sha256)
                .bind(&a.bytes)
                .execute(&mut *conn)
                .await?;
            }
            // The first line of the timeline: filed (online/agent) or registered at the desk.
            let step = (p.state == PetitionState::Registered).then_some(Step::Register.as_str());
            sqlx::query(
                "INSERT INTO petition_event (petition_id, at, step, from_state, to_state, actor_user_id, \
                 by_petitioner, public) VALUES ($1, $2, $3, NULL, $4, $5, $6, TRUE)",
            )
            .bind(id)
            .bind(p.now)
            .bind(step.unwrap_or("file"))
            .bind(p.state.as_str())
            .bind(p.created_by)
            .bind(p.created_by.is_none())
            .execute(&mut *conn)
            .await?;
            for limit in p.limits {
                sqlx::query("INSERT INTO public_submission (key, at) VALUES ($1, $2)")
                    .bind(&limit.key)
                    .bind(p.now)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(Inserted {
                id,
                tracking_code,
                created: true,
            })
        })
    }
}
