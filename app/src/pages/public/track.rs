//! `/track`: a petitioner follows a petition with its tracking code and query password,
//! reads the written reply and rates it. Plain form posts (`server::forms`), so the
//! password never sits in an address bar or a log; the answer holds nothing internal.

use domain::petition::Rating;
use domain::registry::PublicStatus;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{Posted, posted};
use crate::components::labels::{DeadlineList, outcome_label, rating_label, state_label, step_label};
use crate::components::status::ErrorMessage;
use crate::components::title::PageTitle;
use crate::i18n::*;

#[component]
pub fn TrackPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let (code, password, result, evaluated) = match posted() {
        Some(Posted::Track {
            code,
            password,
            result,
            evaluated,
        }) => (code, password, Some(result), evaluated),
        _ => (
            query.with_untracked(|q| q.get("code").unwrap_or_default()),
            String::new(),
            None,
            false,
        ),
    };
    let found = matches!(result, Some(Ok(_)));
    view! {
        <PageTitle text=move || t_string!(i18n, track.title) />
        <h1>{t!(i18n, track.title)}</h1>
        {match result {
            Some(Ok(status)) => view! { <Status status code=code.clone() password=password.clone() evaluated /> }.into_any(),
            Some(Err(error)) => view! { <ErrorMessage error /> }.into_any(),
            None => view! { <p>{t!(i18n, track.intro)}</p> }.into_any(),
        }}
        {(!found).then(|| view! {
            <form class="form narrow" method="post" action="/track">
                <label for="code">{t!(i18n, fields.tracking_code)}</label>
                <input id="code" name="code" type="text" required autocapitalize="characters" spellcheck="false" placeholder="XF-20261123-0001" value=code.clone() />
                <label for="password">{t!(i18n, fields.query_password)}</label>
                <input id="password" name="password" type="password" required autocapitalize="characters" spellcheck="false" autocomplete="off" />
                <button type="submit" class="button primary">{t!(i18n, track.submit)}</button>
            </form>
        })}
    }
}

#[component]
fn Status(status: PublicStatus, code: String, password: String, evaluated: bool) -> impl IntoView {
    let i18n = use_i18n();
    let state = status.state;
    let can_evaluate = status.can_evaluate();
    let evaluation = status.evaluation;
    view! {
        <section class="panel" aria-labelledby="status-title">
            <h2 id="status-title">{t!(i18n, track.status)}": "<span class="state" id="track-state">{move || state_label(i18n, state)}</span></h2>
            <p><strong>{t!(i18n, track.subject)}": "</strong>{status.subject.clone()}</p>
            <p class="hint">{status.tracking_code.clone()}</p>
        </section>
        {status.reply.clone().map(|reply| {
            let delivered = status.reply_delivered_on.map(|d| d.to_string()).unwrap_or_default();
            let outcome = reply.outcome;
            view! {
                <section class="panel" aria-labelledby="reply-title">
                    <h2 id="reply-title">{t!(i18n, track.reply)}</h2>
                    <p class="hint">{move || td_string!(i18n.get_locale(), track.reply_delivered, date = delivered.clone())}</p>
                    <dl class="decision">
                        <dt>{t!(i18n, fields.request)}</dt><dd class="text">{reply.request}</dd>
                        <dt>{t!(i18n, fields.facts_reasons)}</dt><dd class="text">{reply.facts_reasons}</dd>
                        <dt>{t!(i18n, fields.decision)}</dt><dd class="text" id="reply-decision">{reply.decision}</dd>
                        <dt>{t!(i18n, fields.legal_basis)}</dt><dd class="text">{reply.legal_basis}</dd>
                        <dt>{t!(i18n, fields.outcome)}</dt><dd>{move || outcome_label(i18n, outcome)}</dd>
                    </dl>
                </section>
            }
        })}
        {evaluated.then(|| view! { <p class="notice-ok" role="status">{t!(i18n, track.thanks)}</p> })}
        {evaluation.map(|r| view! { <p>{move || td_string!(i18n.get_locale(), track.evaluated, rating = rating_label(i18n, r))}</p> })}
        {can_evaluate.then(|| view! {
            <form class="form narrow" method="post" action="/track/evaluate" aria-labelledby="evaluate-title">
                <h2 id="evaluate-title">{t!(i18n, track.evaluate_title)}</h2>
                <input type="hidden" name="code" value=code.clone() />
                <input type="hidden" name="password" value=password.clone() />
                <fieldset class="choices">
                    <legend>{t!(i18n, fields.rating)}</legend>
                    {Rating::ALL.iter().map(|r| view! {
                        <label class="check"><input type="radio" name="rating" value=r.as_str() required /><span>{move || rating_label(i18n, *r)}</span></label>
                    }).collect_view()}
                </fieldset>
                <label for="comment">{t!(i18n, fields.comment)}</label>
                <textarea id="comment" name="comment" rows="3" maxlength="5000"></textarea>
                <button type="submit" class="button primary">{t!(i18n, track.evaluate)}</button>
            </form>
        })}
        <section aria-labelledby="deadlines-title">
            <h2 id="deadlines-title">{t!(i18n, track.deadlines)}</h2>
            <DeadlineList deadlines=status.deadlines.clone() />
        </section>
        <section aria-labelledby="timeline-title">
            <h2 id="timeline-title">{t!(i18n, track.timeline)}</h2>
            <ol class="timeline">
                {status.timeline.iter().map(|e| {
                    let (step, at, note) = (e.step, domain::audit::format_china_time(e.at), e.public_note.clone());
                    view! {
                        <li>
                            <time>{at}</time>" "<strong>{move || step_label(i18n, step)}</strong>
                            {note.map(|n| view! { <p class="text">{n}</p> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}
