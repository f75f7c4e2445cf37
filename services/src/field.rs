//! Field reports from the phones: push (each record judged alone, stored idempotently
//! on its client UUID), pull (the caller's scope only), resumable photo uploads checked
//! by hash, the township inbox and the weekly report overview. Urgent reports are
//! flagged to the township the moment they arrive (Art. 25), with an audit entry.

use std::collections::HashMap;

use domain::attachment::{self, MediaType};
use domain::audit::{AuditAction, Outcome as AuditOutcome};
use domain::auth::{CurrentUser, Grant, Role};
use domain::field::{
    FieldSettings, InboxFilter, InboxPage, InboxState, InboxStep, NewFieldReport, NewWeeklyReport,
    ReportForm, ReportKind, ReportView, Week, WeeklyDeadline, WeeklyForm, WeeklyLine, WeeklyOverview,
    check_kinds, check_note, check_report, check_weekly, weekly_status,
};
use domain::org::OrgUnitKind;
use domain::policy::{Action, Location, ResourceKind, allows};
use domain::sync::{
    Envelope, FieldSetup, MAX_BATCH, Outcome, PULL_PAGE, PullResponse, PushBatch, PushRecord, PushResponse,
    RecordResult, RecordType, Rejection, SupplementForm, VillageWeek, clean_uuid,
};
use domain::{FieldError, Problem};
use sha2::{Digest, Sha256};
use storage::{
    ChangeScope, Database, FieldReportPlace, InboxStepRecord, PhotoBegin, PhotoUpload, PushEntry, PushItem,
    ReportInsert, Stored, SupplementInsert, WeeklyInsert,
};

use crate::{Caller, Result, ServiceError};

