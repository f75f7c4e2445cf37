//! Document numbers on both engines: per township, kind and China year, the same on
//! every reprint and for an amended decision, new for a new assignment, never handed out
//! twice by concurrent writers, and given by the migration to petitions already past
//! the steps that issue them.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::audit::AuditAction;
use domain::document::{DocumentKind, DocumentNumber};
use domain::org::OrgUnitKind;
use storage::Database;
use storage::testing::{self, TestDb};

use crate::common::{demo, exec, migrations_up_to};
use crate::petitions::{insert, petition, store, t0};

/// Numbers a document in an audited transaction of its own, as a step would.
async fn issue(
    db: &Database,
    petition_id: i64,
    township: i64,
    kind: DocumentKind,
    at: DateTime<Utc>,
) -> DocumentNumber {
    let mut tx = db.begin().await.expect("begin");
    let n = tx
        .number_document(petition_id, township, kind, at)
        .await
        .expect("number");
    tx.audit(&testing::setup_entry(AuditAction::PetitionStep))
        .await
        .expect("audit");
    tx.commit().await.expect("commit");
    n
}

/// The number, as printed.
async fn number(
    db: &Database,
    petition_id: i64,
    township: i64,
    kind: DocumentKind,
    at: DateTime<Utc>,
) -> String {
    issue(db, petition_id, township, kind, at).await.to_string()
}

async fn petitions(db: &Database, township: i64, village: Option<i64>, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let mut p = petition(&format!("事项{i}"), "内容", 0);
        p.village_id = village;
        ids.push(
            store(db, &insert(&p, township, t0(), None))
                .await
                .expect("store")
                .id,
        );
    }
    ids
}

#[tokio::test]
async fn numbers_run_per_township_kind_and_year_and_a_reprint_keeps_them() {
    use DocumentKind::*;
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let ids = petitions(&db, d.township, Some(d.village), 4).await;
        let mut got = Vec::new();
        for id in &ids[..3] {
            got.push(number(&db, *id, d.township, ReceiptNotice, t0()).await);
        }
        assert_eq!(
            got,
            ["信受〔2026〕1号", "信受〔2026〕2号", "信受〔2026〕3号"],
            "{label}"
        );

        // Each kind counts on its own; a decision recorded again (amended) keeps its
        // number and its first date, and so does a reprint.
        assert_eq!(
            number(&db, ids[1], d.township, Decision, t0()).await,
            "信处〔2026〕1号",
            "{label}"
        );
        let later = t0() + Duration::days(3);
        assert_eq!(
            number(&db, ids[1], d.township, Decision, later).await,
            "信处〔2026〕1号",
            "{label}"
        );
        assert_eq!(
            number(&db, ids[0], d.township, ReceiptNotice, later).await,
            "信受〔2026〕1号",
            "{label}"
        );
        let stored = db.document_number(ids[1], Decision).await.unwrap();
        let expected = DocumentNumber {
            kind: Decision,
            year: 2026,
            number: 1,
        };
        assert_eq!(stored, Some((expected, t0())), "{label}");
        assert_eq!(
            db.document_number(ids[1], DeclineNotice).await.unwrap(),
            None,
            "{label}"
        );

        // An assignment after a return is a new sheet to another unit: a new number.
        assert_eq!(
            number(&db, ids[0], d.township, Assignment, t0()).await,
            "信交〔2026〕1号",
            "{label}"
        );
        assert_eq!(
            number(&db, ids[0], d.township, Assignment, later).await,
            "信交〔2026〕2号",
            "{label}"
        );
        let reassigned = db.document_number(ids[0], Assignment).await.unwrap();
        assert_eq!(
            reassigned.map(|(n, at)| (n.number, at)),
            Some((2, later)),
            "{label}"
        );

        // China's new year starts at 16:00 UTC on 31 December, and numbers start again.
        let new_year = Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap();
        assert_eq!(
            number(&db, ids[3], d.township, ReceiptNotice, new_year).await,
            "信受〔2027〕1号",
            "{label}"
        );

        // Another township has numbers of its own.
        let county = db.org_unit(d.township).await.unwrap().and_then(|t| t.parent_id);
        let other = testing::create_org_unit(&db, county, OrgUnitKind::Township, "西岭乡", None)
            .await
            .unwrap();
        let theirs = petitions(&db, other, None, 1).await;
        assert_eq!(
            number(&db, theirs[0], other, ReceiptNotice, t0()).await,
            "信受〔2026〕1号",
            "{label}"
        );
    }
}

#[tokio::test]
async fn concurrent_writers_never_get_the_same_number() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let ids = petitions(&db, d.township, Some(d.village), 16).await;
        let tasks: Vec<_> = ids
            .into_iter()
            .map(|id| {
                let db = db.clone();
                tokio::spawn(async move { issue(&db, id, d.township, DocumentKind::Decision, t0()).await })
            })
            .collect();
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.expect("task").number);
        }
        got.sort();
        assert_eq!(got, (1..=16).collect::<Vec<i64>>(), "{label}");
    }
}

