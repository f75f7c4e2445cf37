//! Every use case that writes, or reads what must be audited, on a database whose audit
//! log refuses inserts: each one fails with an error and leaves nothing behind, on both
//! engines. The audit entry is part of the write's own transaction, so a write nobody
//! can trace is never kept. The test names every audit action: a new action fails it
//! until its use case is added here.

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::audit::{AuditAction, AuditFilter};
use domain::auth::Role;
use domain::document::DocumentKind;
use domain::field::{Category, ReportKind, WeeklyDeadline};
use domain::handling::StepForm;
use domain::intake::PetitionForm;
use domain::petition::Step;
use domain::registry::RegistryFilter;
use domain::sync::PushBatch;
use serde_json::{Value, json};
use services::demo::{DEMO_PASSWORD, seed_demo_users};
use services::field::{self, PhotoDeclaration};
use services::petition::{self, Upload};
use services::users::NewUserForm;
use storage::testing::{self, TestDb};

use crate::common::{answered, public, sha256, staff, uuid, workbook};

/// Tables that hold bookkeeping, not records of anyone's work: written on purpose
/// outside a use case's transaction (login attempts, rate-limit uses, the form's secret,
/// the bytes of a photo still uploading).
const BOOKKEEPING: &[&str] = &[
    "login_failure",
    "public_submission",
    "app_secret",
    "photo_upload",
    "photo_chunk",
];

fn t0() -> DateTime<Utc> {
    // Wednesday 2026-11-25, 10:00 China time.
    Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap()
}

fn petition_form(village: i64, subject: &str) -> PetitionForm {
    PetitionForm {
        kind: "request_complaint".into(),
        village_id: village.to_string(),
        subject: subject.into(),
        content: "三组村道塌陷。".into(),
        name: "张秀英".into(),
        resident_id: "11010519491231002X".into(),
        phone: "13800138000".into(),
        consent: "on".into(),
        ..PetitionForm::default()
    }
}

/// A letter a clerk registers at the desk.
fn letter(village: i64, subject: &str) -> PetitionForm {
    PetitionForm {
        channel: "letter".into(),
        ..petition_form(village, subject)
    }
}

fn upload() -> Upload {
    Upload {
        file_name: "门口.jpg".into(),
        bytes: testing::tiny_jpeg(),
        too_large: false,
    }
}

fn report(client_id: &str, village: i64, photos: &[String]) -> Value {
    json!({
        "client_id": client_id,
        "record_type": "field_report",
        "author": "officer",
        "device_id": "phone-1",
        "created_at": "2026-11-25T09:30:00+08:00",
        "body": {
            "kind": "land",
            "severity": "urgent",
            "village_id": village,
            "place": "三组晒谷场",
            "found_at": "2026-11-25T09:00:00+08:00",
            "parties": "张某、李某",
            "description": "两户因宅基地边界争执。",
            "action_taken": "现场劝解",
            "needs_township": true,
            "photos": photos,
        },
    })
}

fn declaration(client_id: String) -> PhotoDeclaration {
    let photo = testing::tiny_jpeg();
    PhotoDeclaration {
        client_id,
        byte_size: photo.len() as i64,
        sha256: sha256(&photo),
        media_type: "image/jpeg".into(),
    }
}

fn roster_workbook() -> Vec<u8> {
    workbook(&[(
        "单位",
        &[
            &["类型", "名称", "上级", "编码"],
            &["村", "红旗村", "", "QS-DH-13"],
        ],
    )])
}

