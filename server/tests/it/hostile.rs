//! The app as an attacker meets it, on both engines: every route with no account and
//! with the wrong role, bodies that are too large or malformed, and the inputs that
//! once crashed or fooled it. Nothing a client sends may answer 5xx, and a refused
//! request changes nothing.

use crate::common::{self, Reply, app, login, send};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::audit::{AuditAction, AuditFilter, AuditOutcome};
use storage::testing;
use storage::{AuditScope, Database};

/// Every page of the app, with a real id where the route takes one.
const PAGES: &[&str] = &[
    "/",
    "/guide",
    "/offline",
    "/login",
    "/petition",
    "/track",
    "/track?code=XF-20261123-0001",
    "/account",
    "/field",
    "/field/report",
    "/field/weekly",
    "/field/outbox",
    "/field/intake",
    "/office",
    "/office/intake",
    "/office/users",
    "/office/audit",
    "/office/roster",
    "/office/info",
    "/office/petitions",
    "/office/petitions?q=%00%FF&page=-1&from=9999-99-99",
    "/office/petitions/1",
    "/office/petitions/999999999999",
    "/office/petitions/abc",
    "/office/petitions/1/print/receipt_notice",
    "/office/petitions/1/print/nonsense",
    "/office/petitions/1/print/../../etc",
    "/office/reports",
    "/office/reports/1",
    "/office/weekly",
    "/office/petitions.csv",
    "/office/petitions.xlsx",
    "/office/audit.csv",
    "/office/audit.xlsx",
    "/office/attachments/1",
    "/office/reports/1/photos/1",
    "/api/v1/sync/pull?cursor=-5",
    "/api/v1/photos/not-a-uuid",
    "/api/v1/openapi.json",
];

/// Every server function, by its fixed endpoint.
const SERVER_FNS: &[&str] = &[
    "field_inbox",
    "field_urgent_waiting",
    "field_report",
    "field_inbox_step",
    "field_weekly",
    "field_settings",
    "set_weekly_deadline",
    "set_report_kinds",
    "petition_form_data",
    "petition_registry",
    "petition_case",
    "petition_document",
    "reveal_identity",
    "petition_step",
    "office_info",
    "set_office_info",
    "township_overview",
    "org_structure",
    "field_setup",
    "login",
    "logout",
    "change_password",
    "users",
    "create_user",
    "set_user_disabled",
    "reset_password",
    "revoke_sessions",
    "audit",
    "import_roster",
    "create_org_unit",
];

/// Bodies a server function may be sent: nothing, junk, the wrong types, a huge value.
fn junk_bodies() -> Vec<(&'static str, String)> {
    vec![
        ("application/x-www-form-urlencoded", String::new()),
        (
            "application/x-www-form-urlencoded",
            "id=abc&step=%FF%FE&filter=1".into(),
        ),
        (
            "application/x-www-form-urlencoded",
            "id=1&parent_id=1&kind=village&name=".to_owned() + &"村".repeat(5_000),
        ),
        ("application/json", "{\"id\": [1,2,3]".into()),
        ("multipart/form-data; boundary=x", "--x\r\nbroken".into()),
    ]
}

/// A request from `cookie`'s session, from an address of its own: the per-address rate
/// limit would otherwise answer most of this suite with 429 and hide what is behind it.
fn as_who(mut request: Request<Body>, cookie: Option<&str>) -> Request<Body> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let address = std::net::SocketAddr::from(([10, (n >> 16) as u8, (n >> 8) as u8, n as u8], 40_000));
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(address));
    if let Some(c) = cookie {
        request
            .headers_mut()
            .insert(header::COOKIE, c.parse().expect("cookie"));
    }
    request
}

/// What a refused request must never have changed.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    users: usize,
    units: usize,
    petitions: i64,
    reports: i64,
}

