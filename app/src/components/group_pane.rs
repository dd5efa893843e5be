//! The pane's view of one group: its name, description and members with their roles, and the
//! actions my role allows — leave; for the owner, hand the group over or dissolve it.

use super::basics::Avatar;
use super::bidi::isolate;
use super::confirm::ConfirmButton;
use super::group_icon::{member_count, GroupIcon};
use super::notice::{Notice, NoticeLine, NoticeText};
use super::shell::{use_shell, ShellContext};
use super::sidebar::{conv_href, shell_href, Tab};
use crate::api::social::{
    dissolve_group, group_members, leave_group, set_members_can_pin, transfer_group,
};
use crate::i18n::{t, td_string, use_i18n};
use crate::ids::{GroupId, UserId};
use crate::protocol::event::ServerEvent;
use crate::protocol::{Conv, GroupRole, Member, MyGroup};
use crate::ws::use_socket;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

/// The pane: the group open in the [`ShellContext`](super::shell::ShellContext), or a hint when
/// none is open.
#[component]
pub fn GroupPane() -> impl IntoView {
    let Some(shell) = use_shell() else {
        return ().into_any();
    };
    // Each group gets a fresh view (its own notice and members), rebuilt only when the open
    // group changes (`selected` is a memo).
    let i18n = use_i18n();
    let query = use_query_map();
    let navigate = use_navigate();
    let go = Callback::new(move |href: String| {
        navigate(
            &href,
            NavigateOptions {
                scroll: false,
                ..Default::default()
            },
        )
    });
    let tab = Memo::new(move |_| query.with(|q| Tab::parse(q.get_str("tab"))));
    (move || match shell.selected.get() {
        // Nothing open: what this tab is for, and the two ways to begin.
        None => view! {
            <div class="empty-pane">
                <p class="empty">{move || match tab.get() {
                    Tab::Chats => td_string!(i18n.get_locale(), pane_hint_chats),
                    Tab::Friends => td_string!(i18n.get_locale(), pane_hint_friends),
                    Tab::Groups => td_string!(i18n.get_locale(), pick_group),
                }}</p>
                <div class="empty-actions">
                    // Each dialog lives in its tab, which must show for the dialog to.
                    <button type="button" on:click=move |_| {
                        go.run(shell_href(Tab::Friends, None));
                        shell.adding_friend.set(true);
                    }>{t!(i18n, add_friend)}</button>
                    <button type="button" class="secondary" on:click=move |_| {
                        go.run(shell_href(Tab::Groups, None));
                        shell.creating_group.set(true);
                    }>{t!(i18n, create_group)}</button>
                </div>
            </div>
        }
        .into_any(),
        Some(id) => view! { <GroupView id/> }.into_any(),
    })
    .into_any()
}

/// One group's details and actions.
#[component]
fn GroupView(id: GroupId) -> impl IntoView {
    let Some(ShellContext {
        groups,
        open_group,
        group_notice: list_notice,
        ..
    }) = use_shell()
    else {
        return ().into_any();
    };
    let members = Resource::new(|| (), move |_| group_members(id));
    // Someone joined, left or took over: the member list changes in front of me.
    if let Some(socket) = use_socket() {
        let here = Conv::group(id);
        socket.listen(move |event: ServerEvent| match event {
            ServerEvent::Notice {
                kind,
                conv: Some(c),
                ..
            } if c == here && kind.changes_groups() => members.refetch(),
            // A member's new name or picture.
            ServerEvent::Profile { user, .. } => {
                let listed = members.with_untracked(|m| {
                    m.as_ref()
                        .and_then(|r| r.as_ref().ok())
                        .is_some_and(|m| m.iter().any(|x| x.user.id == user))
                });
                if listed {
                    members.refetch();
                }
            }
            _ => {}
        });
    }
    let notice = RwSignal::new(None::<Notice>);
    let i18n = use_i18n();
    // Leaving and dissolving close the pane, so they report in the Groups tab.
    let leave = Action::new(move |name: &String| {
        let name = name.clone();
        async move {
            match leave_group(id).await {
                Ok(()) => {
                    let text = NoticeText::fill(
                        td_string!(i18n.get_locale_untracked(), group_left),
                        &[("name", name)],
                    );
                    list_notice.set(Notice::ok(text));
                    groups.refetch();
                    open_group.run(None);
                }
                Err(e) => notice.set(Notice::failed(e)),
            }
        }
    });
    let dissolve = Action::new(move |name: &String| {
        let name = name.clone();
        async move {
            match dissolve_group(id).await {
                Ok(()) => {
                    let text = NoticeText::fill(
                        td_string!(i18n.get_locale_untracked(), group_dissolved),
                        &[("name", name)],
                    );
                    list_notice.set(Notice::ok(text));
                    groups.refetch();
                    open_group.run(None);
                }
                Err(e) => notice.set(Notice::failed(e)),
            }
        }
    });
    let transfer = Action::new(move |to: &Member| {
        let to = to.clone();
        async move {
            match transfer_group(id, to.user.id).await {
                Ok(_) => {
                    let text = NoticeText::fill(
                        td_string!(i18n.get_locale_untracked(), group_new_owner),
                        &[("name", to.user.nickname)],
                    );
                    notice.set(Notice::ok(text));
                    groups.refetch();
                    members.refetch();
                }
                Err(e) => notice.set(Notice::failed(e)),
            }
        }
    });
    let busy = Signal::derive(move || {
        leave.pending().get() || dissolve.pending().get() || transfer.pending().get()
    });

    view! {
        <Transition fallback=move || view! { <p class="empty">{t!(i18n, loading_group)}</p> }>
            {move || Suspend::new(async move {
                let mine = groups.await;
                let list = members.await;
                let mine = match mine {
                    Ok(all) => all.into_iter().find(|g| g.group.id == id),
                    Err(e) => {
                        return view! { <p class="form-error" role="alert"><super::basics::ErrorText error=e/></p> }.into_any()
                    }
                };
                let Some(mine) = mine else {
                    return view! {
                        <p class="empty">{t!(i18n, not_in_group)}</p>
                    }.into_any();
                };
                view! {
                    <GroupDetail mine members=list notice busy
                        on_leave=Callback::new(move |name| { leave.dispatch(name); })
                        on_dissolve=Callback::new(move |name| { dissolve.dispatch(name); })
                        on_transfer=Callback::new(move |to| { transfer.dispatch(to); })/>
                }.into_any()
            })}
        </Transition>
    }
    .into_any()
}

