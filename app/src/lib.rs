//! Parley's shared crate: the Leptos UI and the protocol types that browser and server share.
//!
//! Layout:
//! - [`protocol`]: wire types and the input rules both sides apply.
//! - [`error`]: the wire-safe `{code, msg}` error and its stable codes.
//! - [`ids`]: newtype ids.
//! - [`state`]: the chat state the UI shows (timelines, outbox, conversation list), plain
//!   synchronous data merged from frames and pages.
//! - [`api`]: server functions (thin adapters to the server's `Backend`).
//! - `capture` (browser build only): camera, microphone, recorders, still frames and
//!   uploads with progress, as futures over the browser's callbacks.
//! - [`pages`], [`components`]: the UI; [`theme`]: the reader's light or dark choice.
//!
//! Features: `ssr` for the server build, `hydrate` for the browser build.

// Leptos view types nest deeply; the chat pane's exceeds the default limit of 128.
#![recursion_limit = "256"]

pub mod api;
#[cfg(feature = "hydrate")]
pub mod capture;
pub mod components;
pub mod error;
pub mod ids;
pub mod locale;
pub mod pages;
pub mod protocol;
pub mod state;
pub mod theme;
pub mod ws;

/// The UI's strings in English and Simplified Chinese: `Locale`, `use_i18n`, `t!`,
/// generated at build time from `locales/*.json` (see `build.rs`).
// Generated code: its only `expect`s parse the locale names fixed at build time.
#[allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));
}
pub use generated::i18n;

use i18n::{t, use_i18n};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    SsrMode, StaticSegment,
};

/// The HTML document around the app; the server renders it for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = theme::current_theme().attr();
    view! {
        <!DOCTYPE html>
        <html data-theme=theme>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // The stylesheet's name carries its content hash when the build hashes files.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The root component: title and the page routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    locale::provide_clock();
    // Marks the page as hydrated (`<html class="js">`): controls that need the script (a
    // bubble's "More actions") stay out of sight on a page without it, which shows the
    // current state read-only.
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            let _ = root.class_list().add_1("js");
        }
    });
    view! {
        <Title text="Parley"/>
        // The locale: the remembered choice (cookie), else the browser's Accept-Language;
        // it also sets `<html lang>`.
        <i18n::I18nContextProvider>
        <Router>
            <Routes fallback=|| view! {
                <main class="auth">
                    <p>{t!(use_i18n(), page_not_found)}</p>
                    <p><a href="/">{t!(use_i18n(), back_home)}</a></p>
                </main>
            }>
                // In order: the whole page arrives as HTML, so it also works without JavaScript
                // (out-of-order streaming swaps suspended parts in with a script).
                <Route path=StaticSegment("") view=pages::chat::ChatPage ssr=SsrMode::InOrder/>
                <Route path=StaticSegment("settings") view=pages::settings::SettingsPage ssr=SsrMode::InOrder/>
                <Route path=StaticSegment("login") view=pages::auth::LoginPage/>
                <Route path=StaticSegment("register") view=pages::auth::RegisterPage/>
            </Routes>
        </Router>
        </i18n::I18nContextProvider>
    }
}
