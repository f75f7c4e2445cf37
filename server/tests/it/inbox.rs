//! The township's pages for field reports over HTTP, on both engines: the inbox (urgent
//! first, nothing of another township), a report's page with its photo and history, the
//! clerk's steps as plain form posts reaching the officer's next pull, a missing note
//! answered in Chinese, the weekly overview against the admin's deadline, the kinds list,
//! and who may not come in.

use crate::common::*;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use domain::audit::{AuditAction, AuditFilter};
use domain::auth::{NewUser, Role};
use domain::field::Week;
use domain::org::OrgUnitKind;
use serde_json::{Value, json};
use storage::testing::{self, TestDb};

struct Township {
    villages: Vec<i64>,
}

async fn township(t: &TestDb) -> Township {
    let s = t.db.org_structure().await.unwrap().unwrap();
    Township {
        villages: s.villages.iter().map(|v| v.village.id).collect(),
    }
}

/// Another account with a demo password, holding `role` on `unit`.
async fn add_user(t: &TestDb, username: &str, name: &str, role: Role, unit: i64) {
    let hash = services::auth::hash_password(services::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let user = NewUser {
        username: username.into(),
        display_name: name.into(),
        phone: None,
        grants: vec![(role, unit)],
    };
    storage::testing::create_user(&t.db, &user, &hash, Utc::now())
        .await
        .unwrap();
}

fn record(
    id: &str,
    author: &str,
    record_type: &str,
    created_at: chrono::DateTime<Utc>,
    body: Value,
) -> Value {
    json!({
        "client_id": id,
        "record_type": record_type,
        "author": author,
        "device_id": "phone-1",
        "created_at": created_at.to_rfc3339(),
        "body": body,
    })
}

fn report(id: &str, village: i64, severity: &str, place: &str, found: chrono::DateTime<Utc>) -> Value {
    record(
        id,
        "officer",
        "field_report",
        Utc::now(),
        json!({
            "kind": "land", "severity": severity, "village_id": village, "place": place,
            "found_at": found.to_rfc3339(), "parties": "张某、李某", "person_count": 3,
            "description": "两户因宅基地边界争执。", "action_taken": "现场劝解",
            "needs_township": true,
        }),
    )
}

async fn push(app: &Router, cookie: &str, records: Vec<Value>) -> Value {
    let request = Request::post("/api/v1/sync/push")
        .header(header::CONTENT_TYPE, "application/json")
        .header("sec-fetch-site", "same-origin")
        .header(header::COOKIE, cookie)
        .body(Body::from(json!({ "records": records }).to_string()))
        .expect("request");
    let reply = send(app, request).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let v: Value = serde_json::from_str(&reply.body).unwrap();
    for r in v["results"].as_array().unwrap() {
        assert_eq!(r["status"], "stored", "{r}");
    }
    v
}

async fn page(app: &Router, uri: &str, cookie: &str) -> Reply {
    send(app, get_with(uri, header::COOKIE, cookie)).await
}

/// A server function posted as a plain HTML form (no JavaScript): the answer is a
/// redirect back to the page it came from.
fn form_post(path: &str, body: &str, cookie: &str, from: &str) -> Request<Body> {
    Request::post(path)
        .header(header::ACCEPT, "text/html")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .header(header::REFERER, format!("http://127.0.0.1:3000{from}"))
        .header(header::COOKIE, cookie)
        .body(Body::from(body.to_owned()))
        .expect("request")
}

/// The same call as the hydrated page makes it (it answers JSON and a status).
fn js_call(path: &str, body: &str, cookie: &str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .header(header::COOKIE, cookie)
        .body(Body::from(body.to_owned()))
        .expect("request")
}

/// Where a redirect goes, as a path on this site.
fn location(reply: &Reply) -> String {
    let to = reply
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no redirect: {} {}", reply.status, reply.body));
    to.strip_prefix("http://127.0.0.1:3000").unwrap_or(to).to_owned()
}

async fn audited(t: &TestDb, action: AuditAction) -> i64 {
    let filter = AuditFilter {
        action: Some(action),
        ..AuditFilter::default()
    };
    t.db.audit_entries(&filter, &storage::AuditScope::All, 0, Some(1))
        .await
        .unwrap()
        .total
}

async fn report_id(t: &TestDb, client_id: &str) -> i64 {
    t.db.field_report_by_uuid(client_id).await.unwrap().unwrap().id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_sees_pushed_reports_urgent_first_and_another_township_sees_none() {
    for t in testing::all_migrated().await {
        let label = t.label;
        let app = app(&t).await;
        let v = township(&t).await.villages[0];
        let officer = login(&app, "officer").await;
        let hour_ago = Utc::now() - Duration::hours(1);
        push(
            &app,
            &officer,
            vec![report(&uuid(1), v, "urgent", "村口桥", hour_ago)],
        )
        .await;
        // A newer, ordinary report still comes after the urgent one.
        push(
            &app,
            &officer,
            vec![report(&uuid(2), v, "general", "三组晒谷场", hour_ago)],
        )
        .await;

        let clerk = login(&app, "clerk").await;
        let inbox = page(&app, "/office/reports", &clerk).await;
        assert_eq!(inbox.status, StatusCode::OK, "{label}: {}", inbox.body);
        let (urgent, general) = (inbox.body.find("村口桥"), inbox.body.find("三组晒谷场"));
        assert!(urgent.is_some() && general.is_some(), "{label}: {}", inbox.body);
        assert!(urgent < general, "{label}: urgent first");
        for shown in [
            "共 2 件",
            "土地纠纷",
            "紧急",
            "张秀英",
            "张某、李某（3 人）",
            "待处理",
            "需要",
        ] {
            assert!(inbox.body.contains(shown), "{label}: {shown} missing");
        }
        // The filters are plain query parameters.
        let only_general = page(&app, "/office/reports?severity=general", &clerk).await;
        assert!(
            only_general.body.contains("三组晒谷场") && !only_general.body.contains("村口桥"),
            "{label}"
        );
        let urgent_only = page(&app, &format!("/office/reports?urgent=1&village={v}"), &clerk).await;
        assert!(urgent_only.body.contains("共 1 件"), "{label}");
        // The office's navigation counts the urgent report waiting.
        assert!(inbox.body.contains("id=\"urgent-waiting\""), "{label}");
        assert!(inbox.body.contains("1 件紧急报告待处理"), "{label}");

        // The report's page, and its reading is in the audit log.
        let id = report_id(&t, &uuid(1)).await;
        let before = audited(&t, AuditAction::ReadFieldReport).await;
        let detail = page(&app, &format!("/office/reports/{id}"), &clerk).await;
        assert_eq!(detail.status, StatusCode::OK, "{label}: {}", detail.body);
        assert!(detail.body.contains("两户因宅基地边界争执。"), "{label}");
        assert!(detail.body.contains("现场劝解"), "{label}");
        assert!(detail.body.contains("data-step=\"acknowledge\""), "{label}");
        assert_eq!(
            audited(&t, AuditAction::ReadFieldReport).await,
            before + 1,
            "{label}"
        );

        // A clerk of another township: nothing in the list, the report is not found.
        let county = t.db.org_structure().await.unwrap().unwrap().township.parent_id;
        let west = storage::testing::create_org_unit(&t.db, county, OrgUnitKind::Township, "西山乡", None)
            .await
            .unwrap();
        storage::testing::create_org_unit(&t.db, Some(west), OrgUnitKind::Village, "上坪村", None)
            .await
            .unwrap();
        add_user(&t, "westclerk", "西山乡文员", Role::Clerk, west).await;
        let stranger = login(&app, "westclerk").await;
        let theirs = page(&app, "/office/reports", &stranger).await;
        assert_eq!(theirs.status, StatusCode::OK, "{label}");
        assert!(
            !theirs.body.contains("村口桥") && theirs.body.contains("共 0 件"),
            "{label}"
        );
        let refused = page(&app, &format!("/office/reports/{id}"), &stranger).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{label}");
        assert!(refused.body.contains("没有找到这条记录"), "{label}");
        assert!(!refused.body.contains("两户因宅基地边界争执"), "{label}");
        let step = js_call(
            "/api/field_inbox_step",
            &format!("id={id}&step=acknowledge"),
            &stranger,
        );
        assert_eq!(send(&app, step).await.status, StatusCode::NOT_FOUND, "{label}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reports_photo_is_shown_to_the_office_in_scope_and_each_look_is_audited() {
    for t in testing::all_migrated().await {
        let label = t.label;
        let app = app(&t).await;
        let v = township(&t).await.villages[0];
        let officer = login(&app, "officer").await;
        let mut photo = vec![0xFF, 0xD8, 0xFF, 0xE0];
        photo.extend((0..2000).map(|i| (i % 251) as u8));
        photo.extend([0xFF, 0xD9]);
        let pid = uuid(900);
        let declare = json!({"client_id": pid, "byte_size": photo.len(), "sha256": sha256(&photo), "media_type": "image/jpeg"});
        let begin = Request::post("/api/v1/photos")
            .header(header::CONTENT_TYPE, "application/json")
            .header("sec-fetch-site", "same-origin")
            .header(header::COOKIE, &officer)
            .body(Body::from(declare.to_string()))
            .expect("request");
        assert_eq!(send(&app, begin).await.status, StatusCode::CREATED, "{label}");
        let chunk = Request::put(format!("/api/v1/photos/{pid}"))
            .header("sec-fetch-site", "same-origin")
            .header(header::COOKIE, &officer)
            .header("upload-offset", "0")
            .body(Body::from(photo.clone()))
            .expect("request");
        assert_eq!(send(&app, chunk).await.status, StatusCode::OK, "{label}");
        let mut r = report(
            &uuid(1),
            v,
            "serious",
            "水库大坝",
            Utc::now() - Duration::hours(2),
        );
        r["body"]["photos"] = json!([pid, uuid(901)]);
        push(&app, &officer, vec![r]).await;
        let id = report_id(&t, &uuid(1)).await;

        let clerk = login(&app, "clerk").await;
        let detail = page(&app, &format!("/office/reports/{id}"), &clerk).await;
        assert!(
            detail
                .body
                .contains(&format!("src=\"/office/reports/{id}/photos/1\"")),
            "{label}: {}",
            detail.body
        );
        assert!(detail.body.contains("照片 2 还没有上传完成"), "{label}");
        let inbox = page(&app, "/office/reports", &clerk).await;
        assert!(inbox.body.contains("1/2 张"), "{label}");

        let before = audited(&t, AuditAction::ReadFieldPhoto).await;
        let shown = page(&app, &format!("/office/reports/{id}/photos/1"), &clerk).await;
        assert_eq!(shown.status, StatusCode::OK, "{label}");
        assert_eq!(shown.headers[header::CONTENT_TYPE], "image/jpeg", "{label}");
        assert_eq!(
            shown.headers[header::CACHE_CONTROL],
            "private, no-store",
            "{label}"
        );
        assert_eq!(shown.headers["x-content-type-options"], "nosniff", "{label}");
        assert_eq!(
            audited(&t, AuditAction::ReadFieldPhoto).await,
            before + 1,
            "{label}"
        );
        for missing in [
            format!("/office/reports/{id}/photos/2"),
            format!("/office/reports/{}/photos/1", id + 100),
        ] {
            assert_eq!(
                page(&app, &missing, &clerk).await.status,
                StatusCode::NOT_FOUND,
                "{label}: {missing}"
            );
        }
        // Not for a department's handler, who has no inbox, nor for no one.
        let refused = page(
            &app,
            &format!("/office/reports/{id}/photos/1"),
            &login(&app, "handler").await,
        )
        .await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{label}");
        let anonymous = send(&app, get(&format!("/office/reports/{id}/photos/1"))).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{label}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clerks_steps_work_as_plain_form_posts_and_reach_the_officers_phone() {
    for t in testing::all_migrated().await {
        let label = t.label;
        let app = app(&t).await;
        let v = township(&t).await.villages[0];
        let officer = login(&app, "officer").await;
        push(
            &app,
            &officer,
            vec![report(&uuid(1), v, "serious", "三组晒谷场", Utc::now())],
        )
        .await;
        let id = report_id(&t, &uuid(1)).await;
        let here = format!("/office/reports/{id}");
        let clerk = login(&app, "clerk").await;

        // Asking for more without saying what: a clear sentence in Chinese, not a 500.
        let no_note = send(
            &app,
            form_post(
                "/api/field_inbox_step",
                &format!("id={id}&step=request_info&note=+"),
                &clerk,
                &here,
            ),
        )
        .await;
        assert!(
            no_note.status.is_redirection(),
            "{label}: {} {}",
            no_note.status,
            no_note.body
        );
        let back = location(&no_note);
        assert!(
            back.starts_with(&here) && back.contains("__err"),
            "{label}: {back}"
        );
        let shown = page(&app, &back, &clerk).await;
        assert_eq!(shown.status, StatusCode::OK, "{label}");
        assert!(
            shown.body.contains("id=\"step-error\""),
            "{label}: {}",
            shown.body
        );
        assert!(shown.body.contains("要求补充时写明需要信息员补充什么"), "{label}");
        let as_js = send(
            &app,
            js_call(
                "/api/field_inbox_step",
                &format!("id={id}&step=request_info"),
                &clerk,
            ),
        )
        .await;
        assert_eq!(
            as_js.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: {}",
            as_js.body
        );
        // In English for a reader who chose it.
        let english = page(&app, &back, &format!("{clerk}; i18n_pref_locale=en")).await;
        assert!(english.body.contains("Please write a note"), "{label}");

        // Acknowledge (no note needed), ask for more, and the page shows each step.
        for (step, note) in [("acknowledge", ""), ("request_info", "请补充现场照片和涉及户数")] {
            let done = send(
                &app,
                form_post(
                    "/api/field_inbox_step",
                    &format!("id={id}&step={step}&note={}", encode(note)),
                    &clerk,
                    &here,
                ),
            )
            .await;
            assert!(done.status.is_redirection(), "{label}: {step} {}", done.body);
            assert!(
                !location(&done).contains("__err"),
                "{label}: {step} {}",
                location(&done)
            );
        }
        let after = page(&app, &here, &clerk).await;
        assert!(after.body.contains("待信息员补充"), "{label}");
        assert!(after.body.contains("data-event=\"request_info\""), "{label}");
        assert!(after.body.contains("请补充现场照片和涉及户数"), "{label}");
        assert!(after.body.contains("王芳"), "{label}: who took the step");

        // The officer's phone sees both steps on its next pull.
        let pulled = page(&app, "/api/v1/sync/pull?cursor=0", &officer).await;
        let p: Value = serde_json::from_str(&pulled.body).unwrap();
        let steps: Vec<(&str, &str)> = p["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["step"].as_str().unwrap_or(""), c["note"].as_str().unwrap_or("")))
            .collect();
        assert_eq!(
            steps,
            [("acknowledge", ""), ("request_info", "请补充现场照片和涉及户数")],
            "{label}"
        );

        // Closing with a note; the report is closed and leaves the open view.
        let close = send(
            &app,
            form_post(
                "/api/field_inbox_step",
                &format!("id={id}&step=close&note={}", encode("已调解，双方签字")),
                &clerk,
                &here,
            ),
        )
        .await;
        assert!(!location(&close).contains("__err"), "{label}");
        let closed = page(&app, &here, &clerk).await;
        assert!(
            closed.body.contains("已办结") && closed.body.contains("已调解，双方签字"),
            "{label}"
        );
        assert!(
            !closed.body.contains("data-step=\"close\""),
            "{label}: no more steps"
        );
        assert!(
            page(&app, "/office/reports", &clerk)
                .await
                .body
                .contains("共 0 件"),
            "{label}"
        );
        assert!(
            page(&app, "/office/reports?state=closed", &clerk)
                .await
                .body
                .contains("共 1 件"),
            "{label}"
        );
        let pulled = page(&app, "/api/v1/sync/pull?cursor=0", &officer).await;
        let p: Value = serde_json::from_str(&pulled.body).unwrap();
        let last = p["changes"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["step"].as_str(), last["state"].as_str()),
            (Some("close"), Some("closed")),
            "{label}"
        );
        // Closing twice: refused with 409, and in words on the page.
        let again = send(
            &app,
            js_call(
                "/api/field_inbox_step",
                &format!("id={id}&step=close&note=x"),
                &clerk,
            ),
        )
        .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{label}");
        let twice = send(
            &app,
            form_post(
                "/api/field_inbox_step",
                &format!("id={id}&step=close&note=x"),
                &clerk,
                &here,
            ),
        )
        .await;
        let shown = page(&app, &location(&twice), &clerk).await;
        assert!(shown.body.contains("这件报告现在不能办理这一步"), "{label}");
        assert!(audited(&t, AuditAction::FieldReportStep).await >= 3, "{label}");
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_overview_shows_on_time_zero_and_missing_villages() {
    for t in testing::all_migrated().await {
        let label = t.label;
        let app = app(&t).await;
        let villages = township(&t).await.villages;
        add_user(&t, "neighbour", "邻村信息员", Role::InfoOfficer, villages[1]).await;
        let admin = login(&app, "admin").await;
        // The admin sets the deadline to Monday 00:00 of the following week: last week's
        // reports are due whatever the day this runs.
        let settings = page(&app, "/office/weekly", &admin).await;
        assert_eq!(settings.status, StatusCode::OK, "{label}");
        assert!(
            settings.body.contains("id=\"deadline-form\"") && settings.body.contains("id=\"kinds-form\""),
            "{label}"
        );
        assert!(
            settings.body.contains("周报情况由信访办工作人员和包案领导查看"),
            "{label}"
        );
        let township_id = t.db.org_structure().await.unwrap().unwrap().township.id;
        let set = send(
            &app,
            js_call(
                "/api/set_weekly_deadline",
                &format!("township_id={township_id}&weekday=1&hour=0&next_week=true"),
                &admin,
            ),
        )
        .await;
        assert_eq!(set.status, StatusCode::OK, "{label}: {}", set.body);
        let bad = send(
            &app,
            js_call(
                "/api/set_weekly_deadline",
                &format!("township_id={township_id}&weekday=8&hour=0&next_week=true"),
                &admin,
            ),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        let clerk = login(&app, "clerk").await;
        let not_admin = send(
            &app,
            js_call(
                "/api/set_weekly_deadline",
                &format!("township_id={township_id}&weekday=5&hour=17&next_week=false"),
                &clerk,
            ),
        )
        .await;
        assert_eq!(not_admin.status, StatusCode::NOT_FOUND, "{label}");
        assert!(audited(&t, AuditAction::EditReportKinds).await >= 1, "{label}");

        // Last week: the first village lists one report, in on time by the phone's clock;
        // the second sends a zero report; the rest send nothing.
        let last = Week::of(Utc::now()).previous();
        let (monday, _) = last.utc_range();
        let found = monday + Duration::days(2);
        let sent = monday + Duration::days(5);
        let officer = login(&app, "officer").await;
        let mut listed = report(&uuid(1), villages[0], "general", "三组", found);
        listed["created_at"] = json!(sent.to_rfc3339());
        let weekly = record(
            &uuid(2),
            "officer",
            "weekly_report",
            sent,
            json!({ "village_id": villages[0], "week": last.to_string(), "zero": false, "items": [uuid(1)] }),
        );
        push(&app, &officer, vec![listed, weekly]).await;
        let neighbour = login(&app, "neighbour").await;
        let zero = record(
            &uuid(3),
            "neighbour",
            "weekly_report",
            sent,
            json!({ "village_id": villages[1], "week": last.to_string(), "zero": true }),
        );
        push(&app, &neighbour, vec![zero]).await;

        let overview = page(&app, &format!("/office/weekly?week={last}"), &clerk).await;
        assert_eq!(overview.status, StatusCode::OK, "{label}: {}", overview.body);
        let b = &overview.body;
        assert!(b.contains(&format!("排查周报 {last}")), "{label}");
        assert!(
            b.contains(&format!(
                "data-village=\"{}\" data-status=\"on_time\"",
                villages[0]
            )),
            "{label}: {b}"
        );
        assert!(
            b.contains(&format!("data-village=\"{}\" data-status=\"zero\"", villages[1])),
            "{label}"
        );
        let missing = villages.len() - 2;
        assert_eq!(b.matches("data-status=\"missing\"").count(), missing, "{label}");
        assert!(
            b.contains("1 件") && b.contains("张秀英"),
            "{label}: items and who: {b}"
        );
        let counts = &b[b.find("id=\"weekly-counts\"").unwrap()..];
        // Each count opens the villages standing there.
        let count_of = |status: &str| {
            let at = counts.find(&format!("class=\"{status}\"")).unwrap();
            &counts[at..at + 200]
        };
        let status_link = |status: &str| format!("href=\"/office/weekly?week={last}&amp;status={status}\"");
        for (status, n) in [("missing", missing), ("zero", 1), ("on_time", 1)] {
            let count = count_of(status);
            assert!(
                count.contains(&status_link(status)) && count.contains(&format!("<strong>{n} 个")),
                "{label}: {count}"
            );
        }
        let only_missing = page(
            &app,
            &format!("/office/weekly?week={last}&status=missing"),
            &clerk,
        )
        .await;
        let m = &only_missing.body;
        assert_eq!(m.matches("data-status=\"missing\"").count(), missing, "{label}");
        assert!(
            !m.contains("data-status=\"on_time\"") && !m.contains("data-status=\"zero\""),
            "{label}"
        );
        // The office desk counts the same villages, for the week that is due.
        let desk = page(&app, "/office", &clerk).await;
        let at = desk.body.find("data-testid=\"desk-weekly-missing\"").unwrap();
        let tile = &desk.body[at..at + 80];
        assert!(tile.contains(&format!(">{missing}<")), "{label}: {tile}");
        assert!(desk.body.contains(&status_link("missing")), "{label}");
        assert!(
            b.contains(&format!("href=\"/office/weekly?week={}\"", last.previous())),
            "{label}"
        );
        assert!(
            !b.contains("id=\"deadline-form\""),
            "{label}: the settings are the admin's"
        );
        // By default this week, China time.
        let this = page(&app, "/office/weekly", &clerk).await;
        assert!(
            this.body.contains(&format!("排查周报 {}", Week::of(Utc::now()))),
            "{label}"
        );
        let junk = page(&app, "/office/weekly?week=2026-W99", &clerk).await;
        assert!(junk.body.contains("error-message"), "{label}");

        // The admin's kinds list: blank rows are dropped; a bad code is refused in words.
        let kinds = "kinds%5B0%5D%5Bcode%5D=land&kinds%5B0%5D%5Bname_zh%5D=%E5%9C%9F%E5%9C%B0&kinds%5B0%5D%5Bname_en%5D=Land&kinds%5B0%5D%5Bcategory%5D=dispute\
             &kinds%5B1%5D%5Bcode%5D=&kinds%5B1%5D%5Bname_zh%5D=&kinds%5B1%5D%5Bname_en%5D=&kinds%5B1%5D%5Bcategory%5D=dispute";
        let saved = send(
            &app,
            js_call(
                "/api/set_report_kinds",
                &format!("township_id={township_id}&{kinds}"),
                &admin,
            ),
        )
        .await;
        assert_eq!(saved.status, StatusCode::OK, "{label}: {}", saved.body);
        let pulled: Value =
            serde_json::from_str(&page(&app, "/api/v1/sync/pull?cursor=0", &officer).await.body).unwrap();
        assert_eq!(
            pulled["report_kinds"].as_array().map(Vec::len),
            Some(1),
            "{label}"
        );
        let wrong = "kinds%5B0%5D%5Bcode%5D=Land!&kinds%5B0%5D%5Bname_zh%5D=a&kinds%5B0%5D%5Bname_en%5D=a&kinds%5B0%5D%5Bcategory%5D=dispute";
        let refused = send(
            &app,
            form_post(
                "/api/set_report_kinds",
                &format!("township_id={township_id}&{wrong}"),
                &admin,
                "/office/weekly",
            ),
        )
        .await;
        let shown = page(&app, &location(&refused), &admin).await;
        assert!(shown.body.contains("代码"), "{label}: {}", shown.body);
        let by_clerk = send(
            &app,
            js_call(
                "/api/set_report_kinds",
                &format!("township_id={township_id}&{kinds}"),
                &clerk,
            ),
        )
        .await;
        assert_eq!(by_clerk.status, StatusCode::NOT_FOUND, "{label}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_roles_and_strangers_do_not_open_the_office_pages() {
    let (t, app) = sqlite_app().await;
    let v = township(&t).await.villages[0];
    let officer = login(&app, "officer").await;
    push(
        &app,
        &officer,
        vec![report(&uuid(1), v, "urgent", "村口桥", Utc::now())],
    )
    .await;
    let id = report_id(&t, &uuid(1)).await;
    for uri in [
        "/office/reports".to_owned(),
        format!("/office/reports/{id}"),
        "/office/weekly".to_owned(),
    ] {
        let refused = page(&app, &uri, &officer).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{uri}");
        assert!(!refused.body.contains("村口桥"), "{uri}");
        let anonymous = send(&app, get(&uri)).await;
        assert_eq!(anonymous.status, StatusCode::FOUND, "{uri}");
    }
    // The server functions refuse them as well, whatever the page shows.
    let listed = send(&app, js_call("/api/field_inbox", "filter%5Bpage%5D=1", &officer)).await;
    assert_eq!(listed.status, StatusCode::NOT_FOUND, "{}", listed.body);
    // A department's handler is office staff but has no inbox: not listed, not found.
    let handler = login(&app, "handler").await;
    let office = page(&app, "/office", &handler).await;
    assert!(!office.body.contains("href=\"/office/reports\""));
    let theirs = page(&app, &format!("/office/reports/{id}"), &handler).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.body);
    let clerk = page(&app, "/office", &login(&app, "clerk").await).await;
    assert_eq!(clerk.status, StatusCode::OK);
    assert!(
        clerk.body.contains("href=\"/office/reports\"") && clerk.body.contains("href=\"/office/weekly\""),
        "{}",
        clerk.body
    );
}
