//! What islands share. The server renders every page whole; the browser downloads and
//! hydrates only the islands (`#[island]`, Leptos' islands mode): the parts of a page a
//! person can interact with. A visitor's phone fetches the code of those parts, not of
//! every page of the app.

use leptos::prelude::*;
use leptos_i18n::I18nContext;

use crate::i18n::Locale;

/// The language inside an island. On the server the page's provider has it already; in
/// the browser the outermost island hydrates on its own, so it reads the language the
/// server chose from `<html lang>` and provides it to the islands within.
pub fn island_i18n() -> I18nContext<Locale> {
    use_context::<I18nContext<Locale>>().unwrap_or_else(|| {
        let i18n = leptos_i18n::context::init_i18n_context::<Locale>();
        provide_context(i18n);
        i18n
    })
}

/// Marks the page interactive (`<html data-hydrated>`), for tests and for support. The
/// islands script hydrates islands one after another in document order, waiting for
/// each (and for a lazy island's code), and this one is the last in the page.
#[island]
pub fn HydrationMark() -> impl IntoView {
    Effect::new(|_| {
        if let Some(html) = document().document_element() {
            let _ = html.set_attribute(HYDRATED, "true");
        }
        if let Ok(event) = web_sys::Event::new(HYDRATED_EVENT) {
            let _ = window().dispatch_event(&event);
        }
    });
}

/// The attribute of `<html>` that says the page's islands have all hydrated.
const HYDRATED: &str = "data-hydrated";
/// The event sent on `window` when they have.
const HYDRATED_EVENT: &str = "minqing:hydrated";

/// Runs `f` (under the current owner) once every island of the page has hydrated, or at
/// once if that has happened. Anything that changes what islands show must wait for it:
/// an island hydrates against the HTML the server sent, and a lazy island's code may
/// still be on its way while the islands before it run.
pub fn after_hydration(f: impl FnOnce() + 'static) {
    let owner = Owner::current();
    let run = move || match owner {
        Some(owner) => owner.with(f),
        None => f(),
    };
    let done = document()
        .document_element()
        .is_some_and(|html| html.has_attribute(HYDRATED));
    if done {
        run();
        return;
    }
    let pending = std::cell::Cell::new(Some(run));
    // Kept for the page's life: the page ends before the listener could matter again.
    let listener = window_event_listener_untyped(HYDRATED_EVENT, move |_| {
        if let Some(run) = pending.take() {
            run();
        }
    });
    std::mem::forget(listener);
}

/// A button that prints the page; printing needs the browser.
#[island]
pub fn PrintButton(label: String) -> impl IntoView {
    view! {
        <button type="button" class="button primary no-print" on:click=move |_| { let _ = window().print(); }>
            {label}
        </button>
    }
}

/// A parameter of the address the browser shows (the server's copy of a page may be
/// another address's, when the phone serves it offline). `None` on the server.
pub fn query_param(name: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let search = window().location().search().ok()?;
        web_sys::UrlSearchParams::new_with_str(&search).ok()?.get(name)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = name;
        None
    }
}

/// What the person typed into the text control `id` while the page's code was still on
/// its way: the server's form can be typed into at once, and hydrating it would put the
/// island's empty value back. `None` on the server, once the page is interactive, and
/// when nothing was typed.
pub fn typed_before_hydration(id: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let html = document().document_element()?;
        if html.has_attribute(HYDRATED) {
            return None;
        }
        let element = document().get_element_by_id(id)?;
        let (value, default) = if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>() {
            (input.value(), input.default_value())
        } else {
            let area = element.dyn_ref::<web_sys::HtmlTextAreaElement>()?;
            (area.value(), area.default_value().ok()?)
        };
        (value != default).then_some(value)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = id;
        None
    }
}
