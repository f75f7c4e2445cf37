//! Petitions: a citizen files one on the public form and follows it with a tracking code;
//! the office takes them in from every channel, searches the registry, and carries each
//! through the lifecycle of `domain::petition`. Every read of an identity and every
//! write is audited; anything outside the caller's scope is "not found".

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::attachment::{self, MAX_ATTACHMENTS, MediaType};
use domain::audit::{AuditAction, AuditOutcome};
use domain::auth::{CurrentUser, Role};
use domain::document::{DocumentKind, Letterhead};
use domain::handling::{StepForm, StepInput, check_step};
use domain::intake::{IntakeSource, NewPetition, PetitionForm, check_form};
use domain::org::OrgUnitKind;
use domain::petition::{
    Actor, Case, PetitionState, Refusal, Step, normalize_query_password, normalize_tracking_code,
};
use domain::policy::{Action, Location, ResourceKind, allows};
use domain::registry::{
    Decision, PetitionDetail, PetitionIdentity, PetitionSummary, PublicStatus, RegistryFilter, RegistryPage,
    china_date,
};
use domain::{FieldError, Problem};
use sha2::{Digest, Sha256};
use storage::{
    Database, NewAttachment, PetitionInsert, PetitionPlace, PetitionScope, StepChange, StepRecord,
    StorageError, SubmissionLimit,
};

use crate::challenge::{self, ChallengeAnswer};
use crate::{Caller, Result, ServiceError};

/// Public submissions allowed per address per hour, and per phone per day. Generous for
/// a family sharing a phone or a village office sharing an address; not for a script.
pub const PER_ADDRESS_PER_HOUR: i64 = 10;
pub const PER_PHONE_PER_DAY: i64 = 5;
/// Failed `/track` look-ups per address per 10 minutes, and per tracking code per hour
/// (a password guessed from many addresses). Look-ups that find the petition do not
/// count, so a village behind one address cannot lock itself out.
pub const LOOKUPS_PER_ADDRESS: i64 = 20;
pub const LOOKUPS_PER_CODE: i64 = 10;

/// A file as it came from the browser.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// The file was over the size limit and was not kept while it arrived.
    pub too_large: bool,
}

/// What the petitioner takes away: shown once, printed on the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub id: i64,
    pub tracking_code: String,
    pub query_password: String,
    pub received_at: DateTime<Utc>,
    pub subject: String,
    /// The office that received it, with the address and phone it publishes.
    pub office: Letterhead,
}

/// The office's view of one petition, with the steps the caller may take now.
#[derive(Debug, Clone)]
pub struct PetitionView {
    pub detail: PetitionDetail,
    pub open_steps: Vec<Step>,
    pub may_read_identity: bool,
}

fn secret_hash(password: &str) -> String {
    let digest = Sha256::digest(normalize_query_password(password).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn today(caller: &Caller) -> NaiveDate {
    china_date(caller.now)
}

/// The township of a village, or the problem with the village field.
async fn village_township(db: &Database, village_id: i64) -> Result<i64> {
    match db.org_unit(village_id).await? {
        Some(u) if u.kind == OrgUnitKind::Village => u
            .parent_id
            .ok_or_else(|| FieldError::new("village_id", Problem::UnknownValue).into()),
        _ => Err(FieldError::new("village_id", Problem::UnknownValue).into()),
    }
}

/// Types, cleans (metadata such as GPS removed) and fingerprints the uploads.
pub fn prepare_attachments(uploads: &[Upload]) -> Result<Vec<NewAttachment>, FieldError> {
    let uploads: Vec<&Upload> = uploads
        .iter()
        .filter(|u| !u.bytes.is_empty() || !u.file_name.is_empty())
        .collect();
    if uploads.len() > MAX_ATTACHMENTS {
        return Err(FieldError::new("attachments", Problem::TooMany));
    }
    uploads
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let fail = |p| FieldError::new("attachments", p);
            if u.too_large {
                return Err(fail(Problem::FileTooLarge));
            }
            let media = attachment::check(&u.bytes).map_err(fail)?;
            let bytes = attachment::strip_metadata(media, &u.bytes).map_err(fail)?;
            let digest = Sha256::digest(&bytes);
            Ok(NewAttachment {
                file_name: file_name(&u.file_name, i + 1, media),
                media_type: media,
                sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
                bytes,
            })
        })
        .collect()
}

