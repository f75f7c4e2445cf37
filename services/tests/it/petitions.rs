//! A petition from the public form to an evaluated reply, on both engines, with the
//! checks a real office needs: scope, the lifecycle's rules, the audit of identity
//! reads, the form's challenge and limits, and a tracking page that reveals nothing.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::Problem;
use domain::audit::AuditAction;
use domain::auth::CurrentUser;
use domain::handling::StepForm;
use domain::intake::PetitionForm;
use domain::petition::{PetitionState, Refusal, Step};
use domain::registry::RegistryFilter;
use services::demo::seed_demo_users;
use services::petition::{self, Upload};
use services::{Caller, ServiceError};
use storage::Database;
use storage::testing::{self, TestDb};

use crate::common::{answered, audit_count, audit_log, public, staff};

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap()
}

fn at(c: &Caller, later: Duration) -> Caller {
    Caller {
        now: c.now + later,
        ..c.clone()
    }
}

pub(crate) struct Demo {
    pub village: i64,
    pub department: i64,
    pub other_department: i64,
}

pub(crate) async fn demo(db: &Database) -> Demo {
    db.seed_demo().await.expect("seed");
    seed_demo_users(db, t0()).await.expect("users");
    let s = db.org_structure().await.unwrap().unwrap();
    Demo {
        village: s.villages[0].village.id,
        department: s.departments[0].id,
        other_department: s.departments[1].id,
    }
}

pub(crate) fn form(village: i64) -> PetitionForm {
    PetitionForm {
        kind: "request_complaint".into(),
        village_id: village.to_string(),
        subject: "村道损坏".into(),
        content: "<script>alert(1)</script> 三组村道塌陷。".into(),
        name: "张秀英".into(),
        resident_id: "11010519491231002X".into(),
        phone: "13800138000".into(),
        consent: "on".into(),
        ..PetitionForm::default()
    }
}

