//! How pages show loading and failure.

use leptos::prelude::*;

use domain::{FieldError, Problem};
use leptos_i18n::I18nContext;

use crate::error::AppError;
use crate::i18n::*;

#[component]
pub fn Loading() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="loading" role="status" aria-live="polite">
            {t!(i18n, loading)}
        </p>
    }
}

/// The sentence for an error, in the reader's language.
#[component]
pub fn ErrorMessage(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="error-message" role="alert">
            {move || error_text(i18n, &error)}
        </p>
    }
}

pub fn error_text(i18n: I18nContext<Locale>, error: &AppError) -> String {
    match error {
        AppError::NotFound => t_string!(i18n, error.not_found).to_owned(),
        AppError::Invalid(e) => field_error_text(i18n, e),
        AppError::Unauthenticated => t_string!(i18n, login.intro).to_owned(),
        AppError::LoginFailed => t_string!(i18n, login.failed).to_owned(),
        AppError::Throttled(seconds) => {
            td_string!(
                i18n.get_locale(),
                login.throttled,
                wait = wait_text(i18n, *seconds)
            )
        }
        AppError::BadRequest(_) => t_string!(i18n, error.bad_request).to_owned(),
        AppError::Unavailable | AppError::Network(_) => t_string!(i18n, error.unavailable).to_owned(),
        AppError::Roster(problems) => td_string!(i18n.get_locale(), roster.has_problems, n = problems.len()),
        AppError::Internal => t_string!(i18n, error.internal).to_owned(),
        AppError::Form(errors) => td_string!(i18n.get_locale(), error.form, n = errors.len()),
        AppError::Refused(_) => t_string!(i18n, error.refused).to_owned(),
        AppError::Changed => t_string!(i18n, error.changed).to_owned(),
        AppError::TrackingFailed => t_string!(i18n, error.tracking_failed).to_owned(),
        AppError::RateLimited(seconds) => {
            td_string!(
                i18n.get_locale(),
                error.rate_limited,
                wait = wait_text(i18n, *seconds)
            )
        }
    }
}

