//! Field reports on both engines: a push in one transaction with a savepoint per record,
//! receipts that tell a resend from a conflict, the change feed's per-township cursor,
//! resumable photo uploads, weekly reports, report kinds and the inbox.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::Problem;
use domain::audit::AuditAction;
use domain::auth::Role;
use domain::field::{
    Category, InboxFilter, InboxState, InboxStep, NewFieldReport, NewWeeklyReport, ReportKind, Severity,
    Week, WeeklyDeadline, default_kinds,
};
use domain::petition::Refusal;
use domain::sync::{ChangeKind, RecordType, Rejection};
use storage::testing::{self, TestDb};
use storage::{
    ChangeScope, Database, InboxStepRecord, PhotoBegin, PushEntry, PushItem, ReportInsert, Stored,
    SupplementInsert, WeeklyInsert,
};

use crate::common::{self, user};

fn t0() -> DateTime<Utc> {
    // Monday 2026-11-23, 10:00 China time.
    Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap()
}

fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

struct Demo {
    township: i64,
    village: i64,
    other_village: i64,
    officer: i64,
    clerk: i64,
}

/// The demo township, with an information officer on its first village and a clerk.
async fn demo(db: &Database) -> Demo {
    let seeded = common::demo(db).await;
    let officer = testing::create_user(db, &user("officer", Role::InfoOfficer, seeded.village), "h", t0())
        .await
        .unwrap();
    let clerk = testing::create_user(db, &user("clerk", Role::Clerk, seeded.township), "h", t0())
        .await
        .unwrap();
    Demo {
        township: seeded.township,
        village: seeded.village,
        other_village: seeded.other_village,
        officer,
        clerk,
    }
}

fn report(village: i64, severity: Severity) -> NewFieldReport {
    NewFieldReport {
        kind: "land".into(),
        category: Category::Dispute,
        severity,
        village_id: village,
        grid_id: None,
        place: "三组".into(),
        gps: None,
        found_at: t0() - Duration::hours(1),
        parties: Some("张某、李某".into()),
        person_count: Some(2),
        description: "宅基地边界争执".into(),
        action_taken: None,
        needs_township: false,
        photos: vec![uuid(900)],
    }
}

fn entry<'a>(id: &'a str, hash: &'a str, user: i64, item: PushItem<'a>) -> PushEntry<'a> {
    let record_type = match &item {
        PushItem::Report(_) => RecordType::FieldReport,
        PushItem::Weekly(_) => RecordType::WeeklyReport,
        PushItem::Supplement(_) => RecordType::Supplement,
    };
    PushEntry {
        client_id: id,
        record_type,
        body_hash: hash,
        user_id: user,
        item,
    }
}

fn report_item(r: &NewFieldReport, township: i64) -> PushItem<'_> {
    PushItem::Report(ReportInsert {
        report: r,
        township_id: township,
        device_id: "phone-1",
        created_at: t0(),
    })
}

fn weekly_item(w: &NewWeeklyReport, township: i64) -> PushItem<'_> {
    PushItem::Weekly(WeeklyInsert {
        report: w,
        township_id: township,
        device_id: "phone-1",
        created_at: t0(),
        synced_after: None,
    })
}

fn scope(d: &Demo) -> ChangeScope {
    ChangeScope {
        villages: vec![d.village],
        grids: vec![],
        author_id: d.officer,
    }
}