fn jpeg_with_gps() -> Vec<u8> {
    let mut f = vec![0xFF, 0xD8];
    let exif = b"Exif\0\0GPS-31.2304N-121.4737E";
    f.extend([0xFF, 0xE1, 0, u8::try_from(exif.len() + 2).unwrap()]);
    f.extend(exif);
    // A minimal frame: quantisation table, frame header, scan header, data, end.
    f.extend([0xFF, 0xDB, 0, 67, 0]);
    f.extend([1_u8; 64]);
    f.extend([0xFF, 0xC0, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
    f.extend([0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0]);
    f.extend([0x12, 0x34, 0xFF, 0xD9]);
    f
}

#[tokio::test]
async fn from_the_public_form_to_an_evaluated_reply() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let citizen = public("203.0.113.5", t0() + Duration::minutes(1));
        let answer = answered(&db, t0()).await;
        let upload = Upload {
            file_name: "门口.jpg".into(),
            bytes: jpeg_with_gps(),
            too_large: false,
        };
        let receipt = petition::submit_online(
            &db,
            &citizen,
            &form(d.village),
            std::slice::from_ref(&upload),
            &answer,
        )
        .await
        .unwrap();
        assert!(receipt.tracking_code.starts_with("XF-20261123-"), "{label}");
        // The same form sent again (a lost answer) is the same petition and password.
        let again = petition::submit_online(&db, &citizen, &form(d.village), &[upload], &answer)
            .await
            .unwrap();
        assert_eq!(again, receipt, "{label}");
        // Filed once, audited once: the resend wrote nothing.
        assert_eq!(audit_count(&db, AuditAction::FilePetition).await, 1, "{label}");

        let clerk = staff(&db, "clerk", t0()).await;
        let handler = staff(&db, "handler", t0()).await;
        let page = petition::registry(&db, &clerk, &RegistryFilter::default())
            .await
            .unwrap();
        assert_eq!(page.total, Some(1), "{label}");
        let id = page.rows[0].id;
        let view = petition::view(&db, &clerk, id).await.unwrap();
        assert_eq!(view.detail.summary.state, PetitionState::Submitted);
        // The attachment lost its GPS position on the way in.
        let (_, _, bytes) = petition::attachment(&db, &clerk, view.detail.attachments[0].id)
            .await
            .unwrap();
        assert!(!bytes.windows(3).any(|w| w == b"GPS"), "{label}");
        assert!(view.open_steps.contains(&Step::Register), "{label}");

        // The handler cannot see it before it is assigned to their department.
        assert!(
            matches!(
                petition::view(&db, &handler, id).await,
                Err(ServiceError::NotFound)
            ),
            "{label}"
        );

        let empty = StepForm::default();
        petition::take_step(&db, &clerk, id, Step::Register, &empty)
            .await
            .unwrap();
        // Registering twice is refused by the lifecycle.
        let twice = petition::take_step(&db, &clerk, id, Step::Register, &empty).await;
        assert!(
            matches!(twice, Err(ServiceError::Refused(Refusal::NotAllowedInState))),
            "{label}"
        );
        // Assigning to a department that is not one must fail on the field.
        let bogus = StepForm {
            department_id: d.village.to_string(),
            ..StepForm::default()
        };
        let wrong = petition::take_step(&db, &clerk, id, Step::Assign, &bogus).await;
        assert!(
            matches!(wrong, Err(ServiceError::Form(ref e)) if e[0].field == "department_id"),
            "{label}"
        );
        let assign = StepForm {
            department_id: d.department.to_string(),
            ..StepForm::default()
        };
        petition::take_step(&db, &clerk, id, Step::Assign, &assign)
            .await
            .unwrap();

        // Now the handler sees it, but not who filed it.
        let seen = petition::view(&db, &handler, id).await.unwrap();
        assert!(!seen.may_read_identity, "{label}");
        assert!(matches!(
            petition::identity(&db, &handler, id).await,
            Err(ServiceError::NotFound)
        ));
        // The department accepts, handles and decides; a reply needs the decision first.
        petition::take_step(&db, &handler, id, Step::Accept, &empty)
            .await
            .unwrap();
        petition::take_step(&db, &handler, id, Step::StartHandling, &empty)
            .await
            .unwrap();
        let no_decision = petition::take_step(&db, &handler, id, Step::Reply, &reply_form()).await;
        assert!(
            matches!(no_decision, Err(ServiceError::Refused(Refusal::NoDecision))),
            "{label}"
        );
        petition::take_step(&db, &handler, id, Step::RecordDecision, &decision_form())
            .await
            .unwrap();
        petition::take_step(
            &db,
            &at(&clerk, Duration::hours(2)),
            id,
            Step::Reply,
            &reply_form(),
        )
        .await
        .unwrap();

        // The clerk reads the identity, and that read is in the audit log.
        let who = petition::identity(&db, &clerk, id).await.unwrap();
        assert_eq!(who.petitioner.resident_id.as_deref(), Some("11010519491231002X"));
        let reads = audit_log(&db, AuditAction::ReadIdentity).await;
        assert_eq!(reads.total, 1, "{label}");

        // The petitioner sees the reply, nothing internal, and rates it.
        let status = petition::track(
            &db,
            &citizen,
            &receipt.tracking_code.to_lowercase(),
            &receipt.query_password,
        )
        .await
        .unwrap();
        assert_eq!(status.state, PetitionState::Replied, "{label}");
        assert_eq!(status.reply.as_ref().unwrap().decision, "年内修复", "{label}");
        let shown = format!("{status:?}");
        for secret in ["陈志强", "王芳", "张秀英", "内部"] {
            assert!(
                !shown.contains(secret),
                "{label}: {secret} shown on the tracking page"
            );
        }
        let rating = StepForm {
            rating: "satisfied".into(),
            comment: "路修好了".into(),
            ..StepForm::default()
        };
        let rated = petition::evaluate(
            &db,
            &citizen,
            &receipt.tracking_code,
            &receipt.query_password,
            &rating,
        )
        .await
        .unwrap();
        assert_eq!(rated.state, PetitionState::Evaluated, "{label}");
        // The seven steps taken, each with its entry; the refused ones none.
        assert_eq!(audit_count(&db, AuditAction::PetitionStep).await, 7, "{label}");
        let again = petition::evaluate(
            &db,
            &citizen,
            &receipt.tracking_code,
            &receipt.query_password,
            &rating,
        )
        .await;
        assert!(matches!(again, Err(ServiceError::Refused(_))), "{label}");

        // A wrong password reveals nothing, and the same for an unknown code.
        let wrong = petition::track(&db, &citizen, &receipt.tracking_code, "AAAAAAAAAA").await;
        assert!(matches!(wrong, Err(ServiceError::TrackingFailed)), "{label}");
        let unknown = petition::track(&db, &citizen, "XF-20261123-9999", &receipt.query_password).await;
        assert!(matches!(unknown, Err(ServiceError::TrackingFailed)), "{label}");
    }
}