/// The loaded group: header, description, members and actions.
#[component]
fn GroupDetail(
    mine: MyGroup,
    members: Result<Vec<Member>, crate::error::ApiError>,
    notice: RwSignal<Option<Notice>>,
    busy: Signal<bool>,
    on_leave: Callback<String>,
    on_dissolve: Callback<String>,
    on_transfer: Callback<Member>,
) -> impl IntoView {
    let Some(ShellContext { me, .. }) = use_shell() else {
        return ().into_any();
    };
    let MyGroup { group, role } = mine;
    let i18n = use_i18n();
    let is_owner = role == GroupRole::Owner;
    let name = group.name.clone();
    let group_id = group.id;
    let memo = (!group.memo.is_empty()).then(|| view! { <p class="memo">{group.memo.clone()}</p> });
    let (count, member_list, others) = match members {
        Ok(mut list) => {
            // The owner first, then by seniority.
            list.sort_by_key(|m| (m.role != GroupRole::Owner, m.joined_at));
            let others: Vec<Member> = list.iter().filter(|m| m.user.id != me).cloned().collect();
            let n = list.len();
            let rows = list
                .into_iter()
                .map(|m| view! { <MemberRow member=m me/> })
                .collect_view();
            (
                n,
                view! { <ul class="list members" aria-label=move || td_string!(i18n.get_locale(), members)>{rows}</ul> }.into_any(),
                others,
            )
        }
        Err(e) => (
            group.member_count as usize,
            view! { <p class="form-error" role="alert"><super::basics::ErrorText error=e/></p> }
                .into_any(),
            Vec::new(),
        ),
    };
    let leave_name = name.clone();
    let dissolve_name = name.clone();
    let members_can_pin = group.members_can_pin;
    let pin_rule =
        is_owner.then(|| view! { <PinRule group=group_id allowed=members_can_pin notice/> });
    let owner_actions = is_owner.then(|| {
        view! {
            <TransferForm others busy on_transfer/>
            <div class="action-row">
                <div>
                    <strong>{t!(i18n, dissolve_group)}</strong>
                    <small>{t!(i18n, dissolve_hint)}</small>
                </div>
                <ConfirmButton label=Signal::derive(move || td_string!(i18n.get_locale(), dissolve_group).to_owned()) confirm=Signal::derive(move || td_string!(i18n.get_locale(), dissolve_confirm).to_owned())
                    pending=busy class="small danger"
                    on_confirm=Callback::new(move |()| on_dissolve.run(dissolve_name.clone()))/>
            </div>
        }
    });

    view! {
        <article class="group-detail" aria-labelledby="group-title">
            <header class="detail-head">
                <GroupIcon group class="large"/>
                <div class="who">
                    <h2 id="group-title"><bdi>{name}</bdi></h2>
                    <span class="username">{move || member_count(i18n.get_locale(), count)}" · id "{group_id.0}</span>
                </div>
                <a class="button" href=conv_href(Conv::group(group_id))>{t!(i18n, open_chat)}</a>
            </header>
            <NoticeLine notice/>
            {memo}
            <section aria-labelledby="members-title">
                <h3 id="members-title">{t!(i18n, members)}</h3>
                {member_list}
            </section>
            <section class="group-actions" aria-labelledby="actions-title">
                <h3 id="actions-title">{t!(i18n, settings)}</h3>
                {pin_rule}
                <div class="action-row">
                    <div>
                        <strong>{t!(i18n, leave_group)}</strong>
                        <small>{if is_owner {
                            t!(i18n, leave_hint_owner).into_any()
                        } else {
                            t!(i18n, leave_hint).into_any()
                        }}</small>
                    </div>
                    <ConfirmButton label=Signal::derive(move || td_string!(i18n.get_locale(), leave_group).to_owned()) confirm=Signal::derive(move || td_string!(i18n.get_locale(), leave_confirm).to_owned()) pending=busy
                        class="small secondary danger"
                        on_confirm=Callback::new(move |()| on_leave.run(leave_name.clone()))/>
                </div>
                {owner_actions}
            </section>
        </article>
    }
    .into_any()
}

