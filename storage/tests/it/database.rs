//! The storage suite: every case runs against SQLite and PostgreSQL.

use domain::audit::{AuditAction, AuditFilter, AuditOutcome, NewAuditEntry};
use domain::org::OrgUnitKind;
use domain::{FieldError, Problem};
use storage::testing;
use storage::{AuditScope, Database, Engine, StorageError};

use crate::common::exec;

#[tokio::test]
async fn migrations_run_on_an_empty_database_and_again_without_change() {
    for t in testing::all().await {
        t.db.migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", t.label));
        t.db.migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: second run: {e}", t.label));
        t.db.ping().await.unwrap();
        assert_eq!(t.db.township_overview().await.unwrap(), None, "{}", t.label);
    }
}

#[tokio::test]
async fn sqlite_is_opened_durable_and_strict() {
    let t = testing::sqlite().await;
    let Database::Sqlite(pool) = &t.db else {
        unreachable!()
    };
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .unwrap();
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    assert_eq!(synchronous, 2, "synchronous=FULL");
    assert_eq!(foreign_keys, 1);
    assert!(busy >= 5000, "busy timeout {busy}");
    assert_eq!(t.db.engine(), Engine::Sqlite);
}

#[tokio::test]
async fn an_unknown_url_is_refused_with_a_clear_error() {
    let err = Database::connect("mysql://localhost/x").await.unwrap_err();
    assert!(matches!(err, StorageError::UnsupportedUrl(_)), "{err}");
}

#[tokio::test]
async fn org_units_nest_by_the_rules_of_the_tree() {
    for t in testing::all_migrated().await {
        let db = &t.db;
        let county = testing::create_org_unit(db, None, OrgUnitKind::County, "青山县", None)
            .await
            .unwrap();
        let township =
            testing::create_org_unit(db, Some(county), OrgUnitKind::Township, " 东湖镇 ", Some("DH"))
                .await
                .unwrap();
        let village = testing::create_org_unit(db, Some(township), OrgUnitKind::Village, "东湖村", None)
            .await
            .unwrap();

        let unit = db.org_unit(township).await.unwrap().unwrap();
        assert_eq!(
            (unit.name.as_str(), unit.code.as_deref(), unit.parent_id),
            ("东湖镇", Some("DH"), Some(county))
        );

        // A grid cannot hang under a township, nor under a unit that does not exist.
        let wrong = testing::create_org_unit(db, Some(township), OrgUnitKind::Grid, "第一网格", None).await;
        assert!(
            matches!(wrong, Err(StorageError::Invalid(ref e)) if *e == FieldError::new("parent", Problem::WrongParent)),
            "{}: {wrong:?}",
            t.label
        );
        let missing =
            testing::create_org_unit(db, Some(9_999_999), OrgUnitKind::Grid, "第一网格", None).await;
        assert!(
            matches!(missing, Err(StorageError::Invalid(_))),
            "{}: {missing:?}",
            t.label
        );

        // The same name twice under one parent is refused by the database itself, and
        // said as a duplicate name.
        let twice = testing::create_org_unit(db, Some(township), OrgUnitKind::Village, "东湖村", None).await;
        assert!(
            matches!(twice, Err(StorageError::Invalid(ref e)) if e.field == "name" && e.problem == domain::Problem::Duplicate),
            "{}: {twice:?}",
            t.label
        );

        let children = db.org_children(Some(township)).await.unwrap();
        assert_eq!(children.iter().map(|u| u.id).collect::<Vec<_>>(), vec![village]);
        let roots = db.org_children(None).await.unwrap();
        assert_eq!(roots.iter().map(|u| u.id).collect::<Vec<_>>(), vec![county]);
    }
}

