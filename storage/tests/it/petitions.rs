//! Petitions on both engines: intake in one piece, retries, tracking numbers, steps that
//! cannot both win, the registry's filters and Chinese search, and the public view.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::attachment::MediaType;
use domain::audit::{AuditAction, AuditFilter, AuditOutcome, NewAuditEntry};
use domain::intake::{NewPetition, PetitionerIdentity, ReportedParty};
use domain::petition::{Channel, DecisionOutcome, PetitionKind, PetitionState, Rating, Step};
use domain::registry::{Decision, PAGE_SIZE, RegistryFilter, Sort};
use storage::testing::{self, TestDb};
use storage::{
    AuditScope, BulkPetition, Database, Inserted, NewAttachment, PetitionInsert, PetitionScope, SCAN_WINDOW,
    StepChange, StepRecord, StorageError, SubmissionLimit,
};

use crate::common::{Demo, demo};

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap()
}

pub(crate) fn petition(subject: &str, content: &str, village: i64) -> NewPetition {
    NewPetition {
        channel: Channel::Online,
        kind: PetitionKind::RequestComplaint,
        village_id: Some(village),
        subject: subject.into(),
        content: content.into(),
        request: None,
        facts_reasons: None,
        petitioner: PetitionerIdentity {
            name: "张秀英".into(),
            resident_id: Some("11010519491231002X".into()),
            phone: Some("13800138000".into()),
            address: None,
        },
        visit: None,
        reported: None,
        received_on: None,
        agent_consent: None,
    }
}

pub(crate) fn insert<'a>(
    p: &'a NewPetition,
    township: i64,
    at: DateTime<Utc>,
    key: Option<&'a str>,
) -> PetitionInsert<'a> {
    PetitionInsert {
        petition: p,
        state: PetitionState::Submitted,
        township_id: township,
        received_at: at,
        now: at,
        query_secret_hash: "hash",
        submission_key: key,
        submission_hash: key.map(|_| "content-1"),
        created_by: None,
        agent_user_id: None,
        consent_at: Some(at),
        attachments: &[],
        limits: &[],
    }
}

fn filed(stored: &Inserted) -> NewAuditEntry {
    let mut entry = NewAuditEntry::new(t0(), AuditAction::FilePetition, AuditOutcome::Ok);
    entry.record_kind = Some("petition".into());
    entry.record_id = Some(stored.id.to_string());
    entry
}

/// Takes a petition in as the services do: stored and audited in one transaction, or
/// found stored before (nothing written, nothing audited).
pub(crate) async fn store(db: &Database, p: &PetitionInsert<'_>) -> Result<Inserted, StorageError> {
    let (inserted, tx) = db.begin_petition(p).await?;
    if let Some(mut tx) = tx {
        tx.audit(&filed(&inserted)).await?;
        tx.commit().await?;
    }
    Ok(inserted)
}

/// Records a step as the services do, audited in its transaction; false (nothing
/// written) if the state had moved on.
pub(crate) async fn record(db: &Database, s: &StepRecord<'_>) -> Result<bool, StorageError> {
    let mut tx = db.begin().await?;
    if !tx.record_step(s).await? {
        return Ok(false);
    }
    let mut entry = NewAuditEntry::new(s.at, AuditAction::PetitionStep, AuditOutcome::Ok);
    entry.record_kind = Some("petition".into());
    entry.record_id = Some(s.petition_id.to_string());
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(true)
}

pub(crate) fn step(
    id: i64,
    step: Step,
    from: PetitionState,
    to: PetitionState,
    change: StepChange<'_>,
) -> StepRecord<'_> {
    StepRecord {
        petition_id: id,
        step,
        from,
        to,
        at: t0() + Duration::hours(1),
        actor_user_id: None,
        by_petitioner: false,
        note: None,
        public_note: None,
        change,
    }
}

