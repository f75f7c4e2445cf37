//! Petitions: taking one in (with its identity, people, attachments and first timeline
//! entry, in one transaction), taking a step (the state changes only if nobody changed
//! it meanwhile), the registry's filtered search, and the public view of one. The writes
//! are [`Tx`] methods: the service audits them in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};
use domain::attachment::MediaType;
use domain::intake::{NewPetition, PetitionerIdentity, ReportedParty};
use domain::petition::{Channel, DecisionOutcome, PetitionKind, PetitionState, Rating, Step};
use domain::registry::{
    AttachmentInfo, COUNT_CAP, ClockDates, Decision, PAGE_SIZE, PetitionDetail, PetitionIdentity,
    PetitionSummary, PublicEvent, PublicStatus, RegistryFilter, RegistryPage, Sort, TimelineEvent, deadlines,
};
use sqlx::{QueryBuilder, Row};

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

/// The facts the access policy and the lifecycle need about one petition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PetitionPlace {
    pub id: i64,
    pub township_id: i64,
    pub village_id: Option<i64>,
    pub department_id: Option<i64>,
    pub agent_user_id: Option<i64>,
    pub state: PetitionState,
    pub has_decision: bool,
}

/// What a step changes besides the state.
#[derive(Debug, Clone)]
pub enum StepChange<'a> {
    Nothing,
    Register,
    Forward {
        to: &'a str,
    },
    Assign {
        department_id: i64,
    },
    /// Handed back by a department: no longer assigned.
    Return,
    Accept,
    Extend {
        days: i64,
    },
    Decide(&'a Decision),
    Reply {
        delivered_on: NaiveDate,
    },
    Evaluate {
        rating: Rating,
        comment: Option<&'a str>,
    },
}

/// One step to record.
#[derive(Debug, Clone)]
pub struct StepRecord<'a> {
    pub petition_id: i64,
    pub step: Step,
    pub from: PetitionState,
    pub to: PetitionState,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub by_petitioner: bool,
    pub note: Option<&'a str>,
    pub public_note: Option<&'a str>,
    pub change: StepChange<'a>,
}

/// Who may see which petitions in the registry: the union of these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PetitionScope {
    pub townships: Vec<i64>,
    pub departments: Vec<i64>,
    pub agent: Option<i64>,
}

impl PetitionScope {
    pub fn is_empty(&self) -> bool {
        self.townships.is_empty() && self.departments.is_empty() && self.agent.is_none()
    }
}

type PlaceRow = (i64, i64, Option<i64>, Option<i64>, Option<i64>, String, bool);
type IdentityRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

const SUMMARY_COLUMNS: &str = "p.id, p.tracking_code, p.channel, p.kind, p.state, p.subject, \
     v.name AS village_name, d.name AS department_name, p.received_at, p.collective";
const SUMMARY_JOINS: &str = "LEFT JOIN org_unit v ON v.id = p.village_id \
     LEFT JOIN org_unit d ON d.id = p.department_id";

fn decode<T>(name: &str, value: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(value)
        .ok_or_else(|| StorageError::Query(sqlx::Error::Decode(format!("unknown {name} {value}").into())))
}

