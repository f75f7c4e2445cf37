//! Accounts, sessions, login failures and the audit log, on both engines.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::Problem;
use domain::audit::{AuditAction, AuditFilter, AuditOutcome, NewAuditEntry};
use domain::auth::{Role, SessionKind};
use storage::testing::{self, TestDb};
use storage::{AuditScope, NewSession, StorageError};

use crate::common::{Demo, demo, exec, user};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap()
}

#[tokio::test]
async fn accounts_keep_unique_names_and_roles_on_the_right_units() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let Demo {
            township,
            village,
            grid,
            ..
        } = demo(&db).await;
        let id = testing::create_user(&db, &user("wangfang", Role::Clerk, township), "hash", t0())
            .await
            .expect("create");

        let taken = testing::create_user(&db, &user("wangfang", Role::Clerk, township), "h", t0()).await;
        assert!(
            matches!(taken, Err(StorageError::Invalid(ref e)) if e.problem == Problem::UsernameTaken),
            "{label}: {taken:?}"
        );
        // A grid worker belongs to a grid, not a village; nothing is half-created.
        let wrong = testing::create_user(&db, &user("liuyang", Role::GridWorker, village), "h", t0()).await;
        assert!(
            matches!(wrong, Err(StorageError::Invalid(ref e)) if e.problem == Problem::WrongScope),
            "{label}"
        );
        assert!(db.credentials("liuyang").await.unwrap().is_none(), "{label}");

        let grid_worker = testing::create_user(&db, &user("liuyang", Role::GridWorker, grid), "h", t0())
            .await
            .expect("grid worker");
        let grants = db.grants(grid_worker).await.unwrap();
        assert_eq!(grants.len(), 1);
        // Root first: county, township, village, grid.
        assert_eq!(grants[0].unit_path[1..], [township, village, grid], "{label}");
        assert_eq!(grants[0].township_id, Some(township));

        let c = db.credentials("wangfang").await.unwrap().expect("credentials");
        assert_eq!(
            (c.user_id, c.password_hash.as_str(), c.disabled),
            (id, "hash", false)
        );
        let listed = db.users().await.unwrap();
        assert_eq!(listed.len(), 2, "{label}");
    }
}

#[tokio::test]
async fn sessions_end_when_revoked_disabled_or_the_password_is_reset() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let village = demo(&db).await.village;
        let id = testing::create_user(&db, &user("zhangxiuying", Role::InfoOfficer, village), "h", t0())
            .await
            .unwrap();
        let open = |hash: &'static str| {
            let db = db.clone();
            async move {
                let mut tx = db.begin().await.unwrap();
                tx.create_session(&NewSession {
                    token_hash: hash,
                    user_id: id,
                    kind: SessionKind::Field,
                    now: t0(),
                    address: Some("10.0.0.1"),
                    user_agent: Some("phone"),
                })
                .await
                .unwrap();
                tx.audit(&testing::setup_entry(AuditAction::Login)).await.unwrap();
                tx.commit().await.unwrap();
            }
        };
        open("phone").await;
        open("tablet").await;
        let s = db.session("phone").await.unwrap().expect("session");
        assert_eq!(
            (s.user_id, s.kind, s.created_at),
            (id, SessionKind::Field, t0()),
            "{label}"
        );
        db.touch_session("phone", t0() + Duration::days(3)).await.unwrap();
        assert_eq!(
            db.session("phone").await.unwrap().unwrap().last_seen_at,
            t0() + Duration::days(3),
            "{label}"
        );

        // Changing one's own password keeps this session and ends the others.
        let mut tx = db.begin().await.unwrap();
        tx.set_password_hash(id, "h2", t0(), Some("phone")).await.unwrap();
        tx.audit(&testing::setup_entry(AuditAction::ChangePassword))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(db.session("phone").await.unwrap().is_some(), "{label}");
        assert!(db.session("tablet").await.unwrap().is_none(), "{label}");

        // Disabling ends every session at once.
        open("tablet").await;
        let mut tx = db.begin().await.unwrap();
        tx.set_user_disabled(id, true).await.unwrap();
        tx.audit(&testing::setup_entry(AuditAction::DisableUser))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(db.session("phone").await.unwrap().is_none(), "{label}");
        assert!(db.session("tablet").await.unwrap().is_none(), "{label}");
        assert!(db.credentials("zhangxiuying").await.unwrap().unwrap().disabled);

        let mut tx = db.begin().await.unwrap();
        tx.set_user_disabled(id, false).await.unwrap();
        tx.audit(&testing::setup_entry(AuditAction::EnableUser))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        open("phone").await;
        let mut tx = db.begin().await.unwrap();
        assert_eq!(tx.delete_sessions_of(id).await.unwrap(), 1, "{label}");
        // A write without its audit entry is refused, and with it the write.
        assert!(
            matches!(tx.commit().await, Err(StorageError::Unaudited)),
            "{label}"
        );
        let mut tx = db.begin().await.unwrap();
        assert_eq!(tx.delete_sessions_of(id).await.unwrap(), 1, "{label}");
        tx.audit(&testing::setup_entry(AuditAction::RevokeSessions))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(db.session("phone").await.unwrap().is_none(), "{label}");
    }
}