#[tokio::test]
async fn a_petition_is_stored_whole_and_a_retry_is_the_same_petition() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let mut p = petition("村道损坏", "<script>alert(1)</script> 三组村道", d.village);
        p.kind = PetitionKind::ReportAccusation;
        p.reported = Some(ReportedParty {
            name: Some("李某".into()),
            unit: None,
            details: None,
        });
        let attachment = NewAttachment {
            file_name: "photo.jpg".into(),
            media_type: MediaType::Jpeg,
            sha256: "abc".into(),
            bytes: vec![0xFF, 0xD8, 0xFF, 1, 2, 3],
        };
        let attachments = [attachment];
        let mut ins = insert(&p, d.township, t0(), Some("form-1"));
        ins.attachments = &attachments;
        let first = store(&db, &ins).await.unwrap();
        assert!(first.created, "{label}");
        assert_eq!(first.tracking_code, "XF-20261123-0001", "{label}");
        let again = store(&db, &ins).await.unwrap();
        assert_eq!((again.id, again.created), (first.id, false), "{label}");
        // The same key with other content is another form: refused, and nothing of the
        // first petition (its id, its code) comes back.
        let mut other = ins.clone();
        other.submission_hash = Some("content-2");
        assert!(
            matches!(store(&db, &other).await, Err(StorageError::KeyReused)),
            "{label}"
        );

        let detail = db.petition_detail(first.id).await.unwrap().unwrap();
        assert_eq!(detail.content, "<script>alert(1)</script> 三组村道", "{label}");
        assert_eq!(detail.reported.unwrap().name.as_deref(), Some("李某"), "{label}");
        assert_eq!(detail.attachments.len(), 1, "{label}");
        assert_eq!(detail.timeline.len(), 1, "{label}");
        assert_eq!(detail.timeline[0].step, None, "{label}");
        let (pid, _, media, bytes) = db
            .attachment_content(detail.attachments[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (pid, media, bytes.len()),
            (first.id, MediaType::Jpeg, 6),
            "{label}"
        );
        let who = db.petition_identity(first.id).await.unwrap().unwrap().petitioner;
        assert_eq!(who.name, "张秀英", "{label}");

        // Numbers run per day in China: 01:00 UTC on the 23rd, then 17:00 UTC is the 24th.
        let p2 = petition("第二件", "内容", d.village);
        let second = store(&db, &insert(&p2, d.township, t0(), None)).await.unwrap();
        assert_eq!(second.tracking_code, "XF-20261123-0002", "{label}");
        let next_day = t0() + Duration::hours(16);
        let third = store(&db, &insert(&p2, d.township, next_day, None))
            .await
            .unwrap();
        assert_eq!(third.tracking_code, "XF-20261124-0001", "{label}");
    }
}

#[tokio::test]
async fn many_forms_at_once_get_distinct_codes() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let p = petition("同时提交", "内容", d.village);
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let db = db.clone();
                let p = p.clone();
                tokio::spawn(async move {
                    let key = format!("form-{i}");
                    store(&db, &insert(&p, d.township, t0(), Some(&key))).await
                })
            })
            .collect();
        let mut codes = Vec::new();
        for t in tasks {
            codes.push(t.await.unwrap().unwrap().tracking_code);
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 20, "{label}");
    }
}

#[tokio::test]
async fn the_same_form_sent_twice_at_once_is_one_petition_audited_once() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let p = petition("同时重发", "内容", d.village);
        // Some copies find nothing stored yet and lose the race on the key: their
        // transaction is dropped and they answer with the copy that won.
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let db = db.clone();
                let p = p.clone();
                tokio::spawn(
                    async move { store(&db, &insert(&p, d.township, t0(), Some("form-twice"))).await },
                )
            })
            .collect();
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.unwrap().unwrap());
        }
        assert_eq!(answers.iter().filter(|a| a.created).count(), 1, "{label}");
        assert!(answers.iter().all(|a| a.id == answers[0].id), "{label}");
        assert_eq!(db.petition_count().await.unwrap(), 1, "{label}");
        let filter = AuditFilter {
            action: Some(AuditAction::FilePetition),
            ..Default::default()
        };
        let log = db
            .audit_entries(&filter, &AuditScope::All, 0, None)
            .await
            .unwrap();
        assert_eq!(log.total, 1, "{label}");
    }
}

