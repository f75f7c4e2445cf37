//! Push: a phone's batch of records, each judged alone (its body, its author, its scope)
//! and stored idempotently on its client UUID, with the receipt's body hash telling a
//! resend from a conflict. Urgent reports get their audit entry in the same transaction.

use std::collections::HashMap;

use domain::audit::{AuditAction, AuditOutcome};
use domain::auth::{Grant, Role};
use domain::field::{
    InboxStep, NewFieldReport, NewWeeklyReport, ReportForm, ReportKind, WeeklyForm, check_note, check_report,
    check_weekly,
};
use domain::org::OrgUnitKind;
use domain::policy::{Action, Location, ResourceKind, allows};
use domain::sync::{
    Envelope, MAX_BATCH, PushBatch, PushRecord, PushResponse, RecordOutcome, RecordResult, RecordType,
    Rejection, SupplementForm, clean_uuid,
};
use domain::{FieldError, Problem};
use sha2::{Digest, Sha256};
use storage::{Database, PushEntry, PushItem, ReportInsert, Stored, SupplementInsert, WeeklyInsert};

use super::{deny, hex, place_location};
use crate::{Caller, Result};

/// The receipt's hash: the record's type and its body as canonical JSON (serde_json
/// writes object keys sorted), so a resend hashes the same whatever its key order.
fn body_hash(record_type: RecordType, body: &serde_json::Value) -> String {
    let mut h = Sha256::new();
    h.update(record_type.as_str().as_bytes());
    h.update(b"\n");
    h.update(body.to_string().as_bytes());
    hex(&h.finalize())
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
                    .find(|g| g.role == Role::GridWorker && g.village() == Some(report.village_id))
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
    let Some((township, grants)) = me.field_grants() else {
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
                results[i] = line(id, RecordOutcome::rejected(&r));
                continue;
            }
        };
        if e.author != me.username {
            results[i] = line(
                Some(e.client_id),
                RecordOutcome::rejected(&Rejection::AuthorMismatch),
            );
            continue;
        }
        let hash = body_hash(e.record_type, &e.body);
        if let Some(first) = seen.get(&e.client_id) {
            let outcome = if *first == hash {
                RecordOutcome::Duplicate
            } else {
                RecordOutcome::Conflict
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
                Stored::Duplicate => RecordOutcome::Duplicate,
                _ => RecordOutcome::Conflict,
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
                    outcome: RecordOutcome::rejected(&r),
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
    let early: Vec<&RecordOutcome> = results.iter().flatten().map(|r| &r.outcome).collect();
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
        let count = |early_match: fn(&RecordOutcome) -> bool, stored_match: fn(&Stored) -> bool| {
            early.iter().filter(|o| early_match(o)).count()
                + stored.iter().filter(|s| stored_match(s)).count()
        };
        let mut entry = caller.audit(AuditAction::SyncPush, AuditOutcome::Ok);
        entry.record_kind = Some(ResourceKind::FieldReport.as_str().into());
        entry.township_id = Some(township);
        entry.detail = Some(format!(
            "{} records: {} stored, {} duplicate, {} rejected, {} conflict",
            early.len() + stored.len(),
            count(|o| *o == RecordOutcome::Stored, |s| *s == Stored::Stored),
            count(|o| *o == RecordOutcome::Duplicate, |s| *s == Stored::Duplicate),
            count(
                |o| matches!(o, RecordOutcome::Rejected { .. }),
                |s| matches!(s, Stored::Rejected(_))
            ),
            count(|o| *o == RecordOutcome::Conflict, |s| *s == Stored::Conflict),
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
                RecordOutcome::Stored
            }
            Stored::Duplicate => RecordOutcome::Duplicate,
            Stored::Conflict => RecordOutcome::Conflict,
            Stored::Rejected(rejection) => RecordOutcome::rejected(&rejection),
        };
        results[r.index] = Some(RecordResult {
            client_id: Some(r.envelope.client_id.clone()),
            outcome,
        });
    }
    let results: Vec<RecordResult> = results.into_iter().flatten().collect();
    Ok(PushResponse { results })
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
}
