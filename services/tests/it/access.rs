//! Logging in, sessions and the access policy, on both engines, with grants and places
//! read from a real database of two townships.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::Problem;
use domain::audit::{AuditAction, AuditFilter, AuditOutcome};
use domain::auth::{CurrentUser, Role, SessionKind};
use domain::org::OrgUnitKind;
use domain::policy::matrix::allowed_in_own_scope;
use domain::policy::{Action, Location, ResourceKind, allows};
use services::auth::{login, resolve_session};
use services::{Caller, ServiceError};
use storage::Database;
use storage::testing::{self, TestDb};

use crate::common::{PASSWORD, add_user, audit_log, log_in, public};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap()
}

/// One township's places: the township, a village, a grid of it, a department.
#[derive(Debug, Clone, Copy)]
struct Place {
    township: i64,
    village: i64,
    grid: i64,
    department: i64,
}

impl Place {
    fn unit_for(self, role: Role) -> i64 {
        match role.scope_kinds()[0] {
            OrgUnitKind::County | OrgUnitKind::Township => self.township,
            OrgUnitKind::Department => self.department,
            OrgUnitKind::Village => self.village,
            OrgUnitKind::Grid => self.grid,
        }
    }
}

/// The demo township (A) and a second one (B) in the same county.
async fn two_townships(db: &Database) -> (Place, Place) {
    db.seed_demo().await.expect("seed");
    let s = db.org_structure().await.unwrap().unwrap();
    let a = Place {
        township: s.township.id,
        village: s.villages[0].village.id,
        grid: s.villages[0].grids[0].id,
        department: s.departments[0].id,
    };
    let county = s.township.parent_id;
    let township = testing::create_org_unit(db, county, OrgUnitKind::Township, "西山乡", None)
        .await
        .unwrap();
    let village = testing::create_org_unit(db, Some(township), OrgUnitKind::Village, "上坪村", None)
        .await
        .unwrap();
    let grid = testing::create_org_unit(db, Some(village), OrgUnitKind::Grid, "第一网格", None)
        .await
        .unwrap();
    let department =
        testing::create_org_unit(db, Some(township), OrgUnitKind::Department, "西山派出所", None)
            .await
            .unwrap();
    (
        a,
        Place {
            township,
            village,
            grid,
            department,
        },
    )
}

async fn make_user(db: &Database, username: &str, role: Role, unit: i64) -> i64 {
    add_user(db, username, role, unit, t0()).await
}

async fn logged_in(db: &Database, username: &str) -> CurrentUser {
    let caller = log_in(db, public("10.0.0.9", t0()), username, PASSWORD).await;
    caller.user.expect("logged in")
}

/// A record in the place's grid, sent to its department, filed by `owner`.
async fn record_at(db: &Database, place: Place, owner: i64) -> Location {
    let mut location = db.org_location(place.grid).await.unwrap();
    location.departments = vec![place.department];
    location.owner = Some(owner);
    location
}