/// A field photo, compressed on the phone to about 200 KB; anything over this is not one.
pub const MAX_PHOTO_BYTES: i64 = 2 * 1024 * 1024;
/// The largest chunk one request may append.
pub const MAX_CHUNK_BYTES: usize = 256 * 1024;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The receipt's hash: the record's type and its body as canonical JSON (serde_json
/// writes object keys sorted), so a resend hashes the same whatever its key order.
fn body_hash(record_type: RecordType, body: &serde_json::Value) -> String {
    let mut h = Sha256::new();
    h.update(record_type.as_str().as_bytes());
    h.update(b"\n");
    h.update(body.to_string().as_bytes());
    hex(&h.finalize())
}

/// Logs a refusal of something in the field and answers "not found".
async fn deny(db: &Database, caller: &Caller, record_id: Option<&str>) -> ServiceError {
    let id = record_id.map(str::to_owned);
    caller
        .refused(db, AuditAction::Denied, ResourceKind::FieldReport, id)
        .await
}

/// The caller's field grants (info officer, grid worker) in their first field township.
fn field_grants(me: &CurrentUser) -> Option<(i64, Vec<&Grant>)> {
    let township = me
        .grants
        .iter()
        .find(|g| matches!(g.role, Role::InfoOfficer | Role::GridWorker))?
        .township_id?;
    let grants = me
        .grants
        .iter()
        .filter(|g| matches!(g.role, Role::InfoOfficer | Role::GridWorker) && g.township_id == Some(township))
        .collect();
    Some((township, grants))
}

/// The village a field grant sits in: its own unit, or a grid's parent.
fn grant_village(g: &Grant) -> Option<i64> {
    match g.role {
        Role::GridWorker => g.unit_path.iter().rev().nth(1).copied(),
        _ => Some(g.unit_id),
    }
}

/// The townships whose inbox the caller reads (clerks and case leaders).
fn office_townships(me: &CurrentUser) -> Vec<i64> {
    let mut out: Vec<i64> = me
        .grants
        .iter()
        .filter(|g| matches!(g.role, Role::Clerk | Role::CaseLeader))
        .filter_map(|g| g.township_id)
        .collect();
    out.dedup();
    out
}

/// Where a report at `village` (and `grid`) sits, if the village is one of `township`'s
/// villages and the grid one of its grids.
async fn report_location(
    db: &Database,
    township: i64,
    village: i64,
    grid: Option<i64>,
) -> Result<Option<Location>> {
    let Some(v) = db.org_unit(village).await? else {
        return Ok(None);
    };
    if v.kind != OrgUnitKind::Village || v.parent_id != Some(township) {
        return Ok(None);
    }
    if let Some(grid) = grid {
        match db.org_unit(grid).await? {
            Some(g) if g.kind == OrgUnitKind::Grid && g.parent_id == Some(village) => {}
            _ => return Ok(None),
        }
    }
    Ok(Some(db.org_location(grid.unwrap_or(village)).await?))
}

async fn place_location(db: &Database, place: &FieldReportPlace) -> Result<Location> {
    let mut location = db.org_location(place.grid_id.unwrap_or(place.village_id)).await?;
    location.owner = Some(place.author_id);
    Ok(location)
}

/// A record checked and ready to store.
enum Checked {
    Report(NewFieldReport),
    Weekly(NewWeeklyReport),
    Supplement { report_id: i64, note: String },
}

struct Ready {
    index: usize,
    envelope: Envelope,
    hash: String,
    checked: Checked,
}

fn body<T: serde::de::DeserializeOwned>(e: &Envelope) -> std::result::Result<T, Rejection> {
    serde_json::from_value(e.body.clone()).map_err(|_| Rejection::Malformed)
}

fn first_problem(errors: Vec<FieldError>) -> Rejection {
    match errors.into_iter().next() {
        Some(e) => Rejection::Invalid(e),
        None => Rejection::Malformed,
    }
}

/// Where each village (and grid) named in a batch sits, looked up once per batch.
type Places = HashMap<(i64, Option<i64>), Option<Location>>;

/// Checks one record's body and scope. A scope refusal is logged.
async fn check_record(
    db: &Database,
    caller: &Caller,
    township: i64,
    grants: &[&Grant],
    kinds: &[ReportKind],
    places: &mut Places,
    e: &Envelope,
) -> Result<std::result::Result<Checked, Rejection>> {
    let me = caller.user()?;
    let (checked, village, grid) = match e.record_type {
        RecordType::FieldReport => {
            let form: ReportForm = match body(e) {
                Ok(f) => f,
                Err(r) => return Ok(Err(r)),
            };
            let mut report = match check_report(&form, kinds, caller.now) {
                Ok(r) => r,
                Err(errors) => return Ok(Err(first_problem(errors))),
            };
            // A grid worker's report is in their grid unless they say otherwise.
            if report.grid_id.is_none() {
                report.grid_id = grants
                    .iter()
                    .find(|g| g.role == Role::GridWorker && grant_village(g) == Some(report.village_id))
                    .map(|g| g.unit_id);
            }
            let (village, grid) = (report.village_id, report.grid_id);
            (Checked::Report(report), village, grid)
        }
        RecordType::WeeklyReport => {
            let form: WeeklyForm = match body(e) {
                Ok(f) => f,
                Err(r) => return Ok(Err(r)),
            };
            match check_weekly(&form, caller.now) {
                Ok(w) => {
                    let village = w.village_id;
                    (Checked::Weekly(w), village, None)
                }
                Err(errors) => return Ok(Err(first_problem(errors))),
            }
        }
        RecordType::Supplement => {
            let form: SupplementForm = match body(e) {
                Ok(f) => f,
                Err(r) => return Ok(Err(r)),
            };
            let uuid = match clean_uuid("report_id", &form.report_id) {
                Ok(u) => u,
                Err(f) => return Ok(Err(f.into())),
            };
            let note = match check_note(InboxStep::Supplement, &form.note) {
                Ok(n) => n.unwrap_or_default(),
                Err(f) => return Ok(Err(f.into())),
            };
            let Some(place) = db.field_report_by_uuid(&uuid).await? else {
                return Ok(Err(FieldError::new("report_id", Problem::UnknownValue).into()));
            };
            let location = place_location(db, &place).await?;
            if !allows(me, Action::Write, ResourceKind::FieldReport, &location) {
                deny(db, caller, Some(&e.client_id)).await;
                return Ok(Err(Rejection::WrongScope));
            }
            let applied = grants
                .iter()
                .map(|g| place.state.apply(g.role, InboxStep::Supplement))
                .reduce(|a, b| a.or(b))
                .unwrap_or(Err(domain::petition::Refusal::NotYourStep));
            if let Err(refusal) = applied {
                return Ok(Err(Rejection::Refused(refusal)));
            }
            return Ok(Ok(Checked::Supplement {
                report_id: place.id,
                note,
            }));
        }
    };
    let location = match places.get(&(village, grid)) {
        Some(known) => known.clone(),
        None => {
            let found = report_location(db, township, village, grid).await?;
            places.insert((village, grid), found.clone());
            found
        }
    };
    match location {
        Some(l) if allows(me, Action::Write, ResourceKind::FieldReport, &l) => Ok(Ok(checked)),
        _ => {
            deny(db, caller, Some(&e.client_id)).await;
            Ok(Err(Rejection::WrongScope))
        }
    }
}

/// Stores a batch from a phone. Each record is answered on its own: stored, duplicate
/// (sent before with the same body), rejected with a code, or conflict (its UUID was
/// stored before with another body, which is kept). The answers are in batch order.
pub async fn push(db: &Database, caller: &Caller, batch: &PushBatch) -> Result<PushResponse> {
    let me = caller.user()?;
    let Some((township, grants)) = field_grants(me) else {
        return Err(deny(db, caller, None).await);
    };
    if batch.records.len() > MAX_BATCH {
        return Err(FieldError::new("records", Problem::TooMany).into());
    }
    let mut results: Vec<Option<RecordResult>> = vec![None; batch.records.len()];
    let mut envelopes: Vec<(usize, Envelope, String)> = Vec::new();
    // The first copy of a UUID in the batch counts; later copies are judged against it.
    let mut seen: HashMap<String, String> = HashMap::new();
    for (i, value) in batch.records.iter().enumerate() {
        let line = |client_id: Option<String>, outcome| Some(RecordResult { client_id, outcome });
        let e = match PushRecord::decode(value) {
            Ok(e) => e,
            Err((id, r)) => {
                results[i] = line(id, Outcome::rejected(&r));
                continue;
            }
        };
        if e.author != me.username {
            results[i] = line(Some(e.client_id), Outcome::rejected(&Rejection::AuthorMismatch));
            continue;
        }
        let hash = body_hash(e.record_type, &e.body);
        if let Some(first) = seen.get(&e.client_id) {
            let outcome = if *first == hash {
                Outcome::Duplicate
            } else {
                Outcome::Conflict
            };
            results[i] = line(Some(e.client_id), outcome);
            continue;
        }
        seen.insert(e.client_id.clone(), hash.clone());
        envelopes.push((i, e, hash));
    }
    // A record stored before is judged by its receipt alone, never checked again: the
    // kinds list may have changed since, and the phone only needs to know it is safe.
    let ids: Vec<&str> = envelopes.iter().map(|(_, e, _)| e.client_id.as_str()).collect();
    let receipts = db.sync_receipts(&ids).await?;
    let kinds = db.report_kinds(township).await?;
    let mut ready: Vec<Ready> = Vec::new();
    let mut places = Places::new();
    for (index, envelope, hash) in envelopes {
        if let Some(r) = receipts.iter().find(|r| r.client_id == envelope.client_id) {
            let outcome = match r.judge(me.user_id, &hash) {
                Stored::Duplicate => Outcome::Duplicate,
                _ => Outcome::Conflict,
            };
            results[index] = Some(RecordResult {
                client_id: Some(envelope.client_id),
                outcome,
            });
            continue;
        }
        match check_record(db, caller, township, &grants, &kinds, &mut places, &envelope).await? {
            Ok(checked) => ready.push(Ready {
                index,
                envelope,
                hash,
                checked,
            }),
            Err(r) => {
                results[index] = Some(RecordResult {
                    client_id: Some(envelope.client_id),
                    outcome: Outcome::rejected(&r),
                })
            }
        }
    }
    // A weekly report's "finished at" is bounded below by the end of this phone's last
    // sync (domain::field::finished_at).
    let synced_after = match &caller.session {
        Some(session) if ready.iter().any(|r| matches!(r.checked, Checked::Weekly(_))) => {
            db.last_pull(session).await?
        }
        _ => None,
    };
    let entries: Vec<PushEntry<'_>> = ready
        .iter()
        .map(|r| {
            let e = &r.envelope;
            // A phone's clock may be wrong; it never counts as later than the arrival.
            let created_at = e.created_at.min(caller.now);
            let item = match &r.checked {
                Checked::Report(report) => PushItem::Report(ReportInsert {
                    report,
                    township_id: township,
                    device_id: &e.device_id,
                    created_at,
                }),
                Checked::Weekly(report) => PushItem::Weekly(WeeklyInsert {
                    report,
                    township_id: township,
                    device_id: &e.device_id,
                    created_at,
                    synced_after,
                }),
                Checked::Supplement { report_id, note } => PushItem::Supplement(SupplementInsert {
                    report_id: *report_id,
                    note,
                    by_name: &me.display_name,
                }),
            };
            PushEntry {
                client_id: &e.client_id,
                record_type: e.record_type,
                body_hash: &r.hash,
                user_id: me.user_id,
                item,
            }
        })
        .collect();
    // What was answered before storing (malformed, author, duplicate, scope…) and
    // what storing came to, in batch order: the batch's `sync_push` entry counts both.
    let early: Vec<&Outcome> = results.iter().flatten().map(|r| &r.outcome).collect();
    let audit_entries = |stored: &[Stored]| {
        let mut entries = Vec::new();
        for (r, s) in ready.iter().zip(stored) {
            if let (Stored::Stored, Checked::Report(report)) = (s, &r.checked)
                && report.is_urgent()
            {
                // Art. 25: reported upward at once. The inbox lists it first, flagged.
                let mut entry = caller.audit(AuditAction::UrgentReport, AuditOutcome::Ok);
                entry.record_kind = Some(ResourceKind::FieldReport.as_str().into());
                entry.record_id = Some(r.envelope.client_id.clone());
                entry.township_id = Some(township);
                entry.detail = Some(format!("village {} {}", report.village_id, report.kind));
                entries.push(entry);
            }
        }
        let count = |early_match: fn(&Outcome) -> bool, stored_match: fn(&Stored) -> bool| {
            early.iter().filter(|o| early_match(o)).count()
                + stored.iter().filter(|s| stored_match(s)).count()
        };
        let mut entry = caller.audit(AuditAction::SyncPush, AuditOutcome::Ok);
        entry.record_kind = Some(ResourceKind::FieldReport.as_str().into());
        entry.township_id = Some(township);
        entry.detail = Some(format!(
            "{} records: {} stored, {} duplicate, {} rejected, {} conflict",
            early.len() + stored.len(),
            count(|o| *o == Outcome::Stored, |s| *s == Stored::Stored),
            count(|o| *o == Outcome::Duplicate, |s| *s == Stored::Duplicate),
            count(
                |o| matches!(o, Outcome::Rejected { .. }),
                |s| matches!(s, Stored::Rejected(_))
            ),
            count(|o| *o == Outcome::Conflict, |s| *s == Stored::Conflict),
        ));
        entries.push(entry);
        entries
    };
    // The records and their entries in one transaction: an urgent report is never kept
    // without its entry. The batch's `sync_push` entry is written even when nothing new
    // was stored (all duplicates or rejected), so every push is traced.
    let mut tx = db.begin().await?;
    let stored = tx.push_records(township, &entries, caller.now).await?;
    tx.audit_all(&audit_entries(&stored)).await?;
    tx.commit().await?;
    for (r, s) in ready.iter().zip(stored) {
        let outcome = match s {
            Stored::Stored => {
                if let Checked::Report(report) = &r.checked
                    && report.is_urgent()
                {
                    tracing::warn!(client_id = %r.envelope.client_id, village = report.village_id, "urgent field report");
                }
                Outcome::Stored
            }
            Stored::Duplicate => Outcome::Duplicate,
            Stored::Conflict => Outcome::Conflict,
            Stored::Rejected(rejection) => Outcome::rejected(&rejection),
        };
        results[r.index] = Some(RecordResult {
            client_id: Some(r.envelope.client_id.clone()),
            outcome,
        });
    }
    let results: Vec<RecordResult> = results.into_iter().flatten().collect();
    Ok(PushResponse { results })
}

/// This week's and last week's status for each village, as the phone and the office
/// see them.
async fn village_weeks(
    db: &Database,
    township: i64,
    villages: &[(i64, String)],
    weeks: &[Week],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<VillageWeek>> {
    let deadline = db.weekly_deadline(township).await?;
    let mut out = Vec::new();
    for week in weeks {
        let rows = db.weekly_reports(township, &week.to_string()).await?;
        for (village_id, village_name) in villages {
            let row = rows.iter().find(|r| r.0 == *village_id);
            let submitted = row.map(|(_, zero, created, received, synced)| {
                (domain::field::finished_at(*created, *synced, *received), *zero)
            });
            out.push(VillageWeek {
                village_id: *village_id,
                village_name: village_name.clone(),
                week: *week,
                status: weekly_status(*week, deadline, submitted, now),
                zero: submitted.is_some_and(|s| s.1),
                due_at: deadline.due_at(*week),
                submitted_at: submitted.map(|s| s.0),
            });
        }
    }
    Ok(out)
}

/// What changed in the caller's scope since `cursor`: the clerks' steps on their
/// reports, their village's weekly reports, the township's kinds and the week's status.
pub async fn pull(db: &Database, caller: &Caller, cursor: i64) -> Result<PullResponse> {
    let me = caller.user()?;
    let Some((township, grants)) = field_grants(me) else {
        return Err(deny(db, caller, None).await);
    };
    let scope = ChangeScope {
        villages: grants
            .iter()
            .filter(|g| g.role == Role::InfoOfficer)
            .map(|g| g.unit_id)
            .collect(),
        grids: grants
            .iter()
            .filter(|g| g.role == Role::GridWorker)
            .map(|g| g.unit_id)
            .collect(),
        author_id: me.user_id,
    };
    let cursor = cursor.max(0);
    let limit = i64::try_from(PULL_PAGE).unwrap_or(200);
    let mut changes = db.sync_changes(township, cursor, &scope, limit + 1).await?;
    let more = changes.len() > PULL_PAGE;
    changes.truncate(PULL_PAGE);
    let next_cursor = changes.last().map_or(cursor, |c| c.cursor);
    let setup = field_setup(db, caller, township, &grants).await?;
    // The last page of a pull ends a sync: whatever the phone had queued was pushed before.
    if !more && let Some(session) = &caller.session {
        db.record_pull(session, caller.now).await?;
    }
    Ok(PullResponse {
        changes,
        next_cursor,
        more,
        report_kinds: setup.report_kinds,
        weekly: setup.weekly,
        week_field_reports: setup.week_field_reports,
        server_time: setup.server_time,
    })
}

/// The most reports a phone is sent for its weekly lists: two weeks of a busy village.
const MAX_WEEK_REPORTS: i64 = 500;

/// The kinds and villages a field phone fills its forms from (also sent with each pull).
/// `None` for someone with no village to report for (a petition agent, say).
pub async fn setup(db: &Database, caller: &Caller) -> Result<Option<FieldSetup>> {
    let me = caller.user()?;
    let Some((township, grants)) = field_grants(me) else {
        return Ok(None);
    };
    field_setup(db, caller, township, &grants).await.map(Some)
}

async fn field_setup(db: &Database, caller: &Caller, township: i64, grants: &[&Grant]) -> Result<FieldSetup> {
    let mut villages: Vec<(i64, String)> = Vec::new();
    for village in grants.iter().filter_map(|g| grant_village(g)) {
        if villages.iter().any(|v| v.0 == village) {
            continue;
        }
        if let Some(unit) = db.org_unit(village).await? {
            villages.push((village, unit.name));
        }
    }
    let this_week = Week::of(caller.now);
    let ids: Vec<i64> = villages.iter().map(|v| v.0).collect();
    let span = (this_week.previous().utc_range().0, this_week.utc_range().1);
    Ok(FieldSetup {
        report_kinds: db.report_kinds(township).await?,
        weekly: village_weeks(
            db,
            township,
            &villages,
            &[this_week.previous(), this_week],
            caller.now,
        )
        .await?,
        week_field_reports: db
            .village_reports_between(township, &ids, span, MAX_WEEK_REPORTS)
            .await?,
        server_time: caller.now,
    })
}

/// What a phone declares before uploading a photo.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct PhotoDeclaration {
    pub client_id: String,
    pub byte_size: i64,
    /// Lower-case hex SHA-256 of the whole file.
    pub sha256: String,
    /// `image/jpeg`, `image/png` or `image/webp` (or just `jpeg`…).
    pub media_type: String,
}

/// How far an upload has come.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PhotoStatus {
    pub client_id: String,
    pub byte_size: i64,
    /// Bytes received so far: the offset to send the next chunk at.
    pub offset: i64,
    pub complete: bool,
}

