//! `/field/report`: a dispute or hazard report (矛盾纠纷 / 隐患), filed on the phone with
//! or without signal. What is typed is kept as a sealed draft at once; a finished report
//! goes into the phone's outbox and is sent when a connection allows. The same rules as
//! the server (`domain::field::check_report`) check it before it is queued.
//! `?edit=<id>` reopens a report the server sent back, to fix and send again.

use domain::FieldError;
use domain::field::{ACTION_MAX, MAX_PHOTOS, PARTIES_MAX, PLACE_MAX, ReportForm, Severity, check_report};
use domain::petition::TEXT_MAX;
use domain::sync::{FieldSetup, RecordType};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::auth::use_auth;
use crate::components::title::PageTitle;
use crate::i18n::*;
use crate::outbox::{self, OutboxError, PhotoMeta, Queued, use_outbox};
use crate::pages::field::{
    outbox_error_text, record_error_text, severity_label, unreadable_photo_text, with_setup,
};

/// What is kept of a report being typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Draft {
    form: ReportForm,
    /// The `datetime-local` text as typed (the form holds it as RFC 3339).
    found_local: String,
    photos: Vec<PhotoMeta>,
}

#[component]
pub fn ReportPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, field.report_title) />
        <h1>{t!(i18n, field.report_title)}</h1>
        <ReportBody />
    }
}

/// An island: the form queues on the phone.
#[island(lazy)]
fn ReportBody() -> impl IntoView {
    crate::components::island::island_i18n();
    with_setup(|setup| view! { <ReportForm setup /> })
}

