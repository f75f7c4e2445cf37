//! `/office/petitions/:id`: one petition as the office sees it. Its content, the people
//! named, the written decision, attachments, deadlines, the timeline of every step, and
//! a form for each step the reader may take now. The petitioner's identity is shown
//! only on request, and every such request is in the audit log.

use domain::petition::{DecisionOutcome, Step};
use domain::registry::PetitionDetail;
use leptos::prelude::*;

use crate::api::{CaseView, PetitionStep, RevealIdentity, petition_case};
use crate::components::labels::{
    DeadlineList, channel_label, kind_label, outcome_label, rating_label, state_label, step_label,
};
use crate::components::status::{ErrorMessage, Loading};
use crate::components::title::PageTitle;
use crate::i18n::*;

#[component]
pub fn PetitionPage() -> impl IntoView {
    let id = crate::pages::id_param().get_untracked();
    view! { <PetitionBody id /> }
}

/// An island: each step of the petition is taken in place.
#[island(lazy)]
fn PetitionBody(id: i64) -> impl IntoView {
    crate::components::island::island_i18n();
    let step = ServerAction::<PetitionStep>::new();
    let petition = Resource::new(move || (id, step.version().get()), |(id, _)| petition_case(id));
    view! {
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match petition.await {
                    Ok(view) => view! { <Petition view step /> }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Petition(view: CaseView, step: ServerAction<PetitionStep>) -> impl IntoView {
    let i18n = use_i18n();
    let d = view.detail;
    let s = &d.summary;
    let code = s.tracking_code.clone();
    let title = code.clone();
    let (state, channel, kind) = (s.state, s.channel, s.kind);
    let id = s.id;
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), case.title, code = title.clone()) />
        <h1>{move || td_string!(i18n.get_locale(), case.title, code = code.clone())}</h1>
        <p class="case-meta">
            <span class="state" id="case-state">{move || state_label(i18n, state)}</span>" · "
            {move || channel_label(i18n, channel)}" · "{move || kind_label(i18n, kind)}" · "
            {s.village_name.clone().unwrap_or_default()}
            {s.department_name.clone().map(|d| view! { " → " {d} })}
        </p>
        <div class="columns">
            <div>
                <section class="panel" aria-labelledby="content-title">
                    <h2 id="content-title">{s.subject.clone()}</h2>
                    <p class="text" id="case-content">{d.content.clone()}</p>
                    {d.request.clone().map(|r| view! { <h3>{t!(i18n, fields.request)}</h3><p class="text">{r}</p> })}
                    {d.facts_reasons.clone().map(|r| view! { <h3>{t!(i18n, fields.facts_reasons)}</h3><p class="text">{r}</p> })}
                </section>
                {(d.summary.channel == domain::petition::Channel::Visit).then(|| {
                    let (b, p) = (d.batch_count, d.person_count);
                    // The representatives are petitioners: named only with the identity.
                    view! {
                        <section class="panel">
                            <h2>{t!(i18n, case.visit)}</h2>
                            <p>{move || td_string!(i18n.get_locale(), case.visit_counts, batches = b, persons = p)}</p>
                        </section>
                    }
                })}
                {d.reported.clone().map(|r| view! {
                    <section class="panel">
                        <h2>{t!(i18n, case.reported)}</h2>
                        <p>{r.name.unwrap_or_default()}" "{r.unit.unwrap_or_default()}" "{r.details.unwrap_or_default()}</p>
                    </section>
                })}
                {view.may_read_identity.then(|| view! { <Identity id /> })}
                <Decision detail=d.clone() />
                <Attachments detail=d.clone() />
            </div>
            <div>
                <Actions id steps=view.open_steps departments=view.departments step />
                <Deadlines detail=d.clone() />
                <Timeline detail=d.clone() />
                <section class="panel no-print">
                    <h2>{t!(i18n, case.print)}</h2>
                    <ul class="plain-list">
                        <li><a href=format!("/office/petitions/{id}/print/receipt_notice")>{t!(i18n, case.print_receipt_notice)}</a></li>
                        {(state == domain::petition::PetitionState::Declined).then(|| view! {
                            <li><a href=format!("/office/petitions/{id}/print/decline_notice")>{t!(i18n, case.print_decline_notice)}</a></li>
                        })}
                        {d.department_id.map(|_| view! {
                            <li><a href=format!("/office/petitions/{id}/print/assignment")>{t!(i18n, case.print_assignment)}</a></li>
                        })}
                        {d.decision.is_some().then(|| view! {
                            <li><a href=format!("/office/petitions/{id}/print/decision")>{t!(i18n, case.print_decision)}</a></li>
                        })}
                    </ul>
                </section>
            </div>
        </div>
    }
}