impl From<&PhotoUpload> for PhotoStatus {
    fn from(u: &PhotoUpload) -> Self {
        PhotoStatus {
            client_id: u.client_id.clone(),
            byte_size: u.byte_size,
            offset: u.received,
            complete: u.complete,
        }
    }
}

fn photo_media(raw: &str) -> Option<MediaType> {
    match raw.trim().trim_start_matches("image/") {
        "jpeg" | "jpg" => Some(MediaType::Jpeg),
        "png" => Some(MediaType::Png),
        "webp" => Some(MediaType::Webp),
        _ => None,
    }
}

/// Starts an upload, or finds the one begun before under the same UUID with the same
/// declaration (a phone that lost the answer asks again). Another declaration under a
/// stored UUID is a conflict.
pub async fn begin_photo(db: &Database, caller: &Caller, d: &PhotoDeclaration) -> Result<PhotoStatus> {
    let me = caller.user()?;
    let Some((township, grants)) = field_grants(me) else {
        return Err(deny(db, caller, None).await);
    };
    let client_id = clean_uuid("client_id", &d.client_id)?;
    let media = photo_media(&d.media_type)
        .ok_or_else(|| FieldError::new("media_type", Problem::FileTypeNotAllowed))?;
    if d.byte_size <= 0 {
        return Err(FieldError::new("byte_size", Problem::FileEmpty).into());
    }
    if d.byte_size > MAX_PHOTO_BYTES {
        return Err(FieldError::new("byte_size", Problem::FileTooLarge).into());
    }
    let sha256 = d.sha256.trim().to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(FieldError::new("sha256", Problem::UnknownValue).into());
    }
    let upload = db
        .begin_photo(&PhotoBegin {
            client_id: &client_id,
            township_id: township,
            village_id: grants.iter().find_map(|g| grant_village(g)),
            uploaded_by: me.user_id,
            media_type: media.as_str(),
            byte_size: d.byte_size,
            sha256: &sha256,
            at: caller.now,
        })
        .await?;
    if upload.uploaded_by != me.user_id {
        return Err(deny(db, caller, Some(&client_id)).await);
    }
    if upload.byte_size != d.byte_size || upload.sha256 != sha256 || upload.media_type != media.as_str() {
        return Err(ServiceError::Changed);
    }
    Ok(PhotoStatus::from(&upload))
}

