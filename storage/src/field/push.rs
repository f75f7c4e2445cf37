//! A phone's push: the checked records it carries (dispute and hazard reports, weekly
//! reports, answers to questions), stored in the caller's transaction, each in a
//! savepoint of its own so that a record that breaks a constraint is rejected alone;
//! consecutive reports go in a few multi-row statements.

use chrono::{DateTime, Utc};
use domain::field::{InboxState, InboxStep, NewFieldReport, NewWeeklyReport, check_item};
use domain::petition::Refusal;
use domain::sync::{ChangeKind, RecordType, Rejection};
use domain::{FieldError, Problem};
use std::collections::{HashMap, HashSet};

use sqlx::{Acquire, QueryBuilder};

use super::changes::{NewChange, append_changes};
use super::inbox::INSERT_INBOX_EVENT;
use super::len_i64;
use super::receipts::{SyncReceipt, report_receipts};
use crate::write::{Tx, with_tx};
use crate::{Result, StorageError};

/// A checked dispute or hazard report and where it came from.
#[derive(Debug, Clone)]
pub struct ReportInsert<'a> {
    pub report: &'a NewFieldReport,
    pub township_id: i64,
    pub device_id: &'a str,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct WeeklyInsert<'a> {
    pub report: &'a NewWeeklyReport,
    pub township_id: i64,
    pub device_id: &'a str,
    pub created_at: DateTime<Utc>,
    /// When the pushing session last finished a sync
    /// ([`Database::record_pull`](crate::Database::record_pull)).
    pub synced_after: Option<DateTime<Utc>>,
}

/// The officer's answer to a question, on a report the service found in scope.
#[derive(Debug, Clone)]
pub struct SupplementInsert<'a> {
    pub report_id: i64,
    pub note: &'a str,
    pub by_name: &'a str,
}

#[derive(Debug, Clone)]
pub enum PushItem<'a> {
    Report(ReportInsert<'a>),
    Weekly(WeeklyInsert<'a>),
    Supplement(SupplementInsert<'a>),
}

/// One checked record of a push.
#[derive(Debug, Clone)]
pub struct PushEntry<'a> {
    pub client_id: &'a str,
    pub record_type: RecordType,
    pub body_hash: &'a str,
    pub user_id: i64,
    pub item: PushItem<'a>,
}

/// What storing one record came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Stored,
    Duplicate,
    Conflict,
    Rejected(Rejection),
}

/// What one record's savepoint came to.
enum Attempt {
    Stored(Option<NewChange>),
    Existing(Stored),
}