/// One member: avatar, names, role badge; "(you)" for the logged-in user.
#[component]
fn MemberRow(member: Member, me: UserId) -> impl IntoView {
    let Member { user, role, .. } = member;
    let i18n = use_i18n();
    let you = (user.id == me).then_some(move || td_string!(i18n.get_locale(), you_suffix));
    let nickname = user.nickname.clone();
    let username = user.username.clone();
    let badge =
        (role == GroupRole::Owner).then(|| view! { <span class="badge">{t!(i18n, owner)}</span> });
    view! {
        <li class="row">
            <Avatar user/>
            <span class="who">
                <span class="nickname"><bdi>{nickname}</bdi>{you}</span>
                <span class="username">"@"<bdi>{username}</bdi></span>
            </span>
            {badge}
        </li>
    }
}

/// The owner's switch that lets every member pin messages (or only the owner). Each member's
/// devices hear of a change at once (a notice in the conversation changes their Pin item).
#[component]
fn PinRule(
    /// The group.
    group: GroupId,
    /// The stored rule when the pane loaded.
    allowed: bool,
    /// Where a refusal is told.
    notice: RwSignal<Option<Notice>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let on = RwSignal::new(allowed);
    let save = Action::new(move |want: &bool| {
        let want = *want;
        async move {
            match set_members_can_pin(group, want).await {
                Ok(g) => on.set(g.members_can_pin),
                Err(e) => {
                    on.set(!want);
                    notice.set(Notice::failed(e));
                }
            }
        }
    });
    view! {
        <div class="action-row">
            <label class="grow rule" for="members-can-pin">
                <strong>{t!(i18n, members_can_pin)}</strong>
                <small>{t!(i18n, members_can_pin_hint)}</small>
            </label>
            <input type="checkbox" role="switch" class="toggle" id="members-can-pin"
                prop:checked=move || on.get()
                disabled=move || save.pending().get()
                on:change=move |ev| {
                    let want = event_target_checked(&ev);
                    on.set(want);
                    save.dispatch(want);
                }/>
        </div>
    }
}

/// The owner's "hand the group over" control: pick a member, then confirm.
#[component]
fn TransferForm(
    others: Vec<Member>,
    busy: Signal<bool>,
    on_transfer: Callback<Member>,
) -> impl IntoView {
    let i18n = use_i18n();
    if others.is_empty() {
        return view! {
            <div class="action-row">
                <div>
                    <strong>{t!(i18n, transfer)}</strong>
                    <small>{t!(i18n, transfer_hint)}</small>
                </div>
            </div>
        }
        .into_any();
    }
    let chosen = RwSignal::new(None::<UserId>);
    let candidates = StoredValue::new(others.clone());
    let on_confirm = Callback::new(move |()| {
        let pick = chosen.get_untracked();
        let member =
            candidates.with_value(|all| all.iter().find(|m| Some(m.user.id) == pick).cloned());
        if let Some(member) = member {
            on_transfer.run(member);
        }
    });
    view! {
        <div class="action-row">
            <label class="grow">
                {t!(i18n, transfer_to)}
                <select name="new_owner" on:change=move |ev| {
                    chosen.set(event_target_value(&ev).parse().ok().map(UserId));
                }>
                    <option value="" selected>{t!(i18n, choose_member)}</option>
                    {others.into_iter().map(|m| {
                        // An option holds text only: isolate the name with characters.
                        let label = format!("{} (@{})", isolate(&m.user.nickname), m.user.username);
                        view! { <option value=m.user.id.0.to_string()>{label}</option> }
                    }).collect_view()}
                </select>
            </label>
            <ConfirmButton label=Signal::derive(move || td_string!(i18n.get_locale(), transfer_button).to_owned()) confirm=Signal::derive(move || td_string!(i18n.get_locale(), transfer_confirm).to_owned()) class="small"
                pending=Signal::derive(move || busy.get() || chosen.get().is_none())
                on_confirm/>
        </div>
    }
    .into_any()
}