/// The caller's own upload, or "not found" (logged).
async fn own_upload(db: &Database, caller: &Caller, client_id: &str) -> Result<PhotoUpload> {
    let me = caller.user()?;
    let id = clean_uuid("client_id", client_id).map_err(|_| ServiceError::NotFound)?;
    match db.photo_upload(&id).await? {
        Some(u) if u.uploaded_by == me.user_id => Ok(u),
        _ => Err(deny(db, caller, Some(&id)).await),
    }
}

pub async fn photo_status(db: &Database, caller: &Caller, client_id: &str) -> Result<PhotoStatus> {
    Ok(PhotoStatus::from(&own_upload(db, caller, client_id).await?))
}

/// What an append came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub status: PhotoStatus,
    /// False when `offset` was not where the upload stands (the status says where).
    pub accepted: bool,
}

/// Appends a chunk at `offset`. When the last byte arrives the whole file is checked
/// against the declared SHA-256 and type: a match completes it (and attaches it to any
/// report naming it); a mismatch throws the bytes away so the phone starts over. A chunk
/// sent again after its answer was lost is accepted as it was, with the current status.
pub async fn append_photo(
    db: &Database,
    caller: &Caller,
    client_id: &str,
    offset: i64,
    chunk: &[u8],
) -> Result<Appended> {
    let upload = own_upload(db, caller, client_id).await?;
    // An empty chunk moves nothing forward, and no file is made of one.
    if chunk.is_empty() {
        return Err(FieldError::new("chunk", Problem::FileEmpty).into());
    }
    if chunk.len() > MAX_CHUNK_BYTES {
        return Err(FieldError::new("chunk", Problem::FileTooLarge).into());
    }
    if offset < 0 {
        return Err(FieldError::new("offset", Problem::BadNumber).into());
    }
    // The file's last chunk, by where it ends (a complete upload keeps no chunks).
    let ends_the_file = |u: &PhotoUpload| {
        i64::try_from(chunk.len())
            .ok()
            .and_then(|len| offset.checked_add(len))
            == Some(u.byte_size)
    };
    if upload.complete {
        // A resend of the last chunk after the answer was lost.
        return Ok(Appended {
            accepted: ends_the_file(&upload),
            status: PhotoStatus::from(&upload),
        });
    }
    let Some(received) = db.append_photo_chunk(upload.id, offset, chunk).await? else {
        let now = db.photo_upload(&upload.client_id).await?.unwrap_or(upload);
        if !now.complete && now.received == now.byte_size {
            // Every byte came, but finishing the file failed (its transaction did not
            // commit): finish it on the resend, or it would never be.
            let status = finish_upload(db, caller, &now).await?;
            return Ok(Appended {
                accepted: ends_the_file(&now),
                status,
            });
        }
        // Not where the upload stands: either this very chunk was stored before (its
        // answer was lost; the phone goes on from the current offset), or the phone
        // must ask where to go on from.
        let accepted = if now.complete {
            ends_the_file(&now)
        } else {
            offset < now.received && db.photo_chunk_is(now.id, offset, chunk).await?
        };
        return Ok(Appended {
            status: PhotoStatus::from(&now),
            accepted,
        });
    };
    let status = if received == upload.byte_size {
        finish_upload(db, caller, &PhotoUpload { received, ..upload }).await?
    } else {
        PhotoStatus {
            offset: received,
            ..PhotoStatus::from(&upload)
        }
    };
    Ok(Appended {
        status,
        accepted: true,
    })
}