/// Inserts `$rows` (`&[(&PushEntry, &ReportInsert)]`) into `field_report`, and the photos
/// they name, with one statement each through `$sp`: what a single record and a run of
/// them share.
macro_rules! insert_reports {
    ($sp:expr, $rows:expr, $at:expr) => {{
        let rows: &[(&PushEntry<'_>, &ReportInsert<'_>)] = $rows;
        let done: Result<HashMap<String, i64>> = async {
            let mut qb = QueryBuilder::new(
                "INSERT INTO field_report (client_uuid, township_id, village_id, grid_id, kind, category, \
                 severity, urgent, place, latitude, longitude, accuracy_m, found_at, parties, person_count, \
                 description, action_taken, needs_township, state, author_id, device_id, created_at, \
                 received_at, updated_at, body_hash) ",
            );
            qb.push_values(rows, |mut b, (e, r)| {
                let n = r.report;
                b.push_bind(e.client_id)
                    .push_bind(r.township_id)
                    .push_bind(n.village_id)
                    .push_bind(n.grid_id)
                    .push_bind(&n.kind)
                    .push_bind(n.category.as_str())
                    .push_bind(n.severity.as_str())
                    .push_bind(n.is_urgent())
                    .push_bind(&n.place)
                    .push_bind(n.gps.map(|g| g.latitude))
                    .push_bind(n.gps.map(|g| g.longitude))
                    .push_bind(n.gps.and_then(|g| g.accuracy_m))
                    .push_bind(n.found_at)
                    .push_bind(&n.parties)
                    .push_bind(n.person_count)
                    .push_bind(&n.description)
                    .push_bind(&n.action_taken)
                    .push_bind(n.needs_township)
                    .push_bind(InboxState::New.as_str())
                    .push_bind(e.user_id)
                    .push_bind(r.device_id)
                    .push_bind(r.created_at)
                    .push_bind($at)
                    .push_bind($at)
                    .push_bind(e.body_hash);
            });
            // A UUID already stored (a resend, a parallel push) is left as it is and not
            // returned. RETURNING's order is not the VALUES' order: match by UUID.
            qb.push(" ON CONFLICT (client_uuid) DO NOTHING RETURNING client_uuid, id");
            let ids: HashMap<String, i64> = qb
                .build_query_as()
                .fetch_all(&mut *$sp)
                .await?
                .into_iter()
                .collect();
            let photos: Vec<(i64, i64, &String)> = rows
                .iter()
                .filter_map(|(e, r)| ids.get(e.client_id).map(|id| (*id, r)))
                .flat_map(|(id, r)| {
                    r.report
                        .photos
                        .iter()
                        .enumerate()
                        .map(move |(i, p)| (id, len_i64(i + 1), p))
                })
                .collect();
            if !photos.is_empty() {
                let mut qb =
                    QueryBuilder::new("INSERT INTO field_report_photo (report_id, position, photo_uuid) ");
                qb.push_values(&photos, |mut b, (id, position, uuid)| {
                    b.push_bind(*id).push_bind(*position).push_bind(*uuid);
                });
                qb.build().execute(&mut *$sp).await?;
            }
            Ok(ids)
        }
        .await;
        done
    }};
}

