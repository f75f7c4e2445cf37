//! `/field/weekly`: the weekly screening report (排查周报). One per village per week: the
//! week's disputes and hazards, or an explicit zero report (零报告) when there were none.
//! Queued in the phone's outbox like every field record.

use domain::FieldError;
use domain::field::{Week, WeeklyForm, check_weekly};
use domain::sync::{FieldSetup, RecordType};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::auth::use_auth;
use crate::components::status::field_error_text;
use crate::components::title::PageTitle;
use crate::i18n::*;
use crate::outbox::{self, Queued, use_outbox};
use crate::pages::field::{kind_name, outbox_error_text, severity_label, weekly_status_label, with_setup};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Draft {
    village: String,
    week: String,
    note: String,
}

#[component]
pub fn WeeklyPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, field.weekly_title) />
        <h1>{t!(i18n, field.weekly_title)}</h1>
        <p>{t!(i18n, field.weekly_intro)}</p>
        <WeeklyBody />
    }
}

/// An island: the form queues on the phone.
#[island(lazy)]
fn WeeklyBody() -> impl IntoView {
    let i18n = crate::components::island::island_i18n();
    view! {
        {if use_auth().me.with_untracked(|u| u.as_ref().is_some_and(|u| u.files_weekly_reports())) {
            with_setup(|setup| view! { <WeeklyForm setup /> }).into_any()
        } else {
            view! { <p class="notice" data-testid="weekly-officers-only">{t!(i18n, field.weekly_officers_only)}</p> }.into_any()
        }}
    }
}

/// A report of the chosen village and week: queued or sent from this phone, or at the
/// township from another phone of the village.
#[derive(Debug, Clone, PartialEq)]
struct Item {
    id: String,
    kind: String,
    severity: String,
    queued: bool,
}