/// Checks a fully received upload against its declaration and keeps it as the report's
/// photo, or throws the bytes away; either with the audit entry that says so, in one
/// transaction.
async fn finish_upload(db: &Database, caller: &Caller, upload: &PhotoUpload) -> Result<PhotoStatus> {
    let bytes = db.photo_bytes(upload.id).await?;
    let hash_ok = hex(&Sha256::digest(&bytes)) == upload.sha256;
    let type_ok = attachment::check(&bytes).is_ok_and(|m| m.as_str() == upload.media_type);
    let mut entry = caller.audit(AuditAction::UploadPhoto, AuditOutcome::Ok);
    entry.record_kind = Some("photo".into());
    entry.record_id = Some(upload.client_id.clone());
    entry.township_id = Some(upload.township_id);
    let mut tx = db.begin().await?;
    if !(hash_ok && type_ok) {
        tx.reset_photo(upload.id).await?;
        entry.outcome = AuditOutcome::Failed;
        entry.detail = Some(if hash_ok { "type mismatch" } else { "hash mismatch" }.into());
        tx.audit(&entry).await?;
        tx.commit().await?;
        let problem = if hash_ok {
            FieldError::new("media_type", Problem::FileTypeNotAllowed)
        } else {
            FieldError::new("sha256", Problem::Mismatch)
        };
        return Err(problem.into());
    }
    tx.complete_photo(upload.id, &bytes, caller.now).await?;
    entry.detail = Some(format!("{} bytes", bytes.len()));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(PhotoStatus {
        complete: true,
        ..PhotoStatus::from(upload)
    })
}

