//! The petition form, shared by the public page, the office's intake desk and petition
//! agents. It is a plain multipart form post (it works with JavaScript off); with
//! JavaScript, each field is checked by the same rules as the server as the person
//! leaves it, and a fixed field's message goes away as they type.

use std::collections::HashSet;

use domain::FieldError;
use domain::attachment::{MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS};
use domain::intake::{IntakeSource, PetitionForm, check_form};
use domain::petition::{Channel, PetitionKind};
use domain::{Problem, petition};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::FormData;
use crate::components::labels::{channel_label, kind_label};
use crate::components::status::{field_error_text, textarea_text};
use crate::i18n::*;

/// Names of the form's fields, as posted (the server reads the same names).
pub const FIELDS: [&str; 20] = [
    "channel",
    "kind",
    "village_id",
    "subject",
    "content",
    "request",
    "facts_reasons",
    "name",
    "resident_id",
    "phone",
    "address",
    "person_count",
    "batch_count",
    "representatives",
    "reported_name",
    "reported_unit",
    "reported_details",
    "received_on",
    "consent",
    "agent_consent",
];

/// Sets one field of the form by its posted name.
pub fn set_field(form: &mut PetitionForm, name: &str, value: String) {
    let slot = match name {
        "channel" => &mut form.channel,
        "kind" => &mut form.kind,
        "village_id" => &mut form.village_id,
        "subject" => &mut form.subject,
        "content" => &mut form.content,
        "request" => &mut form.request,
        "facts_reasons" => &mut form.facts_reasons,
        "name" => &mut form.name,
        "resident_id" => &mut form.resident_id,
        "phone" => &mut form.phone,
        "address" => &mut form.address,
        "person_count" => &mut form.person_count,
        "batch_count" => &mut form.batch_count,
        "representatives" => &mut form.representatives,
        "reported_name" => &mut form.reported_name,
        "reported_unit" => &mut form.reported_unit,
        "reported_details" => &mut form.reported_details,
        "received_on" => &mut form.received_on,
        "consent" => &mut form.consent,
        "agent_consent" => &mut form.agent_consent,
        _ => return,
    };
    *slot = value;
}

/// The form's current values, read from the page.
fn read_form(form: &web_sys::HtmlFormElement) -> PetitionForm {
    let mut out = PetitionForm::default();
    if let Ok(data) = web_sys::FormData::new_with_form(form) {
        for name in FIELDS {
            if let Some(value) = data.get(name).as_string() {
                set_field(&mut out, name, value);
            }
        }
    }
    out
}

/// The files chosen, checked for number and size before a slow upload starts.
fn check_files(input: &web_sys::HtmlInputElement) -> Option<Problem> {
    let files = input.files()?;
    if files.length() as usize > MAX_ATTACHMENTS {
        return Some(Problem::TooMany);
    }
    (0..files.length())
        .filter_map(|i| files.get(i))
        .any(|f| f.size() > MAX_ATTACHMENT_BYTES as f64)
        .then_some(Problem::FileTooLarge)
}

