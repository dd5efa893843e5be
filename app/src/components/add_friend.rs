//! The "Add friend" dialog's body: search people by name or id, then add them. People who
//! are already friends (and the user themself) are marked instead of offering "Add".

use super::{use_shell, Avatar, FriendsResource, NoticeText, RowAction, SearchDialog};
use crate::api::social::{add_friend, search_users};
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
    let befriend = move |user: User| async move {
        add_friend(user.id).await?;
        friends.refetch();
        let text = NoticeText::new()
            .name(user.nickname)
            .text(" is now your friend.");
        Ok(Some(text))
    };
    // Read while the results render, so a result turns into "Friend" once the list refetches.
    let is_friend = move |user: &User| {
        friends.with(
            |list| matches!(list, Some(Ok(list)) if list.iter().any(|f| f.user.id == user.id)),
        )
    };
    let row = move |user: User, add: RowAction<User>| {
        let control = if user.id == me {
            view! { <span class="tag">"You"</span> }.into_any()
        } else if is_friend(&user) {
            view! { <span class="tag">"Friend"</span> }.into_any()
        } else {
            let u = user.clone();
            view! {
                <button type="button" class="small"
                    disabled=move || add.pending()
                    on:click=move |_| { add.run(u.clone()); }>
                    "Add"
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
        <SearchDialog label="Name or id" placeholder="Name, @username or id"
            no_match="Nobody matches" search=search_users act=befriend row/>
    }
    .into_any()
}
