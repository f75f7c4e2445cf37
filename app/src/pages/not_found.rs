use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::layout::{Area, AreaFrame};
use crate::i18n::*;

/// Any path no route matches. On the server it also sets the 404 status.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    view! {
        <AreaFrame area=Area::Public>
            <Title text=move || t_string!(i18n, not_found.title) />
            <section class="panel">
                <h1>{t!(i18n, not_found.title)}</h1>
                <p>{t!(i18n, not_found.text)}</p>
                <a class="button" href="/">
                    {t!(i18n, not_found.back_home)}
                </a>
            </section>
        </AreaFrame>
    }
}
