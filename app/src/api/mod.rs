//! Server functions: thin adapters from a browser call to the storage layer. Each one has
//! a fixed endpoint so its URL does not change between builds (an old tab keeps working
//! across a deploy), and answers with [`AppError`] on failure.

use domain::org::{OrgStructure, TownshipOverview};
use leptos::prelude::*;

use crate::error::AppError;

mod petition;
mod reports;
pub use petition::*;
pub use reports::*;

#[cfg(feature = "ssr")]
fn database() -> Result<storage::Database, AppError> {
    use_context::<storage::Database>().ok_or_else(|| {
        tracing::error!("no Database in the server function context");
        AppError::Internal
    })
}

/// The township's name and the size of its tree, for the home page.
#[server(prefix = "/api", endpoint = "township_overview")]
pub async fn get_township_overview() -> Result<Option<TownshipOverview>, AppError> {
    Ok(database()?.township_overview().await?)
}

/// The township's villages with their grids, and its departments.
#[server(prefix = "/api", endpoint = "org_structure")]
pub async fn get_org_structure() -> Result<Option<OrgStructure>, AppError> {
    Ok(database()?.org_structure().await?)
}

/// What waits for the office, counted for its desk (none for roles without those lists).
#[server(prefix = "/api", endpoint = "office_desk")]
pub async fn office_desk() -> Result<Option<domain::office::OfficeDesk>, AppError> {
    Ok(services::desk::office_desk(&database()?, &crate::session::caller()).await?)
}

/// The kinds and villages the field forms offer, and the week's report status. The field
/// area fetches it once a full page load; the phone keeps a copy for use offline.
#[server(prefix = "/api", endpoint = "field_setup")]
pub async fn get_field_setup() -> Result<Option<domain::sync::FieldSetup>, AppError> {
    let caller = crate::session::caller();
    Ok(services::field::setup(&database()?, &caller).await?)
}

// --- accounts and sessions ------------------------------------------------------------

use domain::audit::{AuditEntry, AuditFilter};
use domain::auth::UserSummary;

/// After a login or logout the browser loads the next page afresh, so nothing of the
/// previous person's state survives and the page is fetched (and kept for offline use)
/// whole. A plain form post (no JavaScript) gets a real redirect; the hydrated page gets
/// the path and goes there itself.
#[cfg(feature = "ssr")]
fn go_to(path: &str) {
    let accepts_html = use_context::<http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if accepts_html {
        leptos_axum::redirect(path);
    }
}

/// Logs in and goes to `next` (a path on this site) or the person's home. Works as a
/// plain form post without JavaScript. Answers the path to go to.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(username: String, password: String, next: Option<String>) -> Result<String, AppError> {
    use crate::session::{is_https, session_cookie};
    let caller = crate::session::caller();
    let logged_in = services::auth::login(&database()?, &caller, &username, &password).await?;
    let secure = use_context::<http::request::Parts>().is_some_and(|p| is_https(&p.uri, &p.headers));
    let cookie = session_cookie(
        &logged_in.token,
        logged_in.kind.cookie_max_age().num_seconds(),
        secure,
    );
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&cookie),
    ) {
        response.append_header(http::header::SET_COOKIE, value);
    }
    let home = logged_in.user.home();
    let target = next
        .filter(|n| crate::is_local_path(n) && n != "/login")
        .unwrap_or_else(|| home.to_owned());
    go_to(&target);
    Ok(target)
}

/// Ends this session and goes to the login page.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<String, AppError> {
    use crate::session::{clear_session_cookie, is_https};
    let caller = crate::session::caller();
    services::auth::logout(&database()?, &caller).await?;
    let secure = use_context::<http::request::Parts>().is_some_and(|p| is_https(&p.uri, &p.headers));
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&clear_session_cookie(secure)),
    ) {
        response.append_header(http::header::SET_COOKIE, value);
    }
    go_to("/login");
    Ok("/login".to_owned())
}

#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    let caller = crate::session::caller();
    services::auth::change_password(
        &database()?,
        &caller,
        &current_password,
        &new_password,
        &confirm_password,
    )
    .await?;
    Ok(())
}

