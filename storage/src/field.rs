//! Field reports in storage: a phone's push stored in one transaction (each record in a
//! savepoint of its own, so a record that breaks a constraint is rejected alone), the
//! receipts that make a resend a duplicate, the change feed the phones pull, resumable
//! photo uploads, weekly reports, report kinds and the township inbox.

use chrono::{DateTime, Utc};
use domain::field::{
    Category, FieldReportDetail, FieldReportSummary, Gps, INBOX_PAGE, InboxEvent, InboxFilter, InboxState,
    InboxStep, NewFieldReport, NewWeeklyReport, ReportKind, ReportPhoto, Severity, WeeklyDeadline,
    check_item,
};
use domain::petition::Refusal;
use domain::sync::{Change, ChangeKind, RecordType, Rejection, WeekFieldReport};
use domain::{FieldError, Problem};
use std::collections::{HashMap, HashSet};

use sqlx::{Acquire, QueryBuilder, Row};

use crate::database::BeginWrite;
use crate::write::{Tx, with_tx};
use crate::{Database, Result, StorageError, with_pool};

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
    /// When the pushing session last finished a sync ([`Database::record_pull`]).
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

/// A receipt: who stored the UUID, and the hash of what they sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub client_id: String,
    pub user_id: i64,
    pub body_hash: String,
}

impl Receipt {
    /// A resend by the same person with the same body is a duplicate; anything else
    /// under a stored UUID is a conflict.
    pub fn judge(&self, user_id: i64, body_hash: &str) -> Stored {
        if self.user_id == user_id && self.body_hash == body_hash {
            Stored::Duplicate
        } else {
            Stored::Conflict
        }
    }
}

/// The facts the policy and the inbox machine need about one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldReportPlace {
    pub id: i64,
    pub client_id: String,
    pub township_id: i64,
    pub village_id: i64,
    pub grid_id: Option<i64>,
    pub author_id: i64,
    pub state: InboxState,
}

/// One inbox step to record (the state moves only if nobody moved it meanwhile).
#[derive(Debug, Clone)]
pub struct InboxStepRecord<'a> {
    pub report_id: i64,
    pub step: InboxStep,
    pub from: InboxState,
    pub to: InboxState,
    pub at: DateTime<Utc>,
    pub actor_user_id: i64,
    pub by_name: &'a str,
    pub note: Option<&'a str>,
}

/// Whose changes a pull sees: reports in these villages or grids, or by this author.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeScope {
    pub villages: Vec<i64>,
    pub grids: Vec<i64>,
    pub author_id: i64,
}

/// A photo upload as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoUpload {
    pub id: i64,
    pub client_id: String,
    pub township_id: i64,
    pub village_id: Option<i64>,
    pub uploaded_by: i64,
    pub media_type: String,
    pub byte_size: i64,
    pub sha256: String,
    pub received: i64,
    pub complete: bool,
}

#[derive(Debug, Clone)]
pub struct PhotoBegin<'a> {
    pub client_id: &'a str,
    pub township_id: i64,
    pub village_id: Option<i64>,
    pub uploaded_by: i64,
    pub media_type: &'a str,
    pub byte_size: i64,
    pub sha256: &'a str,
    pub at: DateTime<Utc>,
}

/// A village's stored report for a week: (village, zero, phone's time, server's time).
/// A village's weekly report: village, zero, created (the phone's time), received, and
/// when its session had last finished a sync before.
pub type WeeklyRow = (i64, bool, DateTime<Utc>, DateTime<Utc>, Option<DateTime<Utc>>);

/// A change to append to the feed, numbered when the transaction ends.
struct NewChange {
    kind: ChangeKind,
    record_uuid: String,
    village_id: Option<i64>,
    grid_id: Option<i64>,
    author_id: Option<i64>,
    step: Option<InboxStep>,
    state: Option<InboxState>,
    note: Option<String>,
    by_name: Option<String>,
}

/// What one record's savepoint came to.
enum Attempt {
    Stored(Option<NewChange>),
    Existing(Stored),
}

/// One line of the inbox timeline: report, at, step, from, to, actor, note.
const INSERT_INBOX_EVENT: &str = "INSERT INTO inbox_event (report_id, at, step, from_state, to_state, actor_user_id, note) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

fn decode<T>(name: &str, value: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(value)
        .ok_or_else(|| StorageError::Query(sqlx::Error::Decode(format!("unknown {name} {value}").into())))
}

fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Numbers `changes` after the township's last change and appends them: the last
/// statements of a writing transaction, so the counter's row is locked only briefly.
macro_rules! append_changes {
    ($tx:expr, $township:expr, $changes:expr, $at:expr) => {{
        let changes: &[NewChange] = $changes;
        if !changes.is_empty() {
            let last: i64 = sqlx::query_scalar(
                "INSERT INTO sync_sequence (township_id, last_seq) VALUES ($1, $2) \
                 ON CONFLICT (township_id) DO UPDATE SET last_seq = sync_sequence.last_seq + $2 \
                 RETURNING last_seq",
            )
            .bind($township)
            .bind(len_i64(changes.len()))
            .fetch_one(&mut *$tx)
            .await?;
            let first = last - len_i64(changes.len()) + 1;
            for (i, c) in changes.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO sync_change (township_id, seq, kind, record_uuid, village_id, grid_id, author_id, \
                     step, state, note, by_name, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind($township)
                .bind(first + len_i64(i))
                .bind(c.kind.as_str())
                .bind(&c.record_uuid)
                .bind(c.village_id)
                .bind(c.grid_id)
                .bind(c.author_id)
                .bind(c.step.map(InboxStep::as_str))
                .bind(c.state.map(InboxState::as_str))
                .bind(&c.note)
                .bind(&c.by_name)
                .bind($at)
                .execute(&mut *$tx)
                .await?;
            }
        }
    }};
}

/// The inbox's columns and tables: one report's summary a row.
const INBOX_COLUMNS: &str = "r.id, r.client_uuid, r.village_id, v.name AS village_name, r.grid_id, r.kind, r.category, \
     r.severity, r.urgent, r.state, r.place, r.description, r.needs_township, r.parties, r.person_count, \
     u.display_name AS author, r.found_at, r.received_at, \
     (SELECT COUNT(*) FROM field_report_photo p WHERE p.report_id = r.id) AS photos_named, \
     (SELECT COUNT(*) FROM field_report_photo p JOIN photo_upload up ON up.client_uuid = p.photo_uuid \
        WHERE p.report_id = r.id AND up.complete = TRUE AND up.uploaded_by = r.author_id) AS photos_attached";
const INBOX_FROM: &str =
    "FROM field_report r JOIN org_unit v ON v.id = r.village_id JOIN app_user u ON u.id = r.author_id";

macro_rules! field_summary_from_row {
    ($row:expr) => {{
        let row = &$row;
        FieldReportSummary {
            id: row.try_get("id")?,
            client_id: row.try_get("client_uuid")?,
            village_id: row.try_get("village_id")?,
            village_name: row.try_get("village_name")?,
            grid_id: row.try_get("grid_id")?,
            kind: row.try_get("kind")?,
            category: decode("category", row.try_get("category")?, Category::parse)?,
            severity: decode("severity", row.try_get("severity")?, Severity::parse)?,
            urgent: row.try_get("urgent")?,
            state: decode("inbox state", row.try_get("state")?, InboxState::parse)?,
            place: row.try_get("place")?,
            description: row.try_get("description")?,
            needs_township: row.try_get("needs_township")?,
            parties: row.try_get("parties")?,
            person_count: row.try_get("person_count")?,
            author: row.try_get("author")?,
            found_at: row.try_get("found_at")?,
            received_at: row.try_get("received_at")?,
            photos_named: row.try_get("photos_named")?,
            photos_attached: row.try_get("photos_attached")?,
        }
    }};
}

/// The inbox filter's conditions on `field_report r`, within these townships.
fn push_inbox_where<'q, DB>(qb: &mut QueryBuilder<'q, DB>, townships: &[i64], f: &InboxFilter)
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    qb.push("r.township_id IN (");
    let mut list = qb.separated(", ");
    for t in townships {
        list.push_bind(*t);
    }
    list.push_unseparated(")");
    if let Some(v) = f.village_id {
        qb.push(" AND r.village_id = ").push_bind(v);
    }
    if let Some(s) = f.severity {
        qb.push(" AND r.severity = ").push_bind(s.as_str());
    }
    if let Some(s) = f.state {
        qb.push(" AND r.state = ").push_bind(s.as_str());
    } else if f.open_only {
        qb.push(" AND r.state <> ").push_bind(InboxState::Closed.as_str());
    }
    if f.urgent_only {
        qb.push(" AND r.urgent = TRUE");
    }
}

