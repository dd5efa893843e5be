//! The "Add friend" dialog's body: search people by exact username (or the name of someone
//! who chose to be found), then ask them. People who are already friends, asked already, or
//! the user themself are marked instead of offering "Add".

use super::basics::Avatar;
use super::notice::NoticeText;
use super::search_dialog::{RowAction, SearchDialog};
use super::shell::{use_shell, FriendsResource};
use crate::api::people::{ask_friend, search_users};
use crate::i18n::{t, td_string, use_i18n};
use crate::protocol::people::RequestOutcome;
use crate::protocol::User;
use leptos::prelude::*;

/// Search box, results and their "Add" buttons; refreshes `friends` after each addition.
#[component]
pub fn AddFriendDialog(
    /// My friends list, refetched when someone is added.
    friends: FriendsResource,
) -> impl IntoView {
    let Some(shell) = use_shell() else {
        return ().into_any();
    };
    let me = shell.me;
    let requests = shell.requests;
    let i18n = use_i18n();
    let note = RwSignal::new(String::new());
    let befriend = move |user: User| async move {
        let note = Some(note.get_untracked()).filter(|n| !n.trim().is_empty());
        let outcome = ask_friend(user.id, note).await?;
        requests.refetch();
        let words = match outcome {
            RequestOutcome::Friends { .. } => {
                friends.refetch();
                td_string!(i18n.get_locale_untracked(), friend_added)
            }
            RequestOutcome::Pending => td_string!(i18n.get_locale_untracked(), request_sent),
        };
        let text = NoticeText::fill(words, &[("name", user.nickname)]);
        Ok(Some(text))
    };
    // Read while the results render, so a result turns into "Friend" once the list refetches.
    let is_friend = move |user: &User| {
        friends.with(
            |list| matches!(list, Some(Ok(list)) if list.iter().any(|f| f.user.id == user.id)),
        )
    };
    let asked = move |user: &User| {
        requests
            .with(|r| matches!(r, Some(Ok(r)) if r.outgoing.iter().any(|o| o.user.id == user.id)))
    };
    let row = move |user: User, add: RowAction<User>| {
        let control = if user.id == me {
            view! { <span class="tag">{t!(i18n, you)}</span> }.into_any()
        } else if is_friend(&user) {
            view! { <span class="tag">{t!(i18n, friend_tag)}</span> }.into_any()
        } else if asked(&user) {
            view! { <span class="tag">{t!(i18n, request_pending)}</span> }.into_any()
        } else {
            let u = user.clone();
            view! {
                <button type="button" class="small"
                    disabled=move || add.pending()
                    on:click=move |_| { add.run(u.clone()); }>
                    {t!(i18n, add)}
                </button>
            }
            .into_any()
        };
        let nickname = user.nickname.clone();
        let username = user.username.clone();
        let id = user.id;
        view! {
            <Avatar user/>
            <span class="who">
                <span class="nickname"><bdi>{nickname}</bdi></span>
                <span class="username">"@"<bdi>{username}</bdi>" · id "{id.0}</span>
            </span>
            {control}
        }
        .into_any()
    };

    view! {
        <label class="note-field">
            <span>{t!(i18n, request_note)}</span>
            <input type="text" maxlength="120" autocomplete="off"
                placeholder=move || td_string!(i18n.get_locale(), request_note_hint)
                prop:value=move || note.get()
                on:input=move |ev| note.set(event_target_value(&ev))/>
        </label>
        <SearchDialog label=td_string!(i18n.get_locale_untracked(), people_search_label)
            placeholder=td_string!(i18n.get_locale_untracked(), people_search_placeholder)
            no_match=td_string!(i18n.get_locale_untracked(), nobody_matches)
            search=search_users act=befriend row/>
    }
    .into_any()
}