#[tokio::test]
async fn access_matrix_every_role_and_kind_in_own_and_foreign_scope() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let (a, b) = two_townships(&db).await;
        let stranger = make_user(&db, "stranger", Role::Clerk, b.township).await;
        for role in Role::ALL {
            let name = format!("u_{}", role.as_str());
            let id = make_user(&db, &name, role, a.unit_for(role)).await;
            let user = logged_in(&db, &name).await;
            let own = record_at(&db, a, id).await;
            let foreign = record_at(&db, b, stranger).await;
            for kind in ResourceKind::ALL {
                for action in [Action::Read, Action::Write] {
                    let want = allowed_in_own_scope(kind, action).contains(&role);
                    assert_eq!(
                        allows(&user, action, kind, &own),
                        want,
                        "{label}: {role:?} {action:?} {kind:?} in own scope"
                    );
                    assert!(
                        !allows(&user, action, kind, &foreign),
                        "{label}: {role:?} {action:?} {kind:?} in a foreign township"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn admins_manage_only_their_own_township_and_denials_are_logged() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let (a, b) = two_townships(&db).await;
        make_user(&db, "admin_a", Role::Admin, a.township).await;
        let officer_a = make_user(&db, "officer_a", Role::InfoOfficer, a.village).await;
        let officer_b = make_user(&db, "officer_b", Role::InfoOfficer, b.village).await;
        let admin = Caller {
            user: Some(logged_in(&db, "admin_a").await),
            ..public("10.0.0.1", t0())
        };

        let names: Vec<String> = services::users::list(&db, &admin)
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert!(names.contains(&"officer_a".to_owned()), "{label}: {names:?}");
        assert!(!names.contains(&"officer_b".to_owned()), "{label}: {names:?}");

        // Another township's account answers "not found", and the attempt is logged.
        let denied = services::users::set_disabled(&db, &admin, officer_b, true).await;
        assert!(
            matches!(denied, Err(ServiceError::NotFound)),
            "{label}: {denied:?}"
        );
        let log = audit_log(&db, AuditAction::DisableUser).await;
        assert_eq!(log.entries[0].outcome, AuditOutcome::Denied, "{label}");

        // Nor can an account be created on another township's unit.
        let form = services::users::NewUserForm {
            username: "newbie".into(),
            display_name: "新人".into(),
            role: "info_officer".into(),
            unit_id: b.village,
            password: PASSWORD.into(),
            ..Default::default()
        };
        let refused = services::users::create(&db, &admin, &form).await;
        assert!(
            matches!(refused, Err(ServiceError::Invalid(ref e)) if e.problem == Problem::UnknownValue),
            "{label}: {refused:?}"
        );
        services::users::set_disabled(&db, &admin, officer_a, true)
            .await
            .unwrap();

        // A clerk is not an admin: the audit log and the accounts are not theirs.
        make_user(&db, "clerk_a", Role::Clerk, a.township).await;
        let clerk = Caller {
            user: Some(logged_in(&db, "clerk_a").await),
            ..public("10.0.0.2", t0())
        };
        let audit = services::audit::search(&db, &clerk, &AuditFilter::default(), 1).await;
        assert!(matches!(audit, Err(ServiceError::NotFound)), "{label}");
        let listed = services::users::list(&db, &clerk).await.unwrap();
        assert_eq!(listed.len(), 1, "{label}: a clerk sees only their own account");
        let admin_view = services::audit::search(&db, &admin, &AuditFilter::default(), 1)
            .await
            .unwrap();
        assert!(admin_view.total >= 3, "{label}");
    }
}

/// A burst of guesses sent at once must not all slip past the check before any of
/// them is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_count_against_each_other() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let (a, _) = two_townships(&db).await;
        make_user(&db, "clerk_a", Role::Clerk, a.township).await;
        let guesses = (0..12).map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let caller = public("10.0.0.9", t0() + Duration::milliseconds(i));
                login(&db, &caller, "clerk_a", "wrong password!").await
            })
        });
        let mut checked = 0;
        for guess in guesses.collect::<Vec<_>>() {
            match guess.await.unwrap() {
                Err(ServiceError::LoginFailed) => checked += 1,
                Err(ServiceError::Throttled(_)) => {}
                other => panic!("{label}: {other:?}"),
            }
        }
        assert!(checked <= 5, "{label}: {checked} guesses were checked");
        // Refused guesses were never checked and do not count; five checked failures
        // make even the right password wait.
        let right = login(
            &db,
            &public("10.0.0.10", t0() + Duration::seconds(1)),
            "clerk_a",
            PASSWORD,
        )
        .await;
        let waits = matches!(right, Err(ServiceError::Throttled(_)));
        assert_eq!(waits, checked == 5, "{label}: {checked} checked, then {right:?}");
    }
}

#[tokio::test]
async fn login_is_throttled_the_same_for_unknown_and_known_names() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let (a, _) = two_townships(&db).await;
        make_user(&db, "clerk_a", Role::Clerk, a.township).await;
        for name in ["clerk_a", "nobody_here"] {
            for i in 0..5 {
                let now = t0() + Duration::seconds(i);
                let r = login(&db, &public("10.0.0.3", now), name, "wrong password!").await;
                assert!(
                    matches!(r, Err(ServiceError::LoginFailed)),
                    "{label} {name}: {r:?}"
                );
            }
            // The sixth try, even with the right password, must wait.
            let sixth = login(
                &db,
                &public("10.0.0.3", t0() + Duration::seconds(6)),
                name,
                PASSWORD,
            )
            .await;
            let Err(ServiceError::Throttled(wait)) = sixth else {
                panic!("{label} {name}: {sixth:?}");
            };
            assert!((50..=60).contains(&wait), "{label}: {wait}");
        }
        // After the wait, the right password works and clears the count.
        let later = public("10.0.0.4", t0() + Duration::minutes(2));
        assert!(login(&db, &later, "clerk_a", PASSWORD).await.is_ok(), "{label}");
        let log = audit_log(&db, AuditAction::Login).await;
        let failed = log
            .entries
            .iter()
            .filter(|e| e.outcome == AuditOutcome::Failed)
            .count();
        let denied = log
            .entries
            .iter()
            .filter(|e| e.outcome == AuditOutcome::Denied)
            .count();
        assert_eq!((failed, denied), (10, 2), "{label}");
        assert!(log.entries.iter().all(|e| e.address.is_some()), "{label}");
    }
}

