//! Server functions for petitions, and what the plain form posts (`/petition`, `/track`,
//! `/office/intake`, handled in the server crate) hand to the page they render.

use domain::FieldError;
use domain::handling::StepForm;
use domain::intake::PetitionForm;
use domain::petition::Step;
use domain::registry::{PetitionDetail, PublicStatus, RegistryFilter, RegistryPage};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::database;

/// A unit to pick: its id and name.
pub type Named = (i64, String);

/// The public form's challenge: a sum to work out, and the signed token it goes with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeView {
    pub token: String,
    pub a: u8,
    pub b: u8,
}

/// What the petition forms need: the villages to pick from, today's date in China, and
/// a fresh challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormData {
    pub villages: Vec<(i64, String)>,
    pub departments: Vec<(i64, String)>,
    pub today: chrono::NaiveDate,
    pub challenge: ChallengeView,
    /// The village the clerk picked last time (a cookie), to start the next form with.
    pub last_village: Option<i64>,
}

/// The cookie that remembers the intake desk's last village.
pub const LAST_VILLAGE_COOKIE: &str = "minqing_last_village";

/// The receipt shown once after a petition is taken in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptView {
    pub petition_id: i64,
    pub tracking_code: String,
    pub query_password: String,
    /// China time, written out.
    pub received_at: String,
    /// The tracking page's address as a QR code (SVG, made on the server).
    pub qr_svg: String,
    /// Staff intake: the receipt also links to the case.
    pub staff: bool,
    pub subject: String,
    /// The tracking page's address, as in the QR code.
    pub track_url: String,
    /// The office that received it, with its published address and phone.
    pub office: domain::document::Letterhead,
}

/// What a plain form post leaves for the page it renders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Posted {
    Receipt(ReceiptView),
    /// The form as typed, and what is wrong with it.
    Invalid {
        form: Box<PetitionForm>,
        errors: Vec<FieldError>,
        error: Option<AppError>,
    },
    Track {
        code: String,
        password: String,
        result: Result<PublicStatus, AppError>,
        evaluated: bool,
    },
}

/// The form post's outcome, from the request's context (the pages that read it render
/// on the server only; their islands get what they need as props).
pub fn posted() -> Option<Posted> {
    use_context::<Posted>()
}

#[server(prefix = "/api", endpoint = "petition_form_data")]
pub async fn petition_form_data() -> Result<FormData, AppError> {
    let db = database()?;
    let caller = crate::session::caller();
    let structure = services::org::structure(&db).await?;
    let (villages, departments): (Vec<Named>, Vec<Named>) = structure
        .map(|s| {
            (
                s.villages
                    .into_iter()
                    .map(|v| (v.village.id, v.village.name))
                    .collect(),
                s.departments.into_iter().map(|d| (d.id, d.name)).collect(),
            )
        })
        .unwrap_or_default();
    let secret = services::challenge::form_secret(&db).await?;
    let c = services::challenge::issue(&secret, caller.now);
    let last_village = use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(http::header::COOKIE)?
                .to_str()
                .ok()
                .map(str::to_owned)
        })
        .and_then(|h| crate::cookie_value(&h, LAST_VILLAGE_COOKIE)?.parse().ok())
        .filter(|id| villages.iter().any(|(v, _)| v == id));
    Ok(FormData {
        last_village,
        villages,
        departments,
        today: domain::registry::china_date(caller.now),
        challenge: ChallengeView {
            token: c.token,
            a: c.a,
            b: c.b,
        },
    })
}

#[server(prefix = "/api", endpoint = "petition_registry")]
pub async fn petition_registry(filter: RegistryFilter) -> Result<RegistryPage, AppError> {
    Ok(services::petition::registry(&database()?, &crate::session::caller(), &filter).await?)
}

/// One petition as the office sees it, with the steps open to this person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseView {
    pub detail: PetitionDetail,
    pub open_steps: Vec<Step>,
    pub may_read_identity: bool,
    pub departments: Vec<(i64, String)>,
    /// Today in China, for dating printed documents (the browser's clock is not asked).
    pub today: chrono::NaiveDate,
}

#[server(prefix = "/api", endpoint = "petition_case")]
pub async fn petition_case(id: i64) -> Result<CaseView, AppError> {
    let db = database()?;
    let caller = crate::session::caller();
    let view = services::petition::view(&db, &caller, id).await?;
    let departments = db
        .org_structure()
        .await?
        .map(|s| s.departments.into_iter().map(|d| (d.id, d.name)).collect())
        .unwrap_or_default();
    Ok(CaseView {
        detail: view.detail,
        open_steps: view.open_steps,
        may_read_identity: view.may_read_identity,
        departments,
        today: domain::registry::china_date(caller.now),
    })
}

/// One of the petition's printed documents (`doc`: a `DocumentKind` name), as it prints.
/// Naming the petitioner is an identity read, audited.
#[server(prefix = "/api", endpoint = "petition_document")]
pub async fn petition_document(id: i64, doc: String) -> Result<domain::document::PrintedDocument, AppError> {
    let kind = domain::document::DocumentKind::parse(&doc).ok_or(AppError::NotFound)?;
    Ok(services::document::print(&database()?, &crate::session::caller(), id, kind).await?)
}

/// Who filed it, and every other person it names. Every call is in the audit log.
#[server(prefix = "/api", endpoint = "reveal_identity")]
pub async fn reveal_identity(id: i64) -> Result<domain::registry::PetitionIdentity, AppError> {
    Ok(services::petition::identity(&database()?, &crate::session::caller(), id).await?)
}

#[server(prefix = "/api", endpoint = "petition_step")]
pub async fn petition_step(id: i64, step: Step, form: StepForm) -> Result<(), AppError> {
    Ok(services::petition::take_step(&database()?, &crate::session::caller(), id, step, &form).await?)
}

/// What the township's office publishes, with the township's name; None until written.
#[server(prefix = "/api", endpoint = "office_info")]
pub async fn get_office_info() -> Result<Option<(String, domain::office::OfficeInfo)>, AppError> {
    Ok(services::org::office_info(&database()?).await?)
}

#[server(prefix = "/api", endpoint = "set_office_info")]
pub async fn set_office_info(info: domain::office::OfficeInfo) -> Result<(), AppError> {
    Ok(services::org::set_office_info(&database()?, &crate::session::caller(), &info).await?)
}
