//! Field reports from push to the township's inbox and back to the phone, on both
//! engines: idempotent resends, overlapping batches, conflicts, a bad record among good
//! ones, scope on push and pull, urgent flagging, photos, and the weekly report rules.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::Problem;
use domain::audit::AuditAction;
use domain::auth::{NewUser, Role};
use domain::field::{InboxFilter, InboxState, InboxStep, Week, WeeklyStatus};
use domain::sync::{ChangeKind, PushBatch, RecordOutcome};
use serde_json::{Value, json};
use services::demo::{DEMO_PASSWORD, seed_demo_users};
use services::field::{self, PhotoDeclaration};
use services::{Caller, ServiceError};
use storage::Database;
use storage::testing::{self, TestDb};

use crate::common::{audit_count, log_in, public, sha256, uuid};

pub fn t0() -> DateTime<Utc> {
    // Wednesday 2026-11-25, 10:00 China time.
    Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap()
}

/// A demo account at work, without a phone's session: what it pushes is not bounded by
/// a last sync (a phone with a session is built where a test needs one).
pub async fn login(db: &Database, username: &str) -> Caller {
    let caller = log_in(db, public("10.0.0.9", t0()), username, DEMO_PASSWORD).await;
    Caller {
        session: None,
        ..caller
    }
}

pub struct Demo {
    pub village: i64,
    pub other_village: i64,
}

/// The demo township, with a second officer on the second village (`neighbour`).
pub async fn demo(db: &Database) -> Demo {
    db.seed_demo().await.expect("seed");
    seed_demo_users(db, t0()).await.expect("users");
    let s = db.org_structure().await.unwrap().unwrap();
    let other_village = s.villages[1].village.id;
    let hash = services::auth::hash_password(DEMO_PASSWORD).await.unwrap();
    let neighbour = NewUser {
        username: "neighbour".into(),
        display_name: "邻村信息员".into(),
        phone: None,
        grants: vec![(Role::InfoOfficer, other_village)],
    };
    testing::create_user(db, &neighbour, &hash, t0()).await.unwrap();
    Demo {
        village: s.villages[0].village.id,
        other_village,
    }
}

pub fn report_body(village: i64, severity: &str) -> Value {
    json!({
        "kind": "land",
        "severity": severity,
        "village_id": village,
        "place": "三组晒谷场",
        "latitude": 28.19, "longitude": 112.97, "accuracy_m": 15.0,
        "found_at": "2026-11-25T09:00:00+08:00",
        "parties": "张某、李某",
        "description": "两户因宅基地边界争执。",
        "action_taken": "现场劝解",
        "needs_township": true,
        "photos": [uuid(900)],
    })
}

pub fn record(id: &str, author: &str, record_type: &str, body: Value) -> Value {
    json!({
        "client_id": id,
        "record_type": record_type,
        "author": author,
        "device_id": "phone-1",
        "created_at": "2026-11-25T09:30:00+08:00",
        "body": body,
    })
}

pub fn batch(records: Vec<Value>) -> PushBatch {
    PushBatch { records }
}

fn statuses(r: &domain::sync::PushResponse) -> Vec<String> {
    r.results
        .iter()
        .map(|l| match &l.outcome {
            RecordOutcome::Stored => "stored".to_owned(),
            RecordOutcome::Duplicate => "duplicate".to_owned(),
            RecordOutcome::Conflict => "conflict".to_owned(),
            RecordOutcome::Rejected { code, .. } => format!("rejected:{code}"),
        })
        .collect()
}