/// A push in its own audited transaction, as the field service makes it.
async fn push(db: &Database, township: i64, entries: &[PushEntry<'_>], at: DateTime<Utc>) -> Vec<Stored> {
    let mut tx = db.begin().await.unwrap();
    let got = tx.push_records(township, entries, at).await.unwrap();
    tx.audit(&testing::setup_entry(AuditAction::SyncPush))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    got
}

/// An inbox step in its own audited transaction; one that finds the state moved writes
/// nothing, and its transaction is dropped (as the service does).
async fn record_step(db: &Database, s: &InboxStepRecord<'_>) -> bool {
    let mut tx = db.begin().await.unwrap();
    let recorded = tx.record_inbox_step(s).await.unwrap();
    if recorded {
        tx.audit(&testing::setup_entry(AuditAction::FieldReportStep))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    recorded
}

#[tokio::test]
async fn a_resend_is_a_duplicate_and_another_body_under_the_same_uuid_a_conflict() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let r = report(d.village, Severity::General);
        let (a, b) = (uuid(1), uuid(2));
        let batch = [
            entry(&a, "hash-a", d.officer, report_item(&r, d.township)),
            entry(&b, "hash-b", d.officer, report_item(&r, d.township)),
        ];
        let first = push(&db, d.township, &batch, t0()).await;
        assert_eq!(first, vec![Stored::Stored, Stored::Stored], "{label}");
        let again = push(&db, d.township, &batch, t0()).await;
        assert_eq!(again, vec![Stored::Duplicate, Stored::Duplicate], "{label}");
        // Same UUID, other body; or the same body from someone else: never overwritten.
        let changed = [
            entry(&a, "hash-other", d.officer, report_item(&r, d.township)),
            entry(&b, "hash-b", d.clerk, report_item(&r, d.township)),
        ];
        let got = push(&db, d.township, &changed, t0()).await;
        assert_eq!(got, vec![Stored::Conflict, Stored::Conflict], "{label}");
        let receipts = db.sync_receipts(&[&a, &b, &uuid(3)]).await.unwrap();
        assert_eq!(receipts.len(), 2, "{label}");
        let inbox = db
            .field_inbox(&[d.township], &InboxFilter::default())
            .await
            .unwrap();
        assert_eq!(inbox.len(), 2, "{label}: stored once each");
        assert_eq!(inbox[0].photos_named, 1, "{label}");
        assert_eq!(inbox[0].photos_attached, 0, "{label}");
    }
}

#[tokio::test]
async fn a_run_of_reports_is_stored_at_once_with_resends_and_a_refused_one_among_them_and_its_audit_with_it()
{
    use domain::audit::{AuditFilter, AuditOutcome, NewAuditEntry};
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let mut r = report(d.village, Severity::General);
        r.photos = vec![uuid(901), uuid(902), uuid(903)];
        let broken = report(999_999, Severity::General);
        let ids: Vec<String> = (1..=12).map(uuid).collect();
        // Three stored before: the run meets their receipts.
        let before: Vec<PushEntry<'_>> = ids[..3]
            .iter()
            .map(|id| entry(id, "h", d.officer, report_item(&r, d.township)))
            .collect();
        push(&db, d.township, &before, t0()).await;
        let mut batch: Vec<PushEntry<'_>> = ids
            .iter()
            .map(|id| entry(id, "h", d.officer, report_item(&r, d.township)))
            .collect();
        batch[1].body_hash = "other";
        // The entries are made of the outcomes and written in the push's transaction.
        let audit = |stored: &[Stored]| {
            let n = stored.iter().filter(|s| **s == Stored::Stored).count();
            let mut e = NewAuditEntry::new(t0(), AuditAction::SyncPush, AuditOutcome::Ok);
            e.detail = Some(format!("{n} stored"));
            vec![e]
        };
        let audited_push = async |batch: &[PushEntry<'_>]| {
            let mut tx = db.begin().await.unwrap();
            let got = tx.push_records(d.township, batch, t0()).await.unwrap();
            tx.audit_all(&audit(&got)).await.unwrap();
            tx.commit().await.unwrap();
            got
        };
        let got = audited_push(&batch).await;
        let mut want = vec![Stored::Duplicate, Stored::Conflict, Stored::Duplicate];
        want.extend(vec![Stored::Stored; 9]);
        assert_eq!(got, want, "{label}");
        // One that the database refuses, in the middle of a run: it alone is rejected.
        let more: Vec<String> = (20..=25).map(uuid).collect();
        let mut batch: Vec<PushEntry<'_>> = more
            .iter()
            .map(|id| entry(id, "h", d.officer, report_item(&r, d.township)))
            .collect();
        batch[3] = entry(&more[3], "h", d.officer, report_item(&broken, d.township));
        let got = audited_push(&batch).await;
        assert!(
            matches!(&got[3], Stored::Rejected(Rejection::Invalid(f)) if f.field == "record"),
            "{label}: {got:?}"
        );
        assert_eq!(
            got.iter().filter(|s| **s == Stored::Stored).count(),
            5,
            "{label}: {got:?}"
        );
        let inbox = db
            .field_inbox(&[d.township], &InboxFilter::default())
            .await
            .unwrap();
        assert_eq!(inbox.len(), 12 + 5, "{label}");
        assert!(inbox.iter().all(|i| i.photos_named == 3), "{label}");
        assert!(!inbox.iter().any(|i| i.client_id == more[3]), "{label}");
        let filter = AuditFilter {
            action: Some(AuditAction::SyncPush),
            ..AuditFilter::default()
        };
        let page = db
            .audit_entries(&filter, &storage::AuditScope::All, 0, None)
            .await
            .unwrap();
        let mut details: Vec<String> = page.entries.iter().filter_map(|e| e.detail.clone()).collect();
        details.sort();
        assert_eq!(details, ["5 stored", "9 stored"], "{label}");
        // Dropped before its commit (its entry not written), a push keeps nothing.
        let late = uuid(30);
        let mut tx = db.begin().await.unwrap();
        let got = tx
            .push_records(
                d.township,
                &[entry(&late, "h", d.officer, report_item(&r, d.township))],
                t0(),
            )
            .await
            .unwrap();
        assert_eq!(got, vec![Stored::Stored], "{label}");
        drop(tx);
        assert_eq!(db.field_report_by_uuid(&late).await.unwrap(), None, "{label}");
    }
}