#[component]
pub fn PetitionFormView(
    data: FormData,
    form: PetitionForm,
    errors: Vec<FieldError>,
    source: IntakeSource,
    action: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let errors = RwSignal::new(errors);
    let touched = RwSignal::new(HashSet::<String>::new());
    let submitting = RwSignal::new(false);
    let today = data.today;
    let recheck = move |ev: leptos::ev::Event, mark: bool| {
        let Some(target) = ev.target() else { return };
        let name = target
            .dyn_ref::<web_sys::HtmlInputElement>()
            .map(|e| e.name())
            .or_else(|| target.dyn_ref::<web_sys::HtmlTextAreaElement>().map(|e| e.name()))
            .or_else(|| target.dyn_ref::<web_sys::HtmlSelectElement>().map(|e| e.name()))
            .unwrap_or_default();
        if mark {
            touched.update(|t| {
                t.insert(name.clone());
            });
        }
        let Some(form) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        let touched = touched.get_untracked();
        let mut fresh = check_form(&read_form(&form), source, today)
            .err()
            .unwrap_or_default();
        if name == "attachments"
            && let Some(problem) = target
                .dyn_ref::<web_sys::HtmlInputElement>()
                .and_then(check_files)
        {
            fresh.push(FieldError::new("attachments", problem));
        }
        errors.update(|errs| {
            errs.retain(|e| !touched.contains(&e.field));
            errs.extend(fresh.into_iter().filter(|e| touched.contains(&e.field)));
        });
    };
    let error_of = move |field: &'static str| {
        move || {
            errors
                .with(|errs| errs.iter().find(|e| e.field == field).cloned())
                .map(|e| {
                    let text = field_error_text(i18n, &e);
                    view! { <p class="field-error" id=format!("{field}-error")>{text}</p> }
                })
        }
    };
    let invalid = move |field: &'static str| {
        move || {
            errors
                .with(|errs| errs.iter().any(|e| e.field == field))
                .then_some("true")
        }
    };
    let described = move |field: &'static str| {
        move || {
            errors
                .with(|errs| errs.iter().any(|e| e.field == field))
                .then(|| format!("{field}-error"))
        }
    };
    let public = source == IntakeSource::Public;
    let office = source == IntakeSource::Office;
    let agent = source == IntakeSource::Agent;
    let selected_village = form.village_id.clone();
    let kind = form.kind.clone();
    let channel = form.channel.clone();
    let challenge = data.challenge.clone();
    let problems = move || errors.with(Vec::len);

    view! {
        <form
            class="form petition-form"
            method="post"
            action=action
            enctype="multipart/form-data"
            novalidate
            on:change=move |ev| recheck(ev, true)
            on:input=move |ev| recheck(ev, false)
            on:submit=move |_| submitting.set(true)
        >
            {move || (problems() > 0).then(|| view! {
                <p class="error-message" role="alert">
                    {td_string!(i18n.get_locale(), petition.has_problems, n = problems())}
                </p>
            })}
            <fieldset>
                <legend>{t!(i18n, petition.about_matter)}</legend>
                {office.then(|| view! {
                    <label for="channel">{t!(i18n, fields.channel)}" *"</label>
                    <select id="channel" name="channel" required autofocus aria-invalid=invalid("channel") aria-describedby=described("channel")>
                        <option value="">{t!(i18n, intake.choose_channel)}</option>
                        {Channel::ALL.iter().filter(|c| **c != Channel::Online).map(|c| {
                            let selected = channel == c.as_str();
                            view! { <option value=c.as_str() selected=selected>{move || channel_label(i18n, *c)}</option> }
                        }).collect_view()}
                    </select>
                    {error_of("channel")}
                    <label for="received_on">{t!(i18n, fields.received_on)}</label>
                    <input id="received_on" name="received_on" type="date" value=form.received_on.clone() aria-describedby="received_on-hint" aria-invalid=invalid("received_on") />
                    <p class="hint" id="received_on-hint">{t!(i18n, intake.received_hint)}</p>
                    {error_of("received_on")}
                })}
                <label for="kind">{t!(i18n, fields.petition_kind)}" *"</label>
                <select id="kind" name="kind" required aria-invalid=invalid("kind") aria-describedby="kind-hint">
                    <option value="">{t!(i18n, petition.choose_kind)}</option>
                    {PetitionKind::ALL.iter().map(|k| {
                        let selected = kind == k.as_str();
                        view! { <option value=k.as_str() selected=selected>{move || kind_label(i18n, *k)}</option> }
                    }).collect_view()}
                </select>
                <p class="hint" id="kind-hint">{t!(i18n, petition.kind_hint)}</p>
                {error_of("kind")}
                <label for="village_id">{t!(i18n, fields.village_id)}{(!office).then_some(" *")}</label>
                <select id="village_id" name="village_id" required=!office aria-invalid=invalid("village_id") aria-describedby=described("village_id")>
                    <option value="">
                        {move || if office { t_string!(i18n, intake.optional_village) } else { t_string!(i18n, petition.choose_village) }}
                    </option>
                    {data.villages.iter().map(|(id, name)| {
                        let value = id.to_string();
                        let selected = selected_village == value;
                        view! { <option value=value selected=selected>{name.clone()}</option> }
                    }).collect_view()}
                </select>
                {error_of("village_id")}
                <label for="subject">{t!(i18n, fields.subject)}" *"</label>
                <input id="subject" name="subject" type="text" required maxlength=petition::SUBJECT_MAX value=form.subject.clone() aria-invalid=invalid("subject") aria-describedby=described("subject") />
                {error_of("subject")}
                <label for="content">{t!(i18n, fields.content)}" *"</label>
                <textarea id="content" name="content" required rows="6" maxlength=petition::TEXT_MAX aria-invalid=invalid("content") aria-describedby=described("content")>{textarea_text(&form.content)}</textarea>
                {error_of("content")}
                <label for="request">{t!(i18n, fields.request)}</label>
                <textarea id="request" name="request" rows="3" maxlength=petition::TEXT_MAX aria-invalid=invalid("request")>{textarea_text(&form.request)}</textarea>
                {error_of("request")}
                <label for="facts_reasons">{t!(i18n, fields.facts_reasons)}</label>
                <textarea id="facts_reasons" name="facts_reasons" rows="3" maxlength=petition::TEXT_MAX aria-invalid=invalid("facts_reasons")>{textarea_text(&form.facts_reasons)}</textarea>
                {error_of("facts_reasons")}
            </fieldset>
            <fieldset>
                <legend>{t!(i18n, petition.about_you)}</legend>
                <label for="name">{t!(i18n, fields.petitioner_name)}" *"</label>
                <input id="name" name="name" type="text" required maxlength="50" autocomplete="name" value=form.name.clone() aria-invalid=invalid("name") aria-describedby=described("name") />
                {error_of("name")}
                <label for="resident_id">{t!(i18n, fields.resident_id)}{(!office).then_some(" *")}</label>
                <input id="resident_id" name="resident_id" type="text" required=!office maxlength="21" autocapitalize="characters" spellcheck="false" inputmode="text" value=form.resident_id.clone() aria-invalid=invalid("resident_id") aria-describedby=described("resident_id") />
                {error_of("resident_id")}
                <label for="phone">{t!(i18n, fields.phone)}{(!office).then_some(" *")}</label>
                <input id="phone" name="phone" type="tel" required=!office inputmode="tel" maxlength="20" autocomplete="tel" value=form.phone.clone() aria-invalid=invalid("phone") aria-describedby=described("phone") />
                {error_of("phone")}
                <label for="address">{t!(i18n, fields.address)}</label>
                <input id="address" name="address" type="text" maxlength="200" autocomplete="street-address" value=form.address.clone() aria-invalid=invalid("address") />
                {error_of("address")}
            </fieldset>
            {office.then(|| view! {
                <fieldset>
                    <legend>{t!(i18n, case.visit)}</legend>
                    <label for="person_count">{t!(i18n, fields.person_count)}</label>
                    <input id="person_count" name="person_count" type="number" min="1" max="9999" inputmode="numeric" value=form.person_count.clone() aria-invalid=invalid("person_count") />
                    {error_of("person_count")}
                    <label for="batch_count">{t!(i18n, fields.batch_count)}</label>
                    <input id="batch_count" name="batch_count" type="number" min="1" max="9999" inputmode="numeric" value=form.batch_count.clone() aria-invalid=invalid("batch_count") />
                    {error_of("batch_count")}
                    <label for="representatives">{t!(i18n, fields.representatives)}</label>
                    <textarea id="representatives" name="representatives" rows="3" aria-describedby="representatives-hint" aria-invalid=invalid("representatives")>{textarea_text(&form.representatives)}</textarea>
                    <p class="hint" id="representatives-hint">{t!(i18n, petition.multi_line)}</p>
                    {error_of("representatives")}
                </fieldset>
            })}
            <fieldset>
                <legend>{t!(i18n, petition.reported_title)}</legend>
                <p class="hint">{t!(i18n, petition.reported_hint)}</p>
                <label for="reported_name">{t!(i18n, fields.reported_name)}</label>
                <input id="reported_name" name="reported_name" type="text" maxlength="50" value=form.reported_name.clone() aria-invalid=invalid("reported_name") aria-describedby=described("reported_name") />
                {error_of("reported_name")}
                <label for="reported_unit">{t!(i18n, fields.reported_unit)}</label>
                <input id="reported_unit" name="reported_unit" type="text" maxlength="200" value=form.reported_unit.clone() aria-invalid=invalid("reported_unit") />
                {error_of("reported_unit")}
                <label for="reported_details">{t!(i18n, fields.reported_details)}</label>
                <input id="reported_details" name="reported_details" type="text" maxlength="500" value=form.reported_details.clone() />
                {error_of("reported_details")}
            </fieldset>
            <fieldset>
                <legend>{t!(i18n, fields.attachments)}</legend>
                <label for="attachments">{t!(i18n, fields.attachments)}</label>
                <input id="attachments" name="attachments" type="file" multiple accept="image/jpeg,image/png,image/webp,application/pdf" aria-describedby="attachments-hint" aria-invalid=invalid("attachments") />
                <p class="hint" id="attachments-hint">{t!(i18n, petition.attachments_hint)}</p>
                {error_of("attachments")}
            </fieldset>
            {agent.then(|| view! {
                <label for="agent_consent">{t!(i18n, fields.agent_consent)}" *"</label>
                <input id="agent_consent" name="agent_consent" type="text" required maxlength="200" value=form.agent_consent.clone() aria-invalid=invalid("agent_consent") aria-describedby=described("agent_consent") />
                {error_of("agent_consent")}
            })}
            {public.then(|| {
                let consented = form.consent == "on";
                let question = move || td_string!(i18n.get_locale(), petition.challenge_label, a = challenge.a, b = challenge.b);
                view! {
                    <section class="privacy" aria-labelledby="privacy-title">
                        <h2 id="privacy-title">{t!(i18n, petition.privacy_title)}</h2>
                        <p>{t!(i18n, petition.privacy_text)}</p>
                        <label class="check">
                            <input type="checkbox" name="consent" value="on" checked=consented aria-invalid=invalid("consent") aria-describedby=described("consent") />
                            <span>{t!(i18n, petition.consent_label)}</span>
                        </label>
                        {error_of("consent")}
                    </section>
                    <input type="hidden" name="challenge_token" value=data.challenge.token.clone() />
                    <label for="challenge">{question}</label>
                    <input id="challenge" name="challenge" type="text" inputmode="numeric" required maxlength="3" autocomplete="off" aria-invalid=invalid("challenge") aria-describedby=described("challenge") />
                    {error_of("challenge")}
                    <div class="hp" aria-hidden="true">
                        <label for="website">{t!(i18n, petition.honeypot)}</label>
                        <input id="website" name="website" type="text" tabindex="-1" autocomplete="off" />
                    </div>
                }
            })}
            <button type="submit" class="button primary" disabled=move || submitting.get()>
                {move || if submitting.get() { t_string!(i18n, petition.submitting) } else if public { t_string!(i18n, petition.submit) } else { t_string!(i18n, intake.submit) }}
            </button>
            {move || submitting.get().then(|| view! { <p class="loading" role="status">{t!(i18n, petition.submitting)}</p> })}
        </form>
    }
}