#[tokio::test]
async fn resends_and_overlapping_batches_store_each_record_once() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let officer = login(&db, "officer").await;
        let first: Vec<Value> = (1..=3)
            .map(|n| {
                record(
                    &uuid(n),
                    "officer",
                    "field_report",
                    report_body(d.village, "general"),
                )
            })
            .collect();
        let got = field::push(&db, &officer, &batch(first.clone())).await.unwrap();
        assert_eq!(statuses(&got), ["stored", "stored", "stored"], "{label}");
        assert_eq!(
            got.results[0].client_id.as_deref(),
            Some(uuid(1).as_str()),
            "{label}"
        );
        // The answer was lost: the whole batch again.
        let again = field::push(&db, &officer, &batch(first.clone())).await.unwrap();
        assert_eq!(
            statuses(&again),
            ["duplicate", "duplicate", "duplicate"],
            "{label}"
        );
        // Overlapping: two old, one new, and the new one twice in the batch.
        let mut overlap = first[1..].to_vec();
        overlap.push(record(
            &uuid(4),
            "officer",
            "field_report",
            report_body(d.village, "general"),
        ));
        overlap.push(overlap[2].clone());
        let got = field::push(&db, &officer, &batch(overlap)).await.unwrap();
        assert_eq!(
            statuses(&got),
            ["duplicate", "duplicate", "stored", "duplicate"],
            "{label}"
        );
        // The same UUID with another body: a conflict, and the stored one is kept.
        let mut changed = report_body(d.village, "general");
        changed["place"] = json!("别处");
        let got = field::push(
            &db,
            &officer,
            &batch(vec![record(&uuid(1), "officer", "field_report", changed)]),
        )
        .await
        .unwrap();
        assert_eq!(statuses(&got), ["conflict"], "{label}");
        let clerk = login(&db, "clerk").await;
        let inbox = field::inbox(&db, &clerk, &InboxFilter::default())
            .await
            .unwrap()
            .rows;
        assert_eq!(inbox.len(), 4, "{label}");
        assert!(inbox.iter().all(|r| r.place == "三组晒谷场"), "{label}");
        assert!(audit_count(&db, AuditAction::SyncPush).await >= 4, "{label}");
    }
}

#[tokio::test]
async fn a_bad_record_is_rejected_alone_with_its_reason() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let officer = login(&db, "officer").await;
        let mut bad_gps = report_body(d.village, "general");
        bad_gps["latitude"] = json!(123.0);
        let mut bad_kind = report_body(d.village, "general");
        bad_kind["kind"] = json!("weather");
        let records = vec![
            record(
                &uuid(1),
                "officer",
                "field_report",
                report_body(d.village, "general"),
            ),
            record(&uuid(2), "officer", "field_report", bad_gps),
            json!({"client_id": uuid(3), "record_type": "field_report"}),
            record(
                &uuid(4),
                "officer",
                "field_report",
                json!({"photos": "not a list"}),
            ),
            record(&uuid(5), "officer", "home_visit", json!({})),
            record(
                &uuid(6),
                "gridworker",
                "field_report",
                report_body(d.village, "general"),
            ),
            record(&uuid(7), "officer", "field_report", bad_kind),
            json!(42),
            record(
                &uuid(8),
                "officer",
                "field_report",
                report_body(d.village, "general"),
            ),
        ];
        let got = field::push(&db, &officer, &batch(records)).await.unwrap();
        assert_eq!(
            statuses(&got),
            [
                "stored",
                "rejected:bad_coordinates",
                "rejected:malformed",
                "rejected:malformed",
                "rejected:unknown_record_type",
                "rejected:author_mismatch",
                "rejected:unknown_value",
                "rejected:malformed",
                "stored"
            ],
            "{label}"
        );
        let RecordOutcome::Rejected { field, .. } = &got.results[1].outcome else {
            panic!("{label}");
        };
        assert_eq!(field.as_deref(), Some("latitude"), "{label}");
        assert_eq!(got.results[7].client_id, None, "{label}");
        // Fixed and resent under the same UUID: stored (a rejection leaves no receipt).
        let got = field::push(
            &db,
            &officer,
            &batch(vec![record(
                &uuid(2),
                "officer",
                "field_report",
                report_body(d.village, "general"),
            )]),
        )
        .await
        .unwrap();
        assert_eq!(statuses(&got), ["stored"], "{label}");
        // More than a batch may carry is refused whole, before anything is read.
        let big = batch(vec![json!({}); domain::sync::MAX_BATCH + 1]);
        assert!(
            matches!(
                field::push(&db, &officer, &big).await,
                Err(ServiceError::Invalid(_))
            ),
            "{label}"
        );
    }
}