/// The identity, fetched only when asked for (and logged on the server).
#[component]
fn Identity(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let show = ServerAction::<RevealIdentity>::new();
    view! {
        <section class="panel" aria-labelledby="identity-title">
            <h2 id="identity-title">{t!(i18n, case.identity)}</h2>
            {move || match show.value().get() {
                Some(Ok(named)) => {
                    let who = named.petitioner;
                    let reps = named.representatives.join("、");
                    view! {
                        <dl class="identity" id="identity">
                            <dt>{t!(i18n, fields.petitioner_name)}</dt><dd>{who.name}</dd>
                            <dt>{t!(i18n, fields.resident_id)}</dt><dd>{who.resident_id.unwrap_or_default()}</dd>
                            <dt>{t!(i18n, fields.phone)}</dt><dd>{who.phone.unwrap_or_default()}</dd>
                            <dt>{t!(i18n, fields.address)}</dt><dd>{who.address.unwrap_or_default()}</dd>
                            {(!reps.is_empty()).then(|| view! {
                                <dt>{t!(i18n, fields.representatives)}</dt><dd>{reps}</dd>
                            })}
                            {named.agent_consent.map(|c| view! {
                                <dt>{t!(i18n, case.agent_consent)}</dt><dd>{c}</dd>
                            })}
                        </dl>
                    }.into_any()
                }
                Some(Err(error)) => view! { <ErrorMessage error /> }.into_any(),
                None => view! {
                    <ActionForm action=show>
                        <input type="hidden" name="id" value=id.to_string() />
                        <button type="submit" class="button secondary">{t!(i18n, case.show_identity)}</button>
                    </ActionForm>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Decision(detail: PetitionDetail) -> impl IntoView {
    let i18n = use_i18n();
    detail.decision.map(|d| {
        let outcome = d.outcome;
        view! {
            <section class="panel" aria-labelledby="decision-title">
                <h2 id="decision-title">{t!(i18n, case.decision)}</h2>
                <dl class="decision">
                    <dt>{t!(i18n, fields.request)}</dt><dd class="text">{d.request}</dd>
                    <dt>{t!(i18n, fields.facts_reasons)}</dt><dd class="text">{d.facts_reasons}</dd>
                    <dt>{t!(i18n, fields.decision)}</dt><dd class="text">{d.decision}</dd>
                    <dt>{t!(i18n, fields.legal_basis)}</dt><dd class="text">{d.legal_basis}</dd>
                    <dt>{t!(i18n, fields.outcome)}</dt><dd>{move || outcome_label(i18n, outcome)}</dd>
                </dl>
                {detail.evaluation.map(|r| view! {
                    <p>{t!(i18n, fields.rating)}": "{move || rating_label(i18n, r)}" "{detail.evaluation_comment.clone().unwrap_or_default()}</p>
                })}
            </section>
        }
    })
}

#[component]
fn Attachments(detail: PetitionDetail) -> impl IntoView {
    let i18n = use_i18n();
    (!detail.attachments.is_empty()).then(|| view! {
        <section class="panel">
            <h2>{t!(i18n, case.attachments)}</h2>
            <ul class="plain-list">
                {detail.attachments.into_iter().map(|a| view! {
                    <li><a href=format!("/office/attachments/{}", a.id) rel="external" download>{a.file_name}</a>" ("{a.byte_size / 1024 + 1}" KB)"</li>
                }).collect_view()}
            </ul>
        </section>
    })
}

#[component]
fn Deadlines(detail: PetitionDetail) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="panel">
            <h2>{t!(i18n, case.deadlines)}</h2>
            <DeadlineList deadlines=detail.deadlines />
        </section>
    }
}

#[component]
fn Timeline(detail: PetitionDetail) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="panel" aria-labelledby="timeline-title">
            <h2 id="timeline-title">{t!(i18n, case.timeline)}</h2>
            <ol class="timeline" id="timeline">
                {detail.timeline.into_iter().map(|e| {
                    let step = e.step;
                    view! {
                        <li>
                            <time>{domain::audit::format_china_time(e.at)}</time>" "
                            <strong>{move || step_label(i18n, step)}</strong>" · "
                            {e.actor.unwrap_or_else(|| t_string!(i18n, case.by_petitioner).to_owned())}
                            {e.department.map(|d| view! { " → " {d} })}
                            {e.public_note.map(|n| view! { <p class="text">{n}</p> })}
                            {e.note.map(|n| view! { <p class="text hint">{n}</p> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// A form for each step open to the reader now, with what that step must record.
#[component]
fn Actions(
    id: i64,
    steps: Vec<Step>,
    departments: Vec<(i64, String)>,
    step: ServerAction<PetitionStep>,
) -> impl IntoView {
    let i18n = use_i18n();
    let result = move || {
        step.value().get().map(|r| match r {
            Ok(()) => view! { <p class="notice-ok" role="status">{t!(i18n, case.done)}</p> }.into_any(),
            Err(error) => view! { <ErrorMessage error /> }.into_any(),
        })
    };
    view! {
        <section class="panel no-print" aria-labelledby="actions-title">
            <h2 id="actions-title">{t!(i18n, case.actions)}</h2>
            {result}
            {steps.is_empty().then(|| view! { <p>{t!(i18n, case.no_actions)}</p> })}
            {steps.into_iter().map(|s| view! { <StepForm id s departments=departments.clone() step /> }).collect_view()}
        </section>
    }
}

#[component]
fn StepForm(
    id: i64,
    s: Step,
    departments: Vec<(i64, String)>,
    step: ServerAction<PetitionStep>,
) -> impl IntoView {
    let i18n = use_i18n();
    let field = |name: &'static str| format!("form[{name}]");
    let input_id = move |name: &str| format!("{}-{name}", s.as_str());
    let text = move |name: &'static str, label: &'static str, required: bool| {
        view! {
            <label for=input_id(name)>{label}{required.then_some(" *")}</label>
            <textarea id=input_id(name) name=field(name) rows="3" required=required></textarea>
        }
    };
    let fields = match s {
        Step::Assign => view! {
            <label for=input_id("department_id")>{t!(i18n, fields.department_id)}" *"</label>
            <select id=input_id("department_id") name=field("department_id") required>
                <option value="">{t!(i18n, case.choose_department)}</option>
                {departments.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
            </select>
        }.into_any(),
        Step::Forward => view! {
            <label for=input_id("forwarded_to")>{t!(i18n, fields.forwarded_to)}" *"</label>
            <input id=input_id("forwarded_to") name=field("forwarded_to") type="text" required maxlength="100" />
        }.into_any(),
        Step::Decline | Step::Return | Step::Withdraw => text("reasons", t_string!(i18n, fields.reasons), true).into_any(),
        Step::Extend => view! {
            <label for=input_id("days")>{t!(i18n, fields.days)}" *"</label>
            <input id=input_id("days") name=field("days") type="number" min="1" max="30" required inputmode="numeric" />
            {text("reasons", t_string!(i18n, fields.reasons), true)}
            <label for=input_id("approved_by")>{t!(i18n, fields.approved_by)}" *"</label>
            <input id=input_id("approved_by") name=field("approved_by") type="text" required maxlength="50" />
        }.into_any(),
        Step::RecordDecision => view! {
            {text("request", t_string!(i18n, fields.request), true)}
            {text("facts_reasons", t_string!(i18n, fields.facts_reasons), true)}
            {text("decision", t_string!(i18n, fields.decision), true)}
            {text("legal_basis", t_string!(i18n, fields.legal_basis), true)}
            <label for=input_id("outcome")>{t!(i18n, fields.outcome)}" *"</label>
            <select id=input_id("outcome") name=field("outcome") required>
                {DecisionOutcome::ALL.iter().map(|o| view! { <option value=o.as_str()>{move || outcome_label(i18n, *o)}</option> }).collect_view()}
            </select>
        }.into_any(),
        Step::Reply => view! {
            <label for=input_id("delivered_on")>{t!(i18n, fields.delivered_on)}" *"</label>
            <input id=input_id("delivered_on") name=field("delivered_on") type="date" required />
        }.into_any(),
        _ => ().into_any(),
    };
    view! {
        <details class="step-form" open=matches!(s, Step::Register | Step::Accept | Step::RecordDecision | Step::Reply)>
            <summary>{move || step_label(i18n, Some(s))}</summary>
            <ActionForm action=step attr:class="form" attr:data-step=s.as_str()>
                <input type="hidden" name="id" value=id.to_string() />
                <input type="hidden" name="step" value=s.as_str() />
                {fields}
                <label for=input_id("note")>{t!(i18n, fields.note)}</label>
                <input id=input_id("note") name=field("note") type="text" maxlength="500" />
                <button type="submit" class="button primary">{move || step_label(i18n, Some(s))}</button>
            </ActionForm>
        </details>
    }
}
