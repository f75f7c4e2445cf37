//! `/field/outbox`: everything this phone holds for the township. Records waiting to be
//! sent, being sent, sent back with the server's reason ("needs attention": fix and
//! send again, or delete), and those the township has, with its answers. Also "sync
//! now", and an export to a file as a last resort when the phone cannot sync at all.

use domain::sync::{FieldSetup, RecordType};
use leptos::prelude::*;

use crate::components::title::PageTitle;
use crate::i18n::*;
use crate::outbox::{self, Entry, Outbox, Phase, use_outbox};
use crate::pages::field::{answer_text, kind_name, outbox_error_text, severity_label};

#[component]
pub fn OutboxPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, outbox.title) />
        <OutboxBody />
    }
}

/// An island: all of it is what this phone holds.
#[island(lazy)]
fn OutboxBody() -> impl IntoView {
    let i18n = crate::components::island::island_i18n();
    let Some(outbox) = use_outbox() else {
        return view! { <p>{t!(i18n, field.no_village)}</p> }.into_any();
    };
    let exporting = RwSignal::new(false);
    let export_failed = RwSignal::new(None::<String>);
    let export = move |_| {
        exporting.set(true);
        leptos::task::spawn_local(async move {
            export_failed.set(outbox::export().await.err().map(|e| outbox_error_text(i18n, &e)));
            exporting.set(false);
        });
    };
    let waiting = move || {
        outbox.entries.with(|e| {
            e.iter()
                .filter(|e| e.reason.is_none())
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let attention = move || {
        outbox.entries.with(|e| {
            e.iter()
                .filter(|e| e.reason.is_some())
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <h1>{t!(i18n, outbox.title)}</h1>
        <noscript>
            <p class="notice">{t!(i18n, field.needs_script)}</p>
        </noscript>
        <SyncStatus outbox />
        <div class="actions">
            <button type="button" class="button primary" data-testid="sync-now"
                disabled=move || matches!(outbox.phase.get(), Phase::Syncing { .. })
                on:click=move |_| outbox.sync_now()>
                {t!(i18n, outbox.sync_now)}
            </button>
            <button type="button" class="button secondary" disabled=move || exporting.get() on:click=export>
                {t!(i18n, outbox.export)}
            </button>
        </div>
        {move || export_failed.get().map(|e| view! { <p class="error-message" role="alert">{e}</p> })}
        {move || outbox.storage_low.get().then(|| view! { <p class="notice" role="alert">{t!(i18n, outbox.storage_low)}</p> })}
        {move || outbox.not_persisted.get().then(|| view! { <p class="hint">{t!(i18n, outbox.not_persisted)}</p> })}
        {move || outbox.problem.get().map(|e| view! { <p class="error-message" role="alert">{outbox_error_text(i18n, &e)}</p> })}

        <section aria-labelledby="attention-title">
            <h2 id="attention-title">{t!(i18n, outbox.attention)}</h2>
            {move || {
                let list = attention();
                if list.is_empty() {
                    view! { <p>{t!(i18n, outbox.attention_none)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list outbox-list" role="list" data-testid="attention">
                            {list.into_iter().map(|e| view! { <AttentionItem outbox entry=e /> }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </section>

        <section aria-labelledby="waiting-title">
            <h2 id="waiting-title">{t!(i18n, outbox.waiting)}</h2>
            {move || {
                let list = waiting();
                if !outbox.loaded.get() {
                    view! { <p>{t!(i18n, loading)}</p> }.into_any()
                } else if list.is_empty() {
                    view! { <p data-testid="outbox-empty">{t!(i18n, outbox.waiting_none)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list outbox-list" role="list" data-testid="waiting">
                            {list.into_iter().map(|e| {
                                let id = e.queued.id().to_owned();
                                let sending = move || outbox.sending.with(|s| s.contains(&id));
                                view! {
                                    <li class="outbox-item">
                                        <strong>{title(i18n, outbox, &e)}</strong>
                                        <span class="hint">{created(&e)}{photo_count(i18n, &e)}</span>
                                        <span class="state">{move || if sending() { t_string!(i18n, outbox.sending) } else { t_string!(i18n, outbox.queued) }}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </section>

        <section aria-labelledby="sent-title">
            <h2 id="sent-title">{t!(i18n, outbox.sent)}</h2>
            {move || {
                let sent = outbox.sent.get();
                if sent.is_empty() {
                    return view! { <p>{t!(i18n, outbox.sent_none)}</p> }.into_any();
                }
                let setup = outbox.setup.get();
                view! {
                    <ul class="plain-list outbox-list" role="list" data-testid="sent">
                        {sent.into_iter().take(50).map(|s| {
                            let kinds = setup.as_ref().map(|s| s.report_kinds.clone()).unwrap_or_default();
                            let name = if s.record_type == RecordType::WeeklyReport.as_str() {
                                td_string!(i18n.get_locale(), outbox.weekly_title, week = s.week.clone())
                            } else {
                                kind_name(i18n, &kinds, &s.kind)
                            };
                            let answer = outbox.answers.with(|a| a.iter().find(|c| c.record_id == s.id).map(|c| answer_text(i18n, c)));
                            view! {
                                <li class="outbox-item">
                                    <strong>{name}</strong>
                                    <span class="state">{t!(i18n, outbox.stored)}</span>
                                    {answer.map(|a| view! { <span class="answer">{a}</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

/// Where syncing stands, in words: also the live region screen readers announce.
#[component]
pub fn SyncStatus(outbox: Outbox) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="sync-status" role="status" data-testid="sync-status" data-phase=move || match outbox.phase.get() {
            Phase::Idle => "idle",
            Phase::Syncing { .. } => "syncing",
            Phase::Offline => "offline",
            Phase::Expired => "expired",
            Phase::Failed => "failed",
        }>
            {move || match outbox.phase.get() {
                Phase::Syncing { done, total } => td_string!(i18n.get_locale(), outbox.syncing, done = done, total = total),
                Phase::Offline => t_string!(i18n, outbox.offline).to_owned(),
                Phase::Failed => t_string!(i18n, outbox.failed).to_owned(),
                Phase::Expired => t_string!(i18n, outbox.expired).to_owned(),
                Phase::Idle if !outbox.loaded.get() => String::new(),
                Phase::Idle if outbox.unsent() == 0 => t_string!(i18n, outbox.all_sent).to_owned(),
                Phase::Idle => td_string!(i18n.get_locale(), outbox.waiting_n, n = outbox.unsent()),
            }}
            {move || (outbox.phase.get() == Phase::Expired).then(|| view! {
                " "<a href="/login?next=/field/outbox">{t!(i18n, outbox.log_in_again)}</a>
            })}
        </p>
    }
}

fn title(i18n: I18nContext<Locale>, outbox: Outbox, e: &Entry) -> String {
    let q = &e.queued;
    if q.record.record_type == RecordType::WeeklyReport.as_str() {
        let zero = q.record.body.get("zero").and_then(serde_json::Value::as_bool) == Some(true);
        let week = q.text("week");
        return if zero {
            td_string!(i18n.get_locale(), outbox.zero_title, week = week)
        } else {
            td_string!(i18n.get_locale(), outbox.weekly_title, week = week)
        };
    }
    let setup: Option<FieldSetup> = outbox.setup.get_untracked();
    let kinds = setup.as_ref().map(|s| s.report_kinds.as_slice()).unwrap_or(&[]);
    let severity = domain::field::Severity::parse(&q.text("severity"))
        .map(|s| severity_label(i18n, s))
        .unwrap_or_default();
    format!(
        "{} · {} · {}",
        kind_name(i18n, kinds, &q.text("kind")),
        severity,
        q.text("place")
    )
}

fn created(e: &Entry) -> String {
    e.queued
        .record
        .created_at
        .with_timezone(&domain::audit::china_time())
        .format("%m-%d %H:%M")
        .to_string()
}

fn photo_count(i18n: I18nContext<Locale>, e: &Entry) -> String {
    match e.queued.photos.len() {
        0 => String::new(),
        n => format!(" · {}", td_string!(i18n.get_locale(), outbox.photos_n, n = n)),
    }
}

use leptos_i18n::I18nContext;

/// A record the server sent back: its reason, and what the officer can do.
#[component]
fn AttentionItem(outbox: Outbox, entry: Entry) -> impl IntoView {
    let i18n = use_i18n();
    let id = entry.queued.id().to_owned();
    let reason = entry.reason.clone().unwrap_or(outbox::Reason {
        code: String::new(),
        field: None,
        message: String::new(),
    });
    // A field's problem is named as the form labels it; otherwise the server's words.
    let message = if reason.code == "conflict" {
        t_string!(i18n, outbox.conflict).to_owned()
    } else if let Some(e) = reason.field_error() {
        crate::pages::field::record_error_text(i18n, &e)
    } else if reason.message.is_empty() {
        reason.code.clone()
    } else {
        reason.message.clone()
    };
    let edit = if entry.queued.record.record_type == RecordType::FieldReport.as_str() {
        Some(format!("/field/report?edit={id}"))
    } else {
        None
    };
    let (retry_id, discard_id) = (id.clone(), id.clone());
    view! {
        <li class="outbox-item attention" data-id=id.clone()>
            <strong>{title(i18n, outbox, &entry)}</strong>
            <span class="hint">{created(&entry)}{photo_count(i18n, &entry)}</span>
            <p class="field-error" data-testid="reason">{message}</p>
            <div class="actions">
                {edit.map(|href| view! { <a class="button primary" href=href>{t!(i18n, outbox.fix)}</a> })}
                <button type="button" class="button secondary"
                    on:click=move |_| {
                        let id = retry_id.clone();
                        leptos::task::spawn_local(async move { let _ = outbox.retry(id).await; });
                    }>
                    {t!(i18n, outbox.resend)}
                </button>
                <button type="button" class="button secondary"
                    on:click=move |_| {
                        let sure = window().confirm_with_message(t_string!(i18n, outbox.discard_confirm)).unwrap_or(false);
                        if sure {
                            let id = discard_id.clone();
                            leptos::task::spawn_local(async move { let _ = outbox.discard(id).await; });
                        }
                    }>
                    {t!(i18n, outbox.discard)}
                </button>
            </div>
        </li>
    }
}