#[tokio::test]
async fn a_petition_or_a_step_without_its_audit_entry_is_not_kept() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let p = petition("村道损坏", "内容", d.village);
        let id = store(&db, &insert(&p, d.township, t0(), None)).await.unwrap().id;

        // Committed without an entry: refused, and rolled back.
        let mut tx = db.begin().await.unwrap();
        tx.insert_petition(&insert(&p, d.township, t0(), None))
            .await
            .unwrap();
        assert!(
            matches!(tx.commit().await, Err(StorageError::Unaudited)),
            "{label}"
        );
        // Its tracking number was rolled back with it.
        let next = store(&db, &insert(&p, d.township, t0(), None)).await.unwrap();
        assert_eq!(next.tracking_code, "XF-20261123-0002", "{label}");
        let register = step(
            id,
            Step::Register,
            PetitionState::Submitted,
            PetitionState::Registered,
            StepChange::Register,
        );
        let mut tx = db.begin().await.unwrap();
        assert!(tx.record_step(&register).await.unwrap(), "{label}");
        assert!(
            matches!(tx.commit().await, Err(StorageError::Unaudited)),
            "{label}"
        );

        // An entry the database refuses takes the write with it.
        testing::refuse_audit_entries(&db).await;
        assert!(
            store(&db, &insert(&p, d.township, t0(), Some("form-x")))
                .await
                .is_err(),
            "{label}"
        );
        assert!(record(&db, &register).await.is_err(), "{label}");

        assert_eq!(db.petition_count().await.unwrap(), 2, "{label}");
        let detail = db.petition_detail(id).await.unwrap().unwrap();
        assert_eq!(detail.summary.state, PetitionState::Submitted, "{label}");
        assert_eq!(detail.timeline.len(), 1, "{label}");
    }
}

#[tokio::test]
async fn a_step_moves_the_state_only_from_where_it_was() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let p = petition("村道损坏", "内容", d.village);
        let id = store(&db, &insert(&p, d.township, t0(), None)).await.unwrap().id;
        use PetitionState as S;
        assert!(
            record(
                &db,
                &step(
                    id,
                    Step::Register,
                    S::Submitted,
                    S::Registered,
                    StepChange::Register
                )
            )
            .await
            .unwrap()
        );
        // A second clerk registering the same petition finds it already moved on.
        assert!(
            !record(
                &db,
                &step(
                    id,
                    Step::Register,
                    S::Submitted,
                    S::Registered,
                    StepChange::Register
                )
            )
            .await
            .unwrap(),
            "{label}"
        );
        let assign = StepChange::Assign {
            department_id: d.department,
        };
        assert!(
            record(&db, &step(id, Step::Assign, S::Registered, S::Assigned, assign))
                .await
                .unwrap()
        );
        assert!(
            record(
                &db,
                &step(id, Step::Accept, S::Assigned, S::Accepted, StepChange::Accept)
            )
            .await
            .unwrap()
        );
        assert!(
            record(
                &db,
                &step(
                    id,
                    Step::StartHandling,
                    S::Accepted,
                    S::InHandling,
                    StepChange::Nothing
                )
            )
            .await
            .unwrap()
        );
        let decision = Decision {
            request: "修路".into(),
            facts_reasons: "经查属实".into(),
            decision: "年内修复".into(),
            legal_basis: "《公路法》".into(),
            outcome: DecisionOutcome::Supported,
            decided_at: t0() + Duration::hours(1),
        };
        assert!(
            record(
                &db,
                &step(
                    id,
                    Step::RecordDecision,
                    S::InHandling,
                    S::InHandling,
                    StepChange::Decide(&decision)
                )
            )
            .await
            .unwrap()
        );
        // Amending the decision replaces it.
        let amended = Decision {
            decision: "十二月底前修复".into(),
            ..decision.clone()
        };
        assert!(
            record(
                &db,
                &step(
                    id,
                    Step::RecordDecision,
                    S::InHandling,
                    S::InHandling,
                    StepChange::Decide(&amended)
                )
            )
            .await
            .unwrap()
        );
        let place = db.petition_place(id).await.unwrap().unwrap();
        assert!(place.has_decision, "{label}");
        assert_eq!(place.department_id, Some(d.department), "{label}");

        // Before the reply the petitioner sees neither the decision nor internal steps.
        let public = db.public_status(id).await.unwrap().unwrap();
        assert_eq!(public.reply, None, "{label}");
        assert!(
            public
                .timeline
                .iter()
                .all(|e| e.step != Some(Step::RecordDecision)),
            "{label}"
        );

        let delivered_on = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let mut reply = step(
            id,
            Step::Reply,
            S::InHandling,
            S::Replied,
            StepChange::Reply { delivered_on },
        );
        reply.public_note = Some("已书面答复");
        reply.note = Some("内部：请包案领导关注");
        assert!(record(&db, &reply).await.unwrap());
        let mut rate = step(
            id,
            Step::Evaluate,
            S::Replied,
            S::Evaluated,
            StepChange::Evaluate {
                rating: Rating::Satisfied,
                comment: Some("谢谢"),
            },
        );
        rate.by_petitioner = true;
        assert!(record(&db, &rate).await.unwrap());

        let public = db.public_status(id).await.unwrap().unwrap();
        assert_eq!(public.state, S::Evaluated, "{label}");
        assert_eq!(public.reply.unwrap().decision, "十二月底前修复", "{label}");
        assert_eq!(public.evaluation, Some(Rating::Satisfied), "{label}");
        assert!(
            public
                .timeline
                .iter()
                .all(|e| e.public_note.as_deref() != Some("内部：请包案领导关注"))
        );
        let detail = db.petition_detail(id).await.unwrap().unwrap();
        assert_eq!(detail.timeline.len(), 9, "{label}");
        assert_eq!(detail.deadlines.len(), 3, "{label}");
    }
}