/// The accounts the caller may see (an admin's scope; anyone else sees only their own).
#[server(prefix = "/api", endpoint = "users")]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    Ok(services::users::list(&database()?, &crate::session::caller()).await?)
}

#[server(prefix = "/api", endpoint = "create_user")]
pub async fn create_user(
    username: String,
    display_name: String,
    phone: String,
    role: String,
    unit_id: i64,
    password: String,
) -> Result<i64, AppError> {
    let form = services::users::NewUserForm {
        username,
        display_name,
        phone,
        role,
        unit_id,
        password,
    };
    Ok(services::users::create(&database()?, &crate::session::caller(), &form).await?)
}

#[server(prefix = "/api", endpoint = "set_user_disabled")]
pub async fn set_user_disabled(user_id: i64, disabled: bool) -> Result<(), AppError> {
    Ok(services::users::set_disabled(&database()?, &crate::session::caller(), user_id, disabled).await?)
}

#[server(prefix = "/api", endpoint = "reset_password")]
pub async fn reset_user_password(user_id: i64, password: String) -> Result<(), AppError> {
    Ok(services::users::reset_password(&database()?, &crate::session::caller(), user_id, &password).await?)
}

/// Ends every session of an account ("lost phone").
#[server(prefix = "/api", endpoint = "revoke_sessions")]
pub async fn revoke_user_sessions(user_id: i64) -> Result<u64, AppError> {
    Ok(services::users::revoke_sessions(&database()?, &crate::session::caller(), user_id).await?)
}

/// One page of the audit log for the audit page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditResults {
    pub entries: Vec<AuditEntry>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

#[server(prefix = "/api", endpoint = "audit")]
pub async fn search_audit(filter: AuditFilter, page: i64) -> Result<AuditResults, AppError> {
    let found = services::audit::search(&database()?, &crate::session::caller(), &filter, page).await?;
    Ok(AuditResults {
        entries: found.entries,
        total: found.total,
        page: page.max(1),
        page_size: services::audit::PAGE_SIZE,
    })
}

// --- roster import ----------------------------------------------------------------------

use leptos::server_fn::codec::{MultipartData, MultipartFormData};

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RosterImported {
    pub units: usize,
    pub users: usize,
}

/// Imports a roster file (field `file`, XLSX or CSV): all or nothing. Admins only.
#[server(prefix = "/api", endpoint = "import_roster", input = MultipartFormData)]
pub async fn import_roster(data: MultipartData) -> Result<RosterImported, AppError> {
    let db = database()?;
    let caller = crate::session::caller();
    // Nobody else's upload is read at all, let alone parsed.
    services::roster::may_import(&db, &caller).await?;
    let mut data = data
        .into_inner()
        .ok_or_else(|| AppError::BadRequest("no form data".into()))?;
    let too_big = || AppError::Invalid(domain::FieldError::new("file", domain::Problem::TooLong));
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(mut field)) = data.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("roster").to_owned();
        let mut bytes = Vec::new();
        while let Ok(Some(chunk)) = field.chunk().await {
            if bytes.len() + chunk.len() > services::roster::MAX_FILE_BYTES {
                return Err(too_big());
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some((name, bytes));
    }
    let (name, bytes) =
        file.ok_or_else(|| AppError::Invalid(domain::FieldError::new("file", domain::Problem::Required)))?;
    let report = services::roster::import(&db, &caller, &name, bytes).await?;
    Ok(RosterImported {
        units: report.units,
        users: report.users,
    })
}

/// Adds one village, grid or department under a unit of the admin's township.
#[server(prefix = "/api", endpoint = "create_org_unit")]
pub async fn create_org_unit(
    parent_id: i64,
    kind: String,
    name: String,
    code: String,
) -> Result<i64, AppError> {
    Ok(services::org::create_unit(
        &database()?,
        &crate::session::caller(),
        parent_id,
        &kind,
        &name,
        &code,
    )
    .await?)
}