macro_rules! summary_from_row {
    ($row:expr) => {{
        let row = &$row;
        PetitionSummary {
            id: row.try_get("id")?,
            tracking_code: row.try_get("tracking_code")?,
            channel: decode("channel", row.try_get("channel")?, Channel::parse)?,
            kind: decode("kind", row.try_get("kind")?, PetitionKind::parse)?,
            state: decode("state", row.try_get("state")?, PetitionState::parse)?,
            subject: row.try_get("subject")?,
            village_name: row.try_get("village_name")?,
            department_name: row.try_get("department_name")?,
            received_at: row.try_get("received_at")?,
            collective: row.try_get("collective")?,
        }
    }};
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

    /// Records a step: the state moves from `from` to `to` only if the petition is still
    /// in `from` (two clerks acting at once cannot both succeed), with its line in the
    /// timeline, in this transaction. Returns false, having written nothing, if the state
    /// had changed.
    pub async fn record_step(&mut self, s: &StepRecord<'_>) -> Result<bool> {
        let mut sets = String::from("state = $1, updated_at = $2");
        match &s.change {
            StepChange::Nothing | StepChange::Decide(_) => {}
            StepChange::Register => sets.push_str(", registered_at = $2"),
            StepChange::Forward { .. } => sets.push_str(", forwarded_to = $5"),
            StepChange::Assign { .. } => sets.push_str(", department_id = $5"),
            StepChange::Return => sets.push_str(", department_id = NULL, forwarded_to = NULL"),
            StepChange::Accept => sets.push_str(", accepted_at = $2"),
            StepChange::Extend { .. } => sets.push_str(", extension_days = $5"),
            StepChange::Reply { .. } => sets.push_str(", reply_delivered_on = $5"),
            StepChange::Evaluate { .. } => {
                sets.push_str(", evaluation = $5, evaluation_comment = $6, evaluated_at = $2")
            }
        }
        if matches!(s.change, StepChange::Decide(_)) {
            sets.push_str(", has_decision = TRUE");
        }
        let sql = format!("UPDATE petition SET {sets} WHERE id = $3 AND state = $4");
        let department_id = match &s.change {
            StepChange::Assign { department_id } => Some(*department_id),
            _ => None,
        };
        with_tx!(self, conn => {
            let q = sqlx::query(&sql)
                .bind(s.to.as_str())
                .bind(s.at)
                .bind(s.petition_id)
                .bind(s.from.as_str());
            let q = match &s.change {
                StepChange::Forward { to } => q.bind(*to),
                StepChange::Assign { department_id } => q.bind(*department_id),
                StepChange::Extend { days } => q.bind(*days),
                StepChange::Reply { delivered_on } => q.bind(*delivered_on),
                StepChange::Evaluate { rating, comment } => q.bind(rating.as_str()).bind(*comment),
                _ => q,
            };
            if q.execute(&mut *conn).await?.rows_affected() == 0 {
                return Ok(false);
            }
            if let StepChange::Decide(d) = &s.change {
                sqlx::query(
                    "INSERT INTO petition_decision (petition_id, level, request, facts_reasons, decision, legal_basis, \
                     outcome, decided_by, decided_at) VALUES ($1, 'first', $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (petition_id, level) DO UPDATE SET request = excluded.request, \
                     facts_reasons = excluded.facts_reasons, decision = excluded.decision, \
                     legal_basis = excluded.legal_basis, outcome = excluded.outcome, \
                     decided_by = excluded.decided_by, decided_at = excluded.decided_at",
                )
                .bind(s.petition_id)
                .bind(&d.request)
                .bind(&d.facts_reasons)
                .bind(&d.decision)
                .bind(&d.legal_basis)
                .bind(d.outcome.as_str())
                .bind(s.actor_user_id)
                .bind(d.decided_at)
                .execute(&mut *conn)
                .await?;
            }
            sqlx::query(
                "INSERT INTO petition_event (petition_id, at, step, from_state, to_state, actor_user_id, \
                 by_petitioner, public, department_id, note, public_note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(s.petition_id)
            .bind(s.at)
            .bind(s.step.as_str())
            .bind(s.from.as_str())
            .bind(s.to.as_str())
            .bind(s.actor_user_id)
            .bind(s.by_petitioner)
            .bind(s.step.is_public())
            .bind(department_id)
            .bind(s.note)
            .bind(s.public_note)
            .execute(&mut *conn)
            .await?;
            Ok(true)
        })
    }

    /// Writes what the township's petition office publishes, in this transaction.
    pub async fn set_office_info(
        &mut self,
        township_id: i64,
        info: &domain::office::OfficeInfo,
        by: i64,
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO office_info (township_id, address, phone, mailing_address, reception, notes, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (township_id) DO UPDATE SET \
                 address = excluded.address, phone = excluded.phone, mailing_address = excluded.mailing_address, \
                 reception = excluded.reception, notes = excluded.notes, updated_at = excluded.updated_at, \
                 updated_by = excluded.updated_by",
            )
            .bind(township_id)
            .bind(&info.address)
            .bind(&info.phone)
            .bind(&info.mailing_address)
            .bind(&info.reception)
            .bind(&info.notes)
            .bind(at)
            .bind(by)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }
}

impl Database {
    /// The facts the access policy and the lifecycle need, or None if there is no such
    /// petition.
    pub async fn petition_place(&self, id: i64) -> Result<Option<PetitionPlace>> {
        let row: Option<PlaceRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, township_id, village_id, department_id, agent_user_id, state, has_decision \
                 FROM petition WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        let Some((id, township_id, village_id, department_id, agent_user_id, state, has_decision)) = row
        else {
            return Ok(None);
        };
        Ok(Some(PetitionPlace {
            id,
            township_id,
            village_id,
            department_id,
            agent_user_id,
            state: decode("state", &state, PetitionState::parse)?,
            has_decision,
        }))
    }

    /// The office's view of one petition (the identity apart).
    pub async fn petition_detail(&self, id: i64) -> Result<Option<PetitionDetail>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, p.township_id, p.village_id, p.department_id, p.forwarded_to, p.content, \
             p.request, p.facts_reasons, p.batch_count, p.person_count, p.accepted_at, \
             p.extension_days, p.reply_delivered_on, p.evaluation, p.evaluation_comment, p.has_decision \
             FROM petition p {SUMMARY_JOINS} WHERE p.id = $1"
        );
        let detail = with_pool!(self, pool => {
            let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(pool).await? else {
                return Ok(None);
            };
            let evaluation: Option<String> = row.try_get("evaluation")?;
            PetitionDetail {
                summary: summary_from_row!(row),
                township_id: row.try_get("township_id")?,
                village_id: row.try_get("village_id")?,
                department_id: row.try_get("department_id")?,
                forwarded_to: row.try_get("forwarded_to")?,
                content: row.try_get("content")?,
                request: row.try_get("request")?,
                facts_reasons: row.try_get("facts_reasons")?,
                batch_count: row.try_get("batch_count")?,
                person_count: row.try_get("person_count")?,
                reported: None,
                accepted_at: row.try_get("accepted_at")?,
                extension_days: row.try_get("extension_days")?,
                reply_delivered_on: row.try_get("reply_delivered_on")?,
                evaluation: evaluation.map(|e| decode("evaluation", &e, Rating::parse)).transpose()?,
                evaluation_comment: row.try_get("evaluation_comment")?,
                has_decision: row.try_get("has_decision")?,
                decision: None,
                attachments: Vec::new(),
                timeline: Vec::new(),
                deadlines: Vec::new(),
            }
        });
        let mut detail = detail;
        let reported: Option<(Option<String>, Option<String>, Option<String>)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT name, unit, details FROM reported_party WHERE petition_id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        detail.reported = reported.map(|(name, unit, details)| ReportedParty { name, unit, details });
        detail.decision = self.decision(id).await?;
        detail.attachments = self.attachments(id).await?;
        detail.timeline = self.timeline(id).await?;
        detail.deadlines = deadlines(ClockDates {
            state: detail.summary.state,
            received_at: detail.summary.received_at,
            accepted_at: detail.accepted_at,
            extension_days: detail.extension_days,
            reply_delivered_on: detail.reply_delivered_on,
        });
        Ok(Some(detail))
    }

    /// The first written decision, if recorded.
    pub async fn decision(&self, petition_id: i64) -> Result<Option<Decision>> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT request, facts_reasons, decision, legal_basis, outcome, decided_at \
                 FROM petition_decision WHERE petition_id = $1 AND level = 'first'",
            )
            .bind(petition_id)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            Ok(Some(Decision {
                request: row.try_get("request")?,
                facts_reasons: row.try_get("facts_reasons")?,
                decision: row.try_get("decision")?,
                legal_basis: row.try_get("legal_basis")?,
                outcome: decode("outcome", row.try_get("outcome")?, DecisionOutcome::parse)?,
                decided_at: row.try_get("decided_at")?,
            }))
        })
    }

    pub async fn attachments(&self, petition_id: i64) -> Result<Vec<AttachmentInfo>> {
        let rows: Vec<(i64, i64, String, String, i64)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, position, file_name, media_type, byte_size FROM petition_attachment \
                 WHERE petition_id = $1 ORDER BY position",
            )
            .bind(petition_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, position, file_name, media, byte_size)| {
                Ok(AttachmentInfo {
                    id,
                    position,
                    file_name,
                    media_type: decode("media type", &media, MediaType::parse)?,
                    byte_size,
                })
            })
            .collect()
    }

    /// One attachment's bytes: (petition id, file name, type, bytes).
    pub async fn attachment_content(&self, id: i64) -> Result<Option<(i64, String, MediaType, Vec<u8>)>> {
        let row: Option<(i64, String, String, Vec<u8>)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT petition_id, file_name, media_type, content FROM petition_attachment WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.map(|(p, name, media, bytes)| {
            Ok((p, name, decode("media type", &media, MediaType::parse)?, bytes))
        })
        .transpose()
    }

    /// Every step taken, oldest first, with who took it.
    pub async fn timeline(&self, petition_id: i64) -> Result<Vec<TimelineEvent>> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT e.at, e.step, e.to_state, u.display_name, d.name AS department, e.note, e.public_note \
                 FROM petition_event e LEFT JOIN app_user u ON u.id = e.actor_user_id \
                 LEFT JOIN org_unit d ON d.id = e.department_id WHERE e.petition_id = $1 ORDER BY e.id",
            )
            .bind(petition_id)
            .fetch_all(pool)
            .await?;
            let mut events = Vec::with_capacity(rows.len());
            for row in rows {
                let step: String = row.try_get("step")?;
                events.push(TimelineEvent {
                    at: row.try_get("at")?,
                    step: Step::parse(&step),
                    to_state: decode("state", row.try_get("to_state")?, PetitionState::parse)?,
                    actor: row.try_get("display_name")?,
                    department: row.try_get("department")?,
                    note: row.try_get("note")?,
                    public_note: row.try_get("public_note")?,
                });
            }
            Ok::<_, StorageError>(events)
        })
    }

    /// Who filed the petition. The caller audits the read.
    pub async fn petition_identity(&self, petition_id: i64) -> Result<Option<PetitionIdentity>> {
        let row: Option<IdentityRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT w.name, w.resident_id, w.phone, w.address, p.agent_consent \
                 FROM petitioner w JOIN petition p ON p.id = w.petition_id WHERE w.petition_id = $1",
            )
            .bind(petition_id)
            .fetch_optional(pool)
            .await?
        });
        let Some((name, resident_id, phone, address, agent_consent)) = row else {
            return Ok(None);
        };
        let representatives = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT name FROM petition_representative WHERE petition_id = $1 ORDER BY position")
                .bind(petition_id)
                .fetch_all(pool)
                .await?
        });
        Ok(Some(PetitionIdentity {
            petitioner: PetitionerIdentity {
                name,
                resident_id,
                phone,
                address,
            },
            representatives,
            agent_consent,
        }))
    }

    /// The id and query-password hash behind a tracking code.
    pub async fn tracking_secret(&self, tracking_code: &str) -> Result<Option<(i64, String)>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_as("SELECT id, query_secret_hash FROM petition WHERE tracking_code = $1")
                .bind(tracking_code)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// What the petitioner may see: public steps and notes, the delivered reply.
    pub async fn public_status(&self, id: i64) -> Result<Option<PublicStatus>> {
        let Some(d) = self.petition_detail(id).await? else {
            return Ok(None);
        };
        let timeline = d
            .timeline
            .iter()
            .filter(|e| e.step.is_none_or(Step::is_public))
            .map(|e| PublicEvent {
                at: e.at,
                step: e.step,
                public_note: e.public_note.clone(),
            })
            .collect();
        let delivered = d.reply_delivered_on.is_some();
        Ok(Some(PublicStatus {
            tracking_code: d.summary.tracking_code,
            state: d.summary.state,
            subject: d.summary.subject,
            received_at: d.summary.received_at,
            timeline,
            deadlines: d.deadlines,
            reply: d.decision.filter(|_| delivered),
            reply_delivered_on: d.reply_delivered_on,
            evaluation: d.evaluation,
            evaluation_comment: d.evaluation_comment,
        }))
    }

    /// One page of the registry: the filter within the scope, newest (or oldest) first.
    ///
    /// Without words the page is read in the order of an index and the matches counted up
    /// to [`COUNT_CAP`] + 1. With words, the newest [`SCAN_WINDOW`] petitions of the filter
    /// are read first, in order, each checked for the words: a common phrase fills the page
    /// after a few dozen rows, and any match outside the window is older than all inside
    /// it, so the page is exact. Only when the window holds too few matches (a rare phrase)
    /// does the full-text index answer, and the matches are counted.
    pub async fn registry(&self, filter: &RegistryFilter, scope: &PetitionScope) -> Result<RegistryPage> {
        let page = filter.page.max(1);
        let empty = RegistryPage {
            rows: Vec::new(),
            total: Some(0),
            page,
            has_next: false,
        };
        if scope.is_empty() {
            return Ok(empty);
        }
        let offset = i64::from(page - 1) * i64::from(PAGE_SIZE);
        let want = i64::from(PAGE_SIZE) + 1;
        let Some(words) = filter.words() else {
            let rows = self
                .rows_where(filter, scope, Words::Any, None, offset, want)
                .await?;
            let total = self.count_where(filter, scope, Words::Any, COUNT_CAP + 1).await?;
            return Ok(page_of(rows, Some(total), page));
        };
        let Some(edge) = self.window_edge(filter, scope).await? else {
            // The whole filter fits in the window: read it all, count exactly.
            let rows = self
                .rows_where(filter, scope, Words::Scan(words), None, offset, want)
                .await?;
            let total = self
                .count_where(filter, scope, Words::Scan(words), SCAN_WINDOW + 1)
                .await?;
            return Ok(page_of(rows, Some(total), page));
        };
        let rows = self
            .rows_where(filter, scope, Words::Scan(words), Some(edge), offset, want)
            .await?;
        if rows.len() > PAGE_SIZE as usize {
            return Ok(page_of(rows, None, page));
        }
        let rows = self
            .rows_where(filter, scope, Words::Index(words), None, offset, want)
            .await?;
        let total = self
            .count_where(filter, scope, Words::Index(words), COUNT_CAP + 1)
            .await?;
        Ok(page_of(rows, Some(total), page))
    }

    /// The rows of the registry matching `filter` within `scope`, in its order, up to
    /// `limit` (for a ledger export), the words found through the full-text index.
    pub async fn registry_rows(
        &self,
        filter: &RegistryFilter,
        scope: &PetitionScope,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<PetitionSummary>> {
        if scope.is_empty() {
            return Ok(Vec::new());
        }
        let words = filter.words().map_or(Words::Any, Words::Index);
        self.rows_where(filter, scope, words, None, offset, limit).await
    }

    /// The `received_at` of the first petition past the newest (or oldest, by the sort)
    /// [`SCAN_WINDOW`] that pass the filter's indexed conditions; `None` when no more do.
    ///
    /// Any part of the filter bounds the window correctly (a match outside it is still
    /// older than everything inside), so only the parts one index answers are used, and
    /// the edge is found in the index alone: a village (with its state), else a
    /// department, else the townships of the scope with the state, channel or kind;
    /// dates always.
    async fn window_edge(
        &self,
        filter: &RegistryFilter,
        scope: &PetitionScope,
    ) -> Result<Option<DateTime<Utc>>> {
        let dates = RegistryFilter {
            from: filter.from,
            to: filter.to,
            sort: filter.sort,
            ..RegistryFilter::default()
        };
        let single = scope.agent.is_none() && (scope.townships.is_empty() != scope.departments.is_empty());
        let (indexed, scope) = if filter.village_id.is_some() {
            let f = RegistryFilter {
                village_id: filter.village_id,
                state: filter.state,
                ..dates
            };
            (f, None)
        } else if filter.department_id.is_some() {
            (
                RegistryFilter {
                    department_id: filter.department_id,
                    ..dates
                },
                None,
            )
        } else if single && !scope.townships.is_empty() {
            // The township's indexes by state, by channel and by kind: one of them.
            let f = if filter.state.is_some() {
                RegistryFilter {
                    state: filter.state,
                    ..dates
                }
            } else if filter.channel.is_some() {
                RegistryFilter {
                    channel: filter.channel,
                    ..dates
                }
            } else {
                RegistryFilter {
                    kind: filter.kind,
                    ..dates
                }
            };
            (f, Some(scope))
        } else if single {
            (dates, Some(scope))
        } else {
            // An agent's own petitions, or a mixed scope: few enough to filter whole.
            (filter.clone(), Some(scope))
        };
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new("SELECT p.received_at FROM petition p WHERE ");
            self.push_registry_where(&mut qb, &indexed, scope, Words::Any, None);
            qb.push(format!(" ORDER BY {} LIMIT 1 OFFSET ", order_of(filter.sort)));
            qb.push_bind(SCAN_WINDOW);
            Ok(qb.build_query_scalar().fetch_optional(pool).await?)
        })
    }

    async fn rows_where(
        &self,
        filter: &RegistryFilter,
        scope: &PetitionScope,
        words: Words<'_>,
        edge: Option<DateTime<Utc>>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<PetitionSummary>> {
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(format!("SELECT {SUMMARY_COLUMNS} FROM petition p {SUMMARY_JOINS} WHERE "));
            self.push_registry_where(&mut qb, filter, Some(scope), words, edge);
            qb.push(format!(" ORDER BY {} LIMIT ", order_of(filter.sort)));
            qb.push_bind(limit);
            qb.push(" OFFSET ");
            qb.push_bind(offset);
            let rows = qb.build().fetch_all(pool).await?;
            let mut summaries = Vec::with_capacity(rows.len());
            for row in rows {
                summaries.push(summary_from_row!(row));
            }
            Ok(summaries)
        })
    }

    /// The matches, counted up to `cap`.
    async fn count_where(
        &self,
        filter: &RegistryFilter,
        scope: &PetitionScope,
        words: Words<'_>,
        cap: i64,
    ) -> Result<i64> {
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1 FROM petition p WHERE ");
            self.push_registry_where(&mut qb, filter, Some(scope), words, None);
            qb.push(" LIMIT ");
            qb.push_bind(cap);
            qb.push(") AS capped");
            Ok(qb.build_query_scalar().fetch_one(pool).await?)
        })
    }

    fn push_registry_where<'q, DB>(
        &self,
        qb: &mut QueryBuilder<'q, DB>,
        f: &RegistryFilter,
        scope: Option<&PetitionScope>,
        words: Words<'_>,
        edge: Option<DateTime<Utc>>,
    ) where
        DB: sqlx::Database,
        i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        // The scope: built from plain lists so each part can use its own index. Without
        // one (a window's edge only), a condition that is always true.
        match scope {
            None => {
                qb.push("1 = 1");
            }
            Some(scope) => {
                qb.push("(");
                let mut first = true;
                let mut part = |qb: &mut QueryBuilder<'q, DB>, column: &str, ids: &[i64]| {
                    if ids.is_empty() {
                        return;
                    }
                    if !first {
                        qb.push(" OR ");
                    }
                    first = false;
                    qb.push(format!("p.{column} IN ("));
                    let mut list = qb.separated(", ");
                    for id in ids {
                        list.push_bind(*id);
                    }
                    list.push_unseparated(")");
                };
                part(qb, "township_id", &scope.townships);
                part(qb, "department_id", &scope.departments);
                if let Some(agent) = scope.agent {
                    part(qb, "agent_user_id", &[agent]);
                }
                qb.push(")");
            }
        }

        if let Some(state) = f.state {
            qb.push(" AND p.state = ").push_bind(state.as_str());
        }
        if let Some(channel) = f.channel {
            qb.push(" AND p.channel = ").push_bind(channel.as_str());
        }
        if let Some(kind) = f.kind {
            qb.push(" AND p.kind = ").push_bind(kind.as_str());
        }
        if let Some(village) = f.village_id {
            qb.push(" AND p.village_id = ").push_bind(village);
        }
        if let Some(department) = f.department_id {
            qb.push(" AND p.department_id = ").push_bind(department);
        }
        let (from, to) = f.utc_range();
        if let Some(from) = from {
            qb.push(" AND p.received_at >= ").push_bind(from);
        }
        if let Some(to) = to {
            qb.push(" AND p.received_at < ").push_bind(to);
        }
        // The window: everything from its edge on (ties at the edge included).
        if let Some(edge) = edge {
            let op = match f.sort {
                Sort::Newest => " AND p.received_at >= ",
                Sort::Oldest => " AND p.received_at <= ",
            };
            qb.push(op).push_bind(edge);
        }
        let like = |w: &str| format!("%{}%", escape_like(w));
        match (words, self) {
            (Words::Any, _) => {}
            // Trigrams need three characters; shorter words are found by scanning.
            (Words::Index(w), Database::Sqlite(_)) if w.chars().count() >= 3 => {
                qb.push(" AND p.id IN (SELECT rowid FROM petition_fts WHERE petition_fts MATCH ")
                    .push_bind(format!("\"{}\"", w.replace('"', "\"\"")))
                    .push(")");
            }
            (Words::Index(w) | Words::Scan(w), Database::Sqlite(_)) => {
                qb.push(" AND (p.subject LIKE ")
                    .push_bind(like(w))
                    .push(" ESCAPE '\\' OR p.content LIKE ")
                    .push_bind(like(w))
                    .push(" ESCAPE '\\')");
            }
            // The trigram index covers this expression; a row-by-row scan reads it too.
            (Words::Index(w) | Words::Scan(w), Database::Postgres { .. }) => {
                qb.push(" AND (p.subject || ' ' || p.content) ILIKE ")
                    .push_bind(like(w))
                    .push(" ESCAPE '\\'");
            }
        }
    }

    /// What the township's petition office publishes, if an admin has written it.
    pub async fn office_info(&self, township_id: i64) -> Result<Option<domain::office::OfficeInfo>> {
        let row: Option<(String, String, String, String, String)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT address, phone, mailing_address, reception, notes FROM office_info WHERE township_id = $1",
            )
            .bind(township_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(
            |(address, phone, mailing_address, reception, notes)| domain::office::OfficeInfo {
                address,
                phone,
                mailing_address,
                reception,
                notes,
            },
        ))
    }

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

