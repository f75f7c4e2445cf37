//! Weekly reports: when a township's are due, what was stored for a week (and how many
//! reports each village's lists, and who sent it), and the reports a village's weekly
//! report may list.

use chrono::{DateTime, Utc};
use domain::field::{Severity, WeeklyDeadline};
use domain::sync::WeekFieldReport;
use sqlx::{QueryBuilder, Row};

use super::decode;
use crate::write::{Tx, with_tx};
use crate::{Database, Result, with_pool};

/// A village's stored report for a week: (village, zero, phone's time, server's time).
/// A village's weekly report: village, zero, created (the phone's time), received, and
/// when its session had last finished a sync before.
pub type WeeklyRow = (i64, bool, DateTime<Utc>, DateTime<Utc>, Option<DateTime<Utc>>);

impl Database {
    pub async fn weekly_deadline(&self, township_id: i64) -> Result<WeeklyDeadline> {
        let row: Option<(i64, i64, bool)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT weekday, hour, next_week FROM weekly_deadline WHERE township_id = $1")
                .bind(township_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(match row {
            Some((weekday, hour, next_week)) => WeeklyDeadline {
                weekday: u8::try_from(weekday).unwrap_or(1),
                hour: u8::try_from(hour).unwrap_or(12),
                next_week,
            },
            None => WeeklyDeadline::DEFAULT,
        })
    }

    /// The weekly reports stored for `week` (`2026-W48`) in a township.
    pub async fn weekly_reports(&self, township_id: i64, week: &str) -> Result<Vec<WeeklyRow>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT village_id, zero, created_at, received_at, synced_after FROM weekly_report \
                 WHERE township_id = $1 AND week = $2",
            )
            .bind(township_id)
            .bind(week)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The reports of these villages found in `[from, to)`, oldest first, at most `limit`:
    /// what a weekly report may list.
    pub async fn village_reports_between(
        &self,
        township_id: i64,
        villages: &[i64],
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        limit: i64,
    ) -> Result<Vec<WeekFieldReport>> {
        if villages.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(
                "SELECT client_uuid, village_id, kind, severity, found_at FROM field_report WHERE township_id = ",
            );
            qb.push_bind(township_id).push(" AND village_id IN (");
            let mut list = qb.separated(", ");
            for v in villages {
                list.push_bind(*v);
            }
            qb.push(") AND found_at >= ").push_bind(from);
            qb.push(" AND found_at < ").push_bind(to);
            qb.push(" ORDER BY found_at, id LIMIT ").push_bind(limit);
            let rows = qb.build().fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(WeekFieldReport {
                    client_id: row.try_get("client_uuid")?,
                    village_id: row.try_get("village_id")?,
                    kind: row.try_get("kind")?,
                    severity: decode("severity", row.try_get("severity")?, Severity::parse)?,
                    found_at: row.try_get("found_at")?,
                });
            }
            Ok(out)
        })
    }

    /// Per village that reported for `week` (`2026-W48`): how many reports its weekly
    /// report lists, and who sent it.
    pub async fn weekly_report_lines(&self, township_id: i64, week: &str) -> Result<Vec<(i64, i64, String)>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT w.village_id, (SELECT COUNT(*) FROM weekly_report_item i WHERE i.weekly_report_id = w.id) AS items, \
                 u.display_name FROM weekly_report w JOIN app_user u ON u.id = w.author_id \
                 WHERE w.township_id = $1 AND w.week = $2",
            )
            .bind(township_id)
            .bind(week)
            .fetch_all(pool)
            .await?)
        })
    }
}

/// The weekly deadline's setting, in the caller's transaction.
impl Tx {
    /// Sets when the township's weekly reports are due.
    pub async fn set_weekly_deadline(
        &mut self,
        township_id: i64,
        d: WeeklyDeadline,
        by: i64,
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO weekly_deadline (township_id, weekday, hour, next_week, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (township_id) DO UPDATE SET weekday = excluded.weekday, \
                 hour = excluded.hour, next_week = excluded.next_week, updated_at = excluded.updated_at, \
                 updated_by = excluded.updated_by",
            )
            .bind(township_id)
            .bind(i64::from(d.weekday))
            .bind(i64::from(d.hour))
            .bind(d.next_week)
            .bind(at)
            .bind(by)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }
}