#[tokio::test]
async fn an_officer_cannot_push_into_or_pull_from_another_village() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let officer = login(&db, "officer").await;
        let neighbour = login(&db, "neighbour").await;
        let denied_before = audit_count(&db, AuditAction::Denied).await;
        let got = field::push(
            &db,
            &officer,
            &batch(vec![
                record(
                    &uuid(1),
                    "officer",
                    "field_report",
                    report_body(d.other_village, "general"),
                ),
                record(
                    &uuid(2),
                    "officer",
                    "field_report",
                    report_body(999_999, "general"),
                ),
                record(
                    &uuid(3),
                    "officer",
                    "field_report",
                    report_body(d.village, "serious"),
                ),
            ]),
        )
        .await
        .unwrap();
        assert_eq!(
            statuses(&got),
            ["rejected:wrong_scope", "rejected:wrong_scope", "stored"],
            "{label}"
        );
        assert_eq!(
            audit_count(&db, AuditAction::Denied).await,
            denied_before + 2,
            "{label}"
        );
        // The neighbour's report, and a clerk's steps on both.
        field::push(
            &db,
            &neighbour,
            &batch(vec![record(
                &uuid(4),
                "neighbour",
                "field_report",
                report_body(d.other_village, "general"),
            )]),
        )
        .await
        .unwrap();
        let clerk = login(&db, "clerk").await;
        for r in field::inbox(&db, &clerk, &InboxFilter::default())
            .await
            .unwrap()
            .rows
        {
            field::inbox_step(&db, &clerk, r.id, InboxStep::RequestInfo, "请补充现场照片")
                .await
                .unwrap();
        }
        let mine = field::pull(&db, &officer, 0).await.unwrap();
        assert_eq!(mine.changes.len(), 1, "{label}");
        assert_eq!(mine.changes[0].record_id, uuid(3), "{label}");
        assert_eq!(
            mine.changes[0].state,
            Some(InboxState::MoreInfoRequested),
            "{label}"
        );
        assert_eq!(mine.changes[0].note.as_deref(), Some("请补充现场照片"), "{label}");
        let theirs = field::pull(&db, &neighbour, 0).await.unwrap();
        assert_eq!(theirs.changes.len(), 1, "{label}");
        assert_eq!(theirs.changes[0].record_id, uuid(4), "{label}");
        // The cursor moves on; nothing new, nothing again.
        let later = field::pull(&db, &officer, mine.next_cursor).await.unwrap();
        assert!(later.changes.is_empty() && !later.more, "{label}");
        assert_eq!(later.next_cursor, mine.next_cursor, "{label}");
        // An officer cannot answer the neighbour's question either.
        let answer = json!({"report_id": uuid(4), "note": "补充"});
        let got = field::push(
            &db,
            &officer,
            &batch(vec![record(&uuid(5), "officer", "supplement", answer)]),
        )
        .await
        .unwrap();
        assert_eq!(statuses(&got), ["rejected:wrong_scope"], "{label}");
        // Only clerks and case leaders read the inbox; officers do not.
        assert!(matches!(
            field::inbox(&db, &officer, &InboxFilter::default()).await,
            Err(ServiceError::NotFound)
        ));
        assert!(
            matches!(field::pull(&db, &clerk, 0).await, Err(ServiceError::NotFound)),
            "{label}"
        );
    }
}

