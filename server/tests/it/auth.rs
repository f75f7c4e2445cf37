//! Logging in and out, area guards, cross-origin refusal, security headers and the
//! audit export, through the router as a browser meets them, on both engines.

use crate::common::*;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use storage::testing;

fn post_form(path: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let mut r = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin");
    if let Some(cookie) = cookie {
        r = r.header(header::COOKIE, cookie);
    }
    r.body(Body::from(body.to_owned())).expect("request")
}

async fn try_login(app: &Router, username: &str, password: &str) -> Reply {
    send(
        app,
        post_form(
            "/api/login",
            &format!("username={username}&password={password}"),
            None,
        ),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_area_admits_only_its_roles_and_sends_strangers_to_login() {
    for t in testing::all_migrated().await {
        let app = app(&t).await;
        let anonymous = send(&app, get("/office/users")).await;
        assert!(
            anonymous.status.is_redirection(),
            "{}: {}",
            t.label,
            anonymous.status
        );
        assert_eq!(anonymous.headers[header::LOCATION], "/login?next=/office/users");

        let officer = login(&app, "officer").await;
        let refused = send(&app, get_with("/office", header::COOKIE, &officer)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", t.label);
        assert!(refused.body.contains("无权访问"), "{}", t.label);
        let field = send(&app, get_with("/field", header::COOKIE, &officer)).await;
        assert_eq!(field.status, StatusCode::OK, "{}", t.label);
        assert!(
            field.body.contains("张秀英"),
            "{}: the officer's name in the top bar",
            t.label
        );

        let clerk = login(&app, "clerk").await;
        let office = send(&app, get_with("/office", header::COOKIE, &clerk)).await;
        assert_eq!(office.status, StatusCode::OK, "{}", t.label);
        let no_field = send(&app, get_with("/field", header::COOKIE, &clerk)).await;
        assert_eq!(no_field.status, StatusCode::FORBIDDEN, "{}", t.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_name_and_a_wrong_password_look_the_same_then_throttle() {
    let (_t, app) = sqlite_app().await;
    let wrong_password = try_login(&app, "clerk", "not-the-password").await;
    let wrong_name = try_login(&app, "no-such-user", "not-the-password").await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (wrong_password.status, &wrong_password.body),
        (wrong_name.status, &wrong_name.body)
    );
    assert!(!wrong_password.headers.contains_key(header::SET_COOKIE));
    for _ in 0..4 {
        try_login(&app, "clerk", "not-the-password").await;
    }
    let locked = try_login(&app, "clerk", services::demo::DEMO_PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}", locked.body);
    assert!(locked.body.contains("throttled"), "{}", locked.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_post_from_another_site_is_refused() {
    let (_t, app) = sqlite_app().await;
    let body = format!("username=clerk&password={}", services::demo::DEMO_PASSWORD);
    for (name, value) in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let request = Request::post("/api/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "127.0.0.1:3000")
            .header(name, value)
            .body(Body::from(body.clone()))
            .expect("request");
        let reply = send(&app, request).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{name}: {}", reply.body);
        assert!(!reply.headers.contains_key(header::SET_COOKIE));
    }
    // The same post from the site itself logs in.
    let request = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .body(Body::from(body))
        .expect("request");
    assert!(send(&app, request).await.headers.contains_key(header::SET_COOKIE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_a_nonce_policy_and_the_security_headers() {
    let (_t, app) = sqlite_app().await;
    let page = send(&app, get("/login")).await;
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"),
        "{csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(nonce.len() >= 16, "{nonce}");
    assert!(
        page.body.contains(&format!("nonce=\"{nonce}\"")),
        "the page's scripts carry it"
    );
    assert_eq!(page.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(page.headers[header::REFERRER_POLICY], "same-origin");
    // A second page gets a different nonce.
    let again = send(&app, get("/login")).await;
    assert_ne!(
        again.headers[header::CONTENT_SECURITY_POLICY],
        page.headers[header::CONTENT_SECURITY_POLICY]
    );
    // Non-page answers get the policy too, with no inline script allowed.
    let health = send(&app, get("/healthz")).await;
    let policy = health.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii");
    assert!(!policy.contains("nonce"), "{policy}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_is_http_only_and_logout_ends_it() {
    let (_t, app) = sqlite_app().await;
    let reply = try_login(&app, "clerk", services::demo::DEMO_PASSWORD).await;
    let set = reply.headers[header::SET_COOKIE]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Max-Age=43200"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain http on localhost: {set}");
    let cookie = set.split(';').next().expect("pair").to_owned();

    assert_eq!(
        send(&app, get_with("/office", header::COOKIE, &cookie))
            .await
            .status,
        StatusCode::OK
    );
    send(&app, post_form("/api/logout", "", Some(&cookie))).await;
    let after = send(&app, get_with("/office", header::COOKIE, &cookie)).await;
    assert!(after.status.is_redirection(), "{}", after.status);
    let cleared = after.headers[header::SET_COOKIE].to_str().expect("ascii");
    assert!(
        cleared.starts_with("minqing_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );

    // Behind an HTTPS proxy the cookie is Secure.
    let request = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-proto", "https")
        .body(Body::from(format!(
            "username=admin&password={}",
            services::demo::DEMO_PASSWORD
        )))
        .expect("request");
    let secure = send(&app, request).await;
    assert!(
        secure.headers[header::SET_COOKIE]
            .to_str()
            .expect("ascii")
            .contains("; Secure")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_an_account_that_can_log_in_and_the_audit_log_shows_it() {
    for t in testing::all_migrated().await {
        let app = app(&t).await;
        let admin = login(&app, "admin").await;
        let structure = t.db.org_structure().await.expect("structure").expect("township");
        let grid = structure.villages[1].grids[0].id;
        let form = format!(
            "username=liming&display_name=%E6%9D%8E%E6%98%8E&phone=13800138000&role=grid_worker&unit_id={grid}&password=spring-river-2026-walk"
        );
        let created = send(&app, post_form("/api/create_user", &form, Some(&admin))).await;
        assert_eq!(created.status, StatusCode::OK, "{}: {}", t.label, created.body);
        let reply = try_login(&app, "liming", "spring-river-2026-walk").await;
        assert!(
            reply.headers.contains_key(header::SET_COOKIE),
            "{}: {}",
            t.label,
            reply.body
        );

        // A clerk cannot create accounts: the unit is outside any scope they have.
        let clerk = login(&app, "clerk").await;
        let refused = send(
            &app,
            post_form(
                "/api/create_user",
                &form.replace("liming", "liming2"),
                Some(&clerk),
            ),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}: {}",
            t.label,
            refused.body
        );

        let csv = send(
            &app,
            get_with("/office/audit.csv?action=create_user", header::COOKIE, &admin),
        )
        .await;
        assert_eq!(csv.status, StatusCode::OK, "{}: {}", t.label, csv.body);
        assert!(csv.body.starts_with('\u{feff}'), "BOM for Excel");
        assert!(
            csv.body.contains("create_user") && csv.body.contains("admin"),
            "{}",
            csv.body
        );
        let xlsx = send(&app, get_with("/office/audit.xlsx", header::COOKIE, &admin)).await;
        assert_eq!(xlsx.status, StatusCode::OK, "{}", t.label);
        assert!(
            xlsx.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains(".xlsx")
        );
        let not_theirs = send(&app, get_with("/office/audit.csv", header::COOKIE, &clerk)).await;
        assert_eq!(not_theirs.status, StatusCode::NOT_FOUND, "{}", t.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_an_account_logs_it_out_everywhere() {
    let (t, app) = sqlite_app().await;
    let officer = login(&app, "officer").await;
    let admin = login(&app, "admin").await;
    let id =
        t.db.credentials("officer")
            .await
            .expect("db")
            .expect("officer")
            .user_id;
    let reply = send(
        &app,
        post_form(
            "/api/set_user_disabled",
            &format!("user_id={id}&disabled=true"),
            Some(&admin),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        send(&app, get_with("/field", header::COOKIE, &officer))
            .await
            .status
            .is_redirection()
    );
    let again = try_login(&app, "officer", services::demo::DEMO_PASSWORD).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

/// A static file served while a page renders on the same thread (a phone's service
/// worker fetching the build while a clerk opens office pages). Leptos leaves each
/// render's root owner as the thread's current owner, and leptos_axum's static-file
/// fallback moved the response headers it found there onto the file: the page went out
/// without its nonce policy (its scripts blocked, the page never came alive) and the file
/// with the page's headers.
#[tokio::test]
async fn a_static_file_never_takes_a_page_s_headers() {
    use leptos::prelude::{Owner, provide_context};
    let t = storage::testing::sqlite().await;
    t.db.migrate().await.expect("migrate");
    let site = storage::testing::temp_dir();
    std::fs::create_dir_all(site.0.join("pkg")).expect("pkg dir");
    std::fs::write(site.0.join("pkg/probe.js"), "export {};").expect("static file");
    let state = server::AppState::new(t.db.clone(), &site.0, "127.0.0.1:3000".parse().expect("addr"));
    let app = server::router(state);

    // A page's render in progress on this thread, its policy set, its headers not yet sent.
    let page = Owner::new_root(None);
    let page_options = leptos_axum::ResponseOptions::default();
    page.with(|| provide_context(page_options.clone()));
    let page_policy = header::HeaderValue::from_static("script-src 'nonce-page'");
    page_options.insert_header(header::CONTENT_SECURITY_POLICY, page_policy.clone());
    page_options.insert_header(header::SET_COOKIE, header::HeaderValue::from_static("page=1"));

    let file = send(&app, get("/pkg/probe.js")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, "export {};");
    assert_ne!(file.headers[header::CONTENT_SECURITY_POLICY], page_policy);
    assert!(!file.headers.contains_key(header::SET_COOKIE));
    // A file that is not there is the app's 404 page, with its own nonce policy.
    let missing = send(&app, get("/pkg/nothing.js")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .is_ok_and(|p| p.contains("'nonce-"))
    );
    assert_ne!(missing.headers[header::CONTENT_SECURITY_POLICY], page_policy);
    drop(page);
}
