//! The WASM entry point: cargo-leptos builds this crate with `hydrate` and the page's
//! hydration script calls [`hydrate`] once the server-rendered HTML is in place.

// Leptos view types nest deeply; the chat shell's exceeds the default limit of 128.
#![recursion_limit = "256"]

/// Attaches the Leptos app to the server-rendered body so the pages become interactive.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