#[tokio::test]
async fn urgent_reports_are_flagged_and_the_inbox_round_trip_reaches_the_phone() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let officer = login(&db, "officer").await;
        let grid = login(&db, "gridworker").await;
        field::push(
            &db,
            &officer,
            &batch(vec![
                record(
                    &uuid(1),
                    "officer",
                    "field_report",
                    report_body(d.village, "general"),
                ),
                record(
                    &uuid(2),
                    "officer",
                    "field_report",
                    report_body(d.village, "urgent"),
                ),
            ]),
        )
        .await
        .unwrap();
        let got = field::push(
            &db,
            &grid,
            &batch(vec![record(
                &uuid(3),
                "gridworker",
                "field_report",
                report_body(d.village, "general"),
            )]),
        )
        .await
        .unwrap();
        assert_eq!(
            statuses(&got),
            ["stored"],
            "{label}: a grid worker reports in their grid"
        );
        assert_eq!(audit_count(&db, AuditAction::UrgentReport).await, 1, "{label}");
        let clerk = login(&db, "clerk").await;
        let inbox = field::inbox(&db, &clerk, &InboxFilter::default())
            .await
            .unwrap()
            .rows;
        assert_eq!(inbox[0].client_id, uuid(2), "{label}: urgent first");
        assert!(inbox[0].urgent, "{label}");
        let urgent = InboxFilter {
            urgent_only: true,
            ..InboxFilter::default()
        };
        assert_eq!(
            field::inbox(&db, &clerk, &urgent).await.unwrap().total,
            1,
            "{label}"
        );
        let id = inbox[0].id;
        // Closing needs a note; the officer may not take a clerk's step.
        assert!(matches!(
            field::inbox_step(&db, &clerk, id, InboxStep::Close, " ").await,
            Err(ServiceError::Invalid(e)) if e.problem == Problem::Required
        ));
        assert!(matches!(
            field::inbox_step(&db, &officer, id, InboxStep::Acknowledge, "").await,
            Err(ServiceError::Refused(_))
        ));
        field::inbox_step(&db, &clerk, id, InboxStep::Acknowledge, "")
            .await
            .unwrap();
        field::inbox_step(&db, &clerk, id, InboxStep::RequestInfo, "几户？")
            .await
            .unwrap();
        // The officer answers from the phone; the report is back in front of the clerks.
        let answer = json!({"report_id": uuid(2), "note": "涉及三户"});
        let got = field::push(
            &db,
            &officer,
            &batch(vec![record(&uuid(9), "officer", "supplement", answer)]),
        )
        .await
        .unwrap();
        assert_eq!(statuses(&got), ["stored"], "{label}");
        field::inbox_step(&db, &clerk, id, InboxStep::Close, "已调解")
            .await
            .unwrap();
        assert!(matches!(
            field::inbox_step(&db, &clerk, id, InboxStep::Close, "again").await,
            Err(ServiceError::Refused(_))
        ));
        let pulled = field::pull(&db, &officer, 0).await.unwrap();
        let steps: Vec<_> = pulled.changes.iter().filter_map(|c| c.step).collect();
        assert_eq!(
            steps,
            [
                InboxStep::Acknowledge,
                InboxStep::RequestInfo,
                InboxStep::Supplement,
                InboxStep::Close
            ],
            "{label}"
        );
        assert!(
            pulled.changes.iter().all(|c| c.kind == ChangeKind::Inbox),
            "{label}"
        );
        assert_eq!(pulled.report_kinds.len(), 8, "{label}");
        assert_eq!(pulled.weekly.len(), 2, "{label}: last week and this week");
        // The grid worker sees only steps on reports in their grid (none).
        assert!(
            field::pull(&db, &grid, 0).await.unwrap().changes.is_empty(),
            "{label}"
        );
    }
}

