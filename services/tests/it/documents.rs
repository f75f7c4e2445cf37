//! Printed documents on both engines: each step that issues one numbers it in its own
//! transaction, a reprint shows the same number and date, the office heads it with its
//! published contacts, and only a reader who may know the petitioner sees their name.

use domain::audit::AuditAction;
use domain::document::{DocumentKind, Letterhead};
use domain::handling::StepForm;
use domain::intake::PetitionForm;
use domain::office::OfficeInfo;
use domain::petition::Step;
use domain::registry::china_date;
use services::document::print;
use services::petition;
use storage::testing::{self, TestDb};

use crate::common::{audit_count, staff};
use crate::petitions::{decision_form, demo, form, t0};

fn number(printed: &domain::document::PrintedDocument) -> Option<String> {
    printed.number.map(|n| n.to_string())
}

#[tokio::test]
async fn each_step_numbers_its_document_and_the_print_names_whom_the_reader_may_know() {
    use DocumentKind::*;
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let admin = staff(&db, "admin", t0()).await;
        let clerk = staff(&db, "clerk", t0()).await;
        let agent = staff(&db, "agent", t0()).await;
        let handler = staff(&db, "handler", t0()).await;
        let letter = PetitionForm {
            channel: "letter".into(),
            ..form(d.village)
        };

        // Before the office publishes its contacts, documents name it and nothing more.
        let first = petition::intake(&db, &clerk, &letter, &[]).await.unwrap();
        assert_eq!(first.office, Letterhead::new("东湖镇", "", ""), "{label}");
        assert_eq!(first.subject, "村道损坏", "{label}");
        let info = OfficeInfo {
            address: "东湖镇人民政府一楼".into(),
            phone: "0731-88886666".into(),
            reception: "每周三上午".into(),
            ..OfficeInfo::default()
        };
        services::org::set_office_info(&db, &admin, &info).await.unwrap();
        let office = Letterhead::new("东湖镇", "东湖镇人民政府一楼", "0731-88886666");

        // Registered at the desk: the receipt notice is numbered with it.
        let printed = print(&db, &clerk, first.id, ReceiptNotice).await.unwrap();
        assert_eq!(number(&printed).as_deref(), Some("信受〔2026〕1号"), "{label}");
        assert_eq!(printed.addressee.as_deref(), Some("张秀英"), "{label}");
        assert_eq!(printed.office, office, "{label}");
        assert_eq!(printed.issued_on, china_date(t0()), "{label}");

        // Filed by an agent, it waits unnumbered until the clerk registers it.
        let by_agent = PetitionForm {
            agent_consent: "本人当面同意代理".into(),
            ..form(d.village)
        };
        let filed = petition::intake(&db, &agent, &by_agent, &[]).await.unwrap();
        let waiting = print(&db, &clerk, filed.id, ReceiptNotice).await.unwrap();
        assert_eq!(waiting.number, None, "{label}");
        let empty = StepForm::default();
        petition::take_step(&db, &clerk, filed.id, Step::Register, &empty)
            .await
            .unwrap();
        let assign = StepForm {
            department_id: d.department.to_string(),
            ..StepForm::default()
        };
        petition::take_step(&db, &clerk, filed.id, Step::Assign, &assign)
            .await
            .unwrap();
        let notice = print(&db, &clerk, filed.id, ReceiptNotice).await.unwrap();
        assert_eq!(number(&notice).as_deref(), Some("信受〔2026〕2号"), "{label}");

        // The department reads its assignment, addressed to it; a notice it prints
        // names nobody, and it reads no identity.
        let reads = audit_count(&db, AuditAction::ReadIdentity).await;
        let sheet = print(&db, &handler, filed.id, Assignment).await.unwrap();
        assert_eq!(number(&sheet).as_deref(), Some("信交〔2026〕1号"), "{label}");
        assert_eq!(sheet.addressee.as_deref(), Some("东湖派出所"), "{label}");
        let theirs = print(&db, &handler, filed.id, ReceiptNotice).await.unwrap();
        assert_eq!(theirs.addressee, None, "{label}");
        assert_eq!(
            audit_count(&db, AuditAction::ReadIdentity).await,
            reads,
            "{label}"
        );

        // The decision is numbered when first recorded and keeps it when amended.
        for step in [Step::Accept, Step::StartHandling, Step::RecordDecision] {
            let form = if step == Step::RecordDecision {
                decision_form()
            } else {
                StepForm::default()
            };
            petition::take_step(&db, &handler, filed.id, step, &form)
                .await
                .unwrap();
        }
        let amended = StepForm {
            decision: "年内修复，先设警示标志".into(),
            ..decision_form()
        };
        petition::take_step(&db, &handler, filed.id, Step::RecordDecision, &amended)
            .await
            .unwrap();
        let decision = print(&db, &clerk, filed.id, Decision).await.unwrap();
        assert_eq!(number(&decision).as_deref(), Some("信处〔2026〕1号"), "{label}");
        assert_eq!(decision.addressee.as_deref(), Some("张秀英"), "{label}");
        assert_eq!(
            decision.detail.decision.map(|x| x.decision).as_deref(),
            Some("年内修复，先设警示标志"),
            "{label}"
        );

        // A decline is numbered in its own series.
        let declined = petition::intake(&db, &clerk, &letter, &[]).await.unwrap();
        let reasons = StepForm {
            reasons: "该事项已经依法处理完毕。".into(),
            ..StepForm::default()
        };
        petition::take_step(&db, &clerk, declined.id, Step::Decline, &reasons)
            .await
            .unwrap();
        let printed = print(&db, &clerk, declined.id, DeclineNotice).await.unwrap();
        assert_eq!(number(&printed).as_deref(), Some("信不受〔2026〕1号"), "{label}");

        // A reprint is the same document; each naming of the petitioner is audited.
        let reads = audit_count(&db, AuditAction::ReadIdentity).await;
        let again = print(&db, &clerk, declined.id, DeclineNotice).await.unwrap();
        assert_eq!(again, printed, "{label}");
        assert_eq!(
            audit_count(&db, AuditAction::ReadIdentity).await,
            reads + 1,
            "{label}"
        );
    }
}
