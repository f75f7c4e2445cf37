//! `/office/info`: an admin writes what the petition office publishes (Art. 18), shown to
//! everyone on the guide page.

use domain::office::OfficeInfo;
use leptos::prelude::*;

use crate::api::{SetOfficeInfo, get_office_info};
use crate::components::status::{ErrorMessage, Loading, textarea_text};
use crate::components::title::PageTitle;
use crate::i18n::*;

#[component]
pub fn OfficeInfoPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, office_info.title) />
        <OfficeInfoBody />
    }
}

/// An island: the form saves in place.
#[island(lazy)]
fn OfficeInfoBody() -> impl IntoView {
    let i18n = crate::components::island::island_i18n();
    let save = ServerAction::<SetOfficeInfo>::new();
    let current = Resource::new(move || save.version().get(), |_| get_office_info());
    view! {
        <h1>{t!(i18n, office_info.title)}</h1>
        <p>{t!(i18n, office_info.intro)}</p>
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match current.await {
                    Ok(found) => {
                        let info = found.map(|(_, info)| info).unwrap_or_default();
                        view! { <InfoForm info save /> }.into_any()
                    }
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn InfoForm(info: OfficeInfo, save: ServerAction<SetOfficeInfo>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ActionForm action=save attr:class="form" attr:id="office-info-form">
            <label for="info-address">{t!(i18n, fields.office_address)}" *"</label>
            <input id="info-address" name="info[address]" type="text" required maxlength="1000" value=info.address />
            <label for="info-phone">{t!(i18n, fields.phone)}" *"</label>
            <input id="info-phone" name="info[phone]" type="text" required maxlength="1000" value=info.phone />
            <label for="info-mailing">{t!(i18n, fields.mailing_address)}</label>
            <input id="info-mailing" name="info[mailing_address]" type="text" maxlength="1000" value=info.mailing_address />
            <label for="info-reception">{t!(i18n, fields.reception)}" *"</label>
            <textarea id="info-reception" name="info[reception]" rows="4" required aria-describedby="info-reception-hint">{textarea_text(&info.reception)}</textarea>
            <p class="hint" id="info-reception-hint">{t!(i18n, office_info.reception_hint)}</p>
            <label for="info-notes">{t!(i18n, fields.notes)}</label>
            <textarea id="info-notes" name="info[notes]" rows="4">{textarea_text(&info.notes)}</textarea>
            {move || save.value().get().map(|r| match r {
                Ok(()) => view! { <p class="notice-ok" role="status">{t!(i18n, office_info.saved)}</p> }.into_any(),
                Err(error) => view! { <ErrorMessage error /> }.into_any(),
            })}
            <button type="submit" class="button primary">{t!(i18n, office_info.save)}</button>
        </ActionForm>
    }
}