#[tokio::test]
async fn nothing_is_kept_or_shown_when_its_audit_entry_cannot_be_written() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        // Everything the use cases below act on, while the log still takes entries.
        db.seed_demo().await.expect("seed");
        seed_demo_users(&db, t0()).await.expect("users");
        let s = db.org_structure().await.unwrap().unwrap();
        let (township, village, department) = (s.township.id, s.villages[0].village.id, s.departments[0].id);
        let admin = staff(&db, "admin", t0()).await;
        let clerk = staff(&db, "clerk", t0()).await;
        let handler = staff(&db, "handler", t0()).await;
        let officer = staff(&db, "officer", t0()).await;
        let citizen = public("203.0.113.5", t0());

        let filed = petition::submit_online(
            &db,
            &citizen,
            &petition_form(village, "村道损坏"),
            &[upload()],
            &answered(&db, t0() - Duration::minutes(2)).await,
        )
        .await
        .expect("file");
        let empty = StepForm::default();
        let assign = StepForm {
            department_id: department.to_string(),
            ..StepForm::default()
        };
        let decision = StepForm {
            request: "修复村道".into(),
            facts_reasons: "经现场查看属实".into(),
            decision: "年内修复".into(),
            legal_basis: "《农村公路建设管理办法》".into(),
            outcome: "supported".into(),
            ..StepForm::default()
        };
        let reply = StepForm {
            delivered_on: "2026-11-25".into(),
            ..StepForm::default()
        };
        petition::take_step(&db, &clerk, filed.id, Step::Register, &empty)
            .await
            .unwrap();
        petition::take_step(&db, &clerk, filed.id, Step::Assign, &assign)
            .await
            .unwrap();
        petition::take_step(&db, &handler, filed.id, Step::Accept, &empty)
            .await
            .unwrap();
        petition::take_step(&db, &handler, filed.id, Step::StartHandling, &empty)
            .await
            .unwrap();
        petition::take_step(&db, &handler, filed.id, Step::RecordDecision, &decision)
            .await
            .unwrap();
        petition::take_step(&db, &clerk, filed.id, Step::Reply, &reply)
            .await
            .unwrap();
        let waiting = petition::intake(&db, &clerk, &letter(village, "灌溉渠堵塞"), &[])
            .await
            .expect("intake");
        let attachment = petition::view(&db, &clerk, filed.id)
            .await
            .unwrap()
            .detail
            .attachments[0]
            .id;

        let pushed = field::push(
            &db,
            &officer,
            &PushBatch {
                records: vec![report(&uuid(1), village, &[uuid(900), uuid(901)])],
            },
        )
        .await
        .expect("push");
        assert_eq!(pushed.results.len(), 1, "{label}");
        let report_id = db
            .field_report_by_uuid(&uuid(1))
            .await
            .unwrap()
            .expect("stored")
            .id;
        field::begin_photo(&db, &officer, &declaration(uuid(900)))
            .await
            .unwrap();
        field::append_photo(&db, &officer, &uuid(900), 0, &testing::tiny_jpeg())
            .await
            .unwrap();
        field::begin_photo(&db, &officer, &declaration(uuid(901)))
            .await
            .unwrap();
        let gridworker = db.credentials("gridworker").await.unwrap().unwrap().user_id;
        services::users::set_disabled(&db, &admin, gridworker, true)
            .await
            .unwrap();
        let challenge = answered(&db, t0() - Duration::minutes(2)).await;

        testing::refuse_audit_entries(&db).await;
        let before = testing::snapshot(&db, BOOKKEEPING).await;
        let mut covered = HashSet::new();
        macro_rules! refused {
            ($call:expr, $($action:expr),+) => {{
                let got = $call.await;
                let actions = [$($action),+];
                assert!(got.is_err(), "{label}: {actions:?} went through without its audit entry");
                assert!(
                    testing::snapshot(&db, BOOKKEEPING).await == before,
                    "{label}: {actions:?} left a write behind without its audit entry"
                );
                covered.extend(actions);
            }};
        }

        // Accounts and sessions.
        refused!(
            services::auth::login(&db, &citizen, "clerk", DEMO_PASSWORD),
            AuditAction::Login
        );
        refused!(services::auth::logout(&db, &clerk), AuditAction::Logout);
        refused!(
            services::auth::change_password(
                &db,
                &clerk,
                DEMO_PASSWORD,
                "a-new-long-password-1",
                "a-new-long-password-1"
            ),
            AuditAction::ChangePassword
        );
        let new_user = NewUserForm {
            username: "wangwu".into(),
            display_name: "王五".into(),
            phone: String::new(),
            role: Role::Clerk.as_str().into(),
            unit_id: township,
            password: "a-new-long-password-2".into(),
        };
        refused!(
            services::users::create(&db, &admin, &new_user),
            AuditAction::CreateUser
        );
        let clerk_id = clerk.user.as_ref().unwrap().user_id;
        refused!(
            services::users::set_disabled(&db, &admin, clerk_id, true),
            AuditAction::DisableUser
        );
        refused!(
            services::users::set_disabled(&db, &admin, gridworker, false),
            AuditAction::EnableUser
        );
        refused!(
            services::users::reset_password(&db, &admin, clerk_id, "a-new-long-password-3"),
            AuditAction::ResetPassword
        );
        refused!(
            services::users::revoke_sessions(&db, &admin, clerk_id),
            AuditAction::RevokeSessions
        );

        // The org tree, the roster, the office's published contacts.
        refused!(
            services::org::create_unit(&db, &admin, township, "village", "新建村", ""),
            AuditAction::CreateOrgUnit
        );
        refused!(
            services::roster::import(&db, &admin, "花名册.xlsx", roster_workbook()),
            AuditAction::ImportRoster
        );
        let info = domain::office::OfficeInfo {
            address: "东湖镇政府一楼".into(),
            phone: "0731-8888888".into(),
            reception: "每周三上午".into(),
            ..Default::default()
        };
        refused!(
            services::org::set_office_info(&db, &admin, &info),
            AuditAction::EditOfficeInfo
        );
        // A refusal that cannot be logged is still a refusal.
        refused!(
            services::org::set_office_info(&db, &officer, &info),
            AuditAction::Denied
        );

        // Petitions: filed, stepped, evaluated, tracked, read and exported.
        refused!(
            petition::submit_online(
                &db,
                &citizen,
                &petition_form(village, "路灯不亮"),
                &[],
                &challenge
            ),
            AuditAction::FilePetition
        );
        refused!(
            petition::intake(&db, &clerk, &letter(village, "路灯不亮"), &[]),
            AuditAction::FilePetition
        );
        refused!(
            petition::take_step(&db, &clerk, waiting.id, Step::Register, &empty),
            AuditAction::PetitionStep
        );
        let rating = StepForm {
            rating: "satisfied".into(),
            ..StepForm::default()
        };
        refused!(
            petition::evaluate(
                &db,
                &citizen,
                &filed.tracking_code,
                &filed.query_password,
                &rating
            ),
            AuditAction::PetitionStep
        );
        // Only failed lookups are logged (they are how guessing shows).
        refused!(
            petition::track(&db, &citizen, &filed.tracking_code, "wrong-password"),
            AuditAction::TrackPetition
        );
        refused!(
            petition::identity(&db, &clerk, filed.id),
            AuditAction::ReadIdentity
        );
        // A notice names the petitioner: printing it reads the identity.
        refused!(
            services::document::print(&db, &clerk, filed.id, DocumentKind::Decision),
            AuditAction::ReadIdentity
        );
        refused!(
            petition::attachment(&db, &clerk, attachment),
            AuditAction::ReadAttachment
        );
        refused!(
            petition::export(&db, &clerk, &RegistryFilter::default(), "csv"),
            AuditAction::ExportRegistry
        );

        // Field work: a push with an urgent report, a photo's last chunk, the inbox.
        let push = PushBatch {
            records: vec![report(&uuid(2), village, &[])],
        };
        refused!(
            field::push(&db, &officer, &push),
            AuditAction::SyncPush,
            AuditAction::UrgentReport
        );
        refused!(
            field::append_photo(&db, &officer, &uuid(901), 0, &testing::tiny_jpeg()),
            AuditAction::UploadPhoto
        );
        refused!(
            field::inbox_step(&db, &clerk, report_id, domain::field::InboxStep::Acknowledge, ""),
            AuditAction::FieldReportStep
        );
        refused!(
            field::report(&db, &clerk, report_id),
            AuditAction::ReadFieldReport
        );
        refused!(
            field::report_photo(&db, &clerk, report_id, 0),
            AuditAction::ReadFieldPhoto
        );
        let kinds = vec![ReportKind {
            code: "land".into(),
            name_zh: "土地纠纷".into(),
            name_en: "Land dispute".into(),
            category: Category::Dispute,
        }];
        refused!(
            field::set_report_kinds(&db, &admin, township, &kinds),
            AuditAction::EditReportKinds
        );
        let deadline = WeeklyDeadline {
            weekday: 1,
            hour: 12,
            next_week: true,
        };
        refused!(
            field::set_weekly_deadline(&db, &admin, township, deadline),
            AuditAction::EditReportKinds
        );

        // The audit log itself.
        refused!(
            services::audit::search(&db, &admin, &AuditFilter::default(), 1),
            AuditAction::ReadAuditLog
        );
        refused!(
            services::audit::export(&db, &admin, &AuditFilter::default(), "csv"),
            AuditAction::ExportAuditLog
        );

        let all: HashSet<AuditAction> = AuditAction::ALL.into_iter().collect();
        let missing: Vec<_> = all.difference(&covered).collect();
        assert!(missing.is_empty(), "{label}: no use case here for {missing:?}");

        // Once entries can be written again, the phone's resend of the photo's last
        // chunk finishes the file whose completion was refused above.
        testing::accept_audit_entries(&db).await;
        let resent = field::append_photo(&db, &officer, &uuid(901), 0, &testing::tiny_jpeg())
            .await
            .expect("resend");
        assert!(resent.accepted && resent.status.complete, "{label}: {resent:?}");
    }
}
