//! The petition forms as plain HTML posts, which work with JavaScript off: the public
//! form (`POST /petition`), the intake desk (`POST /office/intake`, `POST /field/intake`)
//! and the tracking page (`POST /track`, `POST /track/evaluate`). Each reads the post,
//! calls one use case, and renders the same page again with the outcome in its context
//! (`app::api::Posted`): the receipt, or the form as typed with every problem named.
//! Also the attachment download, a field report's photos and the registry's ledger export.

use app::api::{LAST_VILLAGE_COOKIE, Posted, ReceiptView};
use app::error::{AppError, EdgeText};
use app::session::is_https;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, State};
use axum::http::{HeaderValue, Request, StatusCode, Uri, header, request::Parts};
use axum::response::{IntoResponse, Response};
use domain::attachment::{MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS};
use domain::audit::format_china_time;
use domain::handling::StepForm;
use domain::intake::PetitionForm;
use leptos::prelude::provide_context;
use services::ServiceError;
use services::challenge::ChallengeAnswer;
use services::petition::Upload;

use crate::ServerError;
use crate::extract::RequestCaller;
use crate::state::AppState;

/// The most a petition post may carry: five full attachments and the text.
pub const MAX_POST_BYTES: usize = MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES + 1024 * 1024;

/// A multipart petition post, read field by field with every size checked as it arrives.
struct PetitionPost {
    form: PetitionForm,
    uploads: Vec<Upload>,
    answer: ChallengeAnswer,
}

async fn read_petition_post(mut multipart: Multipart) -> Result<PetitionPost, ServerError> {
    let mut post = PetitionPost {
        form: PetitionForm::default(),
        uploads: Vec::new(),
        answer: ChallengeAnswer::default(),
    };
    let bad = |_| ServerError::BadRequest(EdgeText::FormIncomplete);
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "attachments" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let mut bytes = Vec::new();
            let mut too_large = false;
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                // Over the limit: the rest is read and dropped, and the form says so.
                too_large |= bytes.len() + chunk.len() > MAX_ATTACHMENT_BYTES;
                if too_large {
                    bytes.clear();
                } else {
                    bytes.extend_from_slice(&chunk);
                }
            }
            // An empty file input still posts one nameless, empty part.
            if !bytes.is_empty() || too_large {
                post.uploads.push(Upload {
                    file_name,
                    bytes,
                    too_large,
                });
            }
            continue;
        }
        let value = field.text().await.map_err(bad)?;
        match name.as_str() {
            "challenge_token" => post.answer.token = value,
            "challenge" => post.answer.answer = value,
            "website" => post.answer.honeypot = value,
            other => app::components::petition_form::set_field(&mut post.form, other, value),
        }
    }
    Ok(post)
}

/// Renders the app at `path` with the post's outcome in context, answering `status`.
async fn render(
    state: &AppState,
    parts: Parts,
    path: &'static str,
    posted: Posted,
    status: StatusCode,
) -> Response {
    let db = state.db.clone();
    let options = state.leptos_options.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(db.clone());
            provide_context(posted.clone());
        },
        move || app::shell(options.clone()),
    );
    let mut parts = parts;
    parts.uri = Uri::from_static(path);
    parts.method = axum::http::Method::GET;
    let mut response = handler(Request::from_parts(parts, Body::empty())).await;
    // A page that answers a post is never served again from a cache: it may carry a
    // query password shown once.
    if response.status().is_success() {
        *response.status_mut() = status;
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The outcome of a petition post, as the page shows it.
fn outcome(
    result: Result<services::petition::Receipt, ServiceError>,
    post: PetitionPost,
    parts: &Parts,
    staff: bool,
) -> (Posted, StatusCode) {
    match result {
        Ok(receipt) => {
            let track_url = track_url(parts, &receipt.tracking_code);
            (
                Posted::Receipt(ReceiptView {
                    petition_id: receipt.id,
                    qr_svg: qr_svg(&track_url),
                    track_url,
                    tracking_code: receipt.tracking_code,
                    query_password: receipt.query_password,
                    received_at: format_china_time(receipt.received_at),
                    staff,
                    subject: receipt.subject,
                    office: receipt.office,
                }),
                StatusCode::OK,
            )
        }
        Err(e) => {
            let (errors, error) = match e {
                ServiceError::Form(errors) => (errors, None),
                ServiceError::Invalid(error) => (vec![error], None),
                other => (Vec::new(), Some(AppError::from(other))),
            };
            let status = error.as_ref().map_or(StatusCode::UNPROCESSABLE_ENTITY, |e| {
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST)
            });
            (
                Posted::Invalid {
                    form: Box::new(post.form),
                    errors,
                    error,
                },
                status,
            )
        }
    }
}