/// The newest petitions of a filter a search reads row by row before it turns to the
/// full-text index: at 1 in 100 petitions holding the words the page is full by then.
pub const SCAN_WINDOW: i64 = 2_000;

/// How a search's words are looked for.
#[derive(Debug, Clone, Copy)]
enum Words<'a> {
    /// No words.
    Any,
    /// In each row read (the rows come in the registry's order, so the first page stops
    /// early).
    Scan(&'a str),
    /// Through the full-text index (SQLite FTS5 trigrams; pg_trgm on PostgreSQL).
    Index(&'a str),
}

fn order_of(sort: Sort) -> &'static str {
    match sort {
        Sort::Newest => "p.received_at DESC, p.id DESC",
        Sort::Oldest => "p.received_at ASC, p.id ASC",
    }
}

/// A page from up to `PAGE_SIZE + 1` rows: the one past the page only says there is a
/// next page.
fn page_of(mut rows: Vec<PetitionSummary>, total: Option<i64>, page: u32) -> RegistryPage {
    let has_next = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    RegistryPage {
        rows,
        total,
        page,
        has_next,
    }
}

/// `%`, `_` and `\` typed by a person are searched for as themselves.
fn escape_like(words: &str) -> String {
    let mut out = String::with_capacity(words.len());
    for c in words.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