/// Stores one checked record through `$sp` (its savepoint): what it came to, or the error
/// that rejects it alone.
macro_rules! push_one {
    ($sp:expr, $e:expr, $at:expr) => {{
        let attempt: Result<Attempt> = async {
            // A report is its own receipt (its row keeps the body's hash).
            if let PushItem::Report(r) = &$e.item {
                if insert_reports!($sp, &[($e, r)], $at)?.is_empty() {
                    let found = report_receipts!(&mut *$sp, &[$e.client_id]).pop();
                    let receipt = found.ok_or(sqlx::Error::RowNotFound)?;
                    return Ok(Attempt::Existing(receipt.judge($e.user_id, $e.body_hash)));
                }
                return Ok(Attempt::Stored(None));
            }
            let fresh = sqlx::query(
                "INSERT INTO sync_receipt (client_uuid, user_id, record_type, body_hash, received_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_uuid) DO NOTHING",
            )
            .bind($e.client_id)
            .bind($e.user_id)
            .bind($e.record_type.as_str())
            .bind($e.body_hash)
            .bind($at)
            .execute(&mut *$sp)
            .await?
            .rows_affected()
                == 1;
            if !fresh {
                let (user_id, body_hash): (i64, String) =
                    sqlx::query_as("SELECT user_id, body_hash FROM sync_receipt WHERE client_uuid = $1")
                        .bind($e.client_id)
                        .fetch_one(&mut *$sp)
                        .await?;
                let receipt = SyncReceipt { client_id: $e.client_id.to_owned(), user_id, body_hash };
                return Ok(Attempt::Existing(receipt.judge($e.user_id, $e.body_hash)));
            }
            match &$e.item {
                PushItem::Report(_) => Ok(Attempt::Stored(None)),
                PushItem::Weekly(w) => {
                    let n = w.report;
                    let week = n.week.to_string();
                    let taken: Option<i64> =
                        sqlx::query_scalar("SELECT id FROM weekly_report WHERE village_id = $1 AND week = $2")
                            .bind(n.village_id)
                            .bind(&week)
                            .fetch_optional(&mut *$sp)
                            .await?;
                    if taken.is_some() {
                        return Err(FieldError::new("week", Problem::Duplicate).into());
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO weekly_report (client_uuid, township_id, village_id, week, zero, note, author_id, \
                         device_id, created_at, received_at, synced_after) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                    )
                    .bind($e.client_id)
                    .bind(w.township_id)
                    .bind(n.village_id)
                    .bind(&week)
                    .bind(n.zero)
                    .bind(&n.note)
                    .bind($e.user_id)
                    .bind(w.device_id)
                    .bind(w.created_at)
                    .bind($at)
                    .bind(w.synced_after)
                    .fetch_one(&mut *$sp)
                    .await?;
                    for item in &n.items {
                        let found: Option<(i64, i64, DateTime<Utc>)> = sqlx::query_as(
                            "SELECT id, village_id, found_at FROM field_report WHERE client_uuid = $1",
                        )
                        .bind(item)
                        .fetch_optional(&mut *$sp)
                        .await?;
                        let (report_id, village, found_at) =
                            found.ok_or_else(|| FieldError::new("items", Problem::UnknownValue))?;
                        check_item(n.week, n.village_id, village, found_at)?;
                        sqlx::query("INSERT INTO weekly_report_item (weekly_report_id, field_report_id) VALUES ($1, $2)")
                            .bind(id)
                            .bind(report_id)
                            .execute(&mut *$sp)
                            .await?;
                    }
                    Ok(Attempt::Stored(Some(NewChange {
                        kind: ChangeKind::WeeklyReport,
                        record_uuid: $e.client_id.to_owned(),
                        village_id: Some(n.village_id),
                        grid_id: None,
                        author_id: Some($e.user_id),
                        step: None,
                        state: None,
                        note: None,
                        by_name: None,
                    })))
                }
                PushItem::Supplement(s) => {
                    let (from, to) = (InboxState::MoreInfoRequested, InboxState::New);
                    let row: Option<(String, i64, Option<i64>, i64)> = sqlx::query_as(
                        "UPDATE field_report SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4 \
                         RETURNING client_uuid, village_id, grid_id, author_id",
                    )
                    .bind(to.as_str())
                    .bind($at)
                    .bind(s.report_id)
                    .bind(from.as_str())
                    .fetch_optional(&mut *$sp)
                    .await?;
                    let Some((record_uuid, village, grid, author)) = row else {
                        return Err(StorageError::Rejected(Rejection::Refused(Refusal::NotAllowedInState)));
                    };
                    sqlx::query(INSERT_INBOX_EVENT)
                    .bind(s.report_id)
                    .bind($at)
                    .bind(InboxStep::Supplement.as_str())
                    .bind(from.as_str())
                    .bind(to.as_str())
                    .bind($e.user_id)
                    .bind(s.note)
                    .execute(&mut *$sp)
                    .await?;
                    Ok(Attempt::Stored(Some(NewChange {
                        kind: ChangeKind::Inbox,
                        record_uuid,
                        village_id: Some(village),
                        grid_id: grid,
                        author_id: Some(author),
                        step: Some(InboxStep::Supplement),
                        state: Some(to),
                        note: Some(s.note.to_owned()),
                        by_name: Some(s.by_name.to_owned()),
                    })))
                }
            }
        }
.await;
        attempt
    }};
}

