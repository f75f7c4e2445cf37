//! Server functions for the township's side of field reports: the inbox, one report and
//! its steps, the weekly overview, and the township's settings for field reports. Each
//! is a thin call into `services::field`, which checks who may do what and audits it.

use domain::field::{FieldSettings, InboxFilter, InboxPage, InboxStep, KindRow, ReportView, WeeklyOverview};
use leptos::prelude::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::database;

#[server(prefix = "/api", endpoint = "field_inbox")]
pub async fn field_inbox(filter: InboxFilter) -> Result<InboxPage, AppError> {
    Ok(services::field::inbox(&database()?, &crate::session::caller(), &filter).await?)
}

/// Urgent reports waiting for the township, for the office's navigation.
#[server(prefix = "/api", endpoint = "field_urgent_waiting")]
pub async fn field_urgent_waiting() -> Result<i64, AppError> {
    Ok(services::field::urgent_waiting(&database()?, &crate::session::caller()).await?)
}

/// One report as the office reads it (audited).
#[server(prefix = "/api", endpoint = "field_report")]
pub async fn field_report(id: i64) -> Result<ReportView, AppError> {
    Ok(services::field::report(&database()?, &crate::session::caller(), id).await?)
}

/// Acknowledge, ask the officer for more, or close with a note.
#[server(prefix = "/api", endpoint = "field_inbox_step")]
pub async fn field_inbox_step(
    id: i64,
    step: InboxStep,
    #[server(default)] note: String,
) -> Result<(), AppError> {
    Ok(services::field::inbox_step(&database()?, &crate::session::caller(), id, step, &note).await?)
}

/// The week's reports by village; `week` is `2026-W48`, or this week when absent.
#[server(prefix = "/api", endpoint = "field_weekly")]
pub async fn field_weekly(week: Option<String>) -> Result<WeeklyOverview, AppError> {
    let caller = crate::session::caller();
    let week = match week.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        Some(w) => domain::field::Week::parse(w)
            .ok_or_else(|| AppError::Invalid(domain::FieldError::new("week", domain::Problem::BadWeek)))?,
        None => domain::field::Week::of(caller.now),
    };
    Ok(services::field::weekly_overview(&database()?, &caller, week).await?)
}

#[server(prefix = "/api", endpoint = "field_settings")]
pub async fn get_field_settings() -> Result<FieldSettings, AppError> {
    Ok(services::field::field_settings(&database()?, &crate::session::caller()).await?)
}

/// An admin sets when weekly reports are due: a weekday (1 = Monday), an hour, and
/// whether that is in the week after the one reported on.
#[server(prefix = "/api", endpoint = "set_weekly_deadline")]
pub async fn set_weekly_deadline(
    township_id: i64,
    weekday: u8,
    hour: u8,
    next_week: bool,
) -> Result<(), AppError> {
    let deadline = domain::field::WeeklyDeadline {
        weekday,
        hour,
        next_week,
    };
    Ok(
        services::field::set_weekly_deadline(&database()?, &crate::session::caller(), township_id, deadline)
            .await?,
    )
}

/// An admin replaces the list of report kinds; rows left blank are dropped.
#[server(prefix = "/api", endpoint = "set_report_kinds")]
pub async fn set_report_kinds(
    township_id: i64,
    #[server(default)] kinds: Vec<KindRow>,
) -> Result<(), AppError> {
    let kinds = domain::field::kinds_from_rows(&kinds).map_err(AppError::Invalid)?;
    Ok(
        services::field::set_report_kinds(&database()?, &crate::session::caller(), township_id, &kinds)
            .await?,
    )
}