#[tokio::test]
async fn weekly_reports_follow_the_rules_and_the_township_sees_who_reported() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let officer = login(&db, "officer").await;
        let neighbour = login(&db, "neighbour").await;
        let week = Week::of(t0()).to_string();
        let weekly = |zero: bool, items: Vec<String>| json!({"village_id": d.village, "week": week, "zero": zero, "items": items});
        let got = field::push(
            &db,
            &officer,
            &batch(vec![
                record(
                    &uuid(1),
                    "officer",
                    "field_report",
                    report_body(d.village, "general"),
                ),
                record(&uuid(10), "officer", "weekly_report", weekly(true, vec![uuid(1)])),
                record(&uuid(11), "officer", "weekly_report", weekly(false, vec![])),
                record(
                    &uuid(12),
                    "officer",
                    "weekly_report",
                    weekly(false, vec![uuid(1)]),
                ),
                record(&uuid(13), "officer", "weekly_report", weekly(true, vec![])),
            ]),
        )
        .await
        .unwrap();
        assert_eq!(
            statuses(&got),
            [
                "stored",
                "rejected:zero_report_with_items",
                "rejected:empty_report",
                "stored",
                "rejected:duplicate"
            ],
            "{label}"
        );
        // A zero report from the neighbour, after the deadline (next Monday noon).
        let late = Caller {
            now: t0() + Duration::days(6),
            ..neighbour.clone()
        };
        let zero = json!({"village_id": d.other_village, "week": week, "zero": true});
        let mut r = record(&uuid(20), "neighbour", "weekly_report", zero.clone());
        r["created_at"] = json!((t0() + Duration::days(6)).to_rfc3339());
        assert_eq!(
            statuses(&field::push(&db, &late, &batch(vec![r])).await.unwrap()),
            ["stored"],
            "{label}"
        );
        // The neighbour cannot report for the officer's village.
        let theirs = json!({"village_id": d.village, "week": week, "zero": true});
        let got = field::push(
            &db,
            &neighbour,
            &batch(vec![record(&uuid(21), "neighbour", "weekly_report", theirs)]),
        )
        .await
        .unwrap();
        assert_eq!(statuses(&got), ["rejected:wrong_scope"], "{label}");

        let clerk = Caller {
            now: t0() + Duration::days(6),
            ..login(&db, "clerk").await
        };
        let overview = field::weekly_overview(&db, &clerk, Week::of(t0())).await.unwrap();
        let counts = overview.counts();
        assert_eq!((counts.on_time, counts.late), (1, 1), "{label}");
        let overview: Vec<_> = overview.lines.into_iter().map(|l| l.week).collect();
        let status_of = |v: i64| {
            overview
                .iter()
                .find(|w| w.village_id == v)
                .map(|w| (w.status, w.zero))
        };
        assert_eq!(
            status_of(d.village),
            Some((WeeklyStatus::OnTime, false)),
            "{label}"
        );
        assert_eq!(
            status_of(d.other_village),
            Some((WeeklyStatus::Late, true)),
            "{label}"
        );
        assert!(
            overview
                .iter()
                .filter(|w| w.village_id != d.village && w.village_id != d.other_village)
                .all(|w| w.status == WeeklyStatus::Missing),
            "{label}"
        );
        let early = Caller {
            now: t0(),
            ..clerk.clone()
        };
        let before = field::weekly_overview(&db, &early, Week::of(t0())).await.unwrap();
        assert!(
            before
                .lines
                .iter()
                .any(|l| l.week.status == WeeklyStatus::Pending),
            "{label}"
        );
        assert!(matches!(
            field::weekly_overview(&db, &officer, Week::of(t0())).await,
            Err(ServiceError::NotFound)
        ));
        // The officer's phone sees the week as reported.
        let pulled = field::pull(&db, &officer, 0).await.unwrap();
        let this_week = pulled.weekly.iter().find(|w| w.week == Week::of(t0())).unwrap();
        assert_eq!(this_week.status, WeeklyStatus::OnTime, "{label}");
        assert!(
            pulled.changes.iter().any(|c| c.kind == ChangeKind::WeeklyReport),
            "{label}"
        );
    }
}