fn reply_form() -> StepForm {
    StepForm {
        delivered_on: "2026-11-23".into(),
        ..StepForm::default()
    }
}

pub(crate) fn decision_form() -> StepForm {
    StepForm {
        request: "修复村道".into(),
        facts_reasons: "经现场查看属实".into(),
        decision: "年内修复".into(),
        legal_basis: "《农村公路建设管理办法》".into(),
        outcome: "supported".into(),
        note: "内部：预算已落实".into(),
        ..StepForm::default()
    }
}

#[tokio::test]
async fn the_form_refuses_robots_and_floods_but_not_people() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let now = t0() + Duration::minutes(1);
        // Sent a second after loading: a script.
        let fast = answered(&db, now - Duration::seconds(1)).await;
        let r =
            petition::submit_online(&db, &public("198.51.100.1", now), &form(d.village), &[], &fast).await;
        assert!(
            matches!(r, Err(ServiceError::Form(ref e)) if e.iter().any(|e| e.field == "challenge")),
            "{label}"
        );
        // Every problem at once, the challenge's included, and nothing stored.
        let mut bad = form(d.village);
        bad.resident_id = "110105194912310021".into();
        let oversized = Upload {
            file_name: "big.pdf".into(),
            bytes: [b"%PDF-1.4".as_slice(), &vec![0_u8; 10 * 1024 * 1024]].concat(),
            too_large: false,
        };
        let r = petition::submit_online(&db, &public("198.51.100.1", now), &bad, &[oversized], &fast).await;
        let Err(ServiceError::Form(errors)) = r else {
            panic!("{label}: {r:?}")
        };
        let problems: Vec<(&str, Problem)> = errors.iter().map(|e| (e.field.as_str(), e.problem)).collect();
        assert_eq!(
            problems,
            [
                ("resident_id", Problem::BadResidentIdCheck),
                ("attachments", Problem::FileTooLarge),
                ("challenge", Problem::WrongAnswer)
            ],
            "{label}"
        );
        let clerk = staff(&db, "clerk", t0()).await;
        assert_eq!(
            petition::registry(&db, &clerk, &RegistryFilter::default())
                .await
                .unwrap()
                .total,
            Some(0)
        );

        // Ten honest forms from one address in an hour pass; the eleventh waits.
        for i in 0..petition::PER_ADDRESS_PER_HOUR {
            let mut f = form(d.village);
            f.phone = format!("1380013{i:04}");
            let a = answered(&db, now - Duration::minutes(2)).await;
            petition::submit_online(&db, &public("198.51.100.2", now), &f, &[], &a)
                .await
                .unwrap();
        }
        let a = answered(&db, now - Duration::minutes(2)).await;
        let r = petition::submit_online(&db, &public("198.51.100.2", now), &form(d.village), &[], &a).await;
        assert!(matches!(r, Err(ServiceError::RateLimited(_))), "{label}: {r:?}");
    }
}

