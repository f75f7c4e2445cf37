//! The office desk: each count is what its list shows, for the clerk's township, and a
//! role without those lists gets no counts rather than a refusal.

use chrono::Duration;
use domain::field::{InboxFilter, InboxState, InboxStep, Week, WeeklyStatus};
use domain::office::OfficeDesk;
use domain::petition::PetitionState;
use domain::registry::RegistryFilter;
use serde_json::json;
use services::desk::office_desk;
use services::{Caller, field, petition};
use storage::testing::{self, TestDb};

use crate::common::uuid;
use crate::field::{batch, demo, login, record, report_body, t0};

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

        let desk = office_desk(&db, &clerk).await.unwrap();
        let new_reports = InboxFilter {
            state: Some(InboxState::New),
            page: 1,
            ..InboxFilter::default()
        };
        let listed = field::inbox(&db, &clerk, &new_reports).await.unwrap();
        assert_eq!(desk.reports_new, Some(2), "{label}");
        assert_eq!(desk.reports_new, Some(listed.total), "{label}");
        assert_eq!(desk.reports_urgent, Some(1), "{label}");
        let overview = field::weekly_overview(&db, &clerk, Week::of(t0())).await.unwrap();
        let missing = overview
            .lines
            .iter()
            .filter(|l| l.week.status == WeeklyStatus::Missing)
            .count();
        assert!(missing > 0, "{label}");
        // On Tuesday the week before is the one due (its deadline was Monday noon).
        assert_eq!(desk.weekly_week, Some(Week::of(t0())), "{label}");
        assert_eq!(desk.weekly_missing, Some(missing), "{label}");
        assert_eq!(desk.weekly_late, Some(0), "{label}");
        let waiting = RegistryFilter {
            state: Some(PetitionState::Submitted),
            page: 1,
            ..RegistryFilter::default()
        };
        let registry = petition::registry(&db, &clerk, &waiting).await.unwrap();
        assert_eq!(desk.awaiting_registration, registry.total, "{label}");

        // The officer and the administrator keep no such lists: an empty desk.
        assert_eq!(
            office_desk(&db, &officer).await.unwrap(),
            OfficeDesk::default(),
            "{label}"
        );
        let admin = login(&db, "admin").await;
        assert_eq!(
            office_desk(&db, &admin).await.unwrap(),
            OfficeDesk::default(),
            "{label}"
        );
    }
}
