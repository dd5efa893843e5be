//! `/login` and `/register`.
//!
//! Without JavaScript the forms POST to the server's `/login` and `/register` form handlers,
//! which redirect back here with `?error=<code>&field=<field>` on failure; the message is
//! rebuilt from the shared error table so both paths show the same words.

use crate::api::{Login, Register};
use crate::components::{go_to, FormError, LanguageSwitch};
use crate::error::ApiError;
use crate::i18n::{t, use_i18n};
use crate::protocol::User;
use leptos::{ev::SubmitEvent, html, prelude::*};
use leptos_router::hooks::use_query_map;

/// The error a no-JavaScript redirect put in the query string, if any.
fn query_error() -> Signal<Option<ApiError>> {
    let query = use_query_map();
    Signal::derive(move || {
        query.with(|q| {
            q.get("error")
                .map(|code| ApiError::from_query(&code, q.get("field").as_deref()))
        })
    })
}

/// Follows a login-like action: goes to `/` once it succeeds, and yields the message to
/// show: the action's error, or before any submit, the one a no-JavaScript redirect carried.
fn outcome(
    value: impl Get<Value = Option<Result<User, ApiError>>> + Copy + Send + Sync + 'static,
) -> Signal<Option<ApiError>> {
    let from_query = query_error();
    Effect::new(move |_| {
        if let Some(Ok(_)) = value.get() {
            go_to("/");
        }
    });
    Signal::derive(move || match value.get() {
        Some(Err(e)) => Some(e),
        Some(Ok(_)) => None,
        None => from_query.get(),
    })
}

/// The username a failed no-JavaScript submit sent back, so the user need not retype it.
fn query_username() -> String {
    use_query_map().with_untracked(|q| q.get("username").unwrap_or_default())
}

/// The login form.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let username = NodeRef::<html::Input>::new();
    let password = NodeRef::<html::Input>::new();
    let error = outcome(action.value());
    let pending = action.pending();
    let i18n = use_i18n();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let (Some(u), Some(p)) = (username.get(), password.get()) {
            action.dispatch(Login {
                username: u.value(),
                password: p.value(),
            });
        }
    };

    view! {
        <main class="auth">
            <LanguageSwitch/>
            <h1 class="brand">"Parley"</h1>
            <form class="card" method="post" action="/login" on:submit=on_submit>
                <h2>{t!(i18n, log_in)}</h2>
                <FormError error/>
                <label>
                    {t!(i18n, username)}
                    <input name="username" node_ref=username autocomplete="username" required
                        value=query_username()/>
                </label>
                <label>
                    {t!(i18n, password)}
                    <input type="password" name="password" node_ref=password
                        autocomplete="current-password" required/>
                </label>
                <button type="submit" disabled=move || pending.get()>
                    {move || if pending.get() { t!(i18n, logging_in).into_any() } else { t!(i18n, log_in).into_any() }}
                </button>
            </form>
            <p class="switch">{t!(i18n, new_to_parley)}" "<a href="/register">{t!(i18n, create_an_account)}</a></p>
        </main>
    }
}

/// The sign-up form; a successful sign-up logs straight in.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let username = NodeRef::<html::Input>::new();
    let nickname = NodeRef::<html::Input>::new();
    let password = NodeRef::<html::Input>::new();
    let error = outcome(action.value());
    let pending = action.pending();
    let i18n = use_i18n();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let (Some(u), Some(n), Some(p)) = (username.get(), nickname.get(), password.get()) {
            action.dispatch(Register {
                username: u.value(),
                password: p.value(),
                nickname: Some(n.value()),
            });
        }
    };

    view! {
        <main class="auth">
            <LanguageSwitch/>
            <h1 class="brand">"Parley"</h1>
            <form class="card" method="post" action="/register" on:submit=on_submit>
                <h2>{t!(i18n, create_an_account)}</h2>
                <FormError error/>
                <label>
                    {t!(i18n, username)}
                    <input name="username" node_ref=username autocomplete="username" required
                        minlength="3" maxlength="32" value=query_username()/>
                    <small>{t!(i18n, username_hint)}</small>
                </label>
                <label>
                    {t!(i18n, nickname_optional)}
                    <input name="nickname" node_ref=nickname autocomplete="nickname" maxlength="32"/>
                </label>
                <label>
                    {t!(i18n, password)}
                    <input type="password" name="password" node_ref=password
                        autocomplete="new-password" required minlength="8"/>
                    <small>{t!(i18n, password_hint)}</small>
                </label>
                <button type="submit" disabled=move || pending.get()>
                    {move || if pending.get() { t!(i18n, creating_account).into_any() } else { t!(i18n, create_account).into_any() }}
                </button>
            </form>
            <p class="switch">{t!(i18n, have_account)}" "<a href="/login">{t!(i18n, log_in)}</a></p>
        </main>
    }
}