/// The township inbox: one page of the reports of the caller's townships, urgent first,
/// with how many match in all and the kinds to name them by.
pub async fn inbox(db: &Database, caller: &Caller, filter: &InboxFilter) -> Result<InboxPage> {
    let me = caller.user()?;
    let townships = office_townships(me);
    let Some(first) = townships.first().copied() else {
        return Err(deny(db, caller, None).await);
    };
    Ok(InboxPage {
        rows: db.field_inbox(&townships, filter).await?,
        total: db.field_inbox_count(&townships, filter).await?,
        page: filter.page.max(1),
        kinds: db.report_kinds(first).await?,
    })
}

/// How many urgent reports wait for the township (new, or answered by the officer), for
/// the office's navigation. Anyone without an inbox has none; that is no refusal.
pub async fn urgent_waiting(db: &Database, caller: &Caller) -> Result<i64> {
    let townships = office_townships(caller.user()?);
    let filter = InboxFilter {
        urgent_only: true,
        state: Some(InboxState::New),
        ..InboxFilter::default()
    };
    Ok(db.field_inbox_count(&townships, &filter).await?)
}

/// The report `id` if the caller may `action` it; anything else is "not found", logged.
async fn permitted_report(
    db: &Database,
    caller: &Caller,
    id: i64,
    action: Action,
) -> Result<(FieldReportPlace, Location)> {
    let me = caller.user()?;
    let Some(place) = db.field_report_by_id(id).await? else {
        return Err(deny(db, caller, Some(&id.to_string())).await);
    };
    let location = place_location(db, &place).await?;
    if !allows(me, action, ResourceKind::FieldReport, &location) {
        return Err(deny(db, caller, Some(&place.client_id)).await);
    }
    Ok((place, location))
}

