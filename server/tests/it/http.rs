//! The HTTP edge, driven through the router as a browser would, on both engines.

use crate::common::*;
use axum::http::{StatusCode, header};
use storage::testing;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_a_reachable_database_and_503_when_it_is_gone() {
    for t in testing::all_migrated().await {
        let app = app(&t).await;
        let ok = send(&app, get("/healthz")).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", t.label);
        let health: serde_json::Value = serde_json::from_str(&ok.body).expect("json");
        assert_eq!(health["database"], "ok");
        assert_eq!(health["engine"], t.label);
        assert!(
            ok.headers.contains_key("x-request-id"),
            "every answer carries a request id"
        );

        t.db.close().await;
        let down = send(&app, get("/healthz")).await;
        assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE, "{}", t.label);
        assert!(down.body.contains(r#""database":"unreachable""#), "{}", down.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_completely_on_the_server_in_chinese() {
    for t in testing::all_migrated().await {
        let app = app(&t).await;
        let home = send(&app, get("/")).await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(
            home.body.contains(r#"<html lang="zh-CN""#),
            "{}",
            &home.body[..200]
        );
        assert!(
            home.body.contains("12 个村(社区) · 26 个网格 · 5 个承办单位"),
            "{}",
            t.label
        );

        let clerk = login(&app, "clerk").await;
        let office = send(&app, get_with("/office/org", header::COOKIE, &clerk)).await;
        assert!(
            office.body.contains("东湖司法所") && office.body.contains("新华社区"),
            "{}",
            t.label
        );
        let desk = send(&app, get_with("/office", header::COOKIE, &clerk)).await;
        assert!(
            desk.body.contains("待办事项") && desk.body.contains("href=\"/office/org\""),
            "{}",
            t.label
        );

        // A browser that prefers English still gets Chinese until the person switches.
        let guide = send(
            &app,
            get_with("/guide", header::ACCEPT_LANGUAGE, "en-US,en;q=0.9"),
        )
        .await;
        assert!(
            guide.body.contains("信访指南") && guide.body.contains("60 日"),
            "{}",
            t.label
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_cookie_switches_the_whole_page() {
    let (_t, app) = sqlite_app().await;

    let switched = send(&app, get("/lang/en?next=/office")).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.headers[header::LOCATION], "/office");
    let cookie = switched.headers[header::SET_COOKIE].to_str().expect("ascii");
    assert!(
        cookie.starts_with("i18n_pref_locale=en;") && cookie.contains("Path=/"),
        "{cookie}"
    );

    let clerk = login(&app, "clerk").await;
    let cookies = format!("i18n_pref_locale=en; {clerk}");
    let page = send(&app, get_with("/office", header::COOKIE, &cookies)).await;
    assert!(page.body.contains(r#"<html lang="en""#));
    assert!(page.body.contains("Office desk") && page.body.contains("Waiting"));
    let org = send(&app, get_with("/office/org", header::COOKIE, &cookies)).await;
    assert!(org.body.contains("Organisation chart") && org.body.contains("3 grids"));

    // Never a redirect to another site, and an unknown language is a clear 400.
    let away = send(&app, get("/lang/zh-CN?next=//evil.example/")).await;
    assert_eq!(away.headers[header::LOCATION], "/");
    let unknown = send(&app, get("/lang/fr")).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.body.contains("bad_request") && unknown.body.contains("不支持这种语言"),
        "{}",
        unknown.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_are_404_pages() {
    let (_t, app) = sqlite_app().await;
    let missing = send(&app, get("/no/such/page")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("页面不存在") && missing.body.contains("返回首页"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_functions_answer_data_and_bad_calls_are_not_500() {
    for t in testing::all_migrated().await {
        let app = app(&t).await;
        let ok = send(&app, call("/api/org_structure")).await;
        assert_eq!(ok.status, StatusCode::OK, "{}: {}", t.label, ok.body);
        let structure: serde_json::Value = serde_json::from_str(&ok.body).expect("json");
        assert_eq!(structure["township"]["name"], "东湖镇");
        assert_eq!(structure["villages"].as_array().map(Vec::len), Some(12));

        let nowhere = send(&app, call("/api/no_such_function")).await;
        assert_eq!(nowhere.status, StatusCode::BAD_REQUEST, "{}", nowhere.body);

        // With the database gone, the call says "unavailable" (503), not a bare 500.
        t.db.close().await;
        let down = send(&app, call("/api/org_structure")).await;
        assert_eq!(
            down.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}: {}",
            t.label,
            down.body
        );
        assert_eq!(down.body.trim(), r#""unavailable""#, "{}", t.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_worker_is_served_fresh() {
    let (_t, app) = sqlite_app().await;
    let sw = send(&app, get("/sw.js")).await;
    assert_eq!(sw.status, StatusCode::OK);
    assert_eq!(sw.headers[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert_eq!(sw.headers[header::CACHE_CONTROL], "no-cache");
    assert!(
        sw.body.contains(r#"const PRECACHE = ["/","/offline","/login"];"#),
        "{}",
        sw.body
    );
}

/// A real server renders many pages at once on several threads. Each must finish with
/// its translated title: leptos_meta used to read the language for `<title>` outside
/// the request's arena, which panicked and left the page hanging until the timeout. No
/// task may panic meanwhile either, not even one the page left behind: leptos_i18n's
/// language effect used to run after its page was gone and panic on the freed signal.
#[test]
fn pages_rendered_side_by_side_all_finish_with_their_titles() {
    // The other tests in this binary run meanwhile: count only this runtime's panics.
    const WORKER: &str = "side-by-side-worker";
    static PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some(WORKER) {
            PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        report(info);
    }));
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(WORKER)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(render_side_by_side());
    let panics = PANICS.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        panics, 0,
        "{panics} panics while pages rendered (their messages are above)"
    );
}

async fn render_side_by_side() {
    let (_t, app) = sqlite_app().await;
    let clerk = login(&app, "clerk").await;
    let pages = [
        ("/office", "信访办工作台 · 民情"),
        ("/office/org", "组织机构 · 民情"),
        ("/office/petitions", "信访登记簿 · 民情"),
        ("/office/reports", "排查报告收件箱 · 民情"),
        ("/login", "登录 · 民情"),
        ("/", "<title>民情</title>"),
        // Streamed without waiting for data: the quickest to finish.
        ("/offline", "当前没有网络 · 民情"),
        ("/no-such-page", "页面不存在 · 民情"),
    ];
    let mut loads = tokio::task::JoinSet::new();
    for worker in 0..6 {
        let (app, clerk) = (app.clone(), clerk.clone());
        loads.spawn(async move {
            for i in 0..40 {
                let (uri, title) = pages[(i + worker) % pages.len()];
                let load = send(&app, get_with(uri, header::COOKIE, &clerk));
                let page = tokio::time::timeout(std::time::Duration::from_secs(10), load)
                    .await
                    .unwrap_or_else(|_| panic!("{uri} did not finish"));
                let found = if uri == "/no-such-page" {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::OK
                };
                assert_eq!(page.status, found, "{uri}");
                assert!(page.body.contains(title), "{uri}: {title}");
            }
        });
    }
    while let Some(done) = loads.join_next().await {
        done.expect("no page panicked");
    }
    // What the pages spawned and left behind runs on the next ticks.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
}