#[tokio::test]
async fn a_late_weekly_report_cannot_be_backdated_past_a_sync_it_missed() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let week = Week::of(t0());
        let due = domain::field::WeeklyDeadline::DEFAULT.due_at(week);
        // Two phones with sessions of their own, as the HTTP edge builds them.
        let officer = log_in(&db, public("10.0.0.9", t0()), "officer", DEMO_PASSWORD).await;
        let neighbour = log_in(&db, public("10.0.0.9", t0()), "neighbour", DEMO_PASSWORD).await;
        let at = |c: &Caller, when| Caller {
            now: when,
            ..c.clone()
        };
        // The officer's phone syncs after the deadline with nothing queued, and the next
        // day sends a weekly report that claims to be from before the deadline.
        field::pull(&db, &at(&officer, due + Duration::hours(2)), 0)
            .await
            .unwrap();
        let zero = json!({"village_id": d.village, "week": week.to_string(), "zero": true});
        let mut r = record(&uuid(30), "officer", "weekly_report", zero);
        r["created_at"] = json!((due - Duration::hours(1)).to_rfc3339());
        let got = field::push(&db, &at(&officer, due + Duration::days(1)), &batch(vec![r]))
            .await
            .unwrap();
        assert_eq!(statuses(&got), ["stored"], "{label}");
        // The neighbour's phone was offline from before the deadline until today: its
        // report, finished before the deadline, is on time.
        let zero = json!({"village_id": d.other_village, "week": week.to_string(), "zero": true});
        let mut r = record(&uuid(31), "neighbour", "weekly_report", zero);
        r["created_at"] = json!((due - Duration::hours(1)).to_rfc3339());
        let got = field::push(&db, &at(&neighbour, due + Duration::days(1)), &batch(vec![r]))
            .await
            .unwrap();
        assert_eq!(statuses(&got), ["stored"], "{label}");

        let clerk = Caller {
            now: due + Duration::days(2),
            ..login(&db, "clerk").await
        };
        let overview = field::weekly_overview(&db, &clerk, week).await.unwrap();
        let status_of = |v: i64| {
            overview
                .lines
                .iter()
                .find(|l| l.week.village_id == v)
                .map(|l| l.week.status)
        };
        assert_eq!(status_of(d.village), Some(WeeklyStatus::Late), "{label}");
        assert_eq!(status_of(d.other_village), Some(WeeklyStatus::Zero), "{label}");
    }
}

fn jpeg(len: usize) -> Vec<u8> {
    let mut f = vec![0xFF, 0xD8, 0xFF, 0xE0];
    f.extend((0..len - 6).map(|i| (i % 200) as u8));
    f.extend([0xFF, 0xD9]);
    f
}

#[tokio::test]
async fn photos_resume_where_they_stopped_and_a_wrong_hash_starts_over() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        demo(&db).await;
        let officer = login(&db, "officer").await;
        let bytes = jpeg(1000);
        let declared = PhotoDeclaration {
            client_id: uuid(900),
            byte_size: 1000,
            sha256: sha256(&bytes),
            media_type: "image/jpeg".into(),
        };
        let status = field::begin_photo(&db, &officer, &declared).await.unwrap();
        assert_eq!((status.offset, status.complete), (0, false), "{label}");
        let a = field::append_photo(&db, &officer, &uuid(900), 0, &bytes[..400])
            .await
            .unwrap();
        assert!(a.accepted && a.status.offset == 400, "{label}");
        // Interrupted: the phone asks where it stands, and resends from there.
        assert_eq!(
            field::photo_status(&db, &officer, &uuid(900))
                .await
                .unwrap()
                .offset,
            400
        );
        assert_eq!(
            field::begin_photo(&db, &officer, &declared).await.unwrap().offset,
            400
        );
        // The first chunk again (its answer was lost): taken as it was, at the offset now.
        let again = field::append_photo(&db, &officer, &uuid(900), 0, &bytes[..400])
            .await
            .unwrap();
        assert_eq!(again, a, "{label}");
        // Other bytes there, or a chunk that does not start at a chunk: ask where it stands.
        let stale = field::append_photo(&db, &officer, &uuid(900), 0, &bytes[..399])
            .await
            .unwrap();
        assert!(!stale.accepted && stale.status.offset == 400, "{label}");
        let done = field::append_photo(&db, &officer, &uuid(900), 400, &bytes[400..])
            .await
            .unwrap();
        assert!(done.accepted && done.status.complete, "{label}");
        // Someone else cannot see or add to it; another declaration is a conflict.
        let neighbour = login(&db, "neighbour").await;
        assert!(matches!(
            field::photo_status(&db, &neighbour, &uuid(900)).await,
            Err(ServiceError::NotFound)
        ));
        let other = PhotoDeclaration {
            byte_size: 999,
            ..declared.clone()
        };
        assert!(matches!(
            field::begin_photo(&db, &officer, &other).await,
            Err(ServiceError::Changed)
        ));

        // A file that does not match its hash is thrown away.
        let wrong = PhotoDeclaration {
            client_id: uuid(901),
            sha256: sha256(b"something else"),
            ..declared.clone()
        };
        field::begin_photo(&db, &officer, &wrong).await.unwrap();
        let refused = field::append_photo(&db, &officer, &uuid(901), 0, &bytes).await;
        assert!(
            matches!(&refused, Err(ServiceError::Invalid(e)) if e.field == "sha256" && e.problem == Problem::Mismatch),
            "{label}: {refused:?}"
        );
        assert_eq!(
            field::photo_status(&db, &officer, &uuid(901))
                .await
                .unwrap()
                .offset,
            0,
            "{label}"
        );
        for (size, problem) in [(0, Problem::FileEmpty), (3 * 1024 * 1024, Problem::FileTooLarge)] {
            let d = PhotoDeclaration {
                client_id: uuid(902),
                byte_size: size,
                ..declared.clone()
            };
            assert!(matches!(
                field::begin_photo(&db, &officer, &d).await,
                Err(ServiceError::Invalid(e)) if e.problem == problem
            ));
        }
        // The report naming the photo shows it attached.
        field::push(
            &db,
            &officer,
            &batch(vec![record(
                &uuid(1),
                "officer",
                "field_report",
                report_body(demo_village(&db).await, "general"),
            )]),
        )
        .await
        .unwrap();
        let clerk = login(&db, "clerk").await;
        let inbox = field::inbox(&db, &clerk, &InboxFilter::default())
            .await
            .unwrap()
            .rows;
        assert_eq!(
            (inbox[0].photos_named, inbox[0].photos_attached),
            (1, 1),
            "{label}"
        );
        assert!(audit_count(&db, AuditAction::UploadPhoto).await >= 2, "{label}");
    }
}