#[tokio::test]
async fn sessions_expire_by_kind_and_end_on_revocation() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let (a, _) = two_townships(&db).await;
        make_user(&db, "clerk_a", Role::Clerk, a.township).await;
        let officer = make_user(&db, "officer_a", Role::InfoOfficer, a.village).await;

        let office = login(&db, &public("10.0.0.5", t0()), "clerk_a", PASSWORD)
            .await
            .unwrap();
        assert_eq!(office.kind, SessionKind::Office);
        let at = |minutes: i64| t0() + Duration::minutes(minutes);
        assert!(
            resolve_session(&db, &office.token, at(29))
                .await
                .unwrap()
                .is_some(),
            "{label}"
        );
        // Idle 30 minutes after the last contact (at minute 29): gone.
        assert!(
            resolve_session(&db, &office.token, at(59))
                .await
                .unwrap()
                .is_none(),
            "{label}"
        );
        assert!(
            resolve_session(&db, &office.token, at(60))
                .await
                .unwrap()
                .is_none(),
            "{label}"
        );

        let field = login(&db, &public("10.0.0.6", t0()), "officer_a", PASSWORD)
            .await
            .unwrap();
        assert_eq!(field.kind, SessionKind::Field);
        let day = |d: i64| t0() + Duration::days(d);
        assert!(
            resolve_session(&db, &field.token, day(29))
                .await
                .unwrap()
                .is_some(),
            "{label}"
        );
        assert!(
            resolve_session(&db, &field.token, day(58))
                .await
                .unwrap()
                .is_some(),
            "{label}"
        );
        // Lost phone: the admin ends the sessions; the token is dead at once.
        let mut tx = db.begin().await.unwrap();
        tx.delete_sessions_of(officer).await.unwrap();
        tx.audit(&testing::setup_entry(AuditAction::RevokeSessions))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            resolve_session(&db, &field.token, day(58))
                .await
                .unwrap()
                .is_none(),
            "{label}"
        );
        // A forged or malformed token is simply not a session.
        assert!(resolve_session(&db, "not-a-token", t0()).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn admins_add_units_only_inside_their_township() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let (a, b) = two_townships(&db).await;
        make_user(&db, "admin_a", Role::Admin, a.township).await;
        let admin = Caller {
            user: Some(logged_in(&db, "admin_a").await),
            ..public("10.0.0.1", t0())
        };
        let village = services::org::create_unit(&db, &admin, a.township, "village", "红旗村", "")
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        services::org::create_unit(&db, &admin, village, "grid", "第一网格", "")
            .await
            .unwrap();
        let again = services::org::create_unit(&db, &admin, a.township, "village", "红旗村", "").await;
        assert!(
            matches!(again, Err(ServiceError::Invalid(ref e)) if e.problem == Problem::Duplicate),
            "{label}: {again:?}"
        );
        // A grid directly under a township breaks the tree's rules.
        let misplaced = services::org::create_unit(&db, &admin, a.township, "grid", "第九网格", "").await;
        assert!(
            matches!(misplaced, Err(ServiceError::Invalid(ref e)) if e.problem == Problem::WrongParent),
            "{label}: {misplaced:?}"
        );
        // Another township is out of reach, and the attempt is logged.
        let foreign = services::org::create_unit(&db, &admin, b.township, "village", "越界村", "").await;
        assert!(
            matches!(foreign, Err(ServiceError::Invalid(ref e)) if e.field == "parent"),
            "{label}"
        );
        let denied = audit_log(&db, AuditAction::CreateOrgUnit).await;
        // The set-up's own units are logged too, by no one.
        let outcomes: Vec<AuditOutcome> = denied
            .entries
            .iter()
            .filter(|e| e.user_id.is_some())
            .map(|e| e.outcome)
            .collect();
        assert_eq!(
            outcomes,
            [AuditOutcome::Denied, AuditOutcome::Ok, AuditOutcome::Ok],
            "{label}"
        );
    }
}