#[tokio::test]
async fn a_used_form_key_never_files_a_second_form_under_the_first_ones_receipt() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let now = t0() + Duration::minutes(1);
        let answer = answered(&db, t0()).await;
        let first = petition::submit_online(&db, &public("203.0.113.7", now), &form(d.village), &[], &answer)
            .await
            .unwrap();
        // A second citizen at the same village PC, on the page restored from the cache:
        // the same token, other content.
        let mut other = form(d.village);
        other.name = "李四".into();
        other.resident_id = "440524198001010013".into();
        other.phone = "13900139000".into();
        other.subject = "水渠堵塞".into();
        let r = petition::submit_online(&db, &public("203.0.113.7", now), &other, &[], &answer).await;
        let Err(ServiceError::Form(errors)) = r else {
            panic!("{label}: {r:?}")
        };
        assert_eq!(
            errors
                .iter()
                .map(|e| (e.field.as_str(), e.problem))
                .collect::<Vec<_>>(),
            [("challenge", Problem::AlreadySent)],
            "{label}"
        );
        // With a fresh form it is filed as its own petition, with its own code.
        let fresh = answered(&db, t0()).await;
        let second = petition::submit_online(&db, &public("203.0.113.7", now), &other, &[], &fresh)
            .await
            .unwrap();
        assert_ne!(second.tracking_code, first.tracking_code, "{label}");
        assert_ne!(second.query_password, first.query_password, "{label}");
        // A double tap of the first form is still the first petition.
        let again = petition::submit_online(&db, &public("203.0.113.7", now), &form(d.village), &[], &answer)
            .await
            .unwrap();
        assert_eq!(again, first, "{label}");
        let clerk = staff(&db, "clerk", t0()).await;
        let page = petition::registry(&db, &clerk, &RegistryFilter::default())
            .await
            .unwrap();
        assert_eq!(page.total, Some(2), "{label}");
    }
}

#[tokio::test]
async fn full_width_digits_typed_on_a_phone_file_the_petition() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let now = t0() + Duration::minutes(1);
        let mut f = form(d.village);
        f.resident_id = "１１０１０５１９４９１２３１００２ｘ".into();
        f.phone = "１３８ ００１３ ８０００".into();
        let answer = answered(&db, t0()).await;
        let receipt = petition::submit_online(&db, &public("203.0.113.8", now), &f, &[], &answer)
            .await
            .unwrap();
        let who = db
            .petition_identity(receipt.id)
            .await
            .unwrap()
            .unwrap()
            .petitioner;
        assert_eq!(who.resident_id.as_deref(), Some("11010519491231002X"), "{label}");
        assert_eq!(who.phone.as_deref(), Some("13800138000"), "{label}");
        // The tracking code and password typed in full width find it too.
        let wide = |s: &str| -> String {
            s.chars()
                .map(|c| match c {
                    '!'..='~' => char::from_u32(u32::from(c) + 0xFEE0).unwrap(),
                    c => c,
                })
                .collect()
        };
        let found = petition::track(
            &db,
            &public("203.0.113.8", now),
            &wide(&receipt.tracking_code),
            &wide(&receipt.query_password),
        )
        .await;
        assert!(found.is_ok(), "{label}: {found:?}");
    }
}

