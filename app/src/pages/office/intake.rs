//! `/office/intake`: the desk where a clerk registers a letter, visit, call or fax, and
//! where a petition agent files for a resident. A plain multipart post, like the public
//! form; the answer is the receipt to print for the petitioner.

use domain::auth::Role;
use domain::intake::IntakeSource;
use leptos::prelude::*;

use crate::api::{Posted, posted};
use crate::components::auth::use_auth;
use crate::components::status::ErrorMessage;
use crate::components::title::PageTitle;
use crate::i18n::*;
use crate::pages::public::petition::{PetitionFormLoader, Receipt, form_as_posted};

#[component]
pub fn IntakePage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let clerk = auth
        .me
        .with_untracked(|u| u.as_ref().is_some_and(|u| u.has_role(Role::Clerk)));
    // Clerks take petitions in at the office; agents (a field role) file from the field.
    let (source, action) = if clerk {
        (IntakeSource::Office, "/office/intake")
    } else {
        (IntakeSource::Agent, "/field/intake")
    };
    match posted() {
        Some(Posted::Receipt(receipt)) => view! { <Receipt receipt /> }.into_any(),
        other => {
            let (form, errors, error) = form_as_posted(other);
            view! {
                <PageTitle text=move || t_string!(i18n, intake.title) />
                <h1>{t!(i18n, intake.title)}</h1>
                <p>{move || if clerk { t_string!(i18n, intake.intro) } else { t_string!(i18n, intake.agent_intro) }}</p>
                {error.map(|error| view! { <ErrorMessage error /> })}
                <PetitionFormLoader form errors source action />
            }
            .into_any()
        }
    }
}
