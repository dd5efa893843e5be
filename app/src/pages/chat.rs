//! `/`: the chat shell. For now it shows who is logged in and lets them log out; the
//! conversation list and the message pane will live in the areas laid out here.

use crate::api::{current_user, Logout};
use crate::components::{go_to, Avatar};
use crate::protocol::User;
use leptos::{ev::SubmitEvent, prelude::*};

/// The chat shell page. Anonymous visitors never reach it: the server redirects them to
/// `/login` before rendering.
#[component]
pub fn ChatPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(user)) => view! { <ChatShell user/> }.into_any(),
                    Ok(None) => view! {
                        <main class="auth">
                            <p>"Your session has ended. " <a href="/login">"Log in again"</a></p>
                        </main>
                    }.into_any(),
                    Err(e) => view! {
                        <main class="auth"><p class="form-error" role="alert">{e.msg}</p></main>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The logged-in layout: top bar with the user and the logout button, sidebar, message pane.
#[component]
fn ChatShell(user: User) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let on_logout = move |ev: SubmitEvent| {
        ev.prevent_default();
        logout.dispatch(Logout {});
    };
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            go_to("/login");
        }
    });
    let error = move || match logout.value().get() {
        Some(Err(e)) => Some(view! { <p class="form-error" role="alert">{e.msg}</p> }),
        _ => None,
    };
    let nickname = user.nickname.clone();
    let username = user.username.clone();

    view! {
        <div class="shell">
            <header class="topbar">
                <Avatar user/>
                <div class="who">
                    <span class="nickname" data-testid="nickname">{nickname}</span>
                    <span class="username">"@"{username}</span>
                </div>
                {error}
                <form method="post" action="/logout" on:submit=on_logout>
                    <button type="submit" class="secondary" disabled=move || logout.pending().get()>
                        "Log out"
                    </button>
                </form>
            </header>
            <aside class="sidebar">
                <p class="empty">"No conversations yet."</p>
            </aside>
            <section class="pane">
                <p class="empty">"Pick a conversation to start chatting."</p>
            </section>
        </div>
    }
}