#[component]
fn ReportForm(setup: FieldSetup) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let outbox = use_outbox();
    let kinds = StoredValue::new(setup.report_kinds.clone());
    let villages = setup.villages();
    let only_village = (villages.len() == 1).then(|| villages[0].0);

    let kind = RwSignal::new(String::new());
    let severity = RwSignal::new(Severity::General.as_str().to_owned());
    let village = RwSignal::new(only_village.map(|v| v.to_string()).unwrap_or_default());
    // Text typed into the server's form before this island ran is kept, and it is a new
    // report: no draft or sent-back report is laid over it.
    let typed = |id: &str| crate::components::island::typed_before_hydration(id);
    let early = [
        typed("place"),
        typed("found_at"),
        typed("parties"),
        typed("person_count"),
        typed("description"),
        typed("action_taken"),
    ];
    let typed_early = early.iter().any(Option::is_some);
    let [
        place,
        found_local,
        parties,
        person_count,
        description,
        action_taken,
    ] = early.map(|text| RwSignal::new(text.unwrap_or_default()));
    let needs_township = RwSignal::new(false);
    let gps = RwSignal::new(None::<(f64, f64, Option<f64>)>);
    let gps_state = RwSignal::new(None::<&'static str>);
    let photos = RwSignal::new(Vec::<PhotoMeta>::new());
    let previews = RwSignal::new(Vec::<(String, String)>::new());
    let photo_busy = RwSignal::new(false);
    // A photo the phone could not read, said beside the photo field.
    let photo_problem = RwSignal::new(None::<String>);
    // The client id of a sent-back report being fixed (kept unless it was a conflict).
    let editing = RwSignal::new(None::<(String, bool)>);
    let restored = RwSignal::new(false);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let saved = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let form_now = move || ReportForm {
        kind: kind.get_untracked(),
        severity: severity.get_untracked(),
        village_id: village.get_untracked().parse().ok(),
        grid_id: None,
        place: place.get_untracked(),
        latitude: gps.get_untracked().map(|g| g.0),
        longitude: gps.get_untracked().map(|g| g.1),
        accuracy_m: gps.get_untracked().and_then(|g| g.2),
        found_at: outbox::local_to_rfc3339(&found_local.get_untracked()).unwrap_or_default(),
        parties: parties.get_untracked(),
        person_count: person_count.get_untracked().trim().parse().ok(),
        description: description.get_untracked(),
        action_taken: action_taken.get_untracked(),
        needs_township: needs_township.get_untracked(),
        photos: photos.get_untracked().iter().map(|p| p.id.clone()).collect(),
    };
    let fill = move |form: &ReportForm, local: String, metas: Vec<PhotoMeta>| {
        kind.set(form.kind.clone());
        severity.set(form.severity.clone());
        if let Some(v) = form.village_id {
            village.set(v.to_string());
        }
        place.set(form.place.clone());
        found_local.set(local);
        parties.set(form.parties.clone());
        person_count.set(form.person_count.map(|n| n.to_string()).unwrap_or_default());
        description.set(form.description.clone());
        action_taken.set(form.action_taken.clone());
        needs_township.set(form.needs_township);
        gps.set(match (form.latitude, form.longitude) {
            (Some(a), Some(b)) => Some((a, b, form.accuracy_m)),
            _ => None,
        });
        photos.set(metas);
    };

    // The form as hydrated: the officer may type on while the outbox's engine is still
    // on its way, and what is typed then is not replaced by an older draft either.
    let pristine = form_now();

    // In the browser: reopen a sent-back report, or the draft, once the outbox is read.
    Effect::new(move |_| {
        if restored.get_untracked() || outbox.is_some_and(|o| !o.loaded.get()) {
            return;
        }
        if typed_early || form_now() != pristine {
            if found_local.get_untracked().is_empty() {
                found_local.set(outbox::now_local());
            }
            restored.set(true);
            return;
        }
        // From the address the browser shows: offline, the phone's copy of the page
        // stands in for every `?edit=`.
        let edit = crate::components::island::query_param("edit");
        let entry = edit.and_then(|id| {
            outbox.and_then(|o| {
                o.entries
                    .with_untracked(|e| e.iter().find(|e| e.queued.id() == id).cloned())
            })
        });
        if let Some(entry) = entry {
            if let Ok(form) = serde_json::from_value::<ReportForm>(entry.queued.record.body.clone()) {
                let local = outbox::rfc3339_to_local(&form.found_at);
                fill(&form, local, entry.queued.photos.clone());
                let conflict = entry.reason.as_ref().is_some_and(|r| r.code == "conflict");
                editing.set(Some((entry.queued.id().to_owned(), conflict)));
                errors.set(entry.reason.and_then(|r| r.field_error()).into_iter().collect());
            }
            restored.set(true);
            return;
        }
        let pristine = pristine.clone();
        leptos::task::spawn_local(async move {
            let draft = outbox::load_draft::<Draft>("report").await;
            // Typed while the draft was read: that stays, as above.
            let typed = form_now() != pristine;
            // A draft with nothing written keeps no time either: a new report starts now.
            let written = |d: &Draft| {
                !(d.form.place.is_empty() && d.form.description.is_empty() && d.photos.is_empty())
            };
            match draft {
                Some(d) if !typed && written(&d) => fill(&d.form, d.found_local, d.photos),
                _ if found_local.get_untracked().is_empty() => found_local.set(outbox::now_local()),
                _ => {}
            }
            restored.set(true);
        });
    });
    // Every change is kept as a draft (not while fixing a sent-back report: that one is
    // still safe in the outbox).
    Effect::new(move |_| {
        for tracked in [
            kind,
            severity,
            village,
            place,
            found_local,
            parties,
            person_count,
            description,
            action_taken,
        ] {
            tracked.track();
        }
        needs_township.track();
        gps.track();
        photos.track();
        if restored.get_untracked() && editing.get_untracked().is_none() {
            outbox::save_draft(
                "report",
                Draft {
                    form: form_now(),
                    found_local: found_local.get_untracked(),
                    photos: photos.get_untracked(),
                },
            );
        }
    });

    let locate = move |_| {
        gps_state.set(Some("locating"));
        outbox::locate(move |found| match found {
            Some((lat, lon, acc)) => {
                gps.set(Some((lat, lon, acc)));
                gps_state.set(None);
            }
            None => gps_state.set(Some("failed")),
        });
    };

    let pick_photos = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(files) = input.files() else { return };
        let picked: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
        input.set_value("");
        photo_busy.set(true);
        photo_problem.set(None);
        leptos::task::spawn_local(async move {
            for file in picked {
                if photos.with_untracked(Vec::len) >= MAX_PHOTOS {
                    break;
                }
                let (name, media_type) = (file.name(), file.type_());
                match outbox::compress_photo(file).await {
                    Ok((meta, bytes)) => {
                        if let Err(e) = outbox::keep_photo(&meta, &bytes).await {
                            failure.set(Some(outbox_error_text(i18n, &e)));
                            continue;
                        }
                        if let Some(url) = outbox::preview_url(&bytes) {
                            previews.update(|p| p.push((meta.id.clone(), url)));
                        }
                        photos.update(|p| p.push(meta));
                    }
                    Err(OutboxError::Photo(_)) => {
                        photo_problem.set(Some(unreadable_photo_text(i18n, &name, &media_type)));
                    }
                    Err(e) => failure.set(Some(outbox_error_text(i18n, &e))),
                }
            }
            photo_busy.set(false);
        });
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() || photo_busy.get_untracked() {
            return;
        }
        saved.set(false);
        failure.set(None);
        let form = form_now();
        let now = outbox::now();
        if let Err(list) = check_report(&form, &kinds.get_value(), now) {
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
                let id = match editing.get_untracked() {
                    Some((id, false)) => id,
                    _ => outbox::new_id()?,
                };
                let queued = Queued::made(
                    id,
                    RecordType::FieldReport,
                    author,
                    now,
                    &form,
                    photos.get_untracked(),
                )
                .await?;
                outbox.add(queued).await
            }
            .await;
            busy.set(false);
            match result {
                Ok(()) => {
                    outbox::clear_draft("report").await;
                    let edited = editing.get_untracked().is_some();
                    editing.set(None);
                    fill(&ReportForm::default(), outbox::now_local(), Vec::new());
                    severity.set(Severity::General.as_str().to_owned());
                    if let Some(v) = only_village {
                        village.set(v.to_string());
                    }
                    previews.set(Vec::new());
                    saved.set(true);
                    if edited {
                        let _ = window().location().set_href("/field/outbox");
                    }
                }
                Err(e) => failure.set(Some(outbox_error_text(i18n, &e))),
            }
        });
    };

    let error_of = move |field: &'static str| {
        move || {
            errors
                .with(|errs| errs.iter().find(|e| e.field == field).cloned())
                .map(|e| view! { <p class="field-error" id=format!("{field}-error")>{record_error_text(i18n, &e)}</p> })
        }
    };
    let invalid = move |field: &'static str| {
        move || {
            errors
                .with(|e| e.iter().any(|e| e.field == field))
                .then_some("true")
        }
    };
    let english = move || i18n.get_locale() == Locale::en;
    let village_choices = villages.clone();

    view! {
        <form class="form field-form" novalidate on:submit=submit>
            {move || editing.get().map(|_| view! { <p class="notice" role="status">{t!(i18n, field.fixing)}</p> })}
            {move || (!errors.with(Vec::is_empty)).then(|| view! {
                <p class="error-message" role="alert">
                    {td_string!(i18n.get_locale(), petition.has_problems, n = errors.with(Vec::len))}
                </p>
            })}
            <label for="kind">{t!(i18n, fields.kind)}" *"</label>
            <select id="kind" name="kind" required aria-invalid=invalid("kind")
                prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
                <option value="">{t!(i18n, field.choose_kind)}</option>
                {move || kinds.get_value().into_iter().map(|k| {
                    let name = if english() { k.name_en.clone() } else { k.name_zh.clone() };
                    let code = k.code.clone();
                    view! { <option value=code.clone() selected=move || kind.get() == code>{name}</option> }
                }).collect_view()}
            </select>
            {error_of("kind")}

            <fieldset class="choices">
                <legend>{t!(i18n, fields.severity)}" *"</legend>
                {[Severity::General, Severity::Serious, Severity::Urgent].into_iter().map(|s| {
                    let value = s.as_str();
                    view! {
                        <label class="choice">
                            <input type="radio" name="severity" value=value
                                prop:checked=move || severity.get() == value
                                on:change=move |_| severity.set(value.to_owned()) />
                            {move || severity_label(i18n, s)}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            {error_of("severity")}

            {if only_village.is_some() {
                let name = village_choices.first().map(|v| v.1.clone()).unwrap_or_default();
                view! { <p class="fixed-value"><span>{t!(i18n, fields.village_id)}</span>" "<strong>{name}</strong></p> }.into_any()
            } else {
                view! {
                    <label for="village_id">{t!(i18n, fields.village_id)}" *"</label>
                    <select id="village_id" name="village_id" required aria-invalid=invalid("village_id")
                        prop:value=move || village.get() on:change=move |ev| village.set(event_target_value(&ev))>
                        <option value="">{t!(i18n, field.choose_village)}</option>
                        {village_choices.iter().map(|(id, name)| {
                            let id = id.to_string();
                            let value = id.clone();
                            view! { <option value=id selected=move || village.get() == value>{name.clone()}</option> }
                        }).collect_view()}
                    </select>
                }.into_any()
            }}
            {error_of("village_id")}

            <label for="place">{t!(i18n, fields.place)}" *"</label>
            <input id="place" name="place" type="text" required maxlength=PLACE_MAX aria-invalid=invalid("place")
                prop:value=move || place.get() on:input=move |ev| place.set(event_target_value(&ev)) />
            {error_of("place")}

            <div class="gps">
                <button type="button" class="button secondary" on:click=locate>{t!(i18n, field.locate)}</button>
                <span role="status">
                    {move || match (gps.get(), gps_state.get()) {
                        (_, Some("locating")) => t_string!(i18n, field.locating).to_owned(),
                        (_, Some(_)) => t_string!(i18n, field.locate_failed).to_owned(),
                        (Some((lat, lon, acc)), None) => format!(
                            "{lat:.5}, {lon:.5}{}",
                            acc.map(|a| format!(" (±{a:.0} m)")).unwrap_or_default()
                        ),
                        (None, None) => String::new(),
                    }}
                </span>
            </div>
            {error_of("latitude")}
            {error_of("longitude")}

            <label for="found_at">{t!(i18n, fields.found_at)}" *"</label>
            <input id="found_at" name="found_at" type="datetime-local" required aria-invalid=invalid("found_at")
                prop:value=move || found_local.get() on:input=move |ev| found_local.set(event_target_value(&ev)) />
            {error_of("found_at")}

            <label for="parties">{t!(i18n, fields.parties)}</label>
            <input id="parties" name="parties" type="text" maxlength=PARTIES_MAX aria-invalid=invalid("parties")
                prop:value=move || parties.get() on:input=move |ev| parties.set(event_target_value(&ev)) />
            {error_of("parties")}

            <label for="person_count">{t!(i18n, fields.people_involved)}</label>
            <input id="person_count" name="person_count" type="number" inputmode="numeric" min="1" max="99999"
                aria-invalid=invalid("person_count")
                prop:value=move || person_count.get() on:input=move |ev| person_count.set(event_target_value(&ev)) />
            {error_of("person_count")}

            <label for="description">{t!(i18n, fields.description)}" *"</label>
            <textarea id="description" name="description" rows="5" required maxlength=TEXT_MAX aria-invalid=invalid("description")
                prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea>
            {error_of("description")}

            <label for="action_taken">{t!(i18n, fields.action_taken)}</label>
            <textarea id="action_taken" name="action_taken" rows="3" maxlength=ACTION_MAX
                prop:value=move || action_taken.get() on:input=move |ev| action_taken.set(event_target_value(&ev))></textarea>
            {error_of("action_taken")}

            <label class="choice">
                <input type="checkbox" name="needs_township" prop:checked=move || needs_township.get()
                    on:change=move |ev| needs_township.set(event_target_checked(&ev)) />
                {t!(i18n, fields.needs_township)}
            </label>

            <label for="photos">{t!(i18n, fields.photos)}</label>
            <input id="photos" type="file" accept="image/*" multiple
                disabled=move || { photos.with(Vec::len) >= MAX_PHOTOS }
                aria-describedby="photos-hint photos-problem"
                on:change=pick_photos />
            <p class="hint" id="photos-hint">{move || td_string!(i18n.get_locale(), field.photo_hint, max = MAX_PHOTOS)}</p>
            <p class="field-error" id="photos-problem" role="alert" data-testid="photo-problem" hidden=move || photo_problem.with(Option::is_none)>
                {move || photo_problem.get()}
            </p>
            {move || photo_busy.get().then(|| view! { <p role="status">{t!(i18n, field.compressing)}</p> })}
            <ul class="photo-list" role="list" data-testid="photo-list">
                {move || photos.get().into_iter().enumerate().map(|(i, p)| {
                    let id = p.id.clone();
                    let url = previews.with(|v| v.iter().find(|(pid, _)| *pid == p.id).map(|(_, u)| u.clone()));
                    let kb = p.byte_size / 1024;
                    view! {
                        <li class="photo-item">
                            {url.map(|u| view! { <img src=u alt="" width="64" height="64" /> })}
                            <span>{move || td_string!(i18n.get_locale(), field.photo_n, n = i + 1, kb = kb)}</span>
                            <button type="button" class="button secondary"
                                on:click=move |_| photos.update(|list| list.retain(|x| x.id != id))>
                                {t!(i18n, field.remove)}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {error_of("photos")}

            <button type="submit" class="button primary" disabled=move || busy.get() || photo_busy.get()>
                {move || if editing.get().is_some() { t_string!(i18n, field.save_fixed) } else { t_string!(i18n, field.save_report) }}
            </button>
            {move || saved.get().then(|| view! {
                <p class="notice-ok" role="status" data-testid="saved">
                    {t!(i18n, field.saved)}" "<a href="/field/outbox">{t!(i18n, field.see_outbox)}</a>
                </p>
            })}
            {move || failure.get().map(|text| view! { <p class="error-message" role="alert">{t!(i18n, field.not_saved)}" "{text}</p> })}
        </form>
    }
}