async fn counts(db: &Database) -> Counts {
    let s = db.org_structure().await.expect("org").expect("township");
    let count = |table: &'static str| async move {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match db {
            Database::Sqlite(pool) => sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await,
            Database::Postgres { pool, .. } => sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await,
        }
        .expect("count")
    };
    Counts {
        users: db.users().await.expect("users").len(),
        units: s.villages.iter().map(|v| 1 + v.grids.len()).sum::<usize>() + s.departments.len(),
        petitions: count("petition").await,
        reports: count("field_report").await,
    }
}

fn no_server_error(label: &str, who: &str, what: &str, reply: &Reply) {
    assert!(
        !reply.status.is_server_error() && reply.status != StatusCode::TOO_MANY_REQUESTS,
        "{label}: {who} {what} answered {}: {}",
        reply.status,
        reply.body.chars().take(300).collect::<String>()
    );
}

#[tokio::test]
async fn no_route_answers_5xx_to_a_stranger_or_the_wrong_role_and_nothing_changes() {
    for t in testing::all_migrated().await {
        let label = t.label;
        let app = app(&t).await;
        let before = counts(&t.db).await;
        // No account, a field officer on office routes, a department's handler on the
        // admin's, and a clerk on the admin's.
        let mut callers: Vec<(&str, Option<String>)> = vec![("anonymous", None)];
        for who in ["officer", "handler", "clerk"] {
            callers.push((who, Some(login(&app, who).await)));
        }
        for (who, cookie) in &callers {
            for page in PAGES {
                let reply = send(&app, as_who(common::get(page), cookie.as_deref())).await;
                no_server_error(label, who, page, &reply);
            }
            for name in SERVER_FNS {
                // Logging out would end the session the rest of the loop uses.
                if *name == "logout" {
                    continue;
                }
                for (content_type, body) in junk_bodies() {
                    let request = Request::post(format!("/api/{name}"))
                        .header(header::CONTENT_TYPE, content_type)
                        .body(Body::from(body))
                        .expect("request");
                    let reply = send(&app, as_who(request, cookie.as_deref())).await;
                    no_server_error(label, who, name, &reply);
                }
            }
            for (method, path, body) in [
                ("POST", "/api/v1/sync/push", "{\"records\": [{}, 1, null, \"x\"]}"),
                ("POST", "/api/v1/sync/push", "not json"),
                ("POST", "/api/v1/photos", "{\"client_id\": 5}"),
                ("PUT", "/api/v1/photos/00000000-0000-4000-8000-000000000000", ""),
                ("POST", "/track", "code=%FF&password="),
                (
                    "POST",
                    "/track/evaluate",
                    "code=XF-20261123-0001&password=x&rating=great",
                ),
                ("POST", "/petition", "not multipart"),
                ("POST", "/office/intake", "not multipart"),
                ("POST", "/field/intake", "not multipart"),
            ] {
                let request = Request::builder()
                    .method(method)
                    .uri(path)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .expect("request");
                let reply = send(&app, as_who(request, cookie.as_deref())).await;
                no_server_error(label, who, path, &reply);
            }
        }
        // The citizen's form as a Chinese phone keyboard types it (full-width digits),
        // which once panicked the server: answered, never a dropped connection.
        let reply = send(
            &app,
            as_who(
                petition_post(&[("resident_id", "１１０１０５１９４９１２３１００２Ｘ")]),
                None,
            ),
        )
        .await;
        no_server_error(label, "anonymous", "/petition full width", &reply);
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert!(
            !reply.body.contains("应为 18 位") && !reply.body.contains("校验位不对"),
            "{label}: the full-width ID was refused"
        );
        assert_eq!(
            counts(&t.db).await,
            before,
            "{label}: a refused request changed something"
        );
        // The wrong role's reads are refusals, and the project logs those.
        let denied =
            t.db.audit_entries(
                &AuditFilter {
                    action: Some(AuditAction::Denied),
                    ..AuditFilter::default()
                },
                &AuditScope::All,
                0,
                None,
            )
            .await
            .expect("audit");
        assert!(denied.total > 0, "{label}: no refusal was logged");
    }
}