#[tokio::test]
async fn an_empty_chunk_is_refused_and_the_photo_still_uploads_with_resent_chunks_taken_once() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        demo(&db).await;
        let officer = login(&db, "officer").await;
        let bytes = jpeg(1000);
        let id = uuid(910);
        let declared = PhotoDeclaration {
            client_id: id.clone(),
            byte_size: 1000,
            sha256: sha256(&bytes),
            media_type: "image/jpeg".into(),
        };
        field::begin_photo(&db, &officer, &declared).await.unwrap();
        // Before, an empty chunk was stored at 0 and every real one there then failed (a 500).
        let empty = field::append_photo(&db, &officer, &id, 0, &[]).await;
        assert!(
            matches!(&empty, Err(ServiceError::Invalid(e)) if e.field == "chunk" && e.problem == Problem::FileEmpty),
            "{label}: {empty:?}"
        );
        // No offset below zero; one far past the file is only not where the upload stands.
        let negative = field::append_photo(&db, &officer, &id, -1, &bytes[..10]).await;
        assert!(
            matches!(&negative, Err(ServiceError::Invalid(e)) if e.field == "offset" && e.problem == Problem::BadNumber),
            "{label}: {negative:?}"
        );
        let far = field::append_photo(&db, &officer, &id, i64::MAX, &bytes[..10])
            .await
            .unwrap();
        assert!(!far.accepted && far.status.offset == 0, "{label}");
        let first = field::append_photo(&db, &officer, &id, 0, &bytes[..600])
            .await
            .unwrap();
        assert!(first.accepted && first.status.offset == 600, "{label}");
        // The same chunk twice is stored once and answered the same.
        let again = field::append_photo(&db, &officer, &id, 0, &bytes[..600])
            .await
            .unwrap();
        assert_eq!(again, first, "{label}");
        assert!(
            field::append_photo(&db, &officer, &id, 600, &[]).await.is_err(),
            "{label}"
        );
        let last = field::append_photo(&db, &officer, &id, 600, &bytes[600..])
            .await
            .unwrap();
        assert!(last.accepted && last.status.complete, "{label}");
        let last_again = field::append_photo(&db, &officer, &id, 600, &bytes[600..])
            .await
            .unwrap();
        assert_eq!(last_again, last, "{label}");
        let status = field::photo_status(&db, &officer, &id).await.unwrap();
        assert_eq!((status.offset, status.complete), (1000, true), "{label}");
        assert_eq!(audit_count(&db, AuditAction::UploadPhoto).await, 1, "{label}");
    }
}