/// The name shown for a download: the person's own name without any folder, with the
/// extension of what the file really is.
fn file_name(raw: &str, position: usize, media: MediaType) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = base.rsplit_once('.').map_or(base, |(stem, _)| stem);
    let stem: String = stem
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(80)
        .collect();
    let stem = if stem.trim().is_empty() {
        format!("附件{position}")
    } else {
        stem.trim().to_owned()
    };
    format!("{stem}.{}", media.extension())
}

/// What a form said, as a hash: the checked petition and its files' hashes. The same
/// form sent twice hashes the same; another person's form under the same key does not.
fn submission_hash(petition: &NewPetition, attachments: &[NewAttachment]) -> String {
    let mut digest = Sha256::new();
    // Serialising a plain struct of strings and numbers cannot fail; an empty hash
    // would only make a resend look like another form (refused, never merged).
    digest.update(serde_json::to_vec(petition).unwrap_or_default());
    for a in attachments {
        digest.update(b"|");
        digest.update(a.sha256.as_bytes());
    }
    digest.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A citizen's online petition. Everything is checked before anything is written; a
/// resent form (same challenge token) is the same petition with the same password.
pub async fn submit_online(
    db: &Database,
    caller: &Caller,
    form: &PetitionForm,
    uploads: &[Upload],
    answer: &ChallengeAnswer,
) -> Result<Receipt> {
    let now = caller.now;
    let secret = challenge::form_secret(db).await?;
    let checked = check_form(form, IntakeSource::Public, today(caller));
    let mut errors = checked.as_ref().err().cloned().unwrap_or_default();
    let attachments = prepare_attachments(uploads).map_err(|e| errors.push(e)).ok();
    if let Err(e) = challenge::verify(&secret, answer, now) {
        errors.push(e);
    }
    let petition = match checked {
        Ok(p) if errors.is_empty() => p,
        _ => return Err(ServiceError::Form(errors)),
    };
    let township_id = village_township(db, petition.village_id.unwrap_or_default())
        .await
        .map_err(|e| match e {
            ServiceError::Invalid(f) => ServiceError::Form(vec![f]),
            other => other,
        })?;

    // Checked, counted and stored in one transaction with the petition and its audit
    // entry: two forms at once cannot both slip under a limit.
    let mut limits = Vec::new();
    let mut waits = Vec::new();
    if let Some(a) = caller.address.as_deref() {
        limits.push(SubmissionLimit {
            key: format!("form-address:{a}"),
            max: PER_ADDRESS_PER_HOUR,
            since: now - Duration::hours(1),
        });
        waits.push(3600);
    }
    if let Some(p) = petition.petitioner.phone.as_deref() {
        limits.push(SubmissionLimit {
            key: format!("form-phone:{p}"),
            max: PER_PHONE_PER_DAY,
            since: now - Duration::days(1),
        });
        waits.push(86_400);
    }

    let office = db.letterhead(township_id).await?.unwrap_or_default();
    let query_password = challenge::query_password_for(&secret, &answer.token);
    let hash = secret_hash(&query_password);
    let attachments = attachments.unwrap_or_default();
    let content_hash = submission_hash(&petition, &attachments);
    let (inserted, tx) = db
        .begin_petition(&PetitionInsert {
            petition: &petition,
            state: PetitionState::Submitted,
            township_id,
            received_at: now,
            now,
            query_secret_hash: &hash,
            submission_key: Some(&answer.token),
            submission_hash: Some(&content_hash),
            created_by: None,
            agent_user_id: None,
            consent_at: Some(now),
            attachments: &attachments,
            limits: &limits,
        })
        .await
        .map_err(|e| match e {
            StorageError::OverLimit(i) => ServiceError::RateLimited(waits.get(i).copied().unwrap_or(3600)),
            // Another form sent with a used key (a page restored from a cache): refused,
            // and the form comes back as typed with a fresh key.
            StorageError::KeyReused => {
                ServiceError::Form(vec![FieldError::new("challenge", Problem::AlreadySent)])
            }
            other => other.into(),
        })?;
    // A resent form found stored comes with no transaction: nothing written, nothing to
    // audit.
    if let Some(mut tx) = tx {
        let mut entry = caller.audit(AuditAction::FilePetition, AuditOutcome::Ok);
        entry.record_kind = Some(ResourceKind::Petition.as_str().into());
        entry.record_id = Some(inserted.id.to_string());
        entry.township_id = Some(township_id);
        entry.detail = Some(format!("online {}", inserted.tracking_code));
        tx.audit(&entry).await?;
        tx.commit().await?;
    }
    Ok(Receipt {
        id: inserted.id,
        tracking_code: inserted.tracking_code,
        query_password,
        received_at: now,
        subject: petition.subject,
        office,
    })
}

/// A petition taken in by a clerk (any channel, registered at once) or by a petition
/// agent for a resident (waits in the office's inbox).
pub async fn intake(
    db: &Database,
    caller: &Caller,
    form: &PetitionForm,
    uploads: &[Upload],
) -> Result<Receipt> {
    let me = caller.user()?;
    let source = if me.has_role(Role::Clerk) {
        IntakeSource::Office
    } else if me.has_role(Role::PetitionAgent) {
        IntakeSource::Agent
    } else {
        return Err(deny(db, caller, None).await);
    };
    let mut errors = Vec::new();
    let attachments = prepare_attachments(uploads).map_err(|e| errors.push(e)).ok();
    let petition = match check_form(form, source, today(caller)) {
        Ok(p) if errors.is_empty() => p,
        Ok(_) => return Err(ServiceError::Form(errors)),
        Err(mut e) => {
            e.extend(errors);
            return Err(ServiceError::Form(e));
        }
    };
    let (township_id, location) = intake_place(db, me, &petition).await?;
    let state = match source {
        IntakeSource::Office => PetitionState::Registered,
        _ => PetitionState::Submitted,
    };
    if !allows(me, Action::Write, ResourceKind::Petition, &location) {
        return Err(ServiceError::Form(vec![FieldError::new(
            "village_id",
            Problem::UnknownValue,
        )]));
    }
    // A letter that arrived earlier counts from its day of receipt (China midnight).
    let received_at = match petition.received_on {
        Some(day) if day < today(caller) => domain::audit::china_day_range(Some(day), None)
            .0
            .unwrap_or(caller.now),
        _ => caller.now,
    };
    let query_password = challenge::random_query_password();
    let hash = secret_hash(&query_password);
    let attachments = attachments.unwrap_or_default();
    let agent = (source == IntakeSource::Agent).then_some(me.user_id);
    let office = db.letterhead(township_id).await?.unwrap_or_default();
    let mut tx = db.begin().await?;
    let inserted = tx
        .insert_petition(&PetitionInsert {
            petition: &petition,
            state,
            township_id,
            received_at,
            now: caller.now,
            query_secret_hash: &hash,
            submission_key: None,
            submission_hash: None,
            created_by: Some(me.user_id),
            agent_user_id: agent,
            consent_at: agent.map(|_| caller.now),
            attachments: &attachments,
            limits: &[],
        })
        .await?;
    // Registered at the desk: the receipt notice is issued with it.
    if state == PetitionState::Registered {
        tx.number_document(inserted.id, township_id, DocumentKind::ReceiptNotice, caller.now)
            .await?;
    }
    let mut entry = caller.audit(AuditAction::FilePetition, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::Petition.as_str().into());
    entry.record_id = Some(inserted.id.to_string());
    entry.township_id = Some(township_id);
    entry.detail = Some(format!(
        "{} {}",
        petition.channel.as_str(),
        inserted.tracking_code
    ));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(Receipt {
        id: inserted.id,
        tracking_code: inserted.tracking_code,
        query_password,
        received_at,
        subject: petition.subject,
        office,
    })
}

/// Where a petition taken in by staff belongs: its village's township, or (no village
/// named, as for a letter about the whole township) the clerk's own township.
async fn intake_place(db: &Database, me: &CurrentUser, p: &NewPetition) -> Result<(i64, Location)> {
    let unknown = || ServiceError::Form(vec![FieldError::new("village_id", Problem::UnknownValue)]);
    let (township_id, unit) = match p.village_id {
        Some(v) => (village_township(db, v).await.map_err(|_| unknown())?, v),
        None => {
            let t = me.grants.iter().find_map(|g| g.township_id).ok_or_else(unknown)?;
            (t, t)
        }
    };
    let mut location = db.org_location(unit).await?;
    location.owner = Some(me.user_id);
    Ok((township_id, location))
}

async fn location_of(db: &Database, place: &PetitionPlace) -> Result<Location> {
    let mut location = db
        .org_location(place.village_id.unwrap_or(place.township_id))
        .await?;
    location.township_id = Some(place.township_id);
    location.departments = place.department_id.into_iter().collect();
    location.owner = place.agent_user_id;
    Ok(location)
}

/// Logs a refusal and answers "not found".
async fn deny(db: &Database, caller: &Caller, petition_id: Option<i64>) -> ServiceError {
    let id = petition_id.map(|id| id.to_string());
    caller
        .refused(db, AuditAction::Denied, ResourceKind::Petition, id)
        .await
}

/// The petition if the caller may `action` it, else "not found" (logged).
pub(crate) async fn permitted(
    db: &Database,
    caller: &Caller,
    id: i64,
    kind: ResourceKind,
    action: Action,
) -> Result<(PetitionPlace, Location)> {
    let me = caller.user()?;
    if let Some(place) = db.petition_place(id).await? {
        let location = location_of(db, &place).await?;
        if allows(me, action, kind, &location) {
            return Ok((place, location));
        }
    }
    Err(deny(db, caller, Some(id)).await)
}

/// The most rows one export holds; a bigger ledger is exported by date range.
pub const EXPORT_MAX: i64 = 100_000;

/// The registry page the caller may see.
pub async fn registry(db: &Database, caller: &Caller, filter: &RegistryFilter) -> Result<RegistryPage> {
    let scope = scope_of(db, caller).await?;
    Ok(db.registry(filter, &scope).await?)
}

/// Every row of the caller's registry matching `filter` (up to [`EXPORT_MAX`]), for a
/// ledger export. The export is logged.
pub async fn export(
    db: &Database,
    caller: &Caller,
    filter: &RegistryFilter,
    format: &str,
) -> Result<Vec<PetitionSummary>> {
    let scope = scope_of(db, caller).await?;
    let rows = db.registry_rows(filter, &scope, 0, EXPORT_MAX).await?;
    let mut entry = caller.audit(AuditAction::ExportRegistry, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::Petition.as_str().into());
    entry.detail = Some(format!("{format} {} rows", rows.len()));
    db.append_audit(&entry).await?;
    Ok(rows)
}

/// The petitions the caller's roles reach, for the registry.
async fn scope_of(db: &Database, caller: &Caller) -> Result<PetitionScope> {
    let me = caller.user()?;
    let mut scope = PetitionScope::default();
    for g in &me.grants {
        match g.role {
            Role::Clerk | Role::CaseLeader => match g.township_id {
                Some(t) => scope.townships.push(t),
                // A county-level grant covers every township under it.
                None => scope.townships.extend(
                    db.org_children(Some(g.unit_id))
                        .await?
                        .iter()
                        .filter(|u| u.kind == OrgUnitKind::Township)
                        .map(|u| u.id),
                ),
            },
            Role::Handler => scope.departments.push(g.unit_id),
            Role::PetitionAgent => scope.agent = Some(me.user_id),
            Role::Admin | Role::InfoOfficer | Role::GridWorker => {}
        }
    }
    if scope.is_empty() {
        return Err(ServiceError::NotFound);
    }
    Ok(scope)
}

/// One petition, with the steps open to the caller.
pub async fn view(db: &Database, caller: &Caller, id: i64) -> Result<PetitionView> {
    let (place, location) = permitted(db, caller, id, ResourceKind::Petition, Action::Read).await?;
    let me = caller.user()?;
    let detail = db.petition_detail(id).await?.ok_or(ServiceError::NotFound)?;
    let case = Case {
        state: place.state,
        has_decision: place.has_decision,
    };
    let mut open_steps: Vec<Step> = Vec::new();
    for role in me.acting_roles(&location) {
        for step in case.open_steps(Actor::Staff(role)) {
            if !open_steps.contains(&step) {
                open_steps.push(step);
            }
        }
    }
    // Reviews are decided a level up, by their own screens (a later issue).
    open_steps.retain(|s| !matches!(s, Step::DecideReview | Step::DecideReReview | Step::Conclude));
    let may_read_identity = allows(me, Action::Read, ResourceKind::PetitionerIdentity, &location);
    Ok(PetitionView {
        detail,
        open_steps,
        may_read_identity,
    })
}

/// Who filed the petition and every other person it names; every read is in the audit
/// log.
pub async fn identity(db: &Database, caller: &Caller, id: i64) -> Result<PetitionIdentity> {
    let (place, _) = permitted(db, caller, id, ResourceKind::PetitionerIdentity, Action::Read).await?;
    read_identity(db, caller, &place, None).await
}

/// Reads a petition's identity for a caller the policy lets read it, and logs the read
/// (`purpose`: what it was read for, when not to be shown); an unlogged read answers
/// nothing.
pub(crate) async fn read_identity(
    db: &Database,
    caller: &Caller,
    place: &PetitionPlace,
    purpose: Option<String>,
) -> Result<PetitionIdentity> {
    let who = db
        .petition_identity(place.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut entry = caller.audit(AuditAction::ReadIdentity, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::Petition.as_str().into());
    entry.record_id = Some(place.id.to_string());
    entry.township_id = Some(place.township_id);
    entry.detail = purpose;
    db.append_audit(&entry).await?;
    Ok(who)
}

/// An attachment's bytes, for someone who may read the petition.
pub async fn attachment(
    db: &Database,
    caller: &Caller,
    attachment_id: i64,
) -> Result<(String, MediaType, Vec<u8>)> {
    caller.user()?;
    let (petition_id, name, media, bytes) = db
        .attachment_content(attachment_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (place, _) = permitted(db, caller, petition_id, ResourceKind::Petition, Action::Read).await?;
    let mut entry = caller.audit(AuditAction::ReadAttachment, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::Petition.as_str().into());
    entry.record_id = Some(petition_id.to_string());
    entry.township_id = Some(place.township_id);
    entry.detail = Some(attachment_id.to_string());
    db.append_audit(&entry).await?;
    Ok((name, media, bytes))
}

/// Takes one step of the lifecycle as staff.
pub async fn take_step(db: &Database, caller: &Caller, id: i64, step: Step, form: &StepForm) -> Result<()> {
    let (place, location) = permitted(db, caller, id, ResourceKind::Petition, Action::Write).await?;
    let me = caller.user()?;
    let case = Case {
        state: place.state,
        has_decision: place.has_decision,
    };
    let roles = me.acting_roles(&location);
    let next = roles
        .iter()
        .map(|r| case.apply(Actor::Staff(*r), step))
        .reduce(|a, b| a.or(b))
        .unwrap_or(Err(Refusal::NotYourStep))
        .map_err(ServiceError::Refused)?;
    let detail = db.petition_detail(id).await?.ok_or(ServiceError::NotFound)?;
    let accepted_on = detail.accepted_at.map(china_date);
    let (input, note) = check_step(step, form, today(caller), accepted_on).map_err(ServiceError::Form)?;
    let decision;
    let mut public_note: Option<String> = None;
    let change = match &input {
        StepInput::Plain => match step {
            Step::Register => StepChange::Register,
            Step::Accept => StepChange::Accept,
            _ => StepChange::Nothing,
        },
        StepInput::Forward { to } => {
            public_note = Some(to.clone());
            StepChange::Forward { to }
        }
        StepInput::Assign { department_id } => {
            check_department(db, *department_id, place.township_id).await?;
            StepChange::Assign {
                department_id: *department_id,
            }
        }
        StepInput::Reasons { reasons } => {
            // A decline's reasons are told to the petitioner (不予受理告知书); a unit
            // handing a case back explains itself to the office only.
            if step == Step::Return {
                StepChange::Return
            } else {
                public_note = Some(reasons.clone());
                StepChange::Nothing
            }
        }
        StepInput::Extend { days, reason, .. } => {
            public_note = Some(reason.clone());
            StepChange::Extend { days: *days }
        }
        StepInput::Decide(d) => {
            decision = Decision {
                request: d.request.clone(),
                facts_reasons: d.facts_reasons.clone(),
                decision: d.decision.clone(),
                legal_basis: d.legal_basis.clone(),
                outcome: d.outcome,
                decided_at: caller.now,
            };
            StepChange::Decide(&decision)
        }
        StepInput::Reply { delivered_on } => StepChange::Reply {
            delivered_on: *delivered_on,
        },
        StepInput::Evaluate { rating, comment } => StepChange::Evaluate {
            rating: *rating,
            comment: comment.as_deref(),
        },
    };
    // What the office keeps to itself: reasons for a return, the approver of an
    // extension, and any note.
    let internal = match &input {
        StepInput::Reasons { reasons } if step == Step::Return => Some(reasons.clone()),
        StepInput::Extend { approved_by, .. } => Some(format!("批准人：{approved_by}")),
        _ => None,
    };
    let note = match (internal, note) {
        (Some(a), Some(b)) => Some(format!("{a}\n{b}")),
        (a, b) => a.or(b),
    };
    let mut tx = db.begin().await?;
    let recorded = tx
        .record_step(&StepRecord {
            petition_id: id,
            step,
            from: place.state,
            to: next.state,
            at: caller.now,
            actor_user_id: Some(me.user_id),
            by_petitioner: false,
            note: note.as_deref(),
            public_note: public_note.as_deref(),
            change,
        })
        .await?;
    if !recorded {
        // Nothing was written: the transaction is dropped.
        return Err(ServiceError::Changed);
    }
    // The document the step issues is numbered with it, never when it is printed.
    if let Some(kind) = DocumentKind::issued_by(step) {
        tx.number_document(id, place.township_id, kind, caller.now)
            .await?;
    }
    let mut entry = caller.audit(AuditAction::PetitionStep, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::Petition.as_str().into());
    entry.record_id = Some(id.to_string());
    entry.township_id = Some(place.township_id);
    entry.detail = Some(step.as_str().into());
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(())
}

/// A department of the petition's township (or of its county).
async fn check_department(db: &Database, department_id: i64, township_id: i64) -> Result<()> {
    let bad = || ServiceError::Form(vec![FieldError::new("department_id", Problem::UnknownValue)]);
    let unit = db.org_unit(department_id).await?.ok_or_else(bad)?;
    let location = db.org_location(department_id).await?;
    let township = db.org_unit(township_id).await?;
    let same_place =
        unit.parent_id == Some(township_id) || township.and_then(|t| t.parent_id) == unit.parent_id;
    if unit.kind != OrgUnitKind::Department || !same_place || location.path.is_empty() {
        return Err(bad());
    }
    Ok(())
}

/// The petition behind a tracking code and query password, or one generic failure.
/// Failed look-ups are limited per address and per tracking code, so the password
/// cannot be guessed. A use is taken before the look-up (so a burst of parallel guesses
/// cannot all pass the count) and given back when the petition is found.
async fn tracked(db: &Database, caller: &Caller, code: &str, password: &str) -> Result<i64> {
    let normalized = normalize_tracking_code(code);
    let mut limits = Vec::new();
    if let Some(a) = caller.address.as_deref() {
        limits.push(SubmissionLimit {
            key: format!("track-address:{a}"),
            max: LOOKUPS_PER_ADDRESS,
            since: caller.now - Duration::minutes(10),
        });
    }
    if let Some(c) = &normalized {
        limits.push(SubmissionLimit {
            key: format!("track-code:{c}"),
            max: LOOKUPS_PER_CODE,
            since: caller.now - Duration::hours(1),
        });
    }
    // Not audited: a flood of refused guesses would otherwise flood the log.
    let Ok(taken) = db.take_uses(&limits, caller.now).await? else {
        return Err(ServiceError::RateLimited(600));
    };
    let found = match &normalized {
        Some(code) => db.tracking_secret(code).await?,
        None => None,
    };
    let given = secret_hash(password);
    match found {
        Some((id, stored)) if constant_time_eq(stored.as_bytes(), given.as_bytes()) => {
            db.give_back_uses(&taken).await?;
            Ok(id)
        }
        _ => {
            let mut entry = caller.audit(AuditAction::TrackPetition, AuditOutcome::Failed);
            entry.detail = Some(code.chars().take(40).collect());
            db.append_audit(&entry).await?;
            Err(ServiceError::TrackingFailed)
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What the petitioner sees on `/track`.
pub async fn track(db: &Database, caller: &Caller, code: &str, password: &str) -> Result<PublicStatus> {
    let id = tracked(db, caller, code, password).await?;
    db.public_status(id).await?.ok_or(ServiceError::TrackingFailed)
}

/// The petitioner rates the reply.
pub async fn evaluate(
    db: &Database,
    caller: &Caller,
    code: &str,
    password: &str,
    form: &StepForm,
) -> Result<PublicStatus> {
    let id = tracked(db, caller, code, password).await?;
    let place = db.petition_place(id).await?.ok_or(ServiceError::TrackingFailed)?;
    let next = Case {
        state: place.state,
        has_decision: place.has_decision,
    }
    .apply(Actor::Petitioner, Step::Evaluate)
    .map_err(ServiceError::Refused)?;
    let (input, _) = check_step(Step::Evaluate, form, today(caller), None).map_err(ServiceError::Form)?;
    let StepInput::Evaluate { rating, comment } = &input else {
        return Err(ServiceError::Internal("evaluate checked as another step".into()));
    };
    let mut tx = db.begin().await?;
    let recorded = tx
        .record_step(&StepRecord {
            petition_id: id,
            step: Step::Evaluate,
            from: place.state,
            to: next.state,
            at: caller.now,
            actor_user_id: None,
            by_petitioner: true,
            note: None,
            public_note: None,
            change: StepChange::Evaluate {
                rating: *rating,
                comment: comment.as_deref(),
            },
        })
        .await?;
    if !recorded {
        return Err(ServiceError::Changed);
    }
    let mut entry = caller.audit(AuditAction::PetitionStep, AuditOutcome::Ok);
    entry.record_kind = Some(ResourceKind::Petition.as_str().into());
    entry.record_id = Some(id.to_string());
    entry.township_id = Some(place.township_id);
    entry.detail = Some(format!("evaluate {}", rating.as_str()));
    tx.audit(&entry).await?;
    tx.commit().await?;
    db.public_status(id).await?.ok_or(ServiceError::TrackingFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_keep_the_persons_name_and_the_real_type() {
        assert_eq!(file_name("C:\\照片\\门口.PNG", 1, MediaType::Jpeg), "门口.jpg");
        assert_eq!(file_name("../../etc/passwd", 2, MediaType::Pdf), "passwd.pdf");
        assert_eq!(file_name("", 3, MediaType::Png), "附件3.png");
        assert_eq!(file_name("a\"b\u{0}.pdf", 1, MediaType::Pdf), "ab.pdf");
    }

    #[test]
    fn query_passwords_are_compared_as_typed() {
        assert_eq!(secret_hash("abcd efgh 23"), secret_hash("ABCDEFGH23"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
