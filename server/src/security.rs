//! The edge's guards, in the order a request meets them: the peer address, the rate
//! limit per address, the cross-origin check on every state-changing request, the
//! session, the field API's rate limit (per session), and the security headers (with a
//! fresh CSP nonce per page) on the way out.

use std::net::SocketAddr;

use app::error::{EdgeText, code_message};
use app::i18n::Locale;
use app::session::{PeerAddress, SESSION_COOKIE, clear_session_cookie, is_https, session_cookie};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::auth::SessionKind;

use crate::ServerError;
use crate::state::AppState;

/// Records the peer's address for the audit log and the limits. Behind reverse proxies
/// set `MINQING_TRUST_PROXY` to how many there are in front of the server (`1` or `true`
/// for one): the client's address is then the one the outermost trusted proxy appended
/// to `X-Forwarded-For`, never what the client wrote there itself.
pub async fn peer_address(mut request: Request<Body>, next: Next) -> Response {
    let socket = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = forwarded_client(request.headers(), trusted_proxies());
    if let Some(address) = forwarded.or(socket) {
        request.extensions_mut().insert(PeerAddress(address.to_string()));
    }
    next.run(request).await
}

/// How many reverse proxies stand in front of the server (`MINQING_TRUST_PROXY`), read
/// once per process.
fn trusted_proxies() -> usize {
    static HOPS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *HOPS.get_or_init(|| match std::env::var("MINQING_TRUST_PROXY").as_deref() {
        Ok("true") => 1,
        Ok(n) => n.trim().parse().unwrap_or(0),
        Err(_) => 0,
    })
}

/// The client's address as `hops` trusted proxies report it: each appends the address
/// it received the request from, so the client's is the `hops`-th entry from the end;
/// everything before it was written by the client. None when no proxy is trusted, the
/// list is shorter than that, or the entry is not an IP address.
fn forwarded_client(headers: &HeaderMap, hops: usize) -> Option<std::net::IpAddr> {
    if hops == 0 {
        return None;
    }
    // Several header lines are one list, in order.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let entry = entries.len().checked_sub(hops).and_then(|i| entries.get(i))?;
    entry.parse().ok()
}

/// The last guard: a panic anywhere in a request's handling becomes a logged 500 that
/// names the request id (an error page, or JSON for `/api/`), never a dropped
/// connection. Nothing a client sends should panic; this is for what a test missed.
pub async fn catch_panic(request: Request<Body>, next: Next) -> Response {
    use futures_util::FutureExt;
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let api = request.uri().path().starts_with("/api/");
    let locale = crate::error::locale(request.headers());
    match std::panic::AssertUnwindSafe(next.run(request))
        .catch_unwind()
        .await
    {
        Ok(response) => response,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(request_id = %request_id, panic = %what, "request panicked");
            panic_response(&request_id, api, locale)
        }
    }
}

