//! `/petition`: the citizen's online form, and the receipt it answers with. The form is
//! posted whole to the server (`server::forms`), which renders this page again with the
//! outcome: the receipt, or the form as typed with every problem named.

use domain::intake::{IntakeSource, PetitionForm};
use leptos::prelude::*;

use crate::api::{Posted, ReceiptView, petition_form_data, posted};
use crate::components::island::PrintButton;
use crate::components::petition_form::PetitionFormView;
use crate::components::status::{ErrorMessage, Loading};
use crate::components::title::PageTitle;
use crate::i18n::*;

#[component]
pub fn PetitionPage() -> impl IntoView {
    let i18n = use_i18n();
    match posted() {
        Some(Posted::Receipt(receipt)) => view! { <Receipt receipt /> }.into_any(),
        other => {
            let (form, errors, error) = form_as_posted(other);
            view! {
                <PageTitle text=move || t_string!(i18n, petition.title) />
                <h1>{t!(i18n, petition.title)}</h1>
                <p>{t!(i18n, petition.intro)}</p>
                {error.map(|error| view! { <ErrorMessage error /> })}
                <PetitionFormLoader form errors source=IntakeSource::Public action="/petition" />
            }
            .into_any()
        }
    }
}

/// The form to show again after a refused post (as typed, with its problems), or an
/// empty one.
pub fn form_as_posted(
    posted: Option<Posted>,
) -> (
    PetitionForm,
    Vec<domain::FieldError>,
    Option<crate::error::AppError>,
) {
    match posted {
        Some(Posted::Invalid { form, errors, error }) => (*form, errors, error),
        _ => (PetitionForm::default(), Vec::new(), None),
    }
}

/// Loads the villages and a fresh challenge, then shows the form.
#[component]
pub fn PetitionFormLoader(
    form: PetitionForm,
    errors: Vec<domain::FieldError>,
    source: IntakeSource,
    action: &'static str,
) -> impl IntoView {
    let data = Resource::new(|| (), |_| petition_form_data());
    view! {
        <Suspense fallback=|| view! { <Loading /> }>
            {move || {
                let (form, errors) = (form.clone(), errors.clone());
                Suspend::new(async move {
                    match data.await {
                        Ok(mut data) => {
                            let mut form = form;
                            if form.village_id.is_empty() && let Some(last) = data.last_village.take() {
                                form.village_id = last.to_string();
                            }
                            view! { <PetitionFormView data form errors source action /> }.into_any()
                        }
                        Err(error) => view! { <ErrorMessage error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The receipt (受理回执): the tracking code and query password, shown once, with the
/// subject, the office that received it and how to follow it; printable on A4 with a QR
/// code to the tracking page.
#[component]
pub fn Receipt(receipt: ReceiptView) -> impl IntoView {
    let i18n = use_i18n();
    let track = format!("/track?code={}", receipt.tracking_code);
    let case = format!("/office/petitions/{}", receipt.petition_id);
    let time = receipt.received_at.clone();
    let track_url = receipt.track_url.clone();
    let office = receipt.office.clone();
    view! {
        <PageTitle text=move || t_string!(i18n, receipt.title) />
        <section class="receipt printable" aria-labelledby="receipt-title">
            <h1 id="receipt-title">{t!(i18n, receipt.title)}</h1>
            <p role="status" class="notice-ok">{t!(i18n, receipt.done)}</p>
            <dl class="receipt-codes">
                <dt>{t!(i18n, receipt.code)}</dt>
                <dd><strong id="tracking-code">{receipt.tracking_code.clone()}</strong></dd>
                <dt>{t!(i18n, receipt.password)}</dt>
                <dd><strong id="query-password">{receipt.query_password.clone()}</strong></dd>
            </dl>
            <p class="hint">{move || td_string!(i18n.get_locale(), receipt.received, time = time.clone())}</p>
            <p><strong>{t!(i18n, receipt.keep)}</strong></p>
            <dl class="decision receipt-facts">
                <dt>{t!(i18n, receipt.subject)}</dt><dd class="text" id="receipt-subject">{receipt.subject.clone()}</dd>
                <dt>{t!(i18n, receipt.office)}</dt><dd id="receipt-office">{office.name}</dd>
                {(!office.address.is_empty()).then(|| view! {
                    <dt>{t!(i18n, fields.office_address)}</dt><dd class="text">{office.address.clone()}</dd>
                })}
                {(!office.phone.is_empty()).then(|| view! {
                    <dt>{t!(i18n, fields.phone)}</dt><dd class="text">{office.phone.clone()}</dd>
                })}
            </dl>
            <p>{t!(i18n, receipt.next)}</p>
            <p id="receipt-track">{move || td_string!(i18n.get_locale(), receipt.track_how, url = track_url.clone())}</p>
            <figure class="qr">
                <div inner_html=receipt.qr_svg.clone() role="img" aria-label=move || t_string!(i18n, receipt.qr)></div>
                <figcaption>{t!(i18n, receipt.qr)}</figcaption>
            </figure>
        </section>
        <div class="row-actions no-print">
            <PrintButton label=t_string!(i18n, receipt.print).to_owned() />
            <a class="button" href=track>{t!(i18n, receipt.track)}</a>
            {receipt.staff.then(|| view! { <a class="button" href=case>{t!(i18n, intake.open_case)}</a> })}
        </div>
    }
}
