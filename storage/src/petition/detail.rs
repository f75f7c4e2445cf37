//! One petition as the office reads it: the facts the access policy and the lifecycle
//! need, the whole record with its decision, attachments, timeline and deadlines, an
//! attachment's bytes, and who filed it.

use domain::attachment::MediaType;
use domain::intake::{PetitionerIdentity, ReportedParty};
use domain::petition::{Channel, DecisionOutcome, PetitionKind, PetitionState, Rating, Step};
use domain::registry::{
    AttachmentInfo, ClockDates, Decision, PetitionDetail, PetitionIdentity, PetitionSummary, TimelineEvent,
    deadlines,
};
use sqlx::Row;

use super::decode;
use super::registry::{SUMMARY_COLUMNS, SUMMARY_JOINS, summary_from_row};
use crate::{Database, Result, StorageError, with_pool};

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

type PlaceRow = (i64, i64, Option<i64>, Option<i64>, Option<i64>, String, bool);
type IdentityRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

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
}