#[tokio::test]
async fn one_record_the_database_refuses_does_not_block_the_others() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let good = report(d.village, Severity::Urgent);
        // A village that does not exist breaks a foreign key: caught in its savepoint.
        let broken = report(999_999, Severity::General);
        let week = Week::of(t0());
        let listing_missing = NewWeeklyReport {
            village_id: d.village,
            week,
            zero: false,
            items: vec![uuid(77)],
            note: None,
        };
        let (a, b, c, e) = (uuid(1), uuid(2), uuid(3), uuid(4));
        let batch = [
            entry(&a, "a", d.officer, report_item(&good, d.township)),
            entry(&b, "b", d.officer, report_item(&broken, d.township)),
            entry(&c, "c", d.officer, weekly_item(&listing_missing, d.township)),
            entry(&e, "e", d.officer, report_item(&good, d.township)),
        ];
        let got = push(&db, d.township, &batch, t0()).await;
        assert_eq!(got[0], Stored::Stored, "{label}");
        assert!(
            matches!(&got[1], Stored::Rejected(Rejection::Invalid(f)) if f.field == "record"),
            "{label}: {:?}",
            got[1]
        );
        assert!(
            matches!(&got[2], Stored::Rejected(Rejection::Invalid(f)) if f.field == "items" && f.problem == Problem::UnknownValue),
            "{label}: {:?}",
            got[2]
        );
        assert_eq!(got[3], Stored::Stored, "{label}");
        // The rejected records left no receipt, so a fixed copy can be sent again.
        assert_eq!(db.sync_receipts(&[&b, &c]).await.unwrap(), vec![], "{label}");
        let inbox = db
            .field_inbox(&[d.township], &InboxFilter::default())
            .await
            .unwrap();
        assert_eq!(inbox.len(), 2, "{label}");
        assert!(inbox.iter().all(|r| r.urgent), "{label}");
        // Nothing of the weekly report was kept.
        assert!(
            db.weekly_reports(d.township, &week.to_string())
                .await
                .unwrap()
                .is_empty(),
            "{label}"
        );
    }
}