/// The receipts that the reports with these UUIDs are, read through `$executor`.
macro_rules! report_receipts {
    ($executor:expr, $ids:expr) => {{
        let ids: &[&str] = $ids;
        let mut qb = QueryBuilder::new(
            "SELECT client_uuid, author_id, COALESCE(body_hash, '') FROM field_report WHERE client_uuid IN (",
        );
        let mut list = qb.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        list.push_unseparated(")");
        let rows: Vec<(String, i64, String)> = qb.build_query_as().fetch_all($executor).await?;
        rows.into_iter()
            .map(|(client_id, user_id, body_hash)| Receipt {
                client_id,
                user_id,
                body_hash,
            })
            .collect::<Vec<Receipt>>()
    }};
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
                let receipt = Receipt { client_id: $e.client_id.to_owned(), user_id, body_hash };
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
            let mut receipts: HashMap<String, Receipt> = HashMap::new();
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

impl Database {
    /// The receipts already stored for these client UUIDs.
    pub async fn sync_receipts(&self, client_ids: &[&str]) -> Result<Vec<Receipt>> {
        if client_ids.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new("SELECT client_uuid, user_id, body_hash FROM sync_receipt WHERE client_uuid IN (");
            let mut list = qb.separated(", ");
            for id in client_ids {
                list.push_bind(*id);
            }
            list.push_unseparated(")");
            let rows: Vec<(String, i64, String)> = qb.build_query_as().fetch_all(pool).await?;
            let mut out: Vec<Receipt> = rows
                .into_iter()
                .map(|(client_id, user_id, body_hash)| Receipt { client_id, user_id, body_hash })
                .collect();
            out.extend(report_receipts!(pool, client_ids));
            Ok(out)
        })
    }

    /// A report by its client UUID.
    pub async fn field_report_by_uuid(&self, client_id: &str) -> Result<Option<FieldReportPlace>> {
        self.field_report_place("client_uuid = $1", client_id.to_owned(), None)
            .await
    }

    pub async fn field_report_by_id(&self, id: i64) -> Result<Option<FieldReportPlace>> {
        self.field_report_place("id = $1", String::new(), Some(id)).await
    }

    async fn field_report_place(
        &self,
        filter: &str,
        uuid: String,
        id: Option<i64>,
    ) -> Result<Option<FieldReportPlace>> {
        let sql = format!(
            "SELECT id, client_uuid, township_id, village_id, grid_id, author_id, state FROM field_report WHERE {filter}"
        );
        type PlaceRow = (i64, String, i64, i64, Option<i64>, i64, String);
        let row: Option<PlaceRow> = with_pool!(self, pool => {
            let q = sqlx::query_as(&sql);
            let q = match id {
                Some(id) => q.bind(id),
                None => q.bind(uuid),
            };
            q.fetch_optional(pool).await?
        });
        row.map(
            |(id, client_id, township_id, village_id, grid_id, author_id, state)| {
                Ok(FieldReportPlace {
                    id,
                    client_id,
                    township_id,
                    village_id,
                    grid_id,
                    author_id,
                    state: decode("inbox state", &state, InboxState::parse)?,
                })
            },
        )
        .transpose()
    }

    /// The changes after `cursor` in a township that `scope` may see, oldest first.
    pub async fn sync_changes(
        &self,
        township_id: i64,
        cursor: i64,
        scope: &ChangeScope,
        limit: i64,
    ) -> Result<Vec<Change>> {
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(
                "SELECT seq, kind, record_uuid, step, state, note, by_name, at FROM sync_change WHERE township_id = ",
            );
            qb.push_bind(township_id);
            qb.push(" AND seq > ").push_bind(cursor);
            qb.push(" AND (author_id = ").push_bind(scope.author_id);
            for (column, ids) in [("village_id", &scope.villages), ("grid_id", &scope.grids)] {
                if ids.is_empty() {
                    continue;
                }
                qb.push(format!(" OR {column} IN ("));
                let mut list = qb.separated(", ");
                for id in ids {
                    list.push_bind(*id);
                }
                list.push_unseparated(")");
            }
            qb.push(") ORDER BY seq LIMIT ").push_bind(limit);
            let rows = qb.build().fetch_all(pool).await?;
            let mut changes = Vec::with_capacity(rows.len());
            for row in rows {
                let step: Option<String> = row.try_get("step")?;
                let state: Option<String> = row.try_get("state")?;
                changes.push(Change {
                    cursor: row.try_get("seq")?,
                    kind: decode("change kind", row.try_get("kind")?, ChangeKind::parse)?,
                    record_id: row.try_get("record_uuid")?,
                    step: step.as_deref().map(|s| decode("inbox step", s, InboxStep::parse)).transpose()?,
                    state: state.as_deref().map(|s| decode("inbox state", s, InboxState::parse)).transpose()?,
                    note: row.try_get("note")?,
                    by: row.try_get("by_name")?,
                    at: row.try_get("at")?,
                });
            }
            Ok(changes)
        })
    }

    /// The township's report kinds: its own list, or the defaults.
    pub async fn report_kinds(&self, township_id: i64) -> Result<Vec<ReportKind>> {
        let rows: Vec<(String, String, String, String)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT code, name_zh, name_en, category FROM report_kind WHERE township_id = $1 \
                 OR (township_id IS NULL AND NOT EXISTS (SELECT 1 FROM report_kind WHERE township_id = $1)) \
                 ORDER BY position",
            )
            .bind(township_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(code, name_zh, name_en, category)| {
                Ok(ReportKind {
                    code,
                    name_zh,
                    name_en,
                    category: decode("category", &category, Category::parse)?,
                })
            })
            .collect()
    }

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

    /// One page of the inbox of these townships: urgent first, then newest. A photo counts
    /// as attached once its author's upload of that UUID is complete.
    pub async fn field_inbox(&self, townships: &[i64], f: &InboxFilter) -> Result<Vec<FieldReportSummary>> {
        if townships.is_empty() {
            return Ok(Vec::new());
        }
        let page = i64::from(f.page.max(1));
        let size = i64::from(INBOX_PAGE);
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(format!("SELECT {INBOX_COLUMNS} {INBOX_FROM} WHERE "));
            push_inbox_where(&mut qb, townships, f);
            qb.push(" ORDER BY r.urgent DESC, r.received_at DESC, r.id DESC LIMIT ").push_bind(size);
            qb.push(" OFFSET ").push_bind((page - 1) * size);
            let rows = qb.build().fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(field_summary_from_row!(row));
            }
            Ok(out)
        })
    }

    /// How many reports of these townships the filter matches (on every page).
    pub async fn field_inbox_count(&self, townships: &[i64], f: &InboxFilter) -> Result<i64> {
        if townships.is_empty() {
            return Ok(0);
        }
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM field_report r WHERE ");
            push_inbox_where(&mut qb, townships, f);
            Ok(qb.build_query_scalar().fetch_one(pool).await?)
        })
    }

    /// A whole report: what the inbox lists, where exactly, what was done on the spot,
    /// the photos it names, and its inbox timeline (oldest first).
    pub async fn field_report_detail(&self, id: i64) -> Result<Option<FieldReportDetail>> {
        type PhotoRow = (i64, String, bool);
        type EventRow = (
            DateTime<Utc>,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
        );
        let (detail, photos, events) = with_pool!(self, pool => {
            let sql = format!(
                "SELECT {INBOX_COLUMNS}, g.name AS grid_name, r.latitude, r.longitude, r.accuracy_m, r.action_taken, \
                 r.created_at {INBOX_FROM} LEFT JOIN org_unit g ON g.id = r.grid_id WHERE r.id = $1"
            );
            let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(pool).await? else {
                return Ok(None);
            };
            let latitude: Option<f64> = row.try_get("latitude")?;
            let longitude: Option<f64> = row.try_get("longitude")?;
            let accuracy_m: Option<f64> = row.try_get("accuracy_m")?;
            let detail = FieldReportDetail {
                summary: field_summary_from_row!(row),
                grid_name: row.try_get("grid_name")?,
                gps: latitude.zip(longitude).map(|(latitude, longitude)| Gps {
                    latitude,
                    longitude,
                    accuracy_m,
                }),
                action_taken: row.try_get("action_taken")?,
                created_at: row.try_get("created_at")?,
                photos: Vec::new(),
                history: Vec::new(),
            };
            let photos: Vec<PhotoRow> = sqlx::query_as(
                "SELECT p.position, p.photo_uuid, EXISTS (SELECT 1 FROM photo_upload up WHERE up.client_uuid = p.photo_uuid \
                 AND up.complete = TRUE AND up.uploaded_by = r.author_id) AS complete \
                 FROM field_report_photo p JOIN field_report r ON r.id = p.report_id WHERE p.report_id = $1 ORDER BY p.position",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let events: Vec<EventRow> = sqlx::query_as(
                "SELECT e.at, e.step, e.from_state, e.to_state, u.display_name, e.note FROM inbox_event e \
                 LEFT JOIN app_user u ON u.id = e.actor_user_id WHERE e.report_id = $1 ORDER BY e.id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            (detail, photos, events)
        });
        let mut detail = detail;
        detail.photos = photos
            .into_iter()
            .map(|(position, photo_uuid, complete)| ReportPhoto {
                position,
                photo_uuid,
                complete,
            })
            .collect();
        detail.history = events
            .into_iter()
            .map(|(at, step, from, to, actor, note)| {
                Ok(InboxEvent {
                    at,
                    step: decode("inbox step", &step, InboxStep::parse)?,
                    from: decode("inbox state", &from, InboxState::parse)?,
                    to: decode("inbox state", &to, InboxState::parse)?,
                    actor,
                    note,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Some(detail))
    }

    /// The photo at `position` (1–5) of a report, once its author's upload is complete:
    /// its type (`jpeg`, `png`, `webp`) and bytes.
    pub async fn field_report_photo(
        &self,
        report_id: i64,
        position: i64,
    ) -> Result<Option<(String, Vec<u8>)>> {
        let row: Option<(String, Option<Vec<u8>>)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT up.media_type, up.content FROM field_report_photo p JOIN field_report r ON r.id = p.report_id \
                 JOIN photo_upload up ON up.client_uuid = p.photo_uuid AND up.uploaded_by = r.author_id \
                 WHERE p.report_id = $1 AND p.position = $2 AND up.complete = TRUE",
            )
            .bind(report_id)
            .bind(position)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.and_then(|(media, content)| content.map(|c| (media, c))))
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

    /// Starts an upload, or finds the one begun before under the same client UUID (the
    /// caller compares what was declared). Bookkeeping, not audited: an upload becomes a
    /// record of someone's work when it completes ([`Tx::complete_photo`]).
    pub async fn begin_photo(&self, p: &PhotoBegin<'_>) -> Result<PhotoUpload> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO photo_upload (client_uuid, township_id, village_id, uploaded_by, media_type, byte_size, \
                 sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (client_uuid) DO NOTHING",
            )
            .bind(p.client_id)
            .bind(p.township_id)
            .bind(p.village_id)
            .bind(p.uploaded_by)
            .bind(p.media_type)
            .bind(p.byte_size)
            .bind(p.sha256)
            .bind(p.at)
            .execute(pool)
            .await?;
        });
        self.photo_upload(p.client_id)
            .await?
            .ok_or(StorageError::Query(sqlx::Error::RowNotFound))
    }

    pub async fn photo_upload(&self, client_id: &str) -> Result<Option<PhotoUpload>> {
        type UploadRow = (i64, String, i64, Option<i64>, i64, String, i64, String, i64, bool);
        let row: Option<UploadRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, client_uuid, township_id, village_id, uploaded_by, media_type, byte_size, sha256, received, \
                 complete FROM photo_upload WHERE client_uuid = $1",
            )
            .bind(client_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(
            |(
                id,
                client_id,
                township_id,
                village_id,
                uploaded_by,
                media_type,
                byte_size,
                sha256,
                received,
                complete,
            )| {
                PhotoUpload {
                    id,
                    client_id,
                    township_id,
                    village_id,
                    uploaded_by,
                    media_type,
                    byte_size,
                    sha256,
                    received,
                    complete,
                }
            },
        ))
    }

    /// Appends a chunk at `start`, which must be exactly what was received so far (an
    /// interrupted upload asks for the offset and continues from there). Returns the
    /// new offset, or None when `start` is not the current offset, the chunk would
    /// pass the declared size, or it is empty (stored, an empty chunk would hold the
    /// offset's key against the real one). Bookkeeping of bytes still uploading, not
    /// audited.
    pub async fn append_photo_chunk(&self, upload_id: i64, start: i64, bytes: &[u8]) -> Result<Option<i64>> {
        if bytes.is_empty() {
            return Ok(None);
        }
        let len = len_i64(bytes.len());
        with_pool!(self, pool => {
            let (_turn, mut tx) = pool.begin_write().await?;
            let moved: Option<i64> = sqlx::query_scalar(
                "UPDATE photo_upload SET received = received + $1 WHERE id = $2 AND received = $3 \
                 AND complete = FALSE AND received + $1 <= byte_size RETURNING received",
            )
            .bind(len)
            .bind(upload_id)
            .bind(start)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(received) = moved else {
                return Ok(None);
            };
            sqlx::query("INSERT INTO photo_chunk (upload_id, start, bytes) VALUES ($1, $2, $3)")
                .bind(upload_id)
                .bind(start)
                .bind(bytes)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(received))
        })
    }

    /// Whether exactly these bytes are stored as the chunk at `start`: a chunk resent
    /// after its answer was lost.
    pub async fn photo_chunk_is(&self, upload_id: i64, start: i64, bytes: &[u8]) -> Result<bool> {
        let found: i64 = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM photo_chunk WHERE upload_id = $1 AND start = $2 AND bytes = $3")
                .bind(upload_id)
                .bind(start)
                .bind(bytes)
                .fetch_one(pool)
                .await?
        });
        Ok(found > 0)
    }

    /// Every byte received so far, in order.
    pub async fn photo_bytes(&self, upload_id: i64) -> Result<Vec<u8>> {
        let chunks: Vec<(Vec<u8>,)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT bytes FROM photo_chunk WHERE upload_id = $1 ORDER BY start")
                .bind(upload_id)
                .fetch_all(pool)
                .await?
        });
        Ok(chunks.into_iter().flat_map(|(b,)| b).collect())
    }
}

