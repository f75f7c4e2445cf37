//! The petition form, shared by the public page, the office's intake desk and petition
//! agents. It is a plain multipart form post (it works with JavaScript off), rendered on
//! the server as typed and with each field's problem under it. In the browser a small
//! island around it (`FormChecks`) checks each field by the same rules as the server as
//! the person leaves it, and a fixed field's message goes away as they type.

use std::collections::HashSet;

use domain::FieldError;
#[cfg(feature = "hydrate")]
use domain::Problem;
#[cfg(feature = "hydrate")]
use domain::attachment::{MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS};
use domain::intake::{IntakeSource, PetitionForm};
use domain::petition;
use domain::petition::{Channel, PetitionKind};
use leptos::prelude::*;
use leptos_i18n::I18nContext;

use crate::api::FormData;
use crate::components::labels::{channel_label, kind_label};
use crate::components::status::{field_error_text_relabelled, textarea_text};
use crate::i18n::*;

/// Names of the form's fields, as posted (the server reads the same names).
pub const FIELDS: [&str; 20] = domain::intake::FORM_FIELDS;

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

/// A rule's message, naming the field as this form labels it: the rules call the
/// petitioner's name `name`, which the shared table calls a unit's 名称.
fn error_text(i18n: I18nContext<Locale>, e: &FieldError) -> String {
    field_error_text_relabelled(i18n, e, &[("name", "petitioner_name")])
}

/// The form's current values, read from the page.
#[cfg(feature = "hydrate")]
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
#[cfg(feature = "hydrate")]
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

/// The form as the server renders it: the values as typed, each field's problem under
/// it (in a slot `FormChecks` fills in the browser), and a count of problems on top.
#[component]
pub fn PetitionFormView(
    data: FormData,
    form: PetitionForm,
    errors: Vec<FieldError>,
    source: IntakeSource,
    action: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let errors = StoredValue::new(errors);
    let error_of = move |field: &'static str| {
        let text = errors.with_value(|errs| {
            errs.iter()
                .find(|e| e.field == field)
                .map(|e| error_text(i18n, e))
        });
        view! {
            <div class="error-slot" data-for=field>
                {text.map(|text| view! { <p class="field-error" id=format!("{field}-error")>{text}</p> })}
            </div>
        }
    };
    let invalid = move |field: &'static str| {
        errors
            .with_value(|errs| errs.iter().any(|e| e.field == field))
            .then_some("true")
    };
    let described = move |field: &'static str| invalid(field).map(|_| format!("{field}-error"));
    let public = source == IntakeSource::Public;
    let office = source == IntakeSource::Office;
    let agent = source == IntakeSource::Agent;
    let selected_village = form.village_id.clone();
    let kind = form.kind.clone();
    let channel = form.channel.clone();
    let challenge = data.challenge.clone();
    let problems = errors.with_value(Vec::len);

    view! {
        <FormChecks source today=data.today>
        <form
            class="form petition-form"
            method="post"
            action=action
            enctype="multipart/form-data"
            novalidate
        >
            <div class="error-slot" data-for=SUMMARY>
                {(problems > 0).then(|| view! {
                    <p class="error-message" role="alert">
                        {td_string!(i18n.get_locale(), petition.has_problems, n = problems)}
                    </p>
                })}
            </div>
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
                <legend>
                    {match source {
                        IntakeSource::Public => t_string!(i18n, petition.about_you),
                        IntakeSource::Office | IntakeSource::Agent => t_string!(i18n, intake.petitioner_section),
                    }}
                </legend>
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
                    <input type="hidden" name="challenge_token" autocomplete="off" value=data.challenge.token.clone() />
                    <label for="challenge">{question}</label>
                    <input id="challenge" name="challenge" type="text" inputmode="numeric" required maxlength="3" autocomplete="off" aria-invalid=invalid("challenge") aria-describedby=described("challenge") />
                    {error_of("challenge")}
                    <div class="hp" aria-hidden="true">
                        <label for="website">{t!(i18n, petition.honeypot)}</label>
                        <input id="website" name="website" type="text" tabindex="-1" autocomplete="off" />
                    </div>
                }
            })}
            <button type="submit" class="button primary">
                {if public { t_string!(i18n, petition.submit) } else { t_string!(i18n, intake.submit) }}
            </button>
        </form>
        </FormChecks>
    }
}

/// The slot of the count of problems, above the form.
const SUMMARY: &str = "__summary";

/// An island around the form: as the person leaves a field it is checked (with the rest
/// of the form, by `domain::intake`'s rules) and its message is shown or taken away in
/// the slot under it; the count on top follows. A sent form's button waits.
#[island(lazy)]
fn FormChecks(source: IntakeSource, today: chrono::NaiveDate, children: Children) -> impl IntoView {
    let i18n = crate::components::island::island_i18n();
    let touched = StoredValue::new(HashSet::<String>::new());
    let recheck = move |ev: leptos::ev::Event, mark: bool| {
        #[cfg(feature = "hydrate")]
        checks::recheck(i18n, &ev, mark, touched, source, today);
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, mark, source, today, touched, i18n);
    };
    let submitted = move |_: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        checks::wait(t_string!(i18n, petition.submitting));
        #[cfg(not(feature = "hydrate"))]
        let _ = i18n;
    };
    view! {
        <div class="form-checks" on:change=move |ev| recheck(ev, true) on:input=move |ev| recheck(ev, false) on:submit=submitted>
            {children()}
        </div>
    }
}