#[tokio::test]
async fn tracking_counts_failed_look_ups_per_address_and_per_code_and_never_a_found_one() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let now = t0() + Duration::minutes(1);
        let answer = answered(&db, t0()).await;
        let receipt =
            petition::submit_online(&db, &public("203.0.113.9", now), &form(d.village), &[], &answer)
                .await
                .unwrap();
        // A village office behind one address looks its petitions up all day.
        let village = public("198.51.100.50", now);
        for _ in 0..petition::LOOKUPS_PER_ADDRESS + 5 {
            petition::track(&db, &village, &receipt.tracking_code, &receipt.query_password)
                .await
                .unwrap();
        }
        // Guesses at one code from many addresses stop at the code's limit, and then the
        // right password waits too (the guesser cannot tell which try was right).
        for i in 0..petition::LOOKUPS_PER_CODE {
            let r = petition::track(
                &db,
                &public(&format!("192.0.2.{i}"), now),
                &receipt.tracking_code,
                "WRONGPASS2",
            )
            .await;
            assert!(matches!(r, Err(ServiceError::TrackingFailed)), "{label}: {r:?}");
        }
        let r = petition::track(
            &db,
            &public("192.0.2.200", now),
            &receipt.tracking_code,
            &receipt.query_password,
        )
        .await;
        assert!(matches!(r, Err(ServiceError::RateLimited(_))), "{label}: {r:?}");
        // Failures from one address stop at the address's limit, whatever the codes.
        let guesser = public("198.51.100.66", now);
        for i in 0..petition::LOOKUPS_PER_ADDRESS {
            let r = petition::track(
                &db,
                &guesser,
                &format!("XF-20261123-{:04}", 100 + i),
                "WRONGPASS2",
            )
            .await;
            assert!(matches!(r, Err(ServiceError::TrackingFailed)), "{label}: {r:?}");
        }
        let r = petition::track(&db, &guesser, "XF-20261123-0999", "WRONGPASS2").await;
        assert!(matches!(r, Err(ServiceError::RateLimited(_))), "{label}: {r:?}");
    }
}

/// Every field of the office's view of a petition, by name: a field added to it must be
/// added here, after deciding that a department handling the case may see it.
const DETAIL_FIELDS: [&str; 21] = [
    "accepted_at",
    "attachments",
    "batch_count",
    "deadlines",
    "decision",
    "department_id",
    "evaluation",
    "evaluation_comment",
    "extension_days",
    "facts_reasons",
    "forwarded_to",
    "has_decision",
    "person_count",
    "reply_delivered_on",
    "reported",
    "request",
    "summary",
    "content",
    "timeline",
    "township_id",
    "village_id",
];

#[tokio::test]
async fn a_department_sees_nothing_of_the_people_a_petition_names() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let clerk = staff(&db, "clerk", t0()).await;
        let agent = staff(&db, "agent", t0()).await;
        let handler = staff(&db, "handler", t0()).await;
        // A group visit taken at the desk, and a petition an agent filed for a resident.
        let visit = PetitionForm {
            channel: "visit".into(),
            name: "申诉人丙".into(),
            address: "东湖村七组九号".into(),
            phone: "13912345678".into(),
            person_count: "6".into(),
            representatives: "代表甲\n代表乙".into(),
            ..form(d.village)
        };
        let by_agent = PetitionForm {
            agent_consent: "王五本人当面同意代理".into(),
            ..form(d.village)
        };
        let visit = petition::intake(&db, &clerk, &visit, &[]).await.unwrap();
        let filed = petition::intake(&db, &agent, &by_agent, &[]).await.unwrap();
        let empty = StepForm::default();
        petition::take_step(&db, &clerk, filed.id, Step::Register, &empty)
            .await
            .unwrap();
        let assign = StepForm {
            department_id: d.department.to_string(),
            ..StepForm::default()
        };
        let names = [
            "申诉人丙",
            "东湖村七组九号",
            "13912345678",
            "代表甲",
            "代表乙",
            "王五",
            "张秀英",
            "11010519491231002X",
            "13800138000",
        ];
        for id in [visit.id, filed.id] {
            petition::take_step(&db, &clerk, id, Step::Assign, &assign)
                .await
                .unwrap();
            let seen = petition::view(&db, &handler, id).await.unwrap();
            assert!(!seen.may_read_identity, "{label}");
            let json = serde_json::to_value(&seen.detail).unwrap();
            let mut fields: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
            fields.sort_unstable();
            let mut expected = DETAIL_FIELDS.to_vec();
            expected.sort_unstable();
            assert_eq!(fields, expected, "{label}");
            let text = json.to_string();
            for name in names {
                assert!(!text.contains(name), "{label}: {name} reached the department");
            }
            assert!(
                matches!(
                    petition::identity(&db, &handler, id).await,
                    Err(ServiceError::NotFound)
                ),
                "{label}"
            );
        }
        // The office reads them, each read audited.
        let named = petition::identity(&db, &clerk, visit.id).await.unwrap();
        assert_eq!(named.representatives, ["代表甲", "代表乙"], "{label}");
        assert_eq!(named.petitioner.name, "申诉人丙", "{label}");
        let named = petition::identity(&db, &clerk, filed.id).await.unwrap();
        assert_eq!(
            named.agent_consent.as_deref(),
            Some("王五本人当面同意代理"),
            "{label}"
        );
        let reads = audit_log(&db, AuditAction::ReadIdentity).await;
        assert_eq!(reads.entries.len(), 2, "{label}");
    }
}