fn panic_response(request_id: &str, api: bool, locale: Locale) -> Response {
    use axum::http::StatusCode;
    // The id is ours (a UUID, or what a proxy set): keep it to characters that are safe
    // in HTML and JSON.
    let id: String = request_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    let fault = code_message(locale, "internal");
    let id_label = EdgeText::RequestId.text(locale);
    let mut response = if api {
        axum::Json(serde_json::json!({
            "error": "internal",
            "code": "internal",
            "message": format!("{fault} ({id_label} {id})"),
            "request_id": id,
        }))
        .into_response()
    } else {
        // The texts are ours and hold no markup.
        let (lang, title, what_to_do) = (
            if locale == Locale::en { "en" } else { "zh-CN" },
            EdgeText::Title.text(locale),
            EdgeText::Panic.text(locale),
        );
        axum::response::Html(format!(
            "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title></head><body><main><h1>{title}</h1>\
             <p>{fault}</p><p>{what_to_do}</p>\
             <p>{id_label}: <code>{id}</code></p></main></body></html>"
        ))
        .into_response()
    };
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Pages that carry a one-time form token or an office's data are never kept by a
/// browser's cache or its back/forward cache: a restored copy would resend a used token
/// or show what the next person at the PC should not see.
pub async fn no_store_pages(request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path();
    let private = ["/office", "/account", "/petition", "/field/intake"]
        .iter()
        .any(|p| {
            path.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
    let mut response = next.run(request).await;
    if private && !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Refuses a state-changing request that a browser says comes from another site.
/// Browsers send `Sec-Fetch-Site` and `Origin` with every cross-origin POST; requests
/// without either (curl, the sync client of a later issue) carry no ambient browser
/// credentials to abuse.
pub async fn same_origin_only(request: Request<Body>, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    if !is_same_origin(request.headers()) {
        tracing::warn!(
            origin = ?request.headers().get(header::ORIGIN),
            fetch_site = ?request.headers().get("sec-fetch-site"),
            path = %request.uri().path(),
            "cross-origin request refused"
        );
        return ServerError::CrossSite.into_response();
    }
    next.run(request).await
}

fn is_same_origin(headers: &HeaderMap) -> bool {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        // "none": typed into the address bar or opened from a bookmark.
        return site == "same-origin" || site == "none";
    }
    match (text(header::ORIGIN), text(header::HOST)) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin_host(origin) == Some(host),
        (Some(_), None) => false,
    }
}

/// `https://example.org:8443` → `example.org:8443`; `null` and junk → `None`.
fn origin_host(origin: &str) -> Option<&str> {
    let (scheme, rest) = origin.split_once("://")?;
    (matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains('/')).then_some(rest)
}

/// How much a bucket holds and how fast it fills again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub capacity: f64,
    pub refill_per_sec: f64,
}

/// A token bucket per key for state-changing requests: bursts of `capacity`, then
/// `refill_per_sec` a second. Kept in memory: it guards one server process, and a
/// restart forgets it harmlessly.
#[derive(Debug)]
pub struct RateLimiter {
    budget: Budget,
    buckets: std::sync::Mutex<std::collections::HashMap<String, (f64, std::time::Instant)>>,
}

impl RateLimiter {
    /// Per address, for everything but the field API's logged-in calls: generous for
    /// people (a clerk at a busy desk posts a few times a minute), tight for a script
    /// hammering a form.
    pub const PER_ADDRESS: Budget = Budget {
        capacity: 120.0,
        refill_per_sec: 2.0,
    };
    /// Per session, for the field API (`/api/v1/`): a phone back in signal after a week
    /// sends its whole queue at once. 200 reports pushed one by one and 50 photos of up
    /// to 2 MB (a declaration and eight 256 KB chunks each) are 650 requests, with room
    /// for resends; after that, far more than a phone on a rural link can send. A
    /// village's officers behind one NAT address each have their own.
    pub const PER_SESSION: Budget = Budget {
        capacity: 1_000.0,
        refill_per_sec: 5.0,
    };

    pub fn new(budget: Budget) -> Self {
        Self {
            budget,
            buckets: std::sync::Mutex::default(),
        }
    }

    /// Takes one token for `key`; false when the bucket is empty.
    pub fn allow(&self, key: &str, now: std::time::Instant) -> bool {
        let Budget {
            capacity,
            refill_per_sec,
        } = self.budget;
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        if buckets.len() > 100_000 {
            // Forget full buckets rather than grow without bound.
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * refill_per_sec < capacity
            });
        }
        let (tokens, at) = buckets.entry(key.to_owned()).or_insert((capacity, now));
        let refilled = (*tokens + now.duration_since(*at).as_secs_f64() * refill_per_sec).min(capacity);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            true
        } else {
            *tokens = refilled;
            false
        }
    }
}

/// The two kinds of bucket: one per address, one per field API session.
#[derive(Debug)]
pub struct RateLimits {
    pub by_address: RateLimiter,
    pub by_session: RateLimiter,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            by_address: RateLimiter::new(RateLimiter::PER_ADDRESS),
            by_session: RateLimiter::new(RateLimiter::PER_SESSION),
        }
    }
}

/// Which bucket a state-changing request draws from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitKey {
    /// The peer's address (`""` when unknown).
    Address(String),
    /// A field API call with a valid session: the session's token hash.
    Session(String),
}

const FIELD_API: &str = "/api/v1/";

impl LimitKey {
    /// A field API call with a session counts against the session; anything else, an
    /// API call without a session included, against the address.
    pub fn of(path: &str, session_token_hash: Option<&str>, address: Option<&str>) -> Self {
        match session_token_hash {
            Some(hash) if path.starts_with(FIELD_API) => Self::Session(hash.to_owned()),
            _ => Self::Address(address.unwrap_or_default().to_owned()),
        }
    }
}

