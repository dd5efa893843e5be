//! Small building blocks shared by several pages.

use leptos::prelude::*;

/// The alert line above a form: shows the server's message when there is one.
#[component]
pub fn FormError(
    /// The message to show; nothing is rendered while it is `None`.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    move || {
        error
            .get()
            .map(|msg| view! { <p class="form-error" role="alert">{msg}</p> })
    }
}

/// The round avatar: the picture when the user has one, otherwise their initial.
#[component]
pub fn Avatar(
    /// Whose avatar.
    user: crate::protocol::User,
) -> impl IntoView {
    let initial = user.initial();
    if user.avatar.is_empty() || !crate::protocol::is_allowed_url(&user.avatar) {
        view! { <span class="avatar" aria-hidden="true">{initial}</span> }.into_any()
    } else {
        view! { <img class="avatar" src=user.avatar alt=""/> }.into_any()
    }
}

/// Sends the browser to `path` with a full page load, so the server renders the next page
/// with the cookie that was just set or cleared.
pub fn go_to(path: &str) {
    let _ = window().location().set_href(path);
}
