//! The "Join group" dialog's body: search groups by name or id and join one. Groups I am
//! already in offer "Open" instead of "Join".

use super::{member_count, use_shell, GroupIcon, Notice, NoticeLine};
use crate::api::social::{join_group, search_groups};
use crate::ids::GroupId;
use crate::protocol::MyGroup;
use leptos::{ev::SubmitEvent, html, prelude::*};
use std::collections::HashSet;

/// Search box and results; `on_joined` gets the joined group and the message announcing it.
#[component]
pub fn JoinGroupDialog(
    /// Called once the server has let me in.
    on_joined: Callback<(MyGroup, String)>,
    /// Opens a group I already belong to.
    open_group: Callback<GroupId>,
) -> impl IntoView {
    // My groups mark the results I am already in.
    let Some(shell) = use_shell() else {
        return ().into_any();
    };
    let groups = shell.groups;
    let query = NodeRef::<html::Input>::new();
    let searched = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<Notice>);
    let search = Action::new(|q: &String| search_groups(q.clone()));
    let join = Action::new(move |id: &GroupId| {
        let id = *id;
        async move {
            match join_group(id).await {
                Ok(group) => {
                    let text = format!("You joined “{}”.", group.group.name);
                    on_joined.run((group, text));
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
    let my_ids = move || -> HashSet<GroupId> {
        groups
            .get()
            .and_then(Result::ok)
            .map(|list| list.into_iter().map(|g| g.group.id).collect())
            .unwrap_or_default()
    };
    let joining = join.pending();
    let results = move || match search.value().get() {
        None => None,
        Some(Err(e)) => Some(view! { <p class="form-error" role="alert">{e.msg}</p> }.into_any()),
        Some(Ok(found)) if found.is_empty() => Some(
            view! { <p class="muted-line">"No group matches “"{searched.get_untracked()}"”."</p> }
                .into_any(),
        ),
        Some(Ok(found)) => {
            let mine = my_ids();
            Some(
                view! {
                    <ul class="list results" aria-label="Search results">
                        {found.into_iter().map(|group| {
                            let id = group.id;
                            let action = if mine.contains(&id) {
                                view! {
                                    <span class="tag">"Joined"</span>
                                    <button type="button" class="small secondary"
                                        on:click=move |_| open_group.run(id)>"Open"</button>
                                }.into_any()
                            } else {
                                view! {
                                    <button type="button" class="small"
                                        disabled=move || joining.get()
                                        on:click=move |_| { join.dispatch(id); }>"Join"</button>
                                }.into_any()
                            };
                            let name = group.name.clone();
                            let count = member_count(group.member_count as usize);
                            view! {
                                <li class="row">
                                    <GroupIcon group/>
                                    <span class="who">
                                        <span class="nickname">{name}</span>
                                        <span class="username">{count}" · id "{id.0}</span>
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
                aria-label="Group name or id" placeholder="Group name or id"/>
            <button type="submit" disabled=move || search.pending().get()>"Search"</button>
        </form>
        <NoticeLine notice/>
        {results}
    }
    .into_any()
}
