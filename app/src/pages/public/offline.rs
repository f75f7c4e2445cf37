use leptos::prelude::*;

use crate::components::notice::NoticePanel;
use crate::i18n::*;

/// What the service worker shows for a page that is not saved on the device while there
/// is no network.
#[component]
pub fn OfflinePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <NoticePanel
            title=move || t_string!(i18n, offline.title)
            text=move || t_string!(i18n, offline.text)
            back_home=move || t_string!(i18n, offline.back_home)
        />
    }
}
