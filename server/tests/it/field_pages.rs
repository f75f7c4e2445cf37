//! The field pages as the server renders them, on both engines: the report form carries
//! the township's kinds and the officer's village in its HTML (the phone keeps that page
//! for use without signal), the weekly and outbox pages render, the setup function
//! answers only a reporter, and someone with no village to report for is told so
//! instead of being refused.

use crate::common::*;
use axum::http::{StatusCode, header};
use storage::testing;

#[tokio::test]
async fn the_field_pages_render_with_the_forms_data() {
    for t in testing::all_migrated().await {
        let app = app(&t).await;
        let officer = login(&app, "officer").await;

        let page = send(&app, get_with("/field/report", header::COOKIE, &officer)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", t.label);
        // Every default kind is offered, in Chinese, and the officer's one village is fixed.
        for kind in ["土地纠纷", "拖欠工资", "安全隐患", "环境污染"] {
            assert!(page.body.contains(kind), "{}: {kind} missing", t.label);
        }
        assert!(page.body.contains(r#"value="land""#), "{}", t.label);
        assert!(page.body.contains("东湖村"), "{}", t.label);
        assert!(page.body.contains("保存并发送"), "{}", t.label);

        let weekly = send(&app, get_with("/field/weekly", header::COOKIE, &officer)).await;
        assert_eq!(weekly.status, StatusCode::OK, "{}", t.label);
        assert!(weekly.body.contains("提交零报告"), "{}", t.label);
        assert!(weekly.body.contains("-W"), "{}: the week is named", t.label);

        let outbox = send(&app, get_with("/field/outbox", header::COOKIE, &officer)).await;
        assert_eq!(outbox.status, StatusCode::OK, "{}", t.label);
        assert!(outbox.body.contains("需要处理"), "{}", t.label);

        // The field home links the three pages and shows this week's status.
        let home = send(&app, get_with("/field", header::COOKIE, &officer)).await;
        assert!(home.body.contains(r#"href="/field/report""#), "{}", t.label);
        assert!(home.body.contains("本周排查报告"), "{}", t.label);
        assert!(home.body.contains(r#"href="/field/weekly""#), "{}", t.label);

        // A grid worker reports from the grid; the weekly report is the village officer's.
        let grid = login(&app, "gridworker").await;
        let home = send(&app, get_with("/field", header::COOKIE, &grid)).await;
        assert!(home.body.contains(r#"href="/field/report""#), "{}", t.label);
        assert!(!home.body.contains(r#"href="/field/weekly""#), "{}", t.label);
        let weekly = send(&app, get_with("/field/weekly", header::COOKIE, &grid)).await;
        assert!(weekly.body.contains("周报由村（社区）信息员填报"), "{}", t.label);
        assert!(!weekly.body.contains("提交零报告"), "{}", t.label);
    }
}

#[tokio::test]
async fn the_setup_answers_reporters_and_nobody_else() {
    for t in testing::all_migrated().await {
        let app = app(&t).await;
        let officer = login(&app, "officer").await;
        let mut request = call("/api/field_setup");
        request
            .headers_mut()
            .insert(header::COOKIE, officer.parse().expect("cookie"));
        let reply = send(&app, request).await;
        assert_eq!(reply.status, StatusCode::OK, "{}: {}", t.label, reply.body);
        let setup: serde_json::Value = serde_json::from_str(&reply.body).expect("json");
        assert_eq!(
            setup["report_kinds"].as_array().map(Vec::len),
            Some(8),
            "{}",
            t.label
        );
        assert!(
            setup["weekly"]
                .as_array()
                .is_some_and(|w| !w.is_empty() && w.iter().all(|v| v["village_name"] == "东湖村")),
            "{}: {}",
            t.label,
            reply.body
        );

        // No session: refused, not a 500.
        let reply = send(&app, call("/api/field_setup")).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{}: {}",
            t.label,
            reply.body
        );

        // A petition agent works in the field area but files no reports: told so, no refusal logged.
        let agent = login(&app, "agent").await;
        let page = send(&app, get_with("/field/report", header::COOKIE, &agent)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", t.label);
        assert!(page.body.contains("没有负责的村"), "{}", t.label);
        assert!(
            !page.body.contains(r#"href="/field/report""#),
            "{}: no report link for an agent",
            t.label
        );
    }
}