/// How long to wait, in the unit a person thinks in (10 分钟, not 600 秒).
pub fn wait_text(i18n: I18nContext<Locale>, seconds: i64) -> String {
    let locale = i18n.get_locale();
    match wait_in_units(seconds) {
        (1, WaitUnit::Second) => td_string!(locale, wait.second, n = 1),
        (n, WaitUnit::Second) => td_string!(locale, wait.seconds, n = n),
        (1, WaitUnit::Minute) => td_string!(locale, wait.minute, n = 1),
        (n, WaitUnit::Minute) => td_string!(locale, wait.minutes, n = n),
        (1, WaitUnit::Hour) => td_string!(locale, wait.hour, n = 1),
        (n, WaitUnit::Hour) => td_string!(locale, wait.hours, n = n),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WaitUnit {
    Second,
    Minute,
    Hour,
}

/// A wait in seconds as a count of the largest unit under it, rounded up so that trying
/// again after it always works (and never "0 seconds").
fn wait_in_units(seconds: i64) -> (u64, WaitUnit) {
    let seconds = u64::try_from(seconds).unwrap_or(0).max(1);
    match seconds {
        0..60 => (seconds, WaitUnit::Second),
        60..3600 => (seconds.div_ceil(60), WaitUnit::Minute),
        _ => (seconds.div_ceil(3600), WaitUnit::Hour),
    }
}

/// "Please fill in “Username”.": the problem, naming the field as the form labels it.
pub fn field_error_text(i18n: I18nContext<Locale>, e: &FieldError) -> String {
    field_error_text_relabelled(i18n, e, &[])
}

/// As [`field_error_text`], for a form that labels some of the rules' field names its
/// own way: `(rule's name, label's name in the shared table)`.
pub fn field_error_text_relabelled(
    i18n: I18nContext<Locale>,
    e: &FieldError,
    relabel: &[(&str, &str)],
) -> String {
    let name = relabel
        .iter()
        .find(|(rule, _)| *rule == e.field)
        .map_or(e.field.as_str(), |(_, label)| label);
    let field = field_label(i18n, name);
    let locale = i18n.get_locale();
    match e.problem {
        Problem::Required => td_string!(locale, problem.required, field = field),
        Problem::TooLong => td_string!(locale, problem.too_long, field = field),
        Problem::ControlCharacters => td_string!(locale, problem.control_characters, field = field),
        Problem::WrongParent => td_string!(locale, problem.wrong_parent, field = field),
        Problem::WrongScope => t_string!(i18n, problem.wrong_scope).to_owned(),
        Problem::BadUsername => td_string!(locale, problem.bad_username, field = field),
        Problem::UsernameTaken => t_string!(i18n, problem.username_taken).to_owned(),
        Problem::TooShort => td_string!(locale, problem.too_short, field = field),
        Problem::CommonPassword => t_string!(i18n, problem.common_password).to_owned(),
        Problem::WrongPassword => td_string!(locale, problem.wrong_password, field = field),
        Problem::Duplicate => td_string!(locale, problem.duplicate, field = field),
        Problem::UnknownValue => td_string!(locale, problem.unknown_value, field = field),
        Problem::Mismatch => t_string!(i18n, problem.mismatch).to_owned(),
        Problem::BadPhone => td_string!(locale, problem.bad_phone, field = field),
        Problem::FileEmpty => t_string!(i18n, problem.file_empty).to_owned(),
        Problem::FileTooLarge => t_string!(i18n, problem.file_too_large).to_owned(),
        Problem::FileTypeNotAllowed => t_string!(i18n, problem.file_type_not_allowed).to_owned(),
        Problem::TooMany => td_string!(locale, problem.too_many, field = field),
        Problem::BadResidentIdLength => td_string!(locale, problem.bad_resident_id_length, field = field),
        Problem::BadResidentIdDate => td_string!(locale, problem.bad_resident_id_date, field = field),
        Problem::BadResidentIdCheck => td_string!(locale, problem.bad_resident_id_check, field = field),
        Problem::BadDate => td_string!(locale, problem.bad_date, field = field),
        Problem::BadNumber => td_string!(locale, problem.bad_number, field = field),
        Problem::WrongAnswer => td_string!(locale, problem.wrong_answer, field = field),
        Problem::BadCoordinates => td_string!(locale, problem.bad_coordinates, field = field),
        Problem::BadAccuracy => t_string!(i18n, problem.bad_accuracy).to_owned(),
        Problem::InFuture => td_string!(locale, problem.in_future, field = field),
        Problem::TooOld => td_string!(locale, problem.too_old, field = field),
        Problem::BadUuid => td_string!(locale, problem.bad_uuid, field = field),
        Problem::BadWeek => td_string!(locale, problem.bad_week, field = field),
        Problem::ZeroReportWithItems => t_string!(i18n, problem.zero_report_with_items).to_owned(),
        Problem::EmptyReport => t_string!(i18n, problem.empty_report).to_owned(),
        Problem::WrongWeek => t_string!(i18n, problem.wrong_week).to_owned(),
        Problem::AlreadySent => t_string!(i18n, problem.already_sent).to_owned(),
    }
}

/// The label a form shows for a field name used by the rules.
pub fn field_label(i18n: I18nContext<Locale>, field: &str) -> String {
    match field {
        "username" => t_string!(i18n, fields.username),
        "display_name" => t_string!(i18n, fields.display_name),
        "phone" => t_string!(i18n, fields.phone),
        "password" => t_string!(i18n, fields.password),
        "current_password" => t_string!(i18n, fields.current_password),
        "new_password" => t_string!(i18n, fields.new_password),
        "confirm_password" => t_string!(i18n, fields.confirm_password),
        "role" => t_string!(i18n, fields.role),
        "unit" => t_string!(i18n, fields.unit),
        "user" => t_string!(i18n, fields.user),
        "name" => t_string!(i18n, fields.name),
        "parent" => t_string!(i18n, fields.parent),
        "code" => t_string!(i18n, fields.code),
        "kind" => t_string!(i18n, fields.kind),
        "file" => t_string!(i18n, fields.file),
        // The township's settings for field reports.
        "weekday" => t_string!(i18n, weekly.weekday),
        "hour" => t_string!(i18n, weekly.hour),
        "kinds" => t_string!(i18n, weekly.kinds),
        "category" => t_string!(i18n, weekly.category),
        "name_zh" => t_string!(i18n, weekly.name_zh),
        "name_en" => t_string!(i18n, weekly.name_en),
        // The petition forms' fields.
        "channel" => t_string!(i18n, fields.channel),
        "village_id" => t_string!(i18n, fields.village_id),
        "subject" => t_string!(i18n, fields.subject),
        "content" => t_string!(i18n, fields.content),
        "request" => t_string!(i18n, fields.request),
        "facts_reasons" => t_string!(i18n, fields.facts_reasons),
        "petitioner_name" => t_string!(i18n, fields.petitioner_name),
        "people_involved" => t_string!(i18n, fields.people_involved),
        "resident_id" => t_string!(i18n, fields.resident_id),
        "address" => t_string!(i18n, fields.address),
        "person_count" => t_string!(i18n, fields.person_count),
        "batch_count" => t_string!(i18n, fields.batch_count),
        "representatives" => t_string!(i18n, fields.representatives),
        "reported_name" => t_string!(i18n, fields.reported_name),
        "reported_unit" => t_string!(i18n, fields.reported_unit),
        "reported_details" => t_string!(i18n, fields.reported_details),
        "received_on" => t_string!(i18n, fields.received_on),
        "consent" => t_string!(i18n, fields.consent),
        "agent_consent" => t_string!(i18n, fields.agent_consent),
        "attachments" => t_string!(i18n, fields.attachments),
        "challenge" => t_string!(i18n, fields.challenge),
        "department_id" => t_string!(i18n, fields.department_id),
        "forwarded_to" => t_string!(i18n, fields.forwarded_to),
        "reasons" => t_string!(i18n, fields.reasons),
        "days" => t_string!(i18n, fields.days),
        "approved_by" => t_string!(i18n, fields.approved_by),
        "decision" => t_string!(i18n, fields.decision),
        "legal_basis" => t_string!(i18n, fields.legal_basis),
        "outcome" => t_string!(i18n, fields.outcome),
        "delivered_on" => t_string!(i18n, fields.delivered_on),
        "rating" => t_string!(i18n, fields.rating),
        "comment" => t_string!(i18n, fields.comment),
        "note" => t_string!(i18n, fields.note),
        "tracking_code" => t_string!(i18n, fields.tracking_code),
        "query_password" => t_string!(i18n, fields.query_password),
        // The field reports' fields.
        "severity" => t_string!(i18n, fields.severity),
        "place" => t_string!(i18n, fields.place),
        "found_at" => t_string!(i18n, fields.found_at),
        "parties" => t_string!(i18n, fields.parties),
        "description" => t_string!(i18n, fields.description),
        "action_taken" => t_string!(i18n, fields.action_taken),
        "needs_township" => t_string!(i18n, fields.needs_township),
        "photos" => t_string!(i18n, fields.photos),
        "week" => t_string!(i18n, fields.week),
        "latitude" => t_string!(i18n, fields.latitude),
        "longitude" => t_string!(i18n, fields.longitude),
        "accuracy_m" => t_string!(i18n, fields.accuracy_m),
        "items" => t_string!(i18n, fields.items),
        "zero" => t_string!(i18n, fields.zero),
        "report_id" => t_string!(i18n, fields.report_id),
        other => return other.to_owned(),
    }
    .to_owned()
}

/// The error boundary's fallback: a plain explanation, never a stack trace.
#[component]
pub fn ErrorPanel(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="panel error-panel" role="alert">
            <h1>{t!(i18n, error.title)}</h1>
            <p>{t!(i18n, error.text)}</p>
            <ul>
                {move || {
                    errors
                        .get()
                        .into_iter()
                        .map(|(_, e)| {
                            let message = e
                                .downcast_ref::<AppError>()
                                .cloned()
                                .unwrap_or(AppError::Internal);
                            view! {
                                <li>
                                    <ErrorMessage error=message />
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}

/// Text to put inside a `<textarea>`. Leptos writes a textarea's children into the
/// server's HTML without escaping them (tachys treats it like `<script>`), so a value
/// holding `</textarea>` would end the element and the rest would run as markup. On the
/// server the text is escaped here; the browser decodes it back to exactly what was
/// typed. Hydration keeps the server's text node, so the browser side passes it as is.
pub fn textarea_text(text: &str) -> String {
    if cfg!(feature = "ssr") {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                c => out.push(c),
            }
        }
        out
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::{WaitUnit, wait_in_units};

    #[test]
    fn waits_are_told_in_the_largest_unit_rounded_up() {
        assert_eq!(wait_in_units(0), (1, WaitUnit::Second));
        assert_eq!(wait_in_units(-5), (1, WaitUnit::Second));
        assert_eq!(wait_in_units(45), (45, WaitUnit::Second));
        assert_eq!(wait_in_units(60), (1, WaitUnit::Minute));
        assert_eq!(wait_in_units(61), (2, WaitUnit::Minute));
        assert_eq!(wait_in_units(600), (10, WaitUnit::Minute));
        assert_eq!(wait_in_units(3599), (60, WaitUnit::Minute));
        assert_eq!(wait_in_units(3600), (1, WaitUnit::Hour));
        assert_eq!(wait_in_units(5400), (2, WaitUnit::Hour));
    }
}