#[component]
fn WeeklyForm(setup: FieldSetup) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let outbox = use_outbox();
    let villages = setup.villages();
    let kinds = StoredValue::new(setup.report_kinds.clone());
    let statuses = StoredValue::new(setup.weekly.clone());
    let at_township = StoredValue::new(setup.week_field_reports.clone());
    let this_week = Week::of(setup.server_time);
    let weeks = [this_week, this_week.previous()];

    let village = RwSignal::new(villages.first().map(|v| v.0.to_string()).unwrap_or_default());
    let week = RwSignal::new(this_week.to_string());
    // A note typed into the server's form before this island ran is kept over the draft.
    let typed_note = crate::components::island::typed_before_hydration("note");
    let note = RwSignal::new(typed_note.unwrap_or_default());
    let unticked = RwSignal::new(Vec::<String>::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let saved = RwSignal::new(None::<bool>);
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let restored = RwSignal::new(false);

    // The draft comes back once the outbox is read: its engine is fetched when the page
    // is interactive, not before. What the officer chose or typed meanwhile (up to the
    // moment the draft has been read) stays, and is kept as the draft at once.
    let (first_village, first_week) = (village.get_untracked(), week.get_untracked());
    Effect::new(move |_| {
        if restored.get_untracked() || outbox.is_some_and(|o| !o.loaded.get()) {
            return;
        }
        let (first_village, first_week) = (first_village.clone(), first_week.clone());
        leptos::task::spawn_local(async move {
            let draft = outbox::load_draft::<Draft>("weekly").await;
            let same_village = village.with_untracked(|v| *v == first_village);
            let same_week = week.with_untracked(|w| *w == first_week);
            let no_note = note.with_untracked(String::is_empty);
            if let Some(d) = draft {
                if !d.village.is_empty() && same_village {
                    village.set(d.village);
                }
                if !d.week.is_empty() && same_week {
                    week.set(d.week);
                }
                if no_note {
                    note.set(d.note);
                }
            }
            restored.set(true);
            if !(same_village && same_week && no_note) {
                outbox::save_draft(
                    "weekly",
                    Draft {
                        village: village.get_untracked(),
                        week: week.get_untracked(),
                        note: note.get_untracked(),
                    },
                );
            }
        });
    });
    Effect::new(move |_| {
        let draft = Draft {
            village: village.get(),
            week: week.get(),
            note: note.get(),
        };
        if restored.get_untracked() {
            outbox::save_draft("weekly", draft);
        }
    });

    // The week's reports of the village that this phone knows of.
    let items = move || {
        let (v, w) = (village.get().parse::<i64>().ok(), week.get());
        let Some(outbox) = outbox else { return Vec::new() };
        let mut out: Vec<Item> = outbox.entries.with(|entries| {
            entries
                .iter()
                .filter(|e| e.queued.record.record_type == RecordType::FieldReport.as_str())
                .filter(|e| {
                    e.queued
                        .record
                        .body
                        .get("village_id")
                        .and_then(serde_json::Value::as_i64)
                        == v
                })
                .filter(|e| {
                    chrono::DateTime::parse_from_rfc3339(&e.queued.text("found_at"))
                        .is_ok_and(|t| Week::of(t.to_utc()).to_string() == w)
                })
                .map(|e| Item {
                    id: e.queued.id().to_owned(),
                    kind: e.queued.text("kind"),
                    severity: e.queued.text("severity"),
                    queued: true,
                })
                .collect()
        });
        outbox.sent.with(|sent| {
            out.extend(
                sent.iter()
                    .filter(|s| {
                        s.record_type == RecordType::FieldReport.as_str() && s.village_id == v && s.week == w
                    })
                    .map(|s| Item {
                        id: s.id.clone(),
                        kind: s.kind.clone(),
                        severity: s.severity.clone(),
                        queued: false,
                    }),
            );
        });
        at_township.with_value(|reports| {
            for r in reports {
                if Some(r.village_id) == v
                    && Week::of(r.found_at).to_string() == w
                    && !out.iter().any(|i| i.id == r.client_id)
                {
                    out.push(Item {
                        id: r.client_id.clone(),
                        kind: r.kind.clone(),
                        severity: r.severity.as_str().to_owned(),
                        queued: false,
                    });
                }
            }
        });
        out
    };
    let ticked = move || {
        let skip = unticked.get();
        items()
            .into_iter()
            .filter(|i| !skip.contains(&i.id))
            .map(|i| i.id)
            .collect::<Vec<_>>()
    };
    let status_line = move || {
        let (v, w) = (village.get().parse::<i64>().ok(), week.get());
        statuses.with_value(|s| {
            s.iter()
                .find(|s| Some(s.village_id) == v && s.week.to_string() == w)
                .map(|s| weekly_status_label(i18n, s.status))
        })
    };

    let send = move |zero: bool| {
        saved.set(None);
        failure.set(None);
        let form = WeeklyForm {
            village_id: village.get_untracked().parse().ok(),
            week: week.get_untracked(),
            zero,
            items: if zero { Vec::new() } else { ticked() },
            note: note.get_untracked(),
        };
        let now = outbox::now();
        if let Err(list) = check_weekly(&form, now) {
            errors.set(list);
            return;
        }
        errors.set(Vec::new());
        let Some(outbox) = outbox else { return };
        let author = auth
            .me
            .with_untracked(|u| u.as_ref().map(|u| u.username.clone()))
            .unwrap_or_default();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = async {
                let queued = Queued::made(
                    outbox::new_id()?,
                    RecordType::WeeklyReport,
                    author,
                    now,
                    &form,
                    Vec::new(),
                )
                .await?;
                outbox.add(queued).await
            }
            .await;
            busy.set(false);
            match result {
                Ok(()) => {
                    outbox::clear_draft("weekly").await;
                    note.set(String::new());
                    saved.set(Some(zero));
                }
                Err(e) => failure.set(Some(outbox_error_text(i18n, &e))),
            }
        });
    };

    let village_choices = villages.clone();
    view! {
        <form class="form field-form" novalidate on:submit=move |ev| { ev.prevent_default(); send(false) }>
            {(village_choices.len() > 1).then(|| view! {
                <label for="village_id">{t!(i18n, fields.village_id)}</label>
                <select id="village_id" prop:value=move || village.get() on:change=move |ev| village.set(event_target_value(&ev))>
                    {village_choices.iter().map(|(id, name)| {
                        let id = id.to_string();
                        let value = id.clone();
                        view! { <option value=id selected=move || village.get() == value>{name.clone()}</option> }
                    }).collect_view()}
                </select>
            })}
            {(village_choices.len() == 1).then(|| view! {
                <p class="fixed-value"><span>{t!(i18n, fields.village_id)}</span>" "<strong>{village_choices[0].1.clone()}</strong></p>
            })}
            <label for="week">{t!(i18n, fields.week)}</label>
            <select id="week" prop:value=move || week.get() on:change=move |ev| week.set(event_target_value(&ev))>
                {weeks.into_iter().enumerate().map(|(i, w)| {
                    let value = w.to_string();
                    let v2 = value.clone();
                    let v3 = value.clone();
                    view! {
                        <option value=v3 selected=move || week.get() == v2>
                            {move || if i == 0 { td_string!(i18n.get_locale(), field.this_week_n, week = value.clone()) } else { td_string!(i18n.get_locale(), field.last_week_n, week = value.clone()) }}
                        </option>
                    }
                }).collect_view()}
            </select>
            <p role="status" class="hint">{move || status_line().map(|s| td_string!(i18n.get_locale(), field.week_status, status = s))}</p>
            {move || errors.get().into_iter().map(|e| view! { <p class="field-error">{field_error_text(i18n, &e)}</p> }).collect_view()}

            <h2>{t!(i18n, field.week_items)}</h2>
            {move || {
                let list = items();
                if list.is_empty() {
                    view! { <p data-testid="no-items">{t!(i18n, field.no_items)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list" role="list" data-testid="week-items">
                            {list.into_iter().map(|item| {
                                let id = item.id.clone();
                                let id2 = item.id.clone();
                                let kind = kind_name(i18n, &kinds.get_value(), &item.kind);
                                let severity = domain::field::Severity::parse(&item.severity);
                                view! {
                                    <li>
                                        <label class="choice">
                                            <input type="checkbox" prop:checked=move || !unticked.with(|u| u.contains(&id))
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    let id = id2.clone();
                                                    unticked.update(|u| if on { u.retain(|x| *x != id) } else { u.push(id) });
                                                } />
                                            {kind}" · "{move || severity.map(|s| severity_label(i18n, s)).unwrap_or_default()}
                                            {item.queued.then(|| view! { " · "<em>{t!(i18n, outbox.queued)}</em> })}
                                        </label>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}

            <label for="note">{t!(i18n, fields.note)}</label>
            <textarea id="note" rows="3" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>

            <div class="actions">
                <button type="submit" class="button primary" disabled=move || busy.get() || ticked().is_empty()>
                    {move || td_string!(i18n.get_locale(), field.send_weekly, n = ticked().len())}
                </button>
                <button type="button" class="button secondary" data-testid="zero-report"
                    disabled=move || busy.get() || !ticked().is_empty()
                    on:click=move |_| send(true)>
                    {t!(i18n, field.send_zero)}
                </button>
            </div>
            {move || saved.get().map(|zero| view! {
                <p class="notice-ok" role="status" data-testid="saved">
                    {if zero { t_string!(i18n, field.zero_saved) } else { t_string!(i18n, field.weekly_saved) }}
                    " "<a href="/field/outbox">{t!(i18n, field.see_outbox)}</a>
                </p>
            })}
            {move || failure.get().map(|text| view! { <p class="error-message" role="alert">{t!(i18n, field.not_saved)}" "{text}</p> })}
        </form>
    }
}
