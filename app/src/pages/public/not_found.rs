use leptos::prelude::*;

use crate::components::layout::{Area, AreaFrame};
use crate::components::notice::NoticePanel;
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
            <NoticePanel
                title=move || t_string!(i18n, not_found.title)
                text=move || t_string!(i18n, not_found.text)
                back_home=move || t_string!(i18n, not_found.back_home)
            />
        </AreaFrame>
    }
}