#[tokio::test]
async fn a_weekly_report_lists_the_weeks_reports_once_per_village() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let week = Week::of(t0());
        let r = report(d.village, Severity::Serious);
        let mut elsewhere = report(d.other_village, Severity::General);
        elsewhere.photos.clear();
        let mut last_week = report(d.village, Severity::General);
        last_week.found_at = t0() - Duration::days(3);
        let (ra, rb, rc) = (uuid(1), uuid(2), uuid(3));
        // The reports and the weekly report that lists them, in one batch.
        let weekly = NewWeeklyReport {
            village_id: d.village,
            week,
            zero: false,
            items: vec![ra.clone()],
            note: None,
        };
        let wrong_village = NewWeeklyReport {
            items: vec![rb.clone()],
            ..weekly.clone()
        };
        let wrong_week = NewWeeklyReport {
            items: vec![rc.clone()],
            ..weekly.clone()
        };
        let (w1, w2, w3, w4) = (uuid(11), uuid(12), uuid(13), uuid(14));
        let batch = [
            entry(&ra, "ra", d.officer, report_item(&r, d.township)),
            entry(&rb, "rb", d.officer, report_item(&elsewhere, d.township)),
            entry(&rc, "rc", d.officer, report_item(&last_week, d.township)),
            entry(&w1, "w2", d.officer, weekly_item(&wrong_village, d.township)),
            entry(&w2, "w3", d.officer, weekly_item(&wrong_week, d.township)),
            entry(&w3, "w1", d.officer, weekly_item(&weekly, d.township)),
            entry(&w4, "w4", d.officer, weekly_item(&weekly, d.township)),
        ];
        let got = push(&db, d.township, &batch, t0()).await;
        let problem = |s: &Stored| match s {
            Stored::Rejected(Rejection::Invalid(f)) => Some((f.field.clone(), f.problem)),
            _ => None,
        };
        assert_eq!(
            &got[..3],
            &[Stored::Stored, Stored::Stored, Stored::Stored],
            "{label}"
        );
        assert_eq!(
            problem(&got[3]),
            Some(("items".into(), Problem::WrongScope)),
            "{label}"
        );
        assert_eq!(
            problem(&got[4]),
            Some(("items".into(), Problem::WrongWeek)),
            "{label}"
        );
        assert_eq!(got[5], Stored::Stored, "{label}");
        // A second report for the same village and week, under another UUID.
        assert_eq!(
            problem(&got[6]),
            Some(("week".into(), Problem::Duplicate)),
            "{label}"
        );
        let rows = db.weekly_reports(d.township, &week.to_string()).await.unwrap();
        assert_eq!(rows.len(), 1, "{label}");
        assert_eq!((rows[0].0, rows[0].1), (d.village, false), "{label}");
        assert_eq!(
            db.weekly_report_lines(d.township, &week.to_string())
                .await
                .unwrap(),
            vec![(d.village, 1, "officer".to_owned())],
            "{label}: one listed report, sent by the officer"
        );
        assert!(
            db.weekly_report_lines(d.township, &week.previous().to_string())
                .await
                .unwrap()
                .is_empty(),
            "{label}"
        );
        // The stored weekly report is in the village's feed.
        let changes = db.sync_changes(d.township, 0, &scope(&d), 100).await.unwrap();
        assert_eq!(changes.len(), 1, "{label}");
        assert_eq!(
            (changes[0].kind, changes[0].record_id.as_str()),
            (ChangeKind::WeeklyReport, w3.as_str()),
            "{label}"
        );
    }
}