/// A multipart post of the public form with these fields (the rest left empty).
fn petition_post(fields: &[(&str, &str)]) -> Request<Body> {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str("--b--\r\n");
    Request::post("/petition")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=b")
        .header(header::ACCEPT, "text/html")
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413_not_read_into_memory() {
    for t in testing::all_migrated().await {
        let label = t.label;
        let app = app(&t).await;
        let cookie = login(&app, "officer").await;
        let huge = format!("{{\"records\": [\"{}\"]}}", "x".repeat(3 * 1024 * 1024));
        let request = Request::post("/api/v1/sync/push")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(huge))
            .expect("request");
        let reply = send(&app, as_who(request, Some(&cookie))).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{label}");
        let chunk = vec![0_u8; 2 * 1024 * 1024];
        let request = Request::put("/api/v1/photos/00000000-0000-4000-8000-000000000000")
            .header("upload-offset", "0")
            .body(Body::from(chunk))
            .expect("request");
        let reply = send(&app, as_who(request, Some(&cookie))).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{label}");
    }
}

#[tokio::test]
async fn a_login_with_a_huge_username_stores_nothing_of_it() {
    for t in testing::all_migrated().await {
        let label = t.label;
        let app = app(&t).await;
        let name = "a".repeat(40_000);
        let reply = send(
            &app,
            Request::post("/api/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("username={name}&password=whatever-it-is")))
                .expect("request"),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: {}",
            reply.body
        );
        let logins =
            t.db.audit_entries(
                &AuditFilter {
                    action: Some(AuditAction::Login),
                    ..AuditFilter::default()
                },
                &AuditScope::All,
                0,
                None,
            )
            .await
            .expect("audit");
        assert!(
            logins
                .entries
                .iter()
                .all(|e| e.username.as_deref().is_none_or(|u| u.len() < 100)),
            "{label}"
        );
        // And whatever reaches the log is cut to its limits there, not stored whole.
        let mut entry =
            domain::audit::NewAuditEntry::new(chrono::Utc::now(), AuditAction::Login, AuditOutcome::Failed);
        entry.username = Some(name.clone());
        entry.detail = Some("详".repeat(40_000));
        entry.user_agent = Some(name.clone());
        t.db.append_audit(&entry).await.expect("append");
        let page =
            t.db.audit_entries(&AuditFilter::default(), &AuditScope::All, 0, Some(1))
                .await
                .expect("audit");
        let stored = &page.entries[0];
        assert!(
            stored
                .username
                .as_deref()
                .is_some_and(|u| u.chars().count() <= 64),
            "{label}"
        );
        assert!(
            stored
                .detail
                .as_deref()
                .is_some_and(|d| d.chars().count() <= 1_000),
            "{label}"
        );
        assert!(
            stored
                .user_agent
                .as_deref()
                .is_some_and(|d| d.chars().count() <= 256),
            "{label}"
        );
    }
}

#[tokio::test]
async fn pages_with_a_form_token_or_office_data_are_never_cached() {
    let t = testing::sqlite().await;
    t.db.migrate().await.expect("migrate");
    let app = app(&t).await;
    let clerk = login(&app, "clerk").await;
    for (page, cookie) in [
        ("/petition", None),
        ("/office", Some(clerk.as_str())),
        ("/office/petitions", Some(clerk.as_str())),
        ("/office/intake", Some(clerk.as_str())),
        ("/account", Some(clerk.as_str())),
    ] {
        let reply = send(&app, as_who(common::get(page), cookie)).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        assert_eq!(
            reply
                .headers
                .get(header::CACHE_CONTROL)
                .map(|v| v.to_str().unwrap_or("")),
            Some("no-store"),
            "{page}"
        );
    }
    let petition = send(&app, common::get("/petition")).await;
    assert!(
        petition
            .body
            .contains("name=\"challenge_token\" autocomplete=\"off\""),
        "the token must not be restored by the browser"
    );
    // A field page stays cacheable: the phone keeps it for use without signal.
    let officer = login(&app, "officer").await;
    let field = send(&app, as_who(common::get("/field"), Some(&officer))).await;
    assert_ne!(
        field
            .headers
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap_or("")),
        Some("no-store")
    );
}