impl RateLimits {
    pub fn allow(&self, key: &LimitKey, now: std::time::Instant) -> bool {
        match key {
            LimitKey::Address(a) => self.by_address.allow(a, now),
            LimitKey::Session(s) => self.by_session.allow(s, now),
        }
    }
}

fn is_state_changing(request: &Request<Body>) -> bool {
    !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
}

fn check_limit(state: &AppState, key: &LimitKey) -> Option<Response> {
    if state.rate_limits.allow(key, std::time::Instant::now()) {
        return None;
    }
    match key {
        LimitKey::Address(address) => tracing::warn!(%address, "rate limit reached"),
        // The hash is what the database keys the session by; never the token itself.
        LimitKey::Session(hash) => {
            tracing::warn!(session = %&hash[..hash.len().min(12)], "field API rate limit reached")
        }
    }
    Some(ServerError::TooManyRequests.into_response())
}

/// Refuses state-changing requests from an address that sends too many (429). The field
/// API is left to `api_rate_limit`, which runs once the session is known.
pub async fn rate_limit(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    if !is_state_changing(&request) || request.uri().path().starts_with(FIELD_API) {
        return next.run(request).await;
    }
    let address = request.extensions().get::<PeerAddress>().map(|a| a.0.as_str());
    let key = LimitKey::of(request.uri().path(), None, address);
    if let Some(refused) = check_limit(&state, &key) {
        return refused;
    }
    next.run(request).await
}

/// The field API's limit, after the session lookup: per session when there is one, per
/// address (the same bucket as `rate_limit`'s) when there is none.
pub async fn api_rate_limit(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    if !is_state_changing(&request) || !request.uri().path().starts_with(FIELD_API) {
        return next.run(request).await;
    }
    let session = request
        .extensions()
        .get::<services::auth::ResolvedSession>()
        .map(|s| s.token_hash.as_str());
    let address = request.extensions().get::<PeerAddress>().map(|a| a.0.as_str());
    let key = LimitKey::of(request.uri().path(), session, address);
    if let Some(refused) = check_limit(&state, &key) {
        return refused;
    }
    next.run(request).await
}

/// Paths that never need the session: build files, icons, the worker, health.
fn is_static(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/icons/")
        || matches!(
            path,
            "/sw.js" | "/pwa.js" | "/manifest.webmanifest" | "/healthz" | "/favicon.ico"
        )
}