#[tokio::test]
async fn inbox_steps_move_once_and_reach_the_feed_in_order() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let r = report(d.village, Severity::General);
        let other = report(d.other_village, Severity::General);
        let (a, b) = (uuid(1), uuid(2));
        push(
            &db,
            d.township,
            &[
                entry(&a, "a", d.officer, report_item(&r, d.township)),
                entry(&b, "b", d.clerk, report_item(&other, d.township)),
            ],
            t0(),
        )
        .await;
        let place = db.field_report_by_uuid(&a).await.unwrap().unwrap();
        assert_eq!(
            (place.village_id, place.state, place.author_id),
            (d.village, InboxState::New, d.officer),
            "{label}"
        );
        assert_eq!(
            db.field_report_by_id(place.id).await.unwrap(),
            Some(place.clone()),
            "{label}"
        );
        let other_place = db.field_report_by_uuid(&b).await.unwrap().unwrap();
        let step = |id, step, from, to, note| InboxStepRecord {
            report_id: id,
            step,
            from,
            to,
            at: t0() + Duration::hours(1),
            actor_user_id: d.clerk,
            by_name: "王芳",
            note,
        };
        use InboxState::*;
        assert!(
            record_step(
                &db,
                &step(place.id, InboxStep::Acknowledge, New, Acknowledged, None)
            )
            .await
        );
        // A second clerk acting on the old state loses.
        assert!(
            !record_step(
                &db,
                &step(place.id, InboxStep::Acknowledge, New, Acknowledged, None)
            )
            .await,
            "{label}"
        );
        assert!(
            record_step(
                &db,
                &step(other_place.id, InboxStep::Close, New, Closed, Some("已处理"))
            )
            .await
        );
        assert!(
            record_step(
                &db,
                &step(
                    place.id,
                    InboxStep::RequestInfo,
                    Acknowledged,
                    MoreInfoRequested,
                    Some("请补充照片")
                )
            )
            .await
        );
        // The officer's feed: their village's steps only, numbered per township.
        let changes = db.sync_changes(d.township, 0, &scope(&d), 100).await.unwrap();
        let seen: Vec<_> = changes.iter().map(|c| (c.cursor, c.step, c.state)).collect();
        assert_eq!(
            seen,
            vec![
                (1, Some(InboxStep::Acknowledge), Some(Acknowledged)),
                (3, Some(InboxStep::RequestInfo), Some(MoreInfoRequested))
            ],
            "{label}"
        );
        assert_eq!(changes[1].note.as_deref(), Some("请补充照片"), "{label}");
        assert_eq!(changes[1].by.as_deref(), Some("王芳"), "{label}");
        assert_eq!(
            db.sync_changes(d.township, 1, &scope(&d), 100)
                .await
                .unwrap()
                .len(),
            1,
            "{label}"
        );
        assert_eq!(
            db.sync_changes(d.township, 0, &scope(&d), 1).await.unwrap().len(),
            1,
            "{label}"
        );
        let stranger = ChangeScope {
            villages: vec![],
            grids: vec![],
            author_id: -1,
        };
        assert!(
            db.sync_changes(d.township, 0, &stranger, 100)
                .await
                .unwrap()
                .is_empty(),
            "{label}"
        );

        // The officer answers: back to new; an answer to a report not waiting for one is refused.
        let (s1, s2) = (uuid(21), uuid(22));
        let answer = |id| {
            PushItem::Supplement(SupplementInsert {
                report_id: id,
                note: "已补充",
                by_name: "张秀英",
            })
        };
        let got = push(
            &db,
            d.township,
            &[
                entry(&s1, "s1", d.officer, answer(place.id)),
                entry(&s2, "s2", d.officer, answer(place.id)),
            ],
            t0() + Duration::hours(2),
        )
        .await;
        assert_eq!(got[0], Stored::Stored, "{label}");
        assert_eq!(
            got[1],
            Stored::Rejected(Rejection::Refused(Refusal::NotAllowedInState)),
            "{label}"
        );
        assert_eq!(
            db.field_report_by_id(place.id).await.unwrap().unwrap().state,
            New,
            "{label}"
        );
        let filter = InboxFilter {
            state: Some(New),
            ..InboxFilter::default()
        };
        let inbox = db.field_inbox(&[d.township], &filter).await.unwrap();
        assert_eq!(
            inbox.iter().map(|r| r.client_id.as_str()).collect::<Vec<_>>(),
            vec![a.as_str()],
            "{label}"
        );
        let by_village = InboxFilter {
            village_id: Some(d.other_village),
            ..InboxFilter::default()
        };
        assert_eq!(
            db.field_inbox(&[d.township], &by_village).await.unwrap().len(),
            1,
            "{label}"
        );
        assert!(
            db.field_inbox(&[], &InboxFilter::default())
                .await
                .unwrap()
                .is_empty(),
            "{label}"
        );
        // Counted as listed; the open view leaves the closed report out.
        let open = InboxFilter {
            open_only: true,
            ..InboxFilter::default()
        };
        assert_eq!(
            db.field_inbox(&[d.township], &open).await.unwrap().len(),
            1,
            "{label}"
        );
        assert_eq!(
            db.field_inbox_count(&[d.township], &open).await.unwrap(),
            1,
            "{label}"
        );
        assert_eq!(
            db.field_inbox_count(&[d.township], &InboxFilter::default())
                .await
                .unwrap(),
            2,
            "{label}"
        );
        assert_eq!(db.field_inbox_count(&[], &open).await.unwrap(), 0, "{label}");
        // The whole report: its timeline in order, with who and what was said.
        let detail = db.field_report_detail(place.id).await.unwrap().unwrap();
        assert_eq!(detail.summary.client_id, a, "{label}");
        assert_eq!(detail.summary.parties.as_deref(), Some("张某、李某"), "{label}");
        assert_eq!(detail.summary.person_count, Some(2), "{label}");
        assert_eq!(detail.created_at, t0(), "{label}");
        let history: Vec<_> = detail
            .history
            .iter()
            .map(|e| (e.step, e.to, e.actor.as_deref(), e.note.as_deref()))
            .collect();
        assert_eq!(
            history,
            vec![
                (InboxStep::Acknowledge, Acknowledged, Some("clerk"), None),
                (
                    InboxStep::RequestInfo,
                    MoreInfoRequested,
                    Some("clerk"),
                    Some("请补充照片")
                ),
                (InboxStep::Supplement, New, Some("officer"), Some("已补充")),
            ],
            "{label}"
        );
        assert_eq!(detail.photos.len(), 1, "{label}");
        assert!(!detail.photos[0].complete, "{label}: not uploaded yet");
        assert_eq!(db.field_report_photo(place.id, 1).await.unwrap(), None, "{label}");
        assert_eq!(db.field_report_detail(-1).await.unwrap(), None, "{label}");
    }
}

