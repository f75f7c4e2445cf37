//! The router: plain routes first, then the app's pages and server functions, then
//! static files. Every request gets an id, a log span, and compression.

use app::error::EdgeText;
use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Query, State};
use axum::handler::Handler;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use serde::{Deserialize, Serialize};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::state::AppState;
use crate::{forms, security, sync_api};

const REQUEST_ID: &str = "x-request-id";

/// The app's routes, worked out once per process. Working them out renders the app
/// with resource loading suppressed process-wide, so a page rendering meanwhile on
/// another thread would wait for ever (leptos issue 4773): building a second router, as
/// the tests do, must not do it again.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let db = state.db.clone();
    let provide_db = move || provide_context(db.clone());
    let options = state.leptos_options.clone();
    let shell = move || app::shell(options.clone());

    Router::new()
        .route("/healthz", get(healthz))
        .route("/sw.js", get(service_worker))
        .route("/lang/{locale}", get(switch_language))
        .route("/office/audit.csv", get(crate::export::audit_export))
        .route("/office/audit.xlsx", get(crate::export::audit_export))
        // The field phones' versioned API: fixed URLs, matched before the server
        // functions' catch-all (static segments win in axum's router).
        .route(
            "/api/v1/sync/push",
            post(sync_api::push).layer(DefaultBodyLimit::max(sync_api::MAX_PUSH_BYTES)),
        )
        .route("/api/v1/sync/pull", get(sync_api::pull))
        .route("/api/v1/photos", post(sync_api::begin_photo))
        .route(
            "/api/v1/photos/{id}",
            get(sync_api::photo_status)
                .put(sync_api::append_photo)
                .layer(DefaultBodyLimit::max(sync_api::MAX_CHUNK_REQUEST_BYTES)),
        )
        .route("/api/v1/openapi.json", get(sync_api::openapi))
        .route("/api/{*fn_name}", get(server_fn).post(server_fn))
        .route("/office/petitions.csv", get(crate::export::registry_export))
        .route("/office/petitions.xlsx", get(crate::export::registry_export))
        .route("/office/attachments/{id}", get(forms::attachment))
        .route("/office/reports/{id}/photos/{position}", get(forms::field_photo))
        .route("/track/evaluate", post(forms::post_track))
        .leptos_routes_with_context(&state, routes, provide_db.clone(), shell)
        // The plain form posts of the petition pages (their GETs are the app's routes).
        .route("/track", post(forms::post_track))
        .route(
            "/petition",
            post(forms::post_petition).layer(DefaultBodyLimit::max(forms::MAX_POST_BYTES)),
        )
        .route(
            "/office/intake",
            post(forms::post_intake).layer(DefaultBodyLimit::max(forms::MAX_POST_BYTES)),
        )
        .route(
            "/field/intake",
            post(forms::post_intake).layer(DefaultBodyLimit::max(forms::MAX_POST_BYTES)),
        )
        // The build's files (wasm, JS, CSS, icons; precompressed by cargo-leptos), and the
        // app's 404 page for anything else. Not leptos_axum's file handler alone: it runs
        // under the thread's current reactive owner, which is whichever page last rendered
        // there, and moved that page's response headers (its nonce policy, any cookie) onto
        // the file, so the page went out without them.
        .fallback_service(
            ServeDir::new(&*state.leptos_options.site_root)
                .precompressed_br()
                .precompressed_gzip()
                .call_fallback_on_method_not_allowed(true)
                .fallback(
                    leptos_axum::file_and_error_handler_with_context::<AppState, _>(provide_db, app::shell)
                        .with_state(state.clone()),
                ),
        )
        .layer(middleware::from_fn(server_fn_status))
        .layer(middleware::from_fn(multipart_guard))
        // Nothing may hang a request for ever: a stuck page or call answers 503. Long
        // enough for the slowest honest request (a large roster import hashing passwords).
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            std::time::Duration::from_secs(120),
        ))
        // The field API's limit needs the session (per session, else per address).
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::api_rate_limit,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), security::session))
        .layer(middleware::from_fn(security::same_origin_only))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::rate_limit,
        ))
        // What the handlers and the guards listed above answer is in the request's language.
        .layer(middleware::from_fn(crate::error::reader_locale))
        .layer(middleware::from_fn(security::peer_address))
        .layer(middleware::from_fn(security::no_store_pages))
        .layer(middleware::from_fn(security::catch_panic))
        .layer(middleware::from_fn(security::security_headers))
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<Body>| {
                let id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Health {
    pub status: String,
    pub database: String,
    pub engine: String,
    pub version: String,
}

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
async fn healthz(State(state): State<AppState>) -> Response {
    let reachable = state.db.ping().await;
    let engine = match state.db.engine() {
        storage::Engine::Sqlite => "sqlite",
        storage::Engine::Postgres => "postgres",
    };
    let (status, word) = match &reachable {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "unreachable")
        }
    };
    let body = Health {
        status: if reachable.is_ok() { "ok" } else { "degraded" }.to_owned(),
        database: word.to_owned(),
        engine: engine.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    (status, [(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}

/// `GET /sw.js`: never cached by HTTP, so the browser sees a new build at once.
async fn service_worker(State(state): State<AppState>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        state.service_worker.script.clone(),
    )
        .into_response()
}

#[derive(Deserialize)]
struct LanguageQuery {
    next: Option<String>,
}

/// `GET /lang/<locale>?next=/path`: the language switch without JavaScript. Sets the
/// cookie the app reads and goes back to the page, only ever to a path on this site.
async fn switch_language(Path(locale): Path<String>, Query(query): Query<LanguageQuery>) -> Response {
    let Some(locale) = ["zh-CN", "en"].into_iter().find(|l| *l == locale) else {
        return crate::ServerError::BadRequest(EdgeText::UnknownLanguage).into_response();
    };
    let next = query
        .next
        .filter(|n| app::is_local_path(n))
        .unwrap_or_else(|| "/".to_owned());
    let cookie = format!(
        "{}={locale}; Path=/; Max-Age={}; SameSite=Lax",
        app::LOCALE_COOKIE,
        app::LOCALE_COOKIE_MAX_AGE_SECS
    );
    let mut response = Response::builder().status(StatusCode::SEE_OTHER);
    if let (Ok(cookie), Ok(location)) = (HeaderValue::from_str(&cookie), HeaderValue::from_str(&next)) {
        response = response
            .header(header::SET_COOKIE, cookie)
            .header(header::LOCATION, location);
    }
    response
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::SEE_OTHER.into_response())
}

/// Calls to server functions that do not exist (the existing ones are routed by
/// `leptos_routes_with_context`): a 400 that says so.
async fn server_fn(State(state): State<AppState>, request: Request<Body>) -> Response {
    let db = state.db.clone();
    leptos_axum::handle_server_fns_with_context(move || provide_context(db.clone()), request)
        .await
        .into_response()
}

/// Server functions that take a file (multipart form data).
const MULTIPART_SERVER_FNS: [&str; 1] = ["/api/import_roster"];

/// Leptos' multipart decoder panics on a request whose content type names no boundary:
/// such a request is answered 400 before it gets there.
async fn multipart_guard(request: Request<Body>, next: Next) -> Response {
    if MULTIPART_SERVER_FNS.contains(&request.uri().path()) && !has_multipart_boundary(request.headers()) {
        return crate::ServerError::BadRequest(EdgeText::NoFile).into_response();
    }
    next.run(request).await
}

fn has_multipart_boundary(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = value.split(';');
    let is_form = parts
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("multipart/form-data"));
    is_form
        && parts.any(|p| {
            p.trim()
                .strip_prefix("boundary=")
                .is_some_and(|b| !b.trim_matches('"').is_empty())
        })
}

/// Leptos answers every server function error with 500; the app's error says what really
/// happened (not found, invalid, unavailable…), and the status follows it.
async fn server_fn_status(request: Request<Body>, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}