#[tokio::test]
async fn the_demo_township_is_seeded_once() {
    for t in testing::all_migrated().await {
        let first = t.db.seed_demo().await.unwrap();
        assert!(first.created, "{}", t.label);
        let second = t.db.seed_demo().await.unwrap();
        assert!(!second.created, "{}", t.label);
        let overview = t.db.township_overview().await.unwrap().unwrap();
        assert_eq!(overview.township, "东湖镇");
        assert_eq!(
            (overview.villages, overview.grids, overview.departments),
            (12, 26, 5),
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn a_backup_is_a_consistent_copy_that_holds_the_data() {
    for t in testing::all_migrated().await {
        t.db.seed_demo().await.unwrap();
        let dir = testing::temp_dir();
        let out = dir.0.join("backup").join("minqing-backup.db");
        t.db.backup(&out)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", t.label));
        assert!(out.metadata().unwrap().len() > 0);
        // A second backup to the same file is refused rather than overwriting it.
        assert!(matches!(t.db.backup(&out).await, Err(StorageError::Backup(_))));

        let restored = match t.db.engine() {
            Engine::Sqlite => Database::connect(&format!("sqlite://{}", out.display()))
                .await
                .unwrap(),
            Engine::Postgres => {
                let admin = std::env::var("MINQING_TEST_PG_URL").unwrap();
                let url = testing::create_pg_database(&admin).await;
                let status = std::process::Command::new("pg_restore")
                    .args(["--no-owner", "--dbname", &url])
                    .arg(&out)
                    .status()
                    .expect("run pg_restore");
                assert!(status.success(), "pg_restore failed");
                Database::connect(&url).await.unwrap()
            }
        };
        let overview = restored.township_overview().await.unwrap().unwrap();
        assert_eq!(
            (overview.township.as_str(), overview.villages),
            ("东湖镇", 12),
            "{}",
            t.label
        );
        // The copy is already migrated: running migrations again finds nothing to do.
        restored.migrate().await.unwrap();
        restored.close().await;
    }
}

#[tokio::test]
async fn the_org_structure_lists_villages_with_their_grids_and_the_departments() {
    for t in testing::all_migrated().await {
        assert_eq!(t.db.org_structure().await.unwrap(), None, "{}", t.label);
        t.db.seed_demo().await.unwrap();
        let s = t.db.org_structure().await.unwrap().unwrap();
        assert_eq!(s.township.name, "东湖镇");
        assert_eq!(s.villages.len(), 12, "{}", t.label);
        assert_eq!(s.departments.len(), 5, "{}", t.label);
        let community = s.villages.iter().find(|v| v.village.name == "新华社区").unwrap();
        // Grids keep the order they were created in (第一, 第二, 第三), not code-point order.
        let names: Vec<&str> = community.grids.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["第一网格", "第二网格", "第三网格"], "{}", t.label);
        assert!(
            s.villages
                .iter()
                .all(|v| v.grids.iter().all(|g| g.parent_id == Some(v.village.id)))
        );
        assert_eq!(s.villages.iter().map(|v| v.grids.len()).sum::<usize>(), 26);
    }
}

#[tokio::test]
async fn the_audit_log_cannot_be_replaced_on_sqlite() {
    let t = testing::sqlite().await;
    t.db.migrate().await.unwrap();
    let entry = NewAuditEntry::new(chrono::Utc::now(), AuditAction::Login, AuditOutcome::Ok);
    t.db.append_audit(&entry).await.unwrap();
    // REPLACE deletes the old row without the delete trigger (recursive_triggers is off).
    let replaced = exec(
        &t.db,
        "INSERT OR REPLACE INTO audit_log (id, at, action, outcome) VALUES (1, '2026-01-01', 'forged', 'ok')",
    )
    .await;
    assert!(replaced.is_err_and(|e| e.to_string().contains("append-only")));
    assert!(
        exec(&t.db, "UPDATE audit_log SET action = 'forged'")
            .await
            .is_err()
    );
    let page =
        t.db.audit_entries(&AuditFilter::default(), &AuditScope::All, 0, None)
            .await
            .unwrap();
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].action, "login");
}

/// The deployment the README describes: the schema belongs to an owner role that
/// migrates; the server runs as a role that may read and write the data but can neither
/// change nor remove an audit entry, nor the triggers that guard them.
#[tokio::test]
async fn on_postgresql_the_app_runs_under_a_role_that_cannot_touch_the_audit_log() {
    let Some(url) = testing::postgres_url().await else {
        return;
    };
    let owner = Database::connect(&url).await.unwrap();
    owner.migrate().await.unwrap();
    let role = format!("minqing_app_{}", uuid::Uuid::new_v4().simple());
    for sql in [
        format!("CREATE ROLE {role} LOGIN"),
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
        format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {role}"),
    ] {
        exec(&owner, &sql).await.unwrap();
    }
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (scheme, _) = scheme_user.rsplit_once('/').unwrap();
    let app = Database::connect(&format!("{scheme}/{role}@{rest}"))
        .await
        .unwrap();
    // Starting the server migrates: with nothing to do it needs no DDL.
    app.migrate().await.unwrap();
    app.seed_demo().await.unwrap();
    let entry = NewAuditEntry::new(chrono::Utc::now(), AuditAction::Login, AuditOutcome::Ok);
    app.append_audit(&entry).await.unwrap();
    for forbidden in [
        "UPDATE audit_log SET action = 'forged'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "DROP TRIGGER audit_log_guard ON audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "ALTER TABLE audit_log ADD COLUMN forged TEXT",
        "DROP TABLE audit_log",
    ] {
        assert!(exec(&app, forbidden).await.is_err(), "{forbidden} was allowed");
    }
    app.close().await;
    let _ = exec(&owner, &format!("DROP OWNED BY {role}")).await;
    owner.close().await;
}
