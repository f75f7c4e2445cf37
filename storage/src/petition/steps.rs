//! Taking a step on a petition: the state moves only if nobody moved it meanwhile,
//! together with what the step changes besides (registration, a department, an
//! extension, the decision, the reply, the evaluation) and its line in the timeline.

use chrono::{DateTime, NaiveDate, Utc};
use domain::petition::{PetitionState, Rating, Step};
use domain::registry::Decision;

use crate::write::with_tx;
use crate::{Result, Tx};

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

impl Tx {
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
}
