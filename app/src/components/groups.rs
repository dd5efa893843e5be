//! The Groups tab: the groups I belong to (each a link that opens it in the pane), and the
//! "Create group" and "Join group" dialogs.

use super::create_group::CreateGroupDialog;
use super::dialog::Modal;
use super::group_icon::{member_count, GroupIcon};
use super::join_group::JoinGroupDialog;
use super::notice::{Notice, NoticeLine, NoticeText};
use super::shell::{use_shell, ShellContext};
use super::sidebar::{shell_href, Tab};
use crate::i18n::{t, td_string, use_i18n};
use crate::ids::GroupId;
use crate::protocol::{GroupRole, MyGroup};
use leptos::prelude::*;

/// The Groups tab's content: my groups from the [`ShellContext`], the one open in the pane
/// highlighted, and the outcome of the last group action above the list.
#[component]
pub fn GroupsPanel() -> impl IntoView {
    let Some(ShellContext {
        groups,
        selected,
        open_group,
        group_notice: notice,
        ..
    }) = use_shell()
    else {
        return ().into_any();
    };
    let i18n = use_i18n();
    let Some(creating) = use_shell().map(|s| s.creating_group) else {
        return ().into_any();
    };
    let joining = RwSignal::new(false);
    // A dialog that worked closes, announces it here and opens the group.
    let done = Callback::new(move |(group, text): (MyGroup, NoticeText)| {
        creating.set(false);
        joining.set(false);
        notice.set(Notice::ok(text));
        groups.refetch();
        open_group.run(Some(group.group.id));
    });

    view! {
        <div class="panel-actions">
            <button type="button" class="small" on:click=move |_| {
                notice.set(None);
                creating.set(true);
            }>{t!(i18n, create_group)}</button>
            <button type="button" class="small secondary" on:click=move |_| {
                notice.set(None);
                joining.set(true);
            }>{t!(i18n, join_group)}</button>
        </div>
        <NoticeLine notice/>
        <Transition fallback=move || view! { <p class="muted-line">{t!(i18n, loading_groups)}</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">{t!(i18n, no_groups)}</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="list" aria-label=move || td_string!(i18n.get_locale(), groups)>
                            {list.into_iter().map(|g| view! { <GroupRow mine=g selected/> })
                                .collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert"><super::basics::ErrorText error=e/></p> }.into_any(),
                }
            })}
        </Transition>
        <Modal open=creating title=Signal::derive(move || td_string!(i18n.get_locale(), create_group).to_owned())>
            <CreateGroupDialog on_created=done/>
        </Modal>
        <Modal open=joining title=Signal::derive(move || td_string!(i18n.get_locale(), join_group).to_owned())>
            <JoinGroupDialog on_joined=done open_group=Callback::new(move |id| {
                joining.set(false);
                open_group.run(Some(id));
            })/>
        </Modal>
    }
    .into_any()
}

/// One of my groups: a link that opens it, with its size and my role.
#[component]
fn GroupRow(mine: MyGroup, selected: Memo<Option<GroupId>>) -> impl IntoView {
    let id = mine.group.id;
    let name = mine.group.name.clone();
    let i18n = use_i18n();
    let n = mine.group.member_count as usize;
    let count = move || member_count(i18n.get_locale(), n);
    let owner = (mine.role == GroupRole::Owner).then(|| {
        view! {
            <span class="badge" title=move || td_string!(i18n.get_locale(), you_own_group)>{t!(i18n, owner)}</span>
        }
    });
    view! {
        <li>
            <a class="row link" href=shell_href(Tab::Groups, Some(id))
                aria-current=move || (selected.get() == Some(id)).then_some("page")>
                <GroupIcon group=mine.group/>
                <span class="who">
                    <span class="nickname"><bdi>{name}</bdi></span>
                    <span class="username">{count}</span>
                </span>
                {owner}
            </a>
        </li>
    }
}