#[tokio::test]
async fn the_registry_filters_searches_in_chinese_and_keeps_to_its_scope() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let rows = [
            ("村道损坏无法通行", "三组村道塌陷，雨天无法通行。", d.village),
            ("土地承包纠纷", "承包地被占用，要求归还。", d.village),
            ("低保申请", "家中困难，申请低保。", d.other_village),
            ("100%_discount", "odd characters", d.other_village),
        ];
        for (i, (subject, content, village)) in rows.iter().enumerate() {
            let p = petition(subject, content, *village);
            let at = t0() + Duration::minutes(i as i64);
            store(&db, &insert(&p, d.township, at, None)).await.unwrap();
        }
        let township = PetitionScope {
            townships: vec![d.township],
            ..Default::default()
        };
        let find = |query: &str| RegistryFilter {
            query: Some(query.into()),
            ..Default::default()
        };
        let subjects = |page: domain::registry::RegistryPage| -> Vec<String> {
            page.rows.into_iter().map(|r| r.subject).collect()
        };
        let all = db.registry(&RegistryFilter::default(), &township).await.unwrap();
        assert_eq!(all.total, Some(4), "{label}");
        assert_eq!(all.rows[0].subject, "100%_discount", "{label}: newest first");
        assert_eq!(
            subjects(db.registry(&find("无法通行"), &township).await.unwrap()),
            ["村道损坏无法通行"],
            "{label}"
        );
        // Two characters: below the trigram length, still found.
        assert_eq!(
            subjects(db.registry(&find("低保"), &township).await.unwrap()),
            ["低保申请"],
            "{label}"
        );
        // In the content too, and % is itself.
        assert_eq!(
            subjects(db.registry(&find("被占用"), &township).await.unwrap()),
            ["土地承包纠纷"],
            "{label}"
        );
        assert_eq!(
            subjects(db.registry(&find("0%_"), &township).await.unwrap()),
            ["100%_discount"],
            "{label}"
        );
        assert_eq!(
            db.registry(&find("没有这件事"), &township).await.unwrap().total,
            Some(0),
            "{label}"
        );

        let village = RegistryFilter {
            village_id: Some(d.other_village),
            ..Default::default()
        };
        assert_eq!(
            db.registry(&village, &township).await.unwrap().total,
            Some(2),
            "{label}"
        );
        let state = RegistryFilter {
            state: Some(PetitionState::Registered),
            ..Default::default()
        };
        assert_eq!(
            db.registry(&state, &township).await.unwrap().total,
            Some(0),
            "{label}"
        );
        let dated = RegistryFilter {
            from: NaiveDate::from_ymd_opt(2026, 11, 24),
            ..Default::default()
        };
        assert_eq!(
            db.registry(&dated, &township).await.unwrap().total,
            Some(0),
            "{label}"
        );

        // A department sees only what was sent to it; another township sees nothing.
        let department = PetitionScope {
            departments: vec![d.department],
            ..Default::default()
        };
        assert_eq!(
            db.registry(&RegistryFilter::default(), &department)
                .await
                .unwrap()
                .total,
            Some(0),
            "{label}"
        );
        let elsewhere = PetitionScope {
            townships: vec![d.township + 1000],
            ..Default::default()
        };
        assert_eq!(
            db.registry(&RegistryFilter::default(), &elsewhere)
                .await
                .unwrap()
                .total,
            Some(0),
            "{label}"
        );
        assert_eq!(
            db.registry(&RegistryFilter::default(), &PetitionScope::default())
                .await
                .unwrap()
                .total,
            Some(0)
        );
    }
}

