//! The app in this process, called the way a browser calls it: requests go through the
//! whole router (guards, session, server functions, page rendering), without a socket.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    /// From sending the request to the last byte of the body.
    pub elapsed: Duration,
}

/// An empty site folder (no front-end build: pages still render), removed on drop.
pub struct SiteDir(pub PathBuf);

impl SiteDir {
    pub fn new() -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("minqing-bench-site-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for SiteDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The app exactly as `minqing serve` builds it.
pub fn app(db: storage::Database, site: &SiteDir) -> Router {
    let state = server::AppState::new(db, &site.0, SocketAddr::from(([127, 0, 0, 1], 3000)));
    server::router(state)
}

/// A loopback address per request number (127.1.0.0 to 127.254.255.255), so that the
/// per-address limits see one visitor per request. Nothing is sent anywhere: the address
/// is only what the server reads as the peer's.
pub fn peer(n: u64) -> SocketAddr {
    let a = 1 + u8::try_from((n >> 16) % 254).unwrap_or(0);
    let [.., b, c] = n.to_be_bytes();
    SocketAddr::from(([127, a, b, c], 40_000))
}

/// Where a run's form addresses start: the form's per-address count lasts an hour and is
/// kept in the database, so each run starts somewhere else among the 16.6 million.
pub fn run_base() -> u64 {
    let millis = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    millis.wrapping_mul(0x9E37_79B9_7F4A_7C15) % (254 << 16)
}

pub async fn send(app: &Router, mut request: Request<Body>, from: SocketAddr) -> Reply {
    request.extensions_mut().insert(ConnectInfo(from));
    let started = Instant::now();
    let (status, headers, bytes) = match app.clone().oneshot(request).await {
        Ok(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            (status, headers, bytes)
        }
        Err(never) => match never {},
    };
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Percent-encodes a form value: UTF-8 bytes outside the unreserved set.
pub fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len() * 3);
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Logs in through `POST /api/login` as the login page does; returns the `Cookie:` value.
pub async fn login(app: &Router, username: &str, password: &str) -> Result<String, String> {
    let body = format!("username={}&password={}", encode(username), encode(password));
    let request = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(body))
        .map_err(|e| e.to_string())?;
    let reply = send(app, request, peer(0)).await;
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("minqing_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| format!("login as {username} failed: {} {}", reply.status, reply.body))
}
