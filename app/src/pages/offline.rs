use leptos::prelude::*;
use leptos_meta::Title;

use crate::i18n::*;

/// What the service worker shows for a page that is not saved on the device while there
/// is no network.
#[component]
pub fn OfflinePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=move || t_string!(i18n, offline.title) />
        <section class="panel">
            <h1>{t!(i18n, offline.title)}</h1>
            <p>{t!(i18n, offline.text)}</p>
            <a class="button" href="/">
                {t!(i18n, offline.back_home)}
            </a>
        </section>
    }
}