/// Resolves the session cookie once per request and leaves the session in the
/// request's extensions for pages, server functions and handlers. A cookie that no
/// longer matches a session is removed; a field phone's cookie is renewed as it is used.
pub async fn session(State(state): State<AppState>, mut request: Request<Body>, next: Next) -> Response {
    if is_static(request.uri().path()) {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| app::cookie_value(c, SESSION_COOKIE))
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let Some(token) = token else {
        return next.run(request).await;
    };
    let secure = is_https(request.uri(), request.headers());
    let resolved = match services::auth::resolve_session(&state.db, &token, chrono::Utc::now()).await {
        Ok(resolved) => resolved,
        Err(e) => {
            tracing::warn!(error = %e, "session lookup failed");
            return ServerError::from(e).into_response();
        }
    };
    let renew = resolved
        .as_ref()
        .filter(|s| s.touched && s.user.session_kind == SessionKind::Field)
        .map(|s| s.user.session_kind);
    let valid = resolved.is_some();
    if let Some(session) = resolved {
        request.extensions_mut().insert(session);
    }
    let mut response = next.run(request).await;
    let cookie = if !valid {
        Some(clear_session_cookie(secure))
    } else {
        renew.map(|kind| session_cookie(&token, kind.cookie_max_age().num_seconds(), secure))
    };
    // A response that sets the cookie itself (login, logout) has the last word.
    let sets_own = response.headers().get_all(header::SET_COOKIE).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.starts_with(&format!("{SESSION_COOKIE}=")))
    });
    if let Some(value) = cookie
        .filter(|_| !sets_own)
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The security headers on every response. Pages carry their own
/// Content-Security-Policy with the nonce of their scripts (set by the app's shell);
/// everything else gets the same policy with no script allowed inline.
pub async fn security_headers(request: Request<Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(value) = HeaderValue::from_str(&app::session::content_security_policy(None))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_rate_limit_allows_a_burst_then_refills() {
        let limiter = RateLimiter::new(RateLimiter::PER_ADDRESS);
        let start = std::time::Instant::now();
        let burst = (0..200).filter(|_| limiter.allow("10.0.0.1", start)).count();
        assert_eq!(burst, RateLimiter::PER_ADDRESS.capacity as usize);
        assert!(!limiter.allow("10.0.0.1", start));
        // Another address has its own bucket; a second later two more are allowed.
        assert!(limiter.allow("10.0.0.2", start));
        let later = start + std::time::Duration::from_secs(1);
        assert!(limiter.allow("10.0.0.1", later));
        assert!(limiter.allow("10.0.0.1", later));
        assert!(!limiter.allow("10.0.0.1", later));
    }

    #[test]
    fn the_field_api_is_limited_per_session_and_the_rest_per_address() {
        let addr = Some("10.0.0.1");
        let session = |hash: &str| LimitKey::Session(hash.to_owned());
        let address = LimitKey::Address("10.0.0.1".to_owned());
        assert_eq!(LimitKey::of("/api/v1/sync/push", Some("h1"), addr), session("h1"));
        assert_eq!(LimitKey::of("/api/v1/photos/x", Some("h2"), addr), session("h2"));
        // No session on the API, or any other path with a session: the address.
        assert_eq!(LimitKey::of("/api/v1/sync/push", None, addr), address);
        assert_eq!(LimitKey::of("/api/login", Some("h1"), addr), address);
        assert_eq!(LimitKey::of("/petition", Some("h1"), addr), address);
        assert_eq!(LimitKey::of("/api/v1x", Some("h1"), addr), address);
        assert_eq!(
            LimitKey::of("/api/v1/sync/push", None, None),
            LimitKey::Address(String::new())
        );

        // A phone's whole queue in one go: 200 reports one push each, 50 photos of 2 MB
        // in eight chunks with a declaration each, all at the same instant.
        let limits = RateLimits::default();
        let now = std::time::Instant::now();
        let sync = 200 + 50 * (1 + 8);
        assert!((0..sync).all(|_| limits.allow(&session("phone-a"), now)));
        // A second officer behind the same address is not touched by it, nor the address.
        assert!((0..sync).all(|_| limits.allow(&session("phone-b"), now)));
        assert!(limits.allow(&address, now));
        // The sessions' buckets do end.
        let budget = RateLimiter::PER_SESSION.capacity as usize;
        let rest = (0..budget)
            .filter(|_| limits.allow(&session("phone-a"), now))
            .count();
        assert_eq!(rest, budget - sync);
        assert!(!limits.allow(&session("phone-a"), now));
    }

    #[test]
    fn the_client_address_is_the_one_the_trusted_proxy_appended() {
        let xff = |values: &[&str]| {
            let mut h = HeaderMap::new();
            for v in values {
                h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
            }
            h
        };
        let ip = |s: &str| Some(s.parse::<std::net::IpAddr>().unwrap());
        // The client wrote "1.1.1.1"; nginx appended the address it saw.
        assert_eq!(
            forwarded_client(&xff(&["1.1.1.1, 203.0.113.9"]), 1),
            ip("203.0.113.9")
        );
        assert_eq!(
            forwarded_client(&xff(&["1.1.1.1", "203.0.113.9"]), 1),
            ip("203.0.113.9")
        );
        // Two proxies (a load balancer, then nginx): the second entry from the end.
        assert_eq!(
            forwarded_client(&xff(&["1.1.1.1, 203.0.113.9, 10.0.0.2"]), 2),
            ip("203.0.113.9")
        );
        assert_eq!(forwarded_client(&xff(&["2001:db8::1"]), 1), ip("2001:db8::1"));
        // Not trusted, too short, or not an address: the socket's address is used.
        assert_eq!(forwarded_client(&xff(&["203.0.113.9"]), 0), None);
        assert_eq!(forwarded_client(&xff(&["203.0.113.9"]), 2), None);
        assert_eq!(forwarded_client(&xff(&["1.1.1.1, evil<script>"]), 1), None);
        assert_eq!(forwarded_client(&HeaderMap::new(), 1), None);
    }

    #[test]
    fn cross_origin_writes_are_told_apart() {
        assert!(is_same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!is_same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!is_same_origin(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(is_same_origin(&headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!is_same_origin(&headers(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!is_same_origin(&headers(&[
            ("origin", "null"),
            ("host", "127.0.0.1:3000")
        ])));
        // No browser headers at all: not a browser, so no ambient cookie to abuse.
        assert!(is_same_origin(&headers(&[])));
    }
}
