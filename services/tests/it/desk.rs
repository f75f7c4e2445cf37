//! The office desk: each count is what its list shows, for the clerk's township, and a
//! role without those lists gets no counts rather than a refusal.

use chrono::Duration;
use domain::field::{InboxFilter, InboxState, InboxStep, Week, WeeklyStatus};
use domain::intake::PetitionForm;
use domain::petition::PetitionState;
use domain::registry::RegistryFilter;
use serde_json::json;
use services::desk::office_desk;
use services::{Caller, field, petition};
use storage::testing::{self, TestDb};

use crate::common::uuid;
use crate::field::{batch, demo, login, record, report_body, t0};
use crate::petitions::form;

#[tokio::test]
async fn the_office_desk_counts_what_its_lists_show() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let d = demo(&db).await;
        let officer = login(&db, "officer").await;
        let week = Week::of(t0()).to_string();
        let pushed = field::push(
            &db,
            &officer,
            &batch(vec![
                record(
                    &uuid(1),
                    "officer",
                    "field_report",
                    report_body(d.village, "urgent"),
                ),
                record(
                    &uuid(2),
                    "officer",
                    "field_report",
                    report_body(d.village, "general"),
                ),
                record(
                    &uuid(3),
                    "officer",
                    "field_report",
                    report_body(d.village, "serious"),
                ),
                record(
                    &uuid(4),
                    "officer",
                    "weekly_report",
                    json!({"village_id": d.village, "week": week, "zero": false, "items": [uuid(1)]}),
                ),
            ]),
        )
        .await
        .unwrap();
        assert_eq!(pushed.results.len(), 4, "{label}");
        // A petition agent's filing waits for the office to register it.
        let agent = login(&db, "agent").await;
        let filing = PetitionForm {
            agent_consent: "本人当面同意代理".into(),
            ..form(d.village)
        };
        petition::intake(&db, &agent, &filing, &[]).await.unwrap();

        // A week later the deadline has passed: every other village's report is missing.
        let clerk = Caller {
            now: t0() + Duration::days(6),
            ..login(&db, "clerk").await
        };
        let inbox = field::inbox(&db, &clerk, &InboxFilter::default()).await.unwrap();
        let first = inbox.rows.iter().find(|r| r.client_id == uuid(2)).unwrap().id;
        field::inbox_step(&db, &clerk, first, InboxStep::Acknowledge, "")
            .await
            .unwrap();

        let desk = office_desk(&db, &clerk)
            .await
            .unwrap()
            .expect("a clerk's desk counts");
        let new_reports = InboxFilter {
            state: Some(InboxState::New),
            page: 1,
            ..InboxFilter::default()
        };
        let listed = field::inbox(&db, &clerk, &new_reports).await.unwrap();
        assert_eq!(desk.reports_new, 2, "{label}");
        assert_eq!(desk.reports_new, listed.total, "{label}");
        assert_eq!(desk.reports_urgent, 1, "{label}");
        let overview = field::weekly_overview(&db, &clerk, Week::of(t0())).await.unwrap();
        let missing = overview
            .lines
            .iter()
            .filter(|l| l.week.status == WeeklyStatus::Missing)
            .count();
        assert!(missing > 0, "{label}");
        // On Tuesday the week before is the one due (its deadline was Monday noon).
        assert_eq!(desk.weekly_week, Week::of(t0()), "{label}");
        assert_eq!(desk.weekly_missing, missing, "{label}");
        assert_eq!(desk.weekly_late, 0, "{label}");
        let waiting = RegistryFilter {
            state: Some(PetitionState::Submitted),
            page: 1,
            ..RegistryFilter::default()
        };
        let registry = petition::registry(&db, &clerk, &waiting).await.unwrap();
        assert_eq!(desk.awaiting_registration, 1, "{label}");
        assert_eq!(Some(desk.awaiting_registration), registry.total, "{label}");

        // The officer and the administrator keep no such lists: no counts, no refusal.
        assert_eq!(office_desk(&db, &officer).await.unwrap(), None, "{label}");
        let admin = login(&db, "admin").await;
        assert_eq!(office_desk(&db, &admin).await.unwrap(), None, "{label}");
    }
}