#[tokio::test]
async fn a_photo_upload_resumes_at_its_offset_and_completes_once() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let id = uuid(900);
        let begin = PhotoBegin {
            client_id: &id,
            township_id: d.township,
            village_id: Some(d.village),
            uploaded_by: d.officer,
            media_type: "jpeg",
            byte_size: 10,
            sha256: "abc",
            at: t0(),
        };
        let up = db.begin_photo(&begin).await.unwrap();
        assert_eq!((up.received, up.complete), (0, false), "{label}");
        // Beginning again finds the same upload.
        assert_eq!(db.begin_photo(&begin).await.unwrap().id, up.id, "{label}");
        assert_eq!(
            db.append_photo_chunk(up.id, 0, b"0123").await.unwrap(),
            Some(4),
            "{label}"
        );
        // The connection drops; the phone resends the same chunk: refused, offset says 4.
        assert_eq!(
            db.append_photo_chunk(up.id, 0, b"0123").await.unwrap(),
            None,
            "{label}"
        );
        assert_eq!(
            db.append_photo_chunk(up.id, 6, b"67").await.unwrap(),
            None,
            "{label}"
        );
        assert_eq!(
            db.photo_upload(&id).await.unwrap().unwrap().received,
            4,
            "{label}"
        );
        // Past the declared size: refused.
        assert_eq!(
            db.append_photo_chunk(up.id, 4, b"4567890").await.unwrap(),
            None,
            "{label}"
        );
        assert_eq!(
            db.append_photo_chunk(up.id, 4, b"456789").await.unwrap(),
            Some(10),
            "{label}"
        );
        assert_eq!(db.photo_bytes(up.id).await.unwrap(), b"0123456789", "{label}");
        let mut tx = db.begin().await.unwrap();
        tx.reset_photo(up.id).await.unwrap();
        tx.audit(&testing::setup_entry(AuditAction::UploadPhoto))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            db.photo_upload(&id).await.unwrap().unwrap().received,
            0,
            "{label}"
        );
        assert!(db.photo_bytes(up.id).await.unwrap().is_empty(), "{label}");
        db.append_photo_chunk(up.id, 0, b"0123456789").await.unwrap();
        // Completing and its entry go together: dropped before the commit, it is not complete.
        let mut tx = db.begin().await.unwrap();
        tx.complete_photo(up.id, b"0123456789", t0()).await.unwrap();
        drop(tx);
        assert!(!db.photo_upload(&id).await.unwrap().unwrap().complete, "{label}");
        let mut tx = db.begin().await.unwrap();
        tx.complete_photo(up.id, b"0123456789", t0()).await.unwrap();
        tx.audit(&testing::setup_entry(AuditAction::UploadPhoto))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let done = db.photo_upload(&id).await.unwrap().unwrap();
        assert!(done.complete, "{label}");
        assert_eq!(
            db.append_photo_chunk(up.id, 10, b"x").await.unwrap(),
            None,
            "{label}"
        );
        // A report naming it now counts it attached.
        let r = report(d.village, Severity::General);
        let a = uuid(1);
        push(
            &db,
            d.township,
            &[entry(&a, "a", d.officer, report_item(&r, d.township))],
            t0(),
        )
        .await;
        let inbox = db
            .field_inbox(&[d.township], &InboxFilter::default())
            .await
            .unwrap();
        assert_eq!(
            (inbox[0].photos_named, inbox[0].photos_attached),
            (1, 1),
            "{label}"
        );
        let detail = db.field_report_detail(inbox[0].id).await.unwrap().unwrap();
        assert!(detail.photos[0].complete, "{label}");
        assert_eq!(
            db.field_report_photo(inbox[0].id, 1).await.unwrap(),
            Some(("jpeg".to_owned(), b"0123456789".to_vec())),
            "{label}"
        );
        assert_eq!(
            db.field_report_photo(inbox[0].id, 2).await.unwrap(),
            None,
            "{label}"
        );
    }
}

