//! Loading many petitions at once (the benchmark's million, or a ledger kept before the
//! app): multi-row INSERTs in one transaction per call, with tracking codes taken from
//! `tracking_sequence` exactly as one intake takes them, so later intakes continue the
//! day's numbering. On SQLite the full-text table is kept by its triggers as usual.
//!
//! A loaded petition has its row and its petitioner, nothing else: no timeline, no
//! written decision, no attachments (its page shows an empty timeline).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use domain::intake::PetitionerIdentity;
use domain::petition::{Channel, PetitionKind, PetitionState};
use sqlx::QueryBuilder;

use crate::{Database, Result, StorageError, with_pool};

/// One petition to load, with what the `petition` and `petitioner` tables need. The
/// tracking code is not given: the loader takes the next numbers of the day of
/// `received_at` (China time).
#[derive(Debug, Clone)]
pub struct BulkPetition {
    /// SHA-256 (hex) of the query password.
    pub query_secret_hash: String,
    pub channel: Channel,
    pub kind: PetitionKind,
    pub state: PetitionState,
    pub township_id: i64,
    pub village_id: Option<i64>,
    pub department_id: Option<i64>,
    pub forwarded_to: Option<String>,
    pub subject: String,
    pub content: String,
    pub request: Option<String>,
    pub batch_count: i64,
    pub person_count: i64,
    pub collective: bool,
    pub received_at: DateTime<Utc>,
    pub registered_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub petitioner: PetitionerIdentity,
    pub consent_at: Option<DateTime<Utc>>,
}

/// Petitions per INSERT statement: 20 parameters each stays under SQLite's 32,766 bound
/// parameters (and PostgreSQL's 65,535).
const ROWS_PER_STATEMENT: usize = 1_000;

impl Database {
    /// Stores `rows` in one transaction, in their order, each with the next tracking code
    /// of its day. For a large load, call it with a few thousand rows at a time.
    pub async fn bulk_load_petitions(&self, rows: &[BulkPetition]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let days: Vec<NaiveDate> = rows
            .iter()
            .map(|r| domain::registry::china_date(r.received_at))
            .collect();
        let mut per_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        for day in &days {
            *per_day.entry(*day).or_default() += 1;
        }
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Reserve each day's block of numbers at once, days in ascending order so two
            // loads running side by side cannot wait on each other in a cycle.
            let mut next: HashMap<NaiveDate, i64> = HashMap::with_capacity(per_day.len());
            for (day, count) in &per_day {
                let last: i64 = sqlx::query_scalar(
                    "INSERT INTO tracking_sequence (day, last_number) VALUES ($1, $2) \
                     ON CONFLICT (day) DO UPDATE SET last_number = tracking_sequence.last_number + $2 \
                     RETURNING last_number",
                )
                .bind(*day)
                .bind(*count)
                .fetch_one(&mut *tx)
                .await?;
                next.insert(*day, last - count + 1);
            }
            let mut codes = Vec::with_capacity(rows.len());
            for day in &days {
                let number = next.get_mut(day).ok_or_else(|| bulk_error("a day without numbers"))?;
                codes.push(domain::petition::tracking_code(*day, u32::try_from(*number).unwrap_or(u32::MAX)));
                *number += 1;
            }

            let mut ids: HashMap<String, i64> = HashMap::with_capacity(rows.len());
            for (chunk, chunk_codes) in rows.chunks(ROWS_PER_STATEMENT).zip(codes.chunks(ROWS_PER_STATEMENT)) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO petition (tracking_code, query_secret_hash, channel, kind, state, township_id, \
                     village_id, department_id, forwarded_to, subject, content, request, batch_count, person_count, \
                     collective, received_at, registered_at, accepted_at, updated_at) ",
                );
                qb.push_values(chunk.iter().zip(chunk_codes), |mut b, (r, code)| {
                    b.push_bind(code.as_str())
                        .push_bind(r.query_secret_hash.as_str())
                        .push_bind(r.channel.as_str())
                        .push_bind(r.kind.as_str())
                        .push_bind(r.state.as_str())
                        .push_bind(r.township_id)
                        .push_bind(r.village_id)
                        .push_bind(r.department_id)
                        .push_bind(r.forwarded_to.as_deref())
                        .push_bind(r.subject.as_str())
                        .push_bind(r.content.as_str())
                        .push_bind(r.request.as_deref())
                        .push_bind(r.batch_count)
                        .push_bind(r.person_count)
                        .push_bind(r.collective)
                        .push_bind(r.received_at)
                        .push_bind(r.registered_at)
                        .push_bind(r.accepted_at)
                        .push_bind(r.updated_at);
                });
                qb.push(" RETURNING id, tracking_code");
                // The order of RETURNING rows is not promised: match them by code.
                let returned: Vec<(i64, String)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                ids.extend(returned.into_iter().map(|(id, code)| (code, id)));
            }

            let mut people = Vec::with_capacity(rows.len());
            for (r, code) in rows.iter().zip(&codes) {
                let id = *ids.get(code).ok_or_else(|| bulk_error("a petition without its id"))?;
                people.push((id, r));
            }
            for chunk in people.chunks(ROWS_PER_STATEMENT) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO petitioner (petition_id, name, resident_id, phone, address, consent_at) ",
                );
                qb.push_values(chunk, |mut b, (id, r)| {
                    let who = &r.petitioner;
                    b.push_bind(*id)
                        .push_bind(who.name.as_str())
                        .push_bind(who.resident_id.as_deref())
                        .push_bind(who.phone.as_deref())
                        .push_bind(who.address.as_deref())
                        .push_bind(r.consent_at);
                });
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// How many petitions are stored (an exact count: for tools, not for pages).
    pub async fn petition_count(&self) -> Result<i64> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM petition").fetch_one(pool).await?)
        })
    }
}

fn bulk_error(what: &str) -> StorageError {
    StorageError::Query(sqlx::Error::Protocol(format!("bulk load: {what}")))
}
