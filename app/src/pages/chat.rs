//! `/`: the chat shell: who is logged in, the sidebar (Chats, Friends and Groups tabs) and
//! the pane (the open conversation, or the open group). The open tab, group and conversation
//! come from the query string ([`shell_href`], `?c=`), so the server renders exactly what
//! the browser will show.

use super::signed_in::{page_socket, ConnectionBanner, SignedIn};
use crate::api::people::{blocked_users, list_requests};
use crate::api::social::{list_friends, list_groups};
use crate::api::Logout;
use crate::components::{
    go_to, shell_href, use_open_conv, Avatar, ChatsPanel, ConversationPane, ErrorText,
    FriendsPanel, GroupPane, GroupsPanel, GroupsResource, LanguageSwitch, Notice, ProfileSheet,
    ShellContext, SidebarTabs, Tab,
};
use crate::i18n::{t, td_string, use_i18n};
use crate::ids::GroupId;
use crate::protocol::event::ServerEvent;
use crate::protocol::User;
use leptos::{ev::SubmitEvent, prelude::*};
use leptos_router::{hooks::use_navigate, hooks::use_query_map, NavigateOptions};
use std::collections::HashMap;

/// The chat shell page. Anonymous visitors never reach it: the server redirects them to
/// `/login` before rendering.
#[component]
pub fn ChatPage() -> impl IntoView {
    view! { <SignedIn page=|user| view! { <ChatShell user/> }/> }
}

/// The logged-in layout: top bar with the user and the logout button, sidebar, pane.
#[component]
fn ChatShell(user: User) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let i18n = use_i18n();
    let on_logout = move |ev: SubmitEvent| {
        ev.prevent_default();
        logout.dispatch(Logout {});
    };
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            go_to("/login");
        }
    });
    let error = move || match logout.value().get() {
        Some(Err(e)) => Some(view! { <p class="form-error" role="alert"><ErrorText error=e/></p> }),
        _ => None,
    };
    let me = user.id;
    let username = user.username.clone();
    // My name and picture in the top bar follow changes made on any device.
    let my_profile = RwSignal::new(user);

    let query = use_query_map();
    let open_conv = use_open_conv();
    let tab = Memo::new(move |_| query.with(|q| Tab::parse(q.get_str("tab"))));
    let selected = Memo::new(move |_| {
        query.with(|q| q.get_str("group").and_then(|g| g.parse().ok()).map(GroupId))
    });
    let navigate = use_navigate();
    let go = move |href: String, replace: bool| {
        navigate(
            &href,
            NavigateOptions {
                replace,
                scroll: false,
                ..Default::default()
            },
        )
    };
    let select_tab = {
        let go = go.clone();
        Callback::new(move |t: Tab| go(shell_href(t, selected.get_untracked()), true))
    };
    let open_group = Callback::new(move |g: Option<GroupId>| go(shell_href(Tab::Groups, g), false));
    // Shared by the Groups tab and the pane: both show my groups and change them.
    let groups: GroupsResource = Resource::new(|| (), |_| list_groups());
    let socket = page_socket(me);
    let friends = Resource::new(|| (), |_| list_friends());
    let requests = Resource::new(|| (), |_| list_requests());
    let blocked = Resource::new(|| (), |_| blocked_users());
    let presence = RwSignal::new(HashMap::new());
    let last_seen = RwSignal::new(HashMap::new());
    provide_context(ShellContext {
        me,
        groups,
        friends,
        requests,
        blocked,
        selected,
        open_group,
        group_notice: RwSignal::new(None::<Notice>),
        presence,
        last_seen,
        profile: RwSignal::new(None),
        adding_friend: RwSignal::new(false),
        creating_group: RwSignal::new(false),
    });
    // Lists change live: a friend made or lost, a member come or gone, a group handed over
    // or dissolved, anywhere, reach this tab without a reload.
    socket.listen(move |event: ServerEvent| match event {
        ServerEvent::Presence { user, online, seen } => {
            presence.update(|p| {
                p.insert(user, online);
            });
            if !online {
                last_seen.update(|s| {
                    s.insert(user, seen);
                });
            }
        }
        ServerEvent::Profile {
            user,
            nickname,
            avatar,
            ..
        } => {
            if user == me {
                my_profile.update(|u| {
                    u.nickname = nickname;
                    u.avatar = avatar;
                });
            }
            // Whichever list shows them reads them again.
            friends.refetch();
            requests.refetch();
            blocked.refetch();
        }
        ServerEvent::Notice { kind, .. } => {
            if kind.changes_friends() {
                friends.refetch();
            }
            if kind.changes_requests() {
                requests.refetch();
            }
            if kind.changes_blocks() {
                blocked.refetch();
            }
            if kind.changes_groups() {
                groups.refetch();
            }
        }
        _ => {}
    });
    // After a reconnect the lists may have missed anything: read them again.
    Effect::new(move |seen: Option<u32>| {
        let n = socket.opens.get();
        if seen.is_some_and(|s| s != n) {
            presence.update(HashMap::clear);
            last_seen.update(HashMap::clear);
            friends.refetch();
            requests.refetch();
            blocked.refetch();
            groups.refetch();
        }
        n
    });

    view! {
        <div class="shell" class:idle=move || open_conv.get().is_none() && selected.get().is_none()>
            <header class="topbar">
                <a class="me-link" href="/settings" aria-label=move || td_string!(i18n.get_locale(), open_settings)>
                    {move || view! { <Avatar user=my_profile.get()/> }}
                    <div class="who">
                        <span class="nickname" data-testid="nickname"><bdi>{move || my_profile.with(|u| u.nickname.clone())}</bdi></span>
                        <span class="username">"@"<bdi>{username}</bdi></span>
                    </div>
                </a>
                {error}
                <LanguageSwitch/>
                <form method="post" action="/logout" on:submit=on_logout>
                    <button type="submit" class="secondary" disabled=move || logout.pending().get()>
                        {t!(i18n, log_out)}
                    </button>
                </form>
            </header>
            <ConnectionBanner socket/>
            <aside class="sidebar" class:has-open=move || open_conv.get().is_some()>
                <SidebarTabs tab on_select=select_tab/>
                <div class="tabpanel" role="tabpanel" id=Tab::Chats.panel_id()
                    aria-labelledby=Tab::Chats.id() hidden=move || tab.get() != Tab::Chats>
                    <ChatsPanel/>
                </div>
                <div class="tabpanel" role="tabpanel" id=Tab::Friends.panel_id()
                    aria-labelledby=Tab::Friends.id() hidden=move || tab.get() != Tab::Friends>
                    <FriendsPanel/>
                </div>
                <div class="tabpanel" role="tabpanel" id=Tab::Groups.panel_id()
                    aria-labelledby=Tab::Groups.id() hidden=move || tab.get() != Tab::Groups>
                    <GroupsPanel/>
                </div>
            </aside>
            <section class="pane" class:has-open=move || open_conv.get().is_some()>
                {move || match open_conv.get() {
                    Some(conv) => view! { <ConversationPane conv/> }.into_any(),
                    None => view! { <GroupPane/> }.into_any(),
                }}
            </section>
            <ProfileSheet/>
        </div>
    }
}