/// Stores a run of reports, none stored before in this batch, with a few multi-row
/// statements through `$sp` (one savepoint for the run): the reports (each its own
/// receipt; a UUID that a parallel push stored first is judged by that row) and their
/// photos. Any error means the run is to be stored record by record.
macro_rules! push_reports {
    ($sp:expr, $run:expr, $at:expr) => {{
        let run: &[PushEntry<'_>] = $run;
        let attempt: Result<Vec<Stored>> = async {
            let reports: Vec<(&PushEntry<'_>, &ReportInsert<'_>)> = run
                .iter()
                .filter_map(|e| match &e.item {
                    PushItem::Report(r) => Some((e, r)),
                    _ => None,
                })
                .collect();
            let fresh = insert_reports!($sp, &reports, $at)?;
            let taken: Vec<&str> = run
                .iter()
                .map(|e| e.client_id)
                .filter(|id| !fresh.contains_key(*id))
                .collect();
            let mut receipts: HashMap<String, SyncReceipt> = HashMap::new();
            if !taken.is_empty() {
                for r in report_receipts!(&mut *$sp, &taken) {
                    receipts.insert(r.client_id.clone(), r);
                }
            }
            run.iter()
                .map(|e| {
                    if fresh.contains_key(e.client_id) {
                        return Ok(Stored::Stored);
                    }
                    let receipt = receipts.remove(e.client_id).ok_or(sqlx::Error::RowNotFound)?;
                    Ok(receipt.judge(e.user_id, e.body_hash))
                })
                .collect()
        }
        .await;
        attempt
    }};
}

/// How many of `entries`, from the first, are reports with distinct UUIDs (a run that
/// `push_reports!` can store at once).
fn report_run(entries: &[PushEntry<'_>]) -> usize {
    let mut seen = HashSet::new();
    entries
        .iter()
        .take_while(|e| matches!(e.item, PushItem::Report(_)) && seen.insert(e.client_id))
        .count()
}

/// A phone's pushed records, stored in the caller's transaction.
impl Tx {
    /// Stores a push's checked records, each in its own savepoint: a record that breaks a
    /// rule only the database can see (a weekly report already sent for the week, a
    /// listed report that is not there) is rejected alone. A UUID stored meanwhile by a
    /// parallel push is judged by its receipt. Consecutive reports share one savepoint
    /// and a few multi-row statements; if one of them breaks a constraint, they are
    /// stored one by one, so only that one is rejected. The outcomes are in batch order,
    /// for the caller's audit entries (an urgent report is never kept without its entry).
    pub async fn push_records(
        &mut self,
        township_id: i64,
        entries: &[PushEntry<'_>],
        at: DateTime<Utc>,
    ) -> Result<Vec<Stored>> {
        with_tx!(self, conn => {
            let mut out = Vec::with_capacity(entries.len());
            let mut changes = Vec::new();
            // After a run failed at once: how many records to store one by one.
            let mut singles = 0;
            for (i, e) in entries.iter().enumerate() {
                if out.len() > i {
                    continue;
                }
                let run = if singles == 0 { report_run(&entries[i..]) } else { 0 };
                if run > 1 {
                    let mut sp = (&mut *conn).begin().await?;
                    match push_reports!(sp, &entries[i..i + run], at) {
                        Ok(stored) => {
                            sp.commit().await?;
                            out.extend(stored);
                            continue;
                        }
                        Err(StorageError::Query(sqlx::Error::Database(db))) => {
                            tracing::debug!(error = %db, "a run of pushed reports broke a constraint; storing them one by one");
                            sp.rollback().await?;
                            singles = run;
                        }
                        Err(other) => return Err(other),
                    }
                }
                singles = singles.saturating_sub(1);
                let mut sp = (&mut *conn).begin().await?;
                let attempt = push_one!(sp, e, at);
                match attempt {
                    Ok(Attempt::Stored(change)) => {
                        sp.commit().await?;
                        changes.extend(change);
                        out.push(Stored::Stored);
                    }
                    Ok(Attempt::Existing(judged)) => {
                        sp.rollback().await?;
                        out.push(judged);
                    }
                    Err(StorageError::Invalid(field)) => {
                        sp.rollback().await?;
                        out.push(Stored::Rejected(Rejection::Invalid(field)));
                    }
                    Err(StorageError::Rejected(r)) => {
                        sp.rollback().await?;
                        out.push(Stored::Rejected(r));
                    }
                    // A constraint the checks above did not foresee: this record only.
                    Err(StorageError::Query(sqlx::Error::Database(db))) => {
                        tracing::warn!(error = %db, client_id = e.client_id, "a pushed record broke a constraint");
                        sp.rollback().await?;
                        out.push(Stored::Rejected(Rejection::Invalid(FieldError::new("record", Problem::UnknownValue))));
                    }
                    Err(other) => return Err(other),
                }
            }
            append_changes!(conn, township_id, &changes, at);
            Ok(out)
        })
    }
}