#[tokio::test]
async fn secrets_are_made_once_and_submissions_counted() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let first = db.secret("form", || "one".into()).await.unwrap();
        let second = db.secret("form", || "two".into()).await.unwrap();
        assert_eq!((first.as_str(), second.as_str()), ("one", "one"), "{label}");
        let limit = |key: &str, max: i64, since| SubmissionLimit {
            key: key.into(),
            max,
            since,
        };
        let since = t0() - Duration::hours(1);
        for m in 0..3 {
            let taken = db
                .take_uses(&[limit("addr:1.2.3.4", 3, since)], t0() + Duration::minutes(m))
                .await
                .unwrap();
            assert!(taken.is_ok(), "{label}");
        }
        // Used up: nothing more is counted, for any of the limits asked together.
        let both = [limit("code:X", 5, since), limit("addr:1.2.3.4", 3, since)];
        assert_eq!(db.take_uses(&both, t0()).await.unwrap(), Err(1), "{label}");
        let fresh = db
            .take_uses(&[limit("code:X", 1, since)], t0())
            .await
            .unwrap()
            .unwrap();
        // A use given back no longer counts.
        db.give_back_uses(&fresh).await.unwrap();
        assert!(
            db.take_uses(&[limit("code:X", 1, since)], t0())
                .await
                .unwrap()
                .is_ok(),
            "{label}"
        );
        // Older than the window: counts for nothing.
        let later = t0() + Duration::hours(2);
        assert!(
            db.take_uses(&[limit("addr:1.2.3.4", 3, later - Duration::hours(1))], later)
                .await
                .unwrap()
                .is_ok(),
            "{label}"
        );

        // A burst of parallel requests: exactly the limit passes.
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move {
                    let l = [SubmissionLimit {
                        key: "addr:burst".into(),
                        max: 20,
                        since: t0() - Duration::hours(1),
                    }];
                    db.take_uses(&l, t0()).await.unwrap().is_ok()
                })
            })
            .collect();
        let mut passed = 0;
        for t in tasks {
            passed += usize::from(t.await.unwrap());
        }
        assert_eq!(passed, 20, "{label}");
    }
}

#[tokio::test]
async fn the_office_info_is_written_and_rewritten() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        assert_eq!(db.office_info(d.township).await.unwrap(), None, "{label}");
        let mut info = domain::office::OfficeInfo {
            address: "东湖镇政府一楼".into(),
            phone: "0731-8888888".into(),
            reception: "每周三上午".into(),
            ..Default::default()
        };
        let admin = db.credentials("admin").await.unwrap().map(|c| c.user_id);
        let by = match admin {
            Some(id) => id,
            None => testing::create_user(
                &db,
                &domain::auth::NewUser {
                    username: "office_admin".into(),
                    display_name: "管理员".into(),
                    phone: None,
                    grants: vec![(domain::auth::Role::Admin, d.township)],
                },
                "hash",
                t0(),
            )
            .await
            .unwrap(),
        };
        for notes in ["", "凭查询码查询进度"] {
            info.notes = notes.into();
            let mut tx = db.begin().await.unwrap();
            tx.set_office_info(d.township, &info, by, t0()).await.unwrap();
            tx.audit(&testing::setup_entry(AuditAction::EditOfficeInfo))
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(db.office_info(d.township).await.unwrap(), Some(info), "{label}");
    }
}

