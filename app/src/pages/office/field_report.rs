//! `/office/reports/:id`: one dispute or hazard report as the township reads it: the
//! whole report, its photos, its inbox history, and a form for each step the reader may
//! take (acknowledge, ask the officer for more, close). Every opening is in the audit log.

use domain::Problem;
use domain::field::{FieldReportDetail, InboxStep, ReportView};
use leptos::prelude::*;
use leptos_i18n::I18nContext;

use crate::api::{FieldInboxStep, field_report};
use crate::components::report_labels::{
    category_label, inbox_state_label, inbox_step_label, report_kind_label, severity_label,
};
use crate::components::status::{ErrorMessage, Loading, error_text};
use crate::components::title::PageTitle;
use crate::error::AppError;
use crate::i18n::*;
use crate::pages::office::inbox::people_text;

#[component]
pub fn ReportPage() -> impl IntoView {
    let id = crate::pages::id_param().get_untracked();
    view! { <InboxReportBody id /> }
}

/// An island: each step of the report is taken in place.
#[island(lazy)]
fn InboxReportBody(id: i64) -> impl IntoView {
    crate::components::island::island_i18n();
    let step = ServerAction::<FieldInboxStep>::new();
    let report = Resource::new(move || (id, step.version().get()), |(id, _)| field_report(id));
    view! {
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(view) => view! { <Report view step /> }.into_any(),
                    Err(error) => {
                        answer_status(&error);
                        view! { <ErrorMessage error /> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// A report that is not there (or not the reader's) answers with its HTTP status, as a
/// plain route would; the page is rendered whole before the status is sent.
fn answer_status(error: &AppError) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(error.status()),
    ) {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = error;
}

/// An inbox step's failure in words that fit it (a missing note, someone was quicker).
fn step_error_text(i18n: I18nContext<Locale>, error: &AppError) -> String {
    match error {
        AppError::Invalid(e) if e.field == "note" && e.problem == Problem::Required => {
            t_string!(i18n, inbox.note_required).to_owned()
        }
        AppError::Refused(_) => t_string!(i18n, inbox.refused).to_owned(),
        AppError::Changed => t_string!(i18n, inbox.changed).to_owned(),
        other => error_text(i18n, other),
    }
}

#[component]
fn Report(view: ReportView, step: ServerAction<FieldInboxStep>) -> impl IntoView {
    let i18n = use_i18n();
    let d = view.detail;
    let s = d.summary.clone();
    let kinds = view.kinds;
    let (severity, state, category, urgent) = (s.severity, s.state, s.category, s.urgent);
    let title = {
        let (kinds, kind, village) = (kinds.clone(), s.kind.clone(), s.village_name.clone());
        move || {
            td_string!(
                i18n.get_locale(),
                inbox.detail_title,
                kind = report_kind_label(i18n, &kinds, &kind),
                village = village.clone()
            )
        }
    };
    let heading = title.clone();
    let gps = d.gps;
    let (parties, count) = (s.parties.clone(), s.person_count);
    view! {
        <PageTitle text=title />
        <p class="no-print"><a href="/office/reports">{t!(i18n, inbox.back)}</a></p>
        <h1>{heading}</h1>
        <p class="case-meta" id="report-meta">
            {urgent.then(|| view! { <span class="badge urgent">{t!(i18n, inbox.urgent)}</span>" " })}
            {move || severity_label(i18n, severity)}" · "
            {move || category_label(i18n, category)}" · "
            <span class="state" id="report-state">{move || inbox_state_label(i18n, state)}</span>
        </p>
        <div class="columns">
            <div>
                <section class="panel" aria-labelledby="report-facts">
                    <h2 id="report-facts" class="visually-hidden">{t!(i18n, inbox.description)}</h2>
                    <dl class="decision">
                        <dt>{t!(i18n, inbox.village)}</dt><dd>{s.village_name.clone()}</dd>
                        {d.grid_name.clone().map(|g| view! { <dt>{t!(i18n, inbox.grid)}</dt><dd>{g}</dd> })}
                        <dt>{t!(i18n, inbox.place)}</dt><dd>{s.place.clone()}</dd>
                        {gps.map(|g| view! {
                            <dt>{t!(i18n, inbox.gps)}</dt>
                            <dd>
                                {move || td_string!(i18n.get_locale(), inbox.gps_value, lat = format!("{:.5}", g.latitude), lon = format!("{:.5}", g.longitude))}
                                {move || g.accuracy_m.map(|m| td_string!(i18n.get_locale(), inbox.gps_accuracy, m = format!("{m:.0}")))}
                            </dd>
                        })}
                        <dt>{t!(i18n, inbox.found_at)}</dt><dd><time>{domain::audit::format_china_time(s.found_at)}</time></dd>
                        <dt>{t!(i18n, inbox.people)}</dt><dd>{move || people_text(i18n, parties.as_deref(), count)}</dd>
                        <dt>{t!(i18n, inbox.officer)}</dt><dd>{s.author.clone()}</dd>
                        <dt>{t!(i18n, inbox.created_at)}</dt><dd><time>{domain::audit::format_china_time(d.created_at)}</time></dd>
                        <dt>{t!(i18n, inbox.received_at)}</dt><dd><time>{domain::audit::format_china_time(s.received_at)}</time></dd>
                        <dt>{t!(i18n, inbox.needs_township)}</dt>
                        <dd>{move || if s.needs_township { t_string!(i18n, inbox.yes) } else { t_string!(i18n, inbox.no) }}</dd>
                    </dl>
                </section>
                <section class="panel" aria-labelledby="report-description">
                    <h2 id="report-description">{t!(i18n, inbox.description)}</h2>
                    <p class="text" id="report-text">{s.description.clone()}</p>
                    {d.action_taken.clone().map(|a| view! { <h3>{t!(i18n, inbox.action_taken)}</h3><p class="text">{a}</p> })}
                </section>
                <Photos detail=d.clone() />
            </div>
            <div>
                <Actions id=s.id steps=view.open_steps step />
                <History detail=d />
            </div>
        </div>
    }
}

#[component]
fn Photos(detail: FieldReportDetail) -> impl IntoView {
    let i18n = use_i18n();
    let id = detail.summary.id;
    view! {
        <section class="panel" aria-labelledby="report-photos">
            <h2 id="report-photos">{t!(i18n, inbox.photos)}</h2>
            {detail.photos.is_empty().then(|| view! { <p>{t!(i18n, inbox.no_photos)}</p> })}
            <ul class="photos">
                {detail.photos.into_iter().map(|p| {
                    let n = p.position;
                    if p.complete {
                        let src = format!("/office/reports/{id}/photos/{n}");
                        let href = src.clone();
                        view! {
                            <li>
                                <a href=href rel="external" target="_blank">
                                    <img src=src loading="lazy" alt=move || td_string!(i18n.get_locale(), inbox.photo_alt, n = n) />
                                </a>
                            </li>
                        }.into_any()
                    } else {
                        view! { <li class="hint">{move || td_string!(i18n.get_locale(), inbox.photo_pending, n = n)}</li> }.into_any()
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn History(detail: FieldReportDetail) -> impl IntoView {
    let i18n = use_i18n();
    let s = detail.summary;
    view! {
        <section class="panel" aria-labelledby="history-title">
            <h2 id="history-title">{t!(i18n, inbox.history)}</h2>
            <ol class="timeline" id="history">
                <li>
                    <time>{domain::audit::format_china_time(detail.created_at)}</time>" "
                    <strong>{t!(i18n, inbox.filed)}</strong>" · "{s.author}
                </li>
                {detail.history.into_iter().map(|e| {
                    let step = e.step;
                    view! {
                        <li data-event=step.as_str()>
                            <time>{domain::audit::format_china_time(e.at)}</time>" "
                            <strong>{move || inbox_step_label(i18n, step)}</strong>
                            {e.actor.map(|a| view! { " · " {a} })}
                            {e.note.map(|n| view! { <p class="text">{n}</p> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// A form for each step open to the reader, each a plain form post too.
#[component]
fn Actions(id: i64, steps: Vec<InboxStep>, step: ServerAction<FieldInboxStep>) -> impl IntoView {
    let i18n = use_i18n();
    let result = move || {
        step.value().get().map(|r| match r {
            Ok(()) => view! { <p class="notice-ok" role="status">{t!(i18n, inbox.done)}</p> }.into_any(),
            Err(error) => view! { <p class="error-message" role="alert" id="step-error">{move || step_error_text(i18n, &error)}</p> }.into_any(),
        })
    };
    view! {
        <section class="panel no-print" aria-labelledby="actions-title">
            <h2 id="actions-title">{t!(i18n, inbox.actions)}</h2>
            {result}
            {steps.is_empty().then(|| view! { <p>{t!(i18n, inbox.no_actions)}</p> })}
            {steps.into_iter().map(|s| view! { <StepForm id s step /> }).collect_view()}
        </section>
    }
}

#[component]
fn StepForm(id: i64, s: InboxStep, step: ServerAction<FieldInboxStep>) -> impl IntoView {
    let i18n = use_i18n();
    let required = s.transition().note_required;
    let note_id = format!("{}-note", s.as_str());
    let label = move || match s {
        InboxStep::RequestInfo => t_string!(i18n, inbox.note_request_info),
        InboxStep::Close => t_string!(i18n, inbox.note_close),
        _ => t_string!(i18n, inbox.note),
    };
    view! {
        <ActionForm action=step attr:class="form step-form" attr:data-step=s.as_str()>
            <input type="hidden" name="id" value=id.to_string() />
            <input type="hidden" name="step" value=s.as_str() />
            <label for=note_id.clone()>{label}{required.then_some(" *")}</label>
            <textarea id=note_id name="note" rows="2" maxlength=domain::field::NOTE_MAX.to_string() required=required></textarea>
            <button type="submit" class="button primary">{move || inbox_step_label(i18n, s)}</button>
        </ActionForm>
    }
}