async fn boom() -> &'static str {
    panic!("a bug a test missed")
}

#[tokio::test]
async fn a_panic_becomes_a_logged_500_with_the_request_id() {
    use axum::routing::get;
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    let panics: Router = Router::new()
        .route("/boom", get(boom))
        .route(
            "/api/boom",
            get(|| async {
                let v: Vec<String> = Vec::new();
                v[3].clone()
            }),
        )
        .layer(axum::middleware::from_fn(server::security::catch_panic))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    let page = send(&panics, common::get("/boom")).await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    let id = page
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("request id")
        .to_owned();
    assert!(page.body.contains(&id), "{}", page.body);
    assert!(page.body.contains("服务器出错了"));
    let api = send(&panics, common::get("/api/boom")).await;
    assert_eq!(api.status, StatusCode::INTERNAL_SERVER_ERROR);
    let json: serde_json::Value = serde_json::from_str(&api.body).expect("json");
    assert_eq!(json["code"], "internal");
    assert_eq!(
        json["request_id"].as_str(),
        api.headers.get("x-request-id").and_then(|v| v.to_str().ok())
    );
}

// --- the roster import over HTTP: only an admin's upload is read at all ----------------

const ROSTER_BOUNDARY: &str = "----minqing-roster-boundary";

/// The roster form's post as the page sends it: one file in the field `file`.
fn roster_upload(file_name: &str, bytes: &[u8], cookie: Option<&str>) -> Request<Body> {
    let mut body = format!(
        "--{ROSTER_BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend(bytes);
    body.extend(format!("\r\n--{ROSTER_BOUNDARY}--\r\n").as_bytes());
    let mut request = Request::post("/api/import_roster")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={ROSTER_BOUNDARY}"),
        )
        .header("sec-fetch-site", "same-origin");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(body)).expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_gets_an_uploaded_roster_read() {
    // Not a roster: read, it is refused as a file problem (422).
    let junk = b"\xFF\xD8\xFF\xE0 not a roster";
    for t in testing::all_migrated().await {
        let app = app(&t).await;

        let anonymous = send(&app, roster_upload("photo.jpg", junk, None)).await;
        assert_eq!(
            anonymous.status,
            StatusCode::UNAUTHORIZED,
            "{}: {}",
            t.label,
            anonymous.body
        );

        let clerk = login(&app, "clerk").await;
        let refused = send(&app, roster_upload("photo.jpg", junk, Some(&clerk))).await;
        assert_eq!(
            refused.status,
            StatusCode::NOT_FOUND,
            "{}: {}",
            t.label,
            refused.body
        );
        let filter = AuditFilter {
            action: Some(AuditAction::ImportRoster),
            username: Some("clerk".into()),
            ..AuditFilter::default()
        };
        let log =
            t.db.audit_entries(&filter, &AuditScope::All, 0, None)
                .await
                .expect("audit");
        assert_eq!(log.total, 1, "{}", t.label);
        assert_eq!(log.entries[0].outcome, AuditOutcome::Denied, "{}", t.label);

        // An admin's upload is read, and this one is refused for what it is.
        let admin = login(&app, "admin").await;
        let read = send(&app, roster_upload("photo.jpg", junk, Some(&admin))).await;
        assert_eq!(
            read.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}: {}",
            t.label,
            read.body
        );
        assert!(read.body.contains("file"), "{}: {}", t.label, read.body);
    }
}