/// The writes of someone's work in the field, in the caller's transaction: the service
/// audits them there and commits.
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

    /// Records an inbox step: the state moves from `from` to `to` only if the report is
    /// still in `from`; the timeline and the change feed get their lines in the same
    /// transaction. Returns false if the state had changed.
    pub async fn record_inbox_step(&mut self, s: &InboxStepRecord<'_>) -> Result<bool> {
        with_tx!(self, conn => {
            let row: Option<(String, i64, i64, Option<i64>, i64)> = sqlx::query_as(
                "UPDATE field_report SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4 \
                 RETURNING client_uuid, township_id, village_id, grid_id, author_id",
            )
            .bind(s.to.as_str())
            .bind(s.at)
            .bind(s.report_id)
            .bind(s.from.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            let Some((record_uuid, township_id, village, grid, author)) = row else {
                return Ok(false);
            };
            sqlx::query(INSERT_INBOX_EVENT)
            .bind(s.report_id)
            .bind(s.at)
            .bind(s.step.as_str())
            .bind(s.from.as_str())
            .bind(s.to.as_str())
            .bind(s.actor_user_id)
            .bind(s.note)
            .execute(&mut *conn)
            .await?;
            let change = [NewChange {
                kind: ChangeKind::Inbox,
                record_uuid,
                village_id: Some(village),
                grid_id: grid,
                author_id: Some(author),
                step: Some(s.step),
                state: Some(s.to),
                note: s.note.map(str::to_owned),
                by_name: Some(s.by_name.to_owned()),
            }];
            append_changes!(conn, township_id, &change, s.at);
            Ok(true)
        })
    }

    /// Replaces the township's list of kinds (checked by the caller). Stored reports
    /// keep the code they were filed with.
    pub async fn set_report_kinds(&mut self, township_id: i64, kinds: &[ReportKind]) -> Result<()> {
        with_tx!(self, conn => {
            sqlx::query("DELETE FROM report_kind WHERE township_id = $1")
                .bind(township_id)
                .execute(&mut *conn)
                .await?;
            for (i, k) in kinds.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO report_kind (township_id, code, name_zh, name_en, category, position) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(township_id)
                .bind(&k.code)
                .bind(&k.name_zh)
                .bind(&k.name_en)
                .bind(k.category.as_str())
                .bind(len_i64(i + 1))
                .execute(&mut *conn)
                .await?;
            }
        });
        Ok(())
    }

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

    /// Marks an upload complete with its checked bytes; its chunks go.
    pub async fn complete_photo(&mut self, upload_id: i64, content: &[u8], at: DateTime<Utc>) -> Result<()> {
        with_tx!(self, conn => {
            sqlx::query("UPDATE photo_upload SET complete = TRUE, content = $1, completed_at = $2 WHERE id = $3")
                .bind(content)
                .bind(at)
                .bind(upload_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM photo_chunk WHERE upload_id = $1")
                .bind(upload_id)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Throws away what was received (the hash did not match): the phone starts over.
    pub async fn reset_photo(&mut self, upload_id: i64) -> Result<()> {
        with_tx!(self, conn => {
            sqlx::query("DELETE FROM photo_chunk WHERE upload_id = $1")
                .bind(upload_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("UPDATE photo_upload SET received = 0 WHERE id = $1 AND complete = FALSE")
                .bind(upload_id)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }
}
