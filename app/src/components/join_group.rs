//! The "Join group" dialog's body: search groups by name or id and join one. Groups I am
//! already in offer "Open" instead of "Join".

use super::group_icon::{member_count, GroupIcon};
use super::notice::NoticeText;
use super::search_dialog::{RowAction, SearchDialog};
use super::shell::use_shell;
use crate::api::social::{join_group, search_groups};
use crate::i18n::{t, td_string, use_i18n};
use crate::ids::GroupId;
use crate::protocol::{Group, MyGroup};
use leptos::prelude::*;

/// Search box and results; `on_joined` gets the joined group and the message announcing it.
#[component]
pub fn JoinGroupDialog(
    /// Called once the server has let me in.
    on_joined: Callback<(MyGroup, NoticeText)>,
    /// Opens a group I already belong to.
    open_group: Callback<GroupId>,
) -> impl IntoView {
    // My groups mark the results I am already in.
    let Some(shell) = use_shell() else {
        return ().into_any();
    };
    let groups = shell.groups;
    let i18n = use_i18n();
    // `on_joined` closes the dialog, so the Groups tab announces the join, not the dialog.
    let join = move |group: Group| async move {
        let joined = join_group(group.id).await?;
        let text = NoticeText::fill(
            td_string!(i18n.get_locale_untracked(), group_joined),
            &[("name", joined.group.name.clone())],
        );
        on_joined.run((joined, text));
        Ok(None)
    };
    // Read while the results render, so a result turns into "Joined" once the list refetches.
    let is_mine = move |id: GroupId| {
        groups.with(|list| matches!(list, Some(Ok(list)) if list.iter().any(|g| g.group.id == id)))
    };
    let row = move |group: Group, join: RowAction<Group>| {
        let id = group.id;
        let control = if is_mine(id) {
            view! {
                <span class="tag">{t!(i18n, joined_tag)}</span>
                <button type="button" class="small secondary"
                    on:click=move |_| open_group.run(id)>{t!(i18n, open)}</button>
            }
            .into_any()
        } else {
            let g = group.clone();
            view! {
                <button type="button" class="small"
                    disabled=move || join.pending()
                    on:click=move |_| { join.run(g.clone()); }>{t!(i18n, join)}</button>
            }
            .into_any()
        };
        let name = group.name.clone();
        let n = group.member_count as usize;
        let count = move || member_count(i18n.get_locale(), n);
        view! {
            <GroupIcon group/>
            <span class="who">
                <span class="nickname"><bdi>{name}</bdi></span>
                <span class="username">{count}" · id "{id.0}</span>
            </span>
            {control}
        }
        .into_any()
    };

    view! {
        <SearchDialog label=td_string!(i18n.get_locale_untracked(), group_search_label)
            placeholder=td_string!(i18n.get_locale_untracked(), group_search_label)
            no_match=td_string!(i18n.get_locale_untracked(), no_group_matches)
            search=search_groups act=join row/>
    }
    .into_any()
}
