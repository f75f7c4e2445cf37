//! The wasm entry point: cargo-leptos builds this crate for the browser. The page the
//! server rendered loads it when the browser is idle, calls `hydrate()`, and then
//! hydrates each island (`#[island]` in `app`) it finds in the page.

// Leptos' statically typed views nest deeply; the islands' views need it.
#![recursion_limit = "512"]

// The islands are exported from `app`; this keeps the crate linked into the wasm.
use app as _;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Release builds abort on panic without a message (see `x`), so the hook is for debug builds.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
