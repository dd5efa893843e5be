//! The "Add friend" dialog's body: search people by name or id, then add them. People who
//! are already friends (and the user themself) are marked instead of offering "Add".

use super::{use_shell, Avatar, FriendsResource, Notice, NoticeLine};
use crate::api::social::{add_friend, search_users};
use crate::ids::UserId;
use crate::protocol::User;
use leptos::{ev::SubmitEvent, html, prelude::*};
use std::collections::HashSet;

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
    let query = NodeRef::<html::Input>::new();
    let searched = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<Notice>);
    let search = Action::new(|q: &String| search_users(q.clone()));
    let add = Action::new(move |user: &User| {
        let user = user.clone();
        async move {
            match add_friend(user.id).await {
                Ok(_) => {
                    notice.set(Notice::ok(format!("{} is now your friend.", user.nickname)));
                    friends.refetch();
                    // The clicked button turns into a "Friend" tag; keep the keyboard in the
                    // dialog, ready for the next search.
                    if let Some(input) = query.get_untracked() {
                        let _ = input.focus();
                    }
                }
                Err(e) => notice.set(Notice::failed(e)),
            }
        }
    });
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(input) = query.get() {
            let q = input.value().trim().to_owned();
            if !q.is_empty() {
                notice.set(None);
                searched.set(q.clone());
                search.dispatch(q);
            }
        }
    };
    let friend_ids = move || -> HashSet<UserId> {
        friends
            .get()
            .and_then(Result::ok)
            .map(|list| list.into_iter().map(|f| f.user.id).collect())
            .unwrap_or_default()
    };
    let adding = add.pending();
    let results = move || match search.value().get() {
        None => None,
        Some(Err(e)) => Some(view! { <p class="form-error" role="alert">{e.msg}</p> }.into_any()),
        Some(Ok(users)) if users.is_empty() => Some(
            view! { <p class="muted-line">"Nobody matches “"{searched.get_untracked()}"”."</p> }
                .into_any(),
        ),
        Some(Ok(users)) => {
            let ids = friend_ids();
            Some(
                view! {
                    <ul class="list results" aria-label="Search results">
                        {users.into_iter().map(|user| {
                            let action = if user.id == me {
                                view! { <span class="tag">"You"</span> }.into_any()
                            } else if ids.contains(&user.id) {
                                view! { <span class="tag">"Friend"</span> }.into_any()
                            } else {
                                let u = user.clone();
                                view! {
                                    <button type="button" class="small"
                                        disabled=move || adding.get()
                                        on:click=move |_| { add.dispatch(u.clone()); }>
                                        "Add"
                                    </button>
                                }.into_any()
                            };
                            let nickname = user.nickname.clone();
                            let username = user.username.clone();
                            let id = user.id;
                            view! {
                                <li class="row">
                                    <Avatar user/>
                                    <span class="who">
                                        <span class="nickname">{nickname}</span>
                                        <span class="username">"@"{username}" · id "{id.0}</span>
                                    </span>
                                    {action}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
                .into_any(),
            )
        }
    };

    view! {
        <form class="search" role="search" on:submit=on_submit>
            <input type="search" name="q" node_ref=query autofocus required maxlength="64"
                aria-label="Name or id" placeholder="Name, @username or id"/>
            <button type="submit" disabled=move || search.pending().get()>"Search"</button>
        </form>
        <NoticeLine notice/>
        {results}
    }
    .into_any()
}