/// The schema just before the migration that added document numbers, per engine.
fn before_documents(label: &str) -> (&'static str, i64) {
    if label == "sqlite" {
        ("sqlite", 8)
    } else {
        ("postgres", 7)
    }
}

#[tokio::test]
async fn the_migration_numbers_petitions_already_past_their_steps() {
    use DocumentKind::*;
    let mut dbs = vec![testing::sqlite().await];
    dbs.extend(testing::postgres().await);
    for TestDb { label, db, .. } in dbs {
        let (engine, last) = before_documents(label);
        let folder = migrations_up_to(engine, last);
        let migrator = sqlx::migrate::Migrator::new(folder.0.as_path())
            .await
            .expect("read the earlier migrations");
        match &db {
            Database::Sqlite(pool) => migrator.run(pool).await,
            Database::Postgres { pool, .. } => migrator.run(pool).await,
        }
        .expect("migrate to the earlier schema");
        // 1: registered on 31 December at 23:59:59 China time; 2: registered a second
        // later (2026 in China), then declined; 3: registered, assigned, handed back,
        // assigned again, its decision recorded and amended; 4: not registered yet.
        for sql in [
            "INSERT INTO org_unit (id, parent_id, kind, name) VALUES (1, NULL, 'county', '青山县')",
            "INSERT INTO org_unit (id, parent_id, kind, name) VALUES (2, 1, 'township', '东湖镇'), \
             (3, 2, 'department', '东湖派出所')",
            "INSERT INTO petition (id, tracking_code, query_secret_hash, channel, kind, state, has_decision, \
             township_id, department_id, subject, content, received_at, registered_at, updated_at) VALUES \
             (1, 'XF-1', 'h', 'letter', 'suggestion', 'registered', FALSE, 2, NULL, 's', 'c', \
              '2025-12-31T10:00:00Z', '2025-12-31T15:59:59Z', '2025-12-31T15:59:59Z'), \
             (2, 'XF-2', 'h', 'letter', 'suggestion', 'declined', FALSE, 2, NULL, 's', 'c', \
              '2025-12-31T10:00:00Z', '2025-12-31T16:00:00Z', '2026-01-02T02:00:00Z'), \
             (3, 'XF-3', 'h', 'visit', 'request_complaint', 'in_handling', TRUE, 2, 3, 's', 'c', \
              '2026-01-05T01:00:00Z', '2026-01-05T02:00:00Z', '2026-01-12T02:00:00Z'), \
             (4, 'XF-4', 'h', 'online', 'suggestion', 'submitted', FALSE, 2, NULL, 's', 'c', \
              '2026-01-05T01:00:00Z', NULL, '2026-01-05T01:00:00Z')",
            "INSERT INTO petition_event (petition_id, at, step, from_state, to_state, public) VALUES \
             (2, '2026-01-02T02:00:00Z', 'decline', 'registered', 'declined', TRUE), \
             (3, '2026-01-06T02:00:00Z', 'assign', 'registered', 'assigned', TRUE), \
             (3, '2026-01-07T02:00:00Z', 'return', 'assigned', 'registered', TRUE), \
             (3, '2026-01-08T02:00:00Z', 'assign', 'registered', 'assigned', TRUE), \
             (3, '2026-01-10T02:00:00Z', 'record_decision', 'in_handling', 'in_handling', FALSE), \
             (3, '2026-01-12T02:00:00Z', 'record_decision', 'in_handling', 'in_handling', FALSE)",
        ] {
            exec(&db, sql)
                .await
                .unwrap_or_else(|e| panic!("{label}: {e}: {sql}"));
        }
        db.migrate().await.expect("migrate");

        let at = |d: u32| Utc.with_ymd_and_hms(2026, 1, d, 2, 0, 0).unwrap();
        let n = |kind, year, number| DocumentNumber { kind, year, number };
        let expected = [
            (
                1,
                ReceiptNotice,
                Some((
                    n(ReceiptNotice, 2025, 1),
                    Utc.with_ymd_and_hms(2025, 12, 31, 15, 59, 59).unwrap(),
                )),
            ),
            (
                2,
                ReceiptNotice,
                Some((
                    n(ReceiptNotice, 2026, 1),
                    Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap(),
                )),
            ),
            (3, ReceiptNotice, Some((n(ReceiptNotice, 2026, 2), at(5)))),
            (4, ReceiptNotice, None),
            (2, DeclineNotice, Some((n(DeclineNotice, 2026, 1), at(2)))),
            (3, DeclineNotice, None),
            (3, Assignment, Some((n(Assignment, 2026, 1), at(8)))),
            (3, Decision, Some((n(Decision, 2026, 1), at(10)))),
        ];
        for (id, kind, want) in expected {
            assert_eq!(
                db.document_number(id, kind).await.unwrap(),
                want,
                "{label}: {id} {kind:?}"
            );
        }
        // The counters go on from the numbers given.
        let next = number(&db, 4, 2, ReceiptNotice, at(20)).await;
        assert_eq!(next, "信受〔2026〕3号", "{label}");
    }
}