fn read_entry(
    caller: &Caller,
    action: AuditAction,
    place: &FieldReportPlace,
) -> domain::audit::NewAuditEntry {
    let mut entry = caller.audit(action, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::FieldReport.as_str().into());
    entry.record_id = Some(place.client_id.clone());
    entry.township_id = Some(place.township_id);
    entry
}

/// A whole report as the office reads it, with the inbox steps open to the reader. It
/// names people and places, so every reading is in the audit log.
pub async fn report(db: &Database, caller: &Caller, id: i64) -> Result<ReportView> {
    let me = caller.user()?;
    let (place, location) = permitted_report(db, caller, id, Action::Read).await?;
    let detail = db
        .field_report_detail(place.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    db.append_audit(&read_entry(caller, AuditAction::ReadFieldReport, &place))
        .await?;
    let mut open_steps: Vec<InboxStep> = Vec::new();
    for g in &me.grants {
        for step in place.state.open_steps(g.role) {
            // The officer's answer comes from the phone, not from the office's page.
            if step != InboxStep::Supplement && !open_steps.contains(&step) {
                open_steps.push(step);
            }
        }
    }
    if !allows(me, Action::Write, ResourceKind::FieldReport, &location) {
        open_steps.clear();
    }
    Ok(ReportView {
        detail,
        open_steps,
        kinds: db.report_kinds(place.township_id).await?,
    })
}

/// The photo at `position` of a report, for someone who may read the report; each
/// look is in the audit log.
pub async fn report_photo(
    db: &Database,
    caller: &Caller,
    id: i64,
    position: i64,
) -> Result<(MediaType, Vec<u8>)> {
    let (place, _) = permitted_report(db, caller, id, Action::Read).await?;
    let (media, bytes) = db
        .field_report_photo(place.id, position)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let media =
        MediaType::parse(&media).ok_or_else(|| ServiceError::Internal(format!("photo type {media}")))?;
    let mut entry = read_entry(caller, AuditAction::ReadFieldPhoto, &place);
    entry.detail = Some(format!("photo {position}"));
    db.append_audit(&entry).await?;
    Ok((media, bytes))
}

/// A clerk acknowledges a report, asks the officer for more, or closes it with a note;
/// the officer's phone sees it on its next pull.
pub async fn inbox_step(
    db: &Database,
    caller: &Caller,
    report_id: i64,
    step: InboxStep,
    note: &str,
) -> Result<()> {
    let me = caller.user()?;
    let (place, _) = permitted_report(db, caller, report_id, Action::Write).await?;
    let next = me
        .grants
        .iter()
        .map(|g| place.state.apply(g.role, step))
        .reduce(|a, b| a.or(b))
        .unwrap_or(Err(domain::petition::Refusal::NotYourStep))
        .map_err(ServiceError::Refused)?;
    let note = check_note(step, note)?;
    let mut tx = db.begin().await?;
    let recorded = tx
        .record_inbox_step(&InboxStepRecord {
            report_id: place.id,
            step,
            from: place.state,
            to: next,
            at: caller.now,
            actor_user_id: me.user_id,
            by_name: &me.display_name,
            note: note.as_deref(),
        })
        .await?;
    // Someone moved it first: nothing was written, the transaction is dropped.
    if !recorded {
        return Err(ServiceError::Changed);
    }
    let mut entry = caller.audit(AuditAction::FieldReportStep, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::FieldReport.as_str().into());
    entry.record_id = Some(place.client_id.clone());
    entry.township_id = Some(place.township_id);
    entry.detail = Some(step.as_str().into());
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Which villages of the caller's township have reported for `week`: on time, late,
/// zero, missing or not yet due; with how many reports each listed and who sent it.
pub async fn weekly_overview(db: &Database, caller: &Caller, week: Week) -> Result<WeeklyOverview> {
    let me = caller.user()?;
    let Some(township) = office_townships(me).first().copied() else {
        return Err(deny(db, caller, None).await);
    };
    let villages: Vec<(i64, String)> = db
        .org_children(Some(township))
        .await?
        .into_iter()
        .filter(|u| u.kind == OrgUnitKind::Village)
        .map(|u| (u.id, u.name))
        .collect();
    let deadline = db.weekly_deadline(township).await?;
    let reported = db.weekly_report_lines(township, &week.to_string()).await?;
    let lines = village_weeks(db, township, &villages, &[week], caller.now)
        .await?
        .into_iter()
        .map(|w| {
            let line = reported.iter().find(|r| r.0 == w.village_id);
            WeeklyLine {
                items: line.map_or(0, |l| l.1),
                reported_by: line.map(|l| l.2.clone()),
                week: w,
            }
        })
        .collect();
    Ok(WeeklyOverview {
        week,
        deadline,
        due_at: deadline.due_at(week),
        lines,
    })
}

/// The township whose field settings the caller sees: an admin's own, else any of theirs.
fn settings_township(me: &CurrentUser) -> Option<i64> {
    me.grants
        .iter()
        .filter(|g| g.role == Role::Admin)
        .chain(me.grants.iter())
        .find_map(|g| g.township_id)
}

/// The township's weekly deadline and kinds list, and whether the caller may change them.
pub async fn field_settings(db: &Database, caller: &Caller) -> Result<FieldSettings> {
    let me = caller.user()?;
    let Some(township_id) = settings_township(me) else {
        return Err(deny(db, caller, None).await);
    };
    let location = db.org_location(township_id).await?;
    if !allows(me, Action::Read, ResourceKind::OrgUnit, &location) {
        return Err(deny(db, caller, None).await);
    }
    Ok(FieldSettings {
        township_id,
        deadline: db.weekly_deadline(township_id).await?,
        kinds: db.report_kinds(township_id).await?,
        may_edit: allows(me, Action::Write, ResourceKind::OrgUnit, &location),
    })
}

/// An admin sets when the township's weekly reports are due.
pub async fn set_weekly_deadline(
    db: &Database,
    caller: &Caller,
    township_id: i64,
    deadline: WeeklyDeadline,
) -> Result<()> {
    let me = caller.user()?;
    let location = db.org_location(township_id).await?;
    if !allows(me, Action::Write, ResourceKind::OrgUnit, &location) {
        return Err(deny(db, caller, None).await);
    }
    let deadline = deadline.check()?;
    let mut tx = db.begin().await?;
    tx.set_weekly_deadline(township_id, deadline, me.user_id, caller.now)
        .await?;
    let mut entry = caller.audit(AuditAction::EditReportKinds, AuditOutcome::Ok);
    entry.township_id = Some(township_id);
    entry.detail = Some(format!(
        "weekly deadline: weekday {} {:02}:00{}",
        deadline.weekday,
        deadline.hour,
        if deadline.next_week {
            " of the next week"
        } else {
            ""
        }
    ));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(())
}

/// An admin replaces the township's list of report kinds.
pub async fn set_report_kinds(
    db: &Database,
    caller: &Caller,
    township_id: i64,
    kinds: &[ReportKind],
) -> Result<()> {
    let me = caller.user()?;
    let location = db.org_location(township_id).await?;
    if !allows(me, Action::Write, ResourceKind::OrgUnit, &location) {
        return Err(deny(db, caller, None).await);
    }
    let kinds = check_kinds(kinds)?;
    let mut tx = db.begin().await?;
    tx.set_report_kinds(township_id, &kinds).await?;
    let mut entry = caller.audit(AuditAction::EditReportKinds, AuditOutcome::Ok);
    entry.township_id = Some(township_id);
    entry.detail = Some(format!("{} kinds", kinds.len()));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_hash_ignores_key_order_but_not_content() {
        let a: serde_json::Value = serde_json::from_str(r#"{"kind":"land","place":"三组"}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{"place":"三组","kind":"land"}"#).unwrap();
        let c: serde_json::Value = serde_json::from_str(r#"{"place":"四组","kind":"land"}"#).unwrap();
        let t = RecordType::FieldReport;
        assert_eq!(body_hash(t, &a), body_hash(t, &b));
        assert_ne!(body_hash(t, &a), body_hash(t, &c));
        assert_ne!(body_hash(t, &a), body_hash(RecordType::WeeklyReport, &a));
    }

    #[test]
    fn photo_types_by_name_or_mime() {
        assert_eq!(photo_media("image/jpeg"), Some(MediaType::Jpeg));
        assert_eq!(photo_media("webp"), Some(MediaType::Webp));
        assert_eq!(photo_media("application/pdf"), None);
    }
}
