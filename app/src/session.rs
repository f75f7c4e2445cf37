//! The session cookie and the [`Caller`] of a request, on the server. The HTTP edge
//! (`server`) resolves the cookie once per request and leaves the session in the
//! request's extensions; server functions and handlers read it from there.

use services::Caller;
use services::auth::ResolvedSession;

/// The session cookie's name. Its value is a random token; the database keeps only its
/// hash.
pub const SESSION_COOKIE: &str = "minqing_session";

/// The peer address the server saw, put in the request's extensions by the edge.
#[derive(Debug, Clone)]
pub struct PeerAddress(pub String);

/// `Set-Cookie` for a session: HttpOnly (no script reads it), SameSite=Lax (not sent on
/// cross-site POSTs), Secure when the site is served over HTTPS.
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// Whether the request came over HTTPS (directly or through a proxy that says so).
pub fn is_https(uri: &http::Uri, headers: &http::HeaderMap) -> bool {
    uri.scheme_str() == Some("https")
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// Who is asking, from the request's parts: the session the edge resolved, the peer
/// address and the user agent.
pub fn caller_from_parts(parts: &http::request::Parts) -> Caller {
    let session = parts.extensions.get::<ResolvedSession>();
    Caller {
        user: session.map(|s| s.user.clone()),
        session: session.map(|s| s.token_hash.clone()),
        address: parts.extensions.get::<PeerAddress>().map(|a| a.0.clone()),
        user_agent: parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        now: chrono::Utc::now(),
    }
}

/// The caller of the current server function or page render.
pub fn caller() -> Caller {
    match leptos::prelude::use_context::<http::request::Parts>() {
        Some(parts) => caller_from_parts(&parts),
        None => Caller::anonymous(chrono::Utc::now()),
    }
}

/// The Content-Security-Policy: everything from this site only; inline scripts only with
/// the page's nonce (Leptos' hydration script); wasm may be compiled; no framing.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(nonce) => format!("'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "'self' 'wasm-unsafe-eval'".to_owned(),
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data: blob:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'; worker-src 'self'; manifest-src 'self'"
    )
}

/// Sends the page's Content-Security-Policy with the nonce Leptos gives its scripts.
pub fn send_page_security_policy() {
    use leptos::prelude::use_context;
    let nonce = leptos::nonce::use_nonce();
    let policy = content_security_policy(nonce.as_deref());
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&policy),
    ) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}