async fn demo_village(db: &Database) -> i64 {
    db.org_structure().await.unwrap().unwrap().villages[0].village.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_phones_resending_at_once_store_each_record_exactly_once() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let officer = login(&db, "officer").await;
        let records: Vec<Value> = (1..=30)
            .map(|n| {
                record(
                    &uuid(n),
                    "officer",
                    "field_report",
                    report_body(d.village, "general"),
                )
            })
            .collect();
        // The same batch sent twice in parallel (a retry racing the original).
        let one = batch(records.clone());
        let two = batch(records);
        let (a, b) = tokio::join!(field::push(&db, &officer, &one), field::push(&db, &officer, &two));
        let (a, b) = (statuses(&a.unwrap()), statuses(&b.unwrap()));
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            let mut pair = [x.as_str(), y.as_str()];
            pair.sort_unstable();
            assert_eq!(pair, ["duplicate", "stored"], "{label}: record {i}");
        }
        let clerk = login(&db, "clerk").await;
        let filter = InboxFilter::default();
        assert_eq!(
            field::inbox(&db, &clerk, &filter).await.unwrap().rows.len(),
            30,
            "{label}"
        );
    }
}

#[tokio::test]
async fn the_weekly_list_holds_the_villages_reports_from_every_phone() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let at = |found: &str, village: i64| {
            let mut body = report_body(village, "serious");
            body["found_at"] = json!(found);
            body["photos"] = json!([]);
            body
        };
        // The grid worker reports from a grid of the officer's village, on another phone.
        let grid = login(&db, "gridworker").await;
        let pushed = field::push(
            &db,
            &grid,
            &batch(vec![
                record(
                    &uuid(1),
                    "gridworker",
                    "field_report",
                    at("2026-11-25T09:00:00+08:00", d.village),
                ),
                record(
                    &uuid(2),
                    "gridworker",
                    "field_report",
                    at("2026-11-17T09:00:00+08:00", d.village),
                ),
                // Three weeks back: no weekly report the phone offers can list it.
                record(
                    &uuid(3),
                    "gridworker",
                    "field_report",
                    at("2026-11-04T09:00:00+08:00", d.village),
                ),
            ]),
        )
        .await
        .unwrap();
        assert_eq!(statuses(&pushed), ["stored"; 3], "{label}");
        let neighbour = login(&db, "neighbour").await;
        let theirs = field::push(
            &db,
            &neighbour,
            &batch(vec![record(
                &uuid(4),
                "neighbour",
                "field_report",
                at("2026-11-25T08:00:00+08:00", d.other_village),
            )]),
        )
        .await
        .unwrap();
        assert_eq!(statuses(&theirs), ["stored"], "{label}");

        // The village's officer, whose phone never saw them, is offered this week's and
        // last week's, and nothing of the neighbouring village.
        let officer = login(&db, "officer").await;
        let setup = field::setup(&db, &officer).await.unwrap().expect("a reporter");
        let listed: Vec<(&str, Week)> = setup
            .week_field_reports
            .iter()
            .map(|r| (r.client_id.as_str(), Week::of(r.found_at)))
            .collect();
        let this_week = Week::of(t0());
        assert_eq!(
            listed,
            [
                (uuid(2).as_str(), this_week.previous()),
                (uuid(1).as_str(), this_week)
            ],
            "{label}"
        );
        assert!(
            setup
                .week_field_reports
                .iter()
                .all(|r| r.village_id == d.village && r.kind == "land")
        );
        // Pull carries the same list, so a phone that stays open keeps it fresh.
        let pulled = field::pull(&db, &officer, 0).await.unwrap();
        assert_eq!(pulled.week_field_reports, setup.week_field_reports, "{label}");

        // The officer's weekly report lists the grid worker's report.
        let weekly = field::push(
            &db,
            &officer,
            &batch(vec![record(
                &uuid(5),
                "officer",
                "weekly_report",
                json!({ "village_id": d.village, "week": this_week.to_string(), "zero": false, "items": [uuid(1)] }),
            )]),
        )
        .await
        .unwrap();
        assert_eq!(statuses(&weekly), ["stored"], "{label}");
    }
}