/// The browser's side of `FormChecks`: reading the form and writing the messages.
#[cfg(feature = "hydrate")]
mod checks {
    /// Fields read as digits and codes: shown in ASCII once left.
    const NORMALISED: [&str; 6] = [
        "resident_id",
        "phone",
        "batch_count",
        "person_count",
        "received_on",
        "challenge",
    ];

    use std::collections::HashSet;

    use domain::FieldError;
    use domain::intake::{IntakeSource, check_form};
    use leptos::prelude::*;
    use leptos_i18n::I18nContext;
    use wasm_bindgen::JsCast;

    use super::{FIELDS, SUMMARY, check_files, error_text, read_form};
    use crate::i18n::*;

    pub fn recheck(
        i18n: I18nContext<Locale>,
        ev: &leptos::ev::Event,
        mark: bool,
        touched: StoredValue<HashSet<String>>,
        source: IntakeSource,
        today: chrono::NaiveDate,
    ) {
        let Some(target) = ev.target() else { return };
        let Some(field) = target.dyn_ref::<web_sys::Element>() else {
            return;
        };
        let name = field.get_attribute("name").unwrap_or_default();
        let Some(form) = field
            .closest("form")
            .ok()
            .flatten()
            .and_then(|f| f.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        if mark {
            touched.update_value(|t| {
                t.insert(name.clone());
            });
            // Digits typed on a Chinese keyboard come full width: the field shows what
            // the server will store.
            if NORMALISED.contains(&name.as_str())
                && let Some(input) = target.dyn_ref::<web_sys::HtmlInputElement>()
            {
                let typed = input.value();
                // A phone as people write it (`+86 139-1234-5678`) shows as it is kept.
                let kept_phone = (name == "phone")
                    .then(|| domain::validation::clean_phone("phone", &typed).ok().flatten())
                    .flatten();
                let folded = kept_phone.unwrap_or_else(|| domain::validation::half_width(&typed));
                if folded != typed {
                    input.set_value(&folded);
                }
            }
        }
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
        touched.with_value(|t: &HashSet<String>| {
            for field in t {
                show(i18n, &form, field, fresh.iter().find(|e| &e.field == field));
            }
        });
        let problems = FIELDS
            .iter()
            .chain(["attachments", "challenge"].iter())
            .filter(|f| slot(&form, f).is_some_and(|s| s.child_element_count() > 0))
            .count();
        if let Some(summary) = slot(&form, SUMMARY) {
            summary.set_inner_html("");
            if problems > 0
                && let Ok(p) = document().create_element("p")
            {
                p.set_class_name("error-message");
                let _ = p.set_attribute("role", "alert");
                p.set_text_content(Some(&td_string!(
                    i18n.get_locale(),
                    petition.has_problems,
                    n = problems
                )));
                let _ = summary.append_child(&p);
            }
        }
    }

    fn slot(form: &web_sys::HtmlFormElement, field: &str) -> Option<web_sys::Element> {
        form.query_selector(&format!(".error-slot[data-for=\"{field}\"]"))
            .ok()
            .flatten()
    }

    /// Shows a field's problem under it, or takes it away; the field says whether it is
    /// invalid, and points at its message unless it points at a hint.
    fn show(
        i18n: I18nContext<Locale>,
        form: &web_sys::HtmlFormElement,
        field: &str,
        error: Option<&FieldError>,
    ) {
        let Some(slot) = slot(form, field) else { return };
        slot.set_inner_html("");
        let id = format!("{field}-error");
        if let Some(error) = error
            && let Ok(p) = document().create_element("p")
        {
            p.set_class_name("field-error");
            p.set_id(&id);
            p.set_text_content(Some(&error_text(i18n, error)));
            let _ = slot.append_child(&p);
        }
        if let Ok(Some(input)) = form.query_selector(&format!("[name=\"{field}\"]")) {
            match error {
                Some(_) => {
                    let _ = input.set_attribute("aria-invalid", "true");
                }
                None => {
                    let _ = input.remove_attribute("aria-invalid");
                }
            }
            let described = input.get_attribute("aria-describedby");
            if described.is_none() || described.as_deref() == Some(id.as_str()) {
                let _ = match error {
                    Some(_) => input.set_attribute("aria-describedby", &id),
                    None => input.remove_attribute("aria-describedby"),
                };
            }
        }
    }

    /// A sent form: its button waits, and says so, until the next page comes.
    pub fn wait(text: &str) {
        let Ok(Some(button)) = document().query_selector(".petition-form button[type=submit]") else {
            return;
        };
        let _ = button.set_attribute("disabled", "");
        button.set_text_content(Some(text));
        if let Some(form) = button.parent_element()
            && let Ok(p) = document().create_element("p")
        {
            p.set_class_name("loading");
            let _ = p.set_attribute("role", "status");
            p.set_text_content(Some(text));
            let _ = form.append_child(&p);
        }
    }
}