#[tokio::test]
async fn login_attempts_are_counted_per_key_and_cleared() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let mut ids = Vec::new();
        for minute in 0..3 {
            ids.push(
                db.record_login_attempt("user:a", t0() + Duration::minutes(minute))
                    .await
                    .unwrap(),
            );
        }
        let other = db.record_login_attempt("user:b", t0()).await.unwrap();
        let since = t0() - Duration::hours(1);
        // The attempt being judged does not count against itself.
        assert_eq!(
            db.login_failures("user:a", since, ids[2]).await.unwrap().len(),
            2,
            "{label}"
        );
        assert_eq!(db.login_failures("user:a", since, other).await.unwrap().len(), 3);
        assert_eq!(
            db.login_failures("user:a", t0() + Duration::seconds(30), other)
                .await
                .unwrap()
                .len(),
            2
        );
        db.forget_login_attempt(ids[0]).await.unwrap();
        assert_eq!(db.login_failures("user:a", since, other).await.unwrap().len(), 2);
        db.clear_login_failures("user:a", t0() - Duration::days(1))
            .await
            .unwrap();
        assert!(
            db.login_failures("user:a", since, other)
                .await
                .unwrap()
                .is_empty(),
            "{label}"
        );
        assert_eq!(
            db.login_failures("user:b", since, -1).await.unwrap().len(),
            1,
            "{label}"
        );
    }
}

fn entry(at: DateTime<Utc>, username: &str, action: AuditAction, township: Option<i64>) -> NewAuditEntry {
    let mut e = NewAuditEntry::new(at, action, AuditOutcome::Ok);
    e.username = Some(username.into());
    e.township_id = township;
    e.record_kind = Some("user_account".into());
    e.record_id = Some("7".into());
    e
}

#[tokio::test]
async fn the_audit_log_is_searchable_scoped_and_append_only() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let township = demo(&db).await.township;
        let now = Utc::now();
        db.append_audit(&entry(now, "admin", AuditAction::CreateUser, Some(township)))
            .await
            .unwrap();
        db.append_audit(&entry(now, "clerk", AuditAction::Login, Some(township)))
            .await
            .unwrap();
        db.append_audit(&entry(now, "stranger", AuditAction::Login, None))
            .await
            .unwrap();
        let old = now - Duration::days(200);
        db.append_audit(&entry(old, "admin", AuditAction::Login, Some(township)))
            .await
            .unwrap();

        let mine = AuditScope::Townships(vec![township]);
        let all = db
            .audit_entries(&AuditFilter::default(), &mine, 0, None)
            .await
            .unwrap();
        assert_eq!(all.total, 3, "{label}: only the township's entries");
        assert_eq!(
            all.entries[0].at.timestamp(),
            now.timestamp(),
            "{label}: newest first"
        );
        let everything = db
            .audit_entries(&AuditFilter::default(), &AuditScope::All, 0, Some(2))
            .await
            .unwrap();
        assert_eq!((everything.total, everything.entries.len()), (4, 2), "{label}");

        let by_user = AuditFilter {
            username: Some(" Admin ".into()),
            ..AuditFilter::default()
        };
        assert_eq!(
            db.audit_entries(&by_user, &mine, 0, None).await.unwrap().total,
            2,
            "{label}"
        );
        let by_action = AuditFilter {
            action: Some(AuditAction::CreateUser),
            record: Some("user_account:7".into()),
            ..AuditFilter::default()
        };
        assert_eq!(
            db.audit_entries(&by_action, &mine, 0, None).await.unwrap().total,
            1,
            "{label}"
        );
        let recent = AuditFilter {
            from: Some((now - Duration::days(1)).date_naive()),
            ..AuditFilter::default()
        };
        assert_eq!(
            db.audit_entries(&recent, &mine, 0, None).await.unwrap().total,
            2,
            "{label}"
        );

        // Nobody edits an entry, nor deletes one younger than 180 days; older ones may go.
        let update = exec(&db, "UPDATE audit_log SET username = 'x'").await;
        assert!(update.is_err(), "{label}: update must be refused");
        let delete_new = exec(&db, "DELETE FROM audit_log WHERE username = 'clerk'").await;
        assert!(
            delete_new.is_err(),
            "{label}: deleting a fresh entry must be refused"
        );
        let delete_old = exec(
            &db,
            "DELETE FROM audit_log WHERE username = 'admin' AND action = 'login'",
        )
        .await;
        assert!(delete_old.is_ok(), "{label}: {delete_old:?}");
        let left = db
            .audit_entries(&AuditFilter::default(), &AuditScope::All, 0, None)
            .await
            .unwrap();
        assert_eq!(left.total, 3, "{label}");
    }
}
