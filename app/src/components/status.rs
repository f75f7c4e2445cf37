//! How pages show loading and failure.

use leptos::prelude::*;

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
    let text = move || match &error {
        AppError::NotFound => t_string!(i18n, error.not_found).to_owned(),
        AppError::Invalid(e) => {
            td_string!(
                i18n.get_locale(),
                error.invalid,
                detail = format!("{} ({})", e.field, e.problem.code())
            )
        }
        AppError::BadRequest(_) => t_string!(i18n, error.bad_request).to_owned(),
        AppError::Unavailable | AppError::Network(_) => t_string!(i18n, error.unavailable).to_owned(),
        AppError::Internal => t_string!(i18n, error.internal).to_owned(),
    };
    view! {
        <p class="error-message" role="alert">
            {text}
        </p>
    }
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