#[tokio::test]
async fn a_public_submission_keeps_its_limits_and_its_audit_entry_in_one_transaction() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let p = petition("村道损坏", "三组村道塌陷", d.village);
        let limits = [
            SubmissionLimit {
                key: "form-address:10.0.0.1".into(),
                max: 5,
                since: t0() - Duration::hours(1),
            },
            SubmissionLimit {
                key: "form-phone:13800138000".into(),
                max: 2,
                since: t0() - Duration::days(1),
            },
        ];
        let keys = ["form-a", "form-b", "form-c"];
        let mut stored = Vec::new();
        for key in &keys[..2] {
            let mut ins = insert(&p, d.township, t0(), Some(key));
            ins.limits = &limits;
            stored.push(store(&db, &ins).await.unwrap());
        }
        // The third from the same phone: refused by the second limit, nothing written.
        let mut third = insert(&p, d.township, t0(), Some(keys[2]));
        third.limits = &limits;
        assert!(
            matches!(store(&db, &third).await, Err(StorageError::OverLimit(1))),
            "{label}"
        );
        assert_eq!(db.petition_count().await.unwrap(), 2, "{label}");
        // A resend of a stored form is that petition, limits or not.
        let mut again = insert(&p, d.township, t0(), Some(keys[0]));
        again.limits = &limits;
        let found = store(&db, &again).await.unwrap();
        assert_eq!((found.id, found.created), (stored[0].id, false), "{label}");
        // A day later the phone may file again.
        let mut later_limits = limits.clone();
        let a_day_on = Duration::days(1) + Duration::seconds(1);
        for l in &mut later_limits {
            l.since += a_day_on;
        }
        let mut later = insert(&p, d.township, t0() + a_day_on, Some(keys[2]));
        later.limits = &later_limits;
        assert!(store(&db, &later).await.unwrap().created, "{label}");

        // Each stored petition has exactly its one audit entry; the refused one none.
        let log = db
            .audit_entries(&AuditFilter::default(), &AuditScope::All, 0, None)
            .await
            .unwrap();
        let mut logged: Vec<String> = log
            .entries
            .iter()
            .filter(|e| e.action == AuditAction::FilePetition.as_str())
            .filter_map(|e| e.record_id.clone())
            .collect();
        logged.sort();
        let mut ids: Vec<String> = (1..=3).map(|i: i64| i.to_string()).collect();
        ids.sort();
        assert_eq!(logged.len(), 3, "{label}");
        assert_eq!(logged, ids, "{label}");
    }
}

/// `n` petitions a minute apart, the newest last; those at `with` hold `phrase`.
fn bulk(d: &Demo, n: usize, phrase: &str, with: impl Fn(usize) -> bool) -> Vec<BulkPetition> {
    (0..n)
        .map(|i| BulkPetition {
            query_secret_hash: "hash".into(),
            channel: if i % 2 == 0 {
                Channel::Letter
            } else {
                Channel::Visit
            },
            kind: PetitionKind::RequestComplaint,
            state: PetitionState::Registered,
            township_id: d.township,
            village_id: Some(if i % 3 == 0 { d.other_village } else { d.village }),
            department_id: None,
            forwarded_to: None,
            subject: format!("第{i}件"),
            content: if with(i) {
                format!("反映{phrase}问题，编号{i}")
            } else {
                format!("其他事项，编号{i}")
            },
            request: None,
            batch_count: 1,
            person_count: 1,
            collective: false,
            received_at: t0() + Duration::minutes(i as i64),
            registered_at: None,
            accepted_at: None,
            updated_at: t0(),
            petitioner: PetitionerIdentity {
                name: "某某".into(),
                resident_id: None,
                phone: None,
                address: None,
            },
            consent_at: None,
        })
        .collect()
}