#[tokio::test]
async fn staff_outside_the_case_see_nothing_and_each_role_takes_only_its_steps() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let clerk = staff(&db, "clerk", t0()).await;
        let mut letter = form(d.village);
        letter.channel = "letter".into();
        letter.resident_id = String::new();
        letter.consent = String::new();
        let receipt = petition::intake(&db, &clerk, &letter, &[]).await.unwrap();
        let id = receipt.id;
        let assign = StepForm {
            department_id: d.other_department.to_string(),
            ..StepForm::default()
        };
        petition::take_step(&db, &clerk, id, Step::Assign, &assign)
            .await
            .unwrap();

        // The demo handler is in the first department: the case is not theirs.
        let handler = staff(&db, "handler", t0()).await;
        for r in [
            petition::view(&db, &handler, id).await.map(|_| ()),
            petition::take_step(&db, &handler, id, Step::Accept, &StepForm::default()).await,
        ] {
            assert!(matches!(r, Err(ServiceError::NotFound)), "{label}: {r:?}");
        }
        for name in ["officer", "gridworker", "admin"] {
            let someone: Caller = staff(&db, name, t0()).await;
            let r = petition::view(&db, &someone, id).await;
            assert!(matches!(r, Err(ServiceError::NotFound)), "{label} {name}");
        }
        // The handler's registry is empty; the clerk's has the letter.
        assert!(matches!(
            petition::registry(&db, &handler, &RegistryFilter::default())
                .await
                .map(|p| p.total),
            Ok(Some(0))
        ));
        // A clerk cannot hand the case back (only the department can).
        let r = petition::take_step(&db, &clerk, id, Step::Return, &StepForm::default()).await;
        assert!(
            matches!(r, Err(ServiceError::Refused(Refusal::NotYourStep))),
            "{label}: {r:?}"
        );

        // An agent files for a resident: it waits in the inbox, and the agent sees only
        // their own.
        let agent = staff(&db, "agent", t0()).await;
        let mut for_resident = form(d.village);
        for_resident.agent_consent = "本人当面同意并签字".into();
        let filed = petition::intake(&db, &agent, &for_resident, &[]).await.unwrap();
        let mine = petition::registry(&db, &agent, &RegistryFilter::default())
            .await
            .unwrap();
        assert_eq!(
            mine.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            [filed.id],
            "{label}"
        );
        assert_eq!(mine.rows[0].state, PetitionState::Submitted, "{label}");
        let user: &CurrentUser = agent.user.as_ref().unwrap();
        assert!(
            user.grants
                .iter()
                .all(|g| g.role == domain::auth::Role::PetitionAgent)
        );
    }
}
