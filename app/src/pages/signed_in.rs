//! What every signed-in page starts with: who I am, read once for the page, and what to
//! show when the session is gone (it may end between the server's check and the read).

use crate::api::current_user;
use crate::components::{go_to, ErrorText};
use crate::i18n::{t, use_i18n};
use crate::ids::UserId;
use crate::protocol::User;
use crate::ws::{Socket, Status};
use leptos::prelude::*;

/// Renders `page` with the signed-in user once known; a "session ended" line with a link to
/// log in again if there is none, or the error if asking failed.
#[component]
pub fn SignedIn<F, V>(
    /// The page itself, given who I am.
    page: F,
) -> impl IntoView
where
    F: Fn(User) -> V + Copy + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let me = Resource::new(|| (), |_| current_user());
    let i18n = use_i18n();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(user)) => page(user).into_any(),
                    Ok(None) => view! {
                        <main class="auth">
                            <p>{t!(i18n, session_ended)}" "<a href="/login">{t!(i18n, log_in_again)}</a></p>
                        </main>
                    }.into_any(),
                    Err(error) => view! {
                        <main class="auth"><p class="form-error" role="alert"><ErrorText error/></p></main>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Starts the page's live connection for `me` and provides it as context. It ends with the
/// page (see [`Socket::start`]); if the session ends elsewhere (logout, a password change,
/// "Sign out" on another device), the page leaves for `/login` rather than stay open and
/// unable to do anything.
pub fn page_socket(me: UserId) -> Socket {
    let socket = Socket::start(me);
    provide_context(socket);
    Effect::new(move |_| {
        if socket.status.get() == Status::SignedOut {
            go_to("/login");
        }
    });
    socket
}

/// "Reconnecting…" while the page's connection is lost.
#[component]
pub fn ConnectionBanner(
    /// The page's connection.
    socket: Socket,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        (socket.status.get() == Status::Reconnecting)
            .then(|| view! { <p class="banner" role="status">{t!(i18n, reconnecting)}</p> })
    }
}