#[tokio::test]
async fn a_search_past_the_scan_window_finds_the_same_rows_as_the_index() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let n = usize::try_from(SCAN_WINDOW).unwrap() + 600;
        // A common phrase (1 in 7), a rare one only among the oldest (beyond the window).
        let rows = bulk(&d, n, "水渠堵塞", |i| i % 7 == 0);
        db.bulk_load_petitions(&rows).await.unwrap();
        let rare = bulk(&d, 3, "石碑倒塌", |_| true);
        // Rare ones older than everything else.
        let rare: Vec<_> = rare
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                r.received_at = t0() - Duration::days(10 + i as i64);
                r
            })
            .collect();
        db.bulk_load_petitions(&rare).await.unwrap();
        let scope = PetitionScope {
            townships: vec![d.township],
            ..Default::default()
        };
        let with = |query: &str, sort: Sort, page: u32| RegistryFilter {
            query: Some(query.into()),
            sort,
            page,
            ..Default::default()
        };
        for sort in [Sort::Newest, Sort::Oldest] {
            for page in [1, 2] {
                let filter = with("水渠堵塞", sort, page);
                let found = db.registry(&filter, &scope).await.unwrap();
                // The same page as the index's full answer, in the same order.
                let offset = i64::from(page - 1) * i64::from(PAGE_SIZE);
                let expected = db
                    .registry_rows(&filter, &scope, offset, i64::from(PAGE_SIZE))
                    .await
                    .unwrap();
                assert_eq!(found.rows.len(), PAGE_SIZE as usize, "{label} {sort:?} {page}");
                assert_eq!(found.rows, expected, "{label} {sort:?} {page}");
                assert!(found.has_next, "{label}");
                assert_eq!(found.total, None, "{label}: found without counting");
            }
        }
        // Filters the window's edge leaves out (the channel) or takes from another index
        // (a village with its state): still the index's exact page.
        let narrowed = [
            RegistryFilter {
                channel: Some(Channel::Visit),
                ..with("水渠堵塞", Sort::Newest, 1)
            },
            RegistryFilter {
                village_id: Some(d.village),
                state: Some(PetitionState::Registered),
                ..with("水渠堵塞", Sort::Newest, 1)
            },
            RegistryFilter {
                village_id: Some(d.other_village),
                ..with("水渠堵塞", Sort::Oldest, 1)
            },
        ];
        for filter in &narrowed {
            let found = db.registry(filter, &scope).await.unwrap();
            let expected = db
                .registry_rows(filter, &scope, 0, i64::from(PAGE_SIZE))
                .await
                .unwrap();
            assert_eq!(found.rows.len(), PAGE_SIZE as usize, "{label} {filter:?}");
            assert_eq!(found.rows, expected, "{label} {filter:?}");
        }
        // The rare phrase: the window holds none, the index finds all three, counted.
        let found = db
            .registry(&with("石碑倒塌", Sort::Newest, 1), &scope)
            .await
            .unwrap();
        assert_eq!(found.total, Some(3), "{label}");
        assert_eq!(found.rows.len(), 3, "{label}");
        assert!(found.rows[0].received_at > found.rows[2].received_at, "{label}");
        assert!(!found.has_next, "{label}");
        // Two characters (below the trigram length) go the same way.
        let found = db.registry(&with("石碑", Sort::Newest, 1), &scope).await.unwrap();
        assert_eq!(found.total, Some(3), "{label}");
        // A filter small enough to read whole is counted exactly.
        let small = RegistryFilter {
            query: Some("水渠堵塞".into()),
            from: Some(domain::registry::china_date(
                t0() + Duration::minutes(n as i64 - 1),
            )),
            ..Default::default()
        };
        let found = db.registry(&small, &scope).await.unwrap();
        let exact = db.registry_rows(&small, &scope, 0, 100_000).await.unwrap();
        assert_eq!(found.total, Some(exact.len() as i64), "{label}");
        // Without words the count is exact below the cap, with a next page.
        let plain = db.registry(&RegistryFilter::default(), &scope).await.unwrap();
        assert_eq!(plain.total, Some(n as i64 + 3), "{label}");
        assert!(plain.has_next, "{label}");
    }
}

#[tokio::test]
async fn a_search_read_row_by_row_ignores_case_and_takes_wildcards_literally() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        // Few enough to be read whole: the words are looked for in each row.
        let mut rows = bulk(&d, 6, "", |_| false);
        rows[1].content = "村里的WiFi坏了一个月".into();
        rows[2].content = "收费上涨50%以上".into();
        rows[3].content = "收费上涨5000元".into();
        db.bulk_load_petitions(&rows).await.unwrap();
        let scope = PetitionScope {
            townships: vec![d.township],
            ..Default::default()
        };
        let count = |query: &str| {
            let filter = RegistryFilter {
                query: Some(query.into()),
                ..Default::default()
            };
            let (db, scope) = (&db, &scope);
            async move { db.registry(&filter, scope).await.unwrap().total }
        };
        assert_eq!(count("wifi坏了").await, Some(1), "{label}: case ignored");
        assert_eq!(count("WIFI").await, Some(1), "{label}: case ignored");
        assert_eq!(count("50%").await, Some(1), "{label}: % is itself");
        assert_eq!(count("涨5_").await, Some(0), "{label}: _ is itself");
        assert_eq!(count("涨50").await, Some(2), "{label}");
    }
}
