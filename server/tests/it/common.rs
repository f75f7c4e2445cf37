//! Helpers shared by the HTTP tests: the app on a fresh database, requests as a
//! browser sends them, logging in, and the ids and hashes a phone sends.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use server::{AppState, router};
use sha2::{Digest, Sha256};
use storage::testing::{self, TestDb};
use tower::ServiceExt;

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

pub async fn app(t: &TestDb) -> Router {
    t.db.seed_demo().await.expect("seed");
    services::demo::seed_demo_users(&t.db, chrono::Utc::now())
        .await
        .expect("demo users");
    // No front-end build in the Rust tests: the site folder is empty, pages still render.
    let site = testing::temp_dir();
    let state = AppState::new(t.db.clone(), &site.0, "127.0.0.1:3000".parse().expect("addr"));
    router(state)
}

/// The app on a fresh, migrated and seeded SQLite database, for cases that do not depend
/// on the engine. Keep the `TestDb`: dropping it removes the database.
pub async fn sqlite_app() -> (TestDb, Router) {
    let t = testing::sqlite().await;
    t.db.migrate().await.expect("migrate");
    let app = app(&t).await;
    (t, app)
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A page load as a browser makes it (it accepts HTML, so redirects are real 302s).
pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .expect("request")
}

pub fn get_with(uri: &str, name: header::HeaderName, value: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::ACCEPT, "text/html")
        .header(name, value)
        .body(Body::empty())
        .expect("request")
}

/// Logs in as a demo account the way the login form does; returns the `Cookie:` value.
pub async fn login(app: &Router, username: &str) -> String {
    let body = format!("username={username}&password={}", services::demo::DEMO_PASSWORD);
    let reply = send(
        app,
        Request::post("/api/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request"),
    )
    .await;
    let cookie = reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("minqing_session="))
        .unwrap_or_else(|| panic!("no session cookie: {} {}", reply.status, reply.body));
    cookie.split(';').next().unwrap_or_default().to_owned()
}

/// A server function call as the hydrated page makes it (a form-encoded POST).
pub fn call(path: &str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::empty())
        .expect("request")
}

/// The client id of a phone's record number `n` (a UUID, as the phone makes them).
pub fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// The SHA-256 of `bytes` in lowercase hex, as a phone declares a photo.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