/// `POST /petition`: a citizen's online petition.
pub async fn post_petition(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    request: Request<Body>,
) -> Result<Response, ServerError> {
    let (parts, body) = request.into_parts();
    let multipart = Multipart::from_request(Request::from_parts(parts.clone(), body), &state)
        .await
        .map_err(|_| ServerError::BadRequest(EdgeText::FormIncomplete))?;
    let post = read_petition_post(multipart).await?;
    let result =
        services::petition::submit_online(&state.db, &caller, &post.form, &post.uploads, &post.answer).await;
    let (posted, status) = outcome(result, post, &parts, false);
    Ok(render(&state, parts, "/petition", posted, status).await)
}

/// `POST /office/intake` and `POST /field/intake`: staff take a petition in.
pub async fn post_intake(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    request: Request<Body>,
) -> Result<Response, ServerError> {
    let (parts, body) = request.into_parts();
    let path = if parts.uri.path().starts_with("/field") {
        "/field/intake"
    } else {
        "/office/intake"
    };
    let multipart = Multipart::from_request(Request::from_parts(parts.clone(), body), &state)
        .await
        .map_err(|_| ServerError::BadRequest(EdgeText::FormIncomplete))?;
    let post = read_petition_post(multipart).await?;
    let result = services::petition::intake(&state.db, &caller, &post.form, &post.uploads).await;
    let village = post.form.village_id.trim().parse::<i64>().ok();
    let stored = result.is_ok();
    let (posted, status) = outcome(result, post, &parts, true);
    let mut response = render(&state, parts, path, posted, status).await;
    // The desk starts the next form with the same village.
    if let (true, Some(village)) = (stored, village)
        && let Ok(cookie) = HeaderValue::from_str(&format!(
            "{LAST_VILLAGE_COOKIE}={village}; Path=/; Max-Age=2592000; SameSite=Lax; HttpOnly"
        ))
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

#[derive(serde::Deserialize)]
pub struct TrackPost {
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

/// `POST /track` and `POST /track/evaluate`.
pub async fn post_track(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    request: Request<Body>,
) -> Result<Response, ServerError> {
    let (parts, body) = request.into_parts();
    let evaluate = parts.uri.path().ends_with("/evaluate");
    let axum::Form(post) =
        axum::Form::<TrackPost>::from_request(Request::from_parts(parts.clone(), body), &state)
            .await
            .map_err(|_| ServerError::BadRequest(EdgeText::TrackingForm))?;
    let result = if evaluate {
        let form = StepForm {
            rating: post.rating,
            comment: post.comment,
            ..StepForm::default()
        };
        services::petition::evaluate(&state.db, &caller, &post.code, &post.password, &form).await
    } else {
        services::petition::track(&state.db, &caller, &post.code, &post.password).await
    };
    let result = result.map_err(AppError::from);
    let status = match &result {
        Ok(_) => StatusCode::OK,
        Err(e) => StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
    };
    let found = result.is_ok();
    let posted = Posted::Track {
        code: post.code,
        // Kept in the page only while it shows the petition, for the rating form.
        password: if found { post.password } else { String::new() },
        evaluated: evaluate && found,
        result,
    };
    Ok(render(&state, parts, "/track", posted, status).await)
}

/// The tracking page's address for this petition (no password in it), on the host the
/// request came to.
fn track_url(parts: &Parts, code: &str) -> String {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if is_https(&parts.uri, &parts.headers) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}/track?code={code}")
}

/// An address as a QR code (SVG).
fn qr_svg(url: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(qr) => qr
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(160, 160)
            .quiet_zone(true)
            .build(),
        Err(e) => {
            tracing::warn!(error = %e, "QR code failed");
            String::new()
        }
    }
}

/// `GET /office/attachments/{id}`: an attachment, for staff who may read its petition.
/// Always a download, never shown inline, so a crafted file cannot run in our origin.
pub async fn attachment(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(id): Path<i64>,
) -> Result<Response, ServerError> {
    let (name, media, bytes) = services::petition::attachment(&state.db, &caller, id).await?;
    let ascii = format!("attachment.{}", media.extension());
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent(&name)
    );
    let disposition = HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment"));
    Ok(private_file(media, bytes, disposition))
}

/// A stored file for the person who asked only: never kept in a cache on the way.
fn private_file(media: domain::attachment::MediaType, bytes: Vec<u8>, disposition: HeaderValue) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media.mime()));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    response
}

/// `GET /office/reports/{id}/photos/{position}`: a field report's photo, for staff who
/// may read the report (each look audited). Shown inline: it was checked to be the
/// image type it claims when it arrived, and `nosniff` keeps the browser to that type.
pub async fn field_photo(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path((id, position)): Path<(i64, i64)>,
) -> Result<Response, ServerError> {
    let (media, bytes) = services::field::report_photo(&state.db, &caller, id, position).await?;
    Ok(private_file(media, bytes, HeaderValue::from_static("inline")))
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
