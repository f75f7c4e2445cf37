//! The wasm entry point: cargo-leptos builds this crate for the browser, and the page
//! rendered by the server calls `hydrate()` once the wasm has loaded.

// Leptos' statically typed views nest deeply; the layout of the hydrated tree needs it.
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Release builds abort on panic without a message (see `x`), so the hook is for debug builds.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A mark for tests and for support: the page is now interactive.
    if let Some(html) = leptos::prelude::document().document_element() {
        let _ = html.set_attribute("data-hydrated", "true");
    }
}
