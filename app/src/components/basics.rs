//! The smallest shared pieces: a form's error line, an error's words, the round avatar, and
//! the full page load that follows a login or logout.

use crate::error::ApiError;
use crate::i18n::use_i18n;
use crate::locale::error_text;
use leptos::prelude::*;

/// The alert line above a form: shows the error when there is one.
#[component]
pub fn FormError(
    /// The error to show; nothing is rendered while it is `None`.
    #[prop(into)]
    error: Signal<Option<ApiError>>,
) -> impl IntoView {
    move || {
        error
            .get()
            .map(|error| view! { <p class="form-error" role="alert"><ErrorText error/></p> })
    }
}

/// An error's words in the reader's language (see [`error_text`]).
#[component]
pub fn ErrorText(
    /// The error.
    error: ApiError,
) -> impl IntoView {
    let i18n = use_i18n();
    move || error_text(i18n.get_locale(), &error)
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

/// A person's name as this reader sees it: a deleted account's reserved name
/// ([`crate::protocol::DELETED_NAME`]) in the reader's language, any other as chosen.
pub fn shown_name(locale: crate::i18n::Locale, nickname: &str) -> String {
    if crate::protocol::is_deleted_name(nickname) {
        crate::i18n::td_string!(locale, deleted_user).to_owned()
    } else {
        nickname.to_owned()
    }
}

/// Sends the browser to `path` with a full page load, so the server renders the next page
/// with the cookie that was just set or cleared.
pub fn go_to(path: &str) {
    let _ = window().location().set_href(path);
}

#[cfg(test)]
mod tests {
    use super::shown_name;
    use crate::i18n::Locale;
    use crate::protocol::DELETED_NAME;

    #[test]
    fn a_deleted_accounts_name_is_shown_in_the_readers_language() {
        assert_eq!(shown_name(Locale::en, DELETED_NAME), "Deleted user");
        assert_eq!(shown_name(Locale::zh_CN, DELETED_NAME), "已注销用户");
        // Any other name is the person's own, in every language.
        assert_eq!(
            shown_name(Locale::zh_CN, "Deleted user 2"),
            "Deleted user 2"
        );
        assert_eq!(shown_name(Locale::zh_CN, "张伟"), "张伟");
    }
}
