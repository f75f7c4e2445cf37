//! What the petitioner sees by tracking code: the query password's hash that opens it,
//! and the public view of the petition (public steps and notes, deadlines, the delivered
//! reply and the evaluation).

use domain::petition::Step;
use domain::registry::{PublicEvent, PublicStatus};

use crate::{Database, Result, with_pool};

impl Database {
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
}
