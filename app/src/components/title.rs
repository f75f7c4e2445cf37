//! The page's `<title>`, safe under concurrent server rendering.
//!
//! leptos_meta builds the server's `<title>` only after the page has streamed, outside
//! the request's reactive arena. Reading a signal there (the language, for a
//! translated title) panics when two requests render side by side, and the page never
//! finishes. So the text is read while the page renders.

use leptos::prelude::*;
use leptos::text_prop::TextProp;
use leptos_meta::Title;

use crate::i18n::*;

/// A page's title, given as a closure that may read the language. Rendered the same on
/// both sides (an island hydrates only what the server rendered the same way): on the
/// server the text is read at once; in the browser it stays reactive.
#[component]
pub fn PageTitle<F, S>(text: F) -> impl IntoView
where
    F: Fn() -> S + Send + Sync + 'static,
    S: Into<String> + 'static,
{
    #[cfg(feature = "ssr")]
    let text = TextProp::from(text().into());
    #[cfg(not(feature = "ssr"))]
    let text = TextProp::from(move || text().into());
    view! { <Title text /> }
}

/// Every title ends with the app's name: "登录 · 民情".
#[component]
pub fn AppTitle() -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    let formatter = {
        let app = t_string!(i18n, app_name).to_owned();
        move |page: String| format_title(&page, &app)
    };
    #[cfg(not(feature = "ssr"))]
    let formatter = move |page: String| format_title(&page, t_string!(i18n, app_name));
    view! { <Title formatter /> }
}

fn format_title(page: &str, app: &str) -> String {
    if page.is_empty() {
        app.to_owned()
    } else {
        format!("{page} · {app}")
    }
}