#[tokio::test]
async fn kinds_and_deadlines_default_until_an_admin_sets_them() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        assert_eq!(
            db.report_kinds(d.township).await.unwrap(),
            default_kinds(),
            "{label}"
        );
        let mine = vec![
            ReportKind {
                code: "weather".into(),
                name_zh: "气象灾害".into(),
                name_en: "Weather".into(),
                category: Category::Hazard,
            },
            default_kinds()[0].clone(),
        ];
        let mut tx = db.begin().await.unwrap();
        tx.set_report_kinds(d.township, &mine).await.unwrap();
        tx.audit(&testing::setup_entry(AuditAction::EditReportKinds))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.report_kinds(d.township).await.unwrap(), mine, "{label}");
        // Another township still has the defaults.
        assert_eq!(
            db.report_kinds(d.village).await.unwrap(),
            default_kinds(),
            "{label}"
        );
        assert_eq!(
            db.weekly_deadline(d.township).await.unwrap(),
            WeeklyDeadline::DEFAULT,
            "{label}"
        );
        let friday = WeeklyDeadline {
            weekday: 5,
            hour: 17,
            next_week: false,
        };
        // Set twice: the second replaces the first.
        for _ in 0..2 {
            let mut tx = db.begin().await.unwrap();
            tx.set_weekly_deadline(d.township, friday, d.clerk, t0())
                .await
                .unwrap();
            tx.audit(&testing::setup_entry(AuditAction::EditReportKinds))
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(db.weekly_deadline(d.township).await.unwrap(), friday, "{label}");
    }
}
