//! The field area (`/field/…`): the pages village and grid officers use on their phones,
//! and what they share: the kinds and villages the forms offer, and the words for
//! severities, weekly statuses, the outbox's errors and the township's answers.

pub mod home;
pub mod outbox;
pub mod report;
pub mod villages;
pub mod weekly;

use domain::field::{InboxStep, ReportKind, Severity, WeeklyStatus};
use domain::sync::{Change, FieldSetup};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use serde::{Deserialize, Serialize};

use crate::components::status::{ErrorMessage, field_error_text_relabelled};
use crate::error::AppError;
use crate::i18n::*;
use crate::outbox::{OutboxError, use_outbox};

/// The field area's kinds and villages, read on the server while the page renders (see
/// `field_area`) and handed to the `FieldArea` island as a prop: the browser never asks
/// for them, so no request code or response decoding of them is in its wasm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PageSetup {
    /// A field role that files no reports (a petition agent): no outbox, no forms.
    NotReporting,
    /// The setup; `None` for someone with no village or grid to report for.
    Ready(Option<FieldSetup>),
    /// The server could not read it (the reason is in its log).
    Failed,
}

impl PageSetup {
    /// The calling officer's setup, on the server.
    pub async fn read() -> Self {
        match crate::api::get_field_setup().await {
            Ok(setup) => PageSetup::Ready(setup),
            Err(_) => PageSetup::Failed,
        }
    }
}

/// The setup the forms use. It travels with the page's HTML (which the phone keeps for
/// offline use), so moving between field pages never needs the network; if the server
/// could not read it, the copy the phone kept from its last sync stands in.
pub fn field_setup() -> Result<Option<FieldSetup>, AppError> {
    match use_context::<PageSetup>() {
        None | Some(PageSetup::NotReporting) => Ok(None),
        Some(PageSetup::Ready(setup)) => Ok(setup),
        Some(PageSetup::Failed) => use_outbox()
            .and_then(|o| o.setup.get_untracked())
            .map(Some)
            .ok_or(AppError::Unavailable),
    }
}

type I18n = I18nContext<Locale>;

/// A field form's page body: the form once the kinds and villages are known, or why
/// there is none. The form itself needs the browser (it queues on the phone).
pub fn with_setup<V: IntoView + 'static>(form: fn(FieldSetup) -> V) -> impl IntoView {
    let i18n = use_i18n();
    let body = match field_setup() {
        Ok(Some(setup)) => form(setup).into_any(),
        Ok(None) => view! { <p>{t!(i18n, field.no_village)}</p> }.into_any(),
        Err(error) => view! { <ErrorMessage error /> }.into_any(),
    };
    view! {
        <noscript>
            <p class="notice">{t!(i18n, field.needs_script)}</p>
        </noscript>
        {body}
    }
}

/// A kind's name in the reader's language; its code if the list no longer has it.
pub fn kind_name(i18n: I18n, kinds: &[ReportKind], code: &str) -> String {
    let english = i18n.get_locale() == Locale::en;
    kinds
        .iter()
        .find(|k| k.code == code)
        .map(|k| {
            if english {
                k.name_en.clone()
            } else {
                k.name_zh.clone()
            }
        })
        .unwrap_or_else(|| code.to_owned())
}

pub fn severity_label(i18n: I18n, s: Severity) -> &'static str {
    match s {
        Severity::General => t_string!(i18n, field.severity_general),
        Severity::Serious => t_string!(i18n, field.severity_serious),
        Severity::Urgent => t_string!(i18n, field.severity_urgent),
    }
}

pub fn weekly_status_label(i18n: I18n, s: WeeklyStatus) -> &'static str {
    match s {
        WeeklyStatus::Pending => t_string!(i18n, field.week_pending),
        WeeklyStatus::OnTime => t_string!(i18n, field.week_on_time),
        WeeklyStatus::Late => t_string!(i18n, field.week_late),
        WeeklyStatus::Zero => t_string!(i18n, field.week_zero),
        WeeklyStatus::Missing => t_string!(i18n, field.week_missing),
    }
}

/// Why the phone could not keep or read something, in the officer's words.
/// A rule's message on a field record, naming the field as the report form labels it:
/// the rules' `person_count` is the people a dispute involves here (涉及人数), not a
/// visit's 来访人数.
pub fn record_error_text(i18n: I18n, e: &domain::FieldError) -> String {
    field_error_text_relabelled(i18n, e, &[("person_count", "people_involved")])
}

pub fn outbox_error_text(i18n: I18n, e: &OutboxError) -> String {
    match e {
        OutboxError::Full => t_string!(i18n, outbox.error_full).to_owned(),
        OutboxError::Photo(_) => t_string!(i18n, outbox.error_photo).to_owned(),
        OutboxError::NoBrowser => t_string!(i18n, field.needs_script).to_owned(),
        OutboxError::Storage(detail) | OutboxError::Crypto(detail) => {
            td_string!(i18n.get_locale(), outbox.error_storage, detail = detail)
        }
    }
}

/// A photo the phone could not open, named, with what to do. HEIC (an iPhone's and some
/// Android cameras' "high efficiency" format) is said apart: most browsers cannot read
/// it, and the camera setting that avoids it is worth knowing.
pub fn unreadable_photo_text(i18n: I18n, name: &str, media_type: &str) -> String {
    let lower = name.to_lowercase();
    let heic = matches!(
        media_type,
        "image/heic" | "image/heif" | "image/heic-sequence" | "image/heif-sequence"
    ) || lower.ends_with(".heic")
        || lower.ends_with(".heif");
    if heic {
        td_string!(i18n.get_locale(), field.photo_heic, name = name)
    } else {
        td_string!(i18n.get_locale(), field.photo_unreadable, name = name)
    }
}

/// What the township did with a report, as the officer reads it.
pub fn answer_text(i18n: I18n, change: &Change) -> String {
    let step = match change.step {
        Some(InboxStep::Acknowledge) => t_string!(i18n, field.answer_acknowledged),
        Some(InboxStep::RequestInfo) => t_string!(i18n, field.answer_more_info),
        Some(InboxStep::Close) => t_string!(i18n, field.answer_closed),
        Some(InboxStep::Supplement) => t_string!(i18n, field.answer_supplement),
        None => t_string!(i18n, field.answer_weekly),
    };
    match change.note.as_deref() {
        Some(note) if !note.is_empty() => td_string!(
            i18n.get_locale(),
            field.answer_with_note,
            step = step,
            note = note
        ),
        _ => step.to_owned(),
    }
}
