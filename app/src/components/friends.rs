//! The Friends tab: my friends with their presence, removing one (confirmed), and the
//! "Add friend" dialog.

use super::add_friend::AddFriendDialog;
use super::basics::Avatar;
use super::dialog::Modal;
use super::notice::{Notice, NoticeLine};
use super::requests::RequestsSection;
use super::shell::use_shell;
use super::sidebar::conv_href;
use crate::i18n::{t, td_string, use_i18n};
use crate::locale::{seen_time, use_clock};
use crate::protocol::{Conv, Friend};
use crate::ws::use_socket;
use leptos::prelude::*;

/// The Friends tab's content.
#[component]
pub fn FriendsPanel() -> impl IntoView {
    let Some(shell) = use_shell() else {
        return ().into_any();
    };
    let friends = shell.friends;
    let i18n = use_i18n();
    let notice = RwSignal::new(None::<Notice>);
    let adding = shell.adding_friend;

    view! {
        <div class="panel-actions">
            <button type="button" class="small" on:click=move |_| {
                notice.set(None);
                adding.set(true);
            }>{t!(i18n, add_friend)}</button>
        </div>
        <NoticeLine notice/>
        <RequestsSection/>
        <Transition fallback=move || view! { <p class="muted-line">{t!(i18n, loading_friends)}</p> }>
            {move || Suspend::new(async move {
                match friends.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">{t!(i18n, no_friends)}</p>
                    }.into_any(),
                    Ok(mut list) => {
                        // Online first, then alphabetical: who can answer right now is on top.
                        list.sort_by_cached_key(|f| (!f.online, f.user.nickname.to_lowercase()));
                        view! {
                            <ul class="list" aria-label=move || td_string!(i18n.get_locale(), friends)>
                                {list.into_iter().map(|friend| view! { <FriendRow friend/> }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                    Err(e) => view! {
                        <p class="form-error" role="alert"><super::basics::ErrorText error=e/></p>
                    }.into_any(),
                }
            })}
        </Transition>
        <Modal open=adding title=Signal::derive(move || td_string!(i18n.get_locale(), add_friend).to_owned())>
            <AddFriendDialog friends/>
        </Modal>
    }
    .into_any()
}

/// One friend: avatar with a presence dot, name and status line (or username), and the
/// button that opens their profile sheet.
#[component]
fn FriendRow(friend: Friend) -> impl IntoView {
    let Friend {
        user,
        online,
        last_seen,
    } = friend;
    let id = user.id;
    let shell = use_shell();
    let me = shell.map(|s| s.me);
    let socket = use_socket();
    let nickname = user.nickname.clone();
    let sheet_name = user.nickname.clone();
    // A status line says more than the username, which the profile sheet shows anyway.
    let line = if user.status.is_empty() {
        view! { "@"<bdi>{user.username.clone()}</bdi> }.into_any()
    } else {
        view! { <bdi class="status-line">{user.status.clone()}</bdi> }.into_any()
    };
    let i18n = use_i18n();
    // What we last heard, live or from the list; nothing while disconnected, when it may be
    // stale.
    let state = move || {
        if !socket.is_some_and(|s| s.is_open()) {
            return None;
        }
        let heard = shell.and_then(|s| s.presence.with(|p| p.get(&id).copied()));
        Some(heard.unwrap_or(online))
    };
    let clock = use_clock();
    // Offline: since when, if they let friends see it.
    let seen = move || {
        if state() != Some(false) {
            return None;
        }
        let heard = shell.and_then(|s| s.last_seen.with(|m| m.get(&id).copied()));
        let at = heard.unwrap_or(last_seen);
        let c = clock?;
        (at > 0).then(|| {
            let when = seen_time(i18n.get_locale(), at, c.now_ms.get(), c.offset_min.get());
            td_string!(i18n.get_locale(), last_seen).replace("{when}", &when)
        })
    };
    let presence = move || match state() {
        Some(true) => td_string!(i18n.get_locale(), online),
        Some(false) => td_string!(i18n.get_locale(), offline),
        None => td_string!(i18n.get_locale(), presence_unknown),
    };
    // The name is the way to the conversation: the row keeps its width for the name, not
    // for a "Message" button beside it.
    let href = me.and_then(|me| Conv::private(me, id)).map(conv_href);
    view! {
        <li class="row friend">
            <a class="friend-link" href=href>
                <span class="avatar-wrap">
                    <Avatar user/>
                    <span class="presence" class:online=move || state() == Some(true)
                        class:unknown=move || state().is_none() title=presence></span>
                </span>
                <span class="who">
                    <span class="sr-only">{t!(i18n, send_message)}": "</span>
                    <span class="nickname"><bdi>{nickname}</bdi></span>
                    <span class="username">
                        {line}<span class="sr-only">", "{presence}</span>
                        {move || seen().map(|s| view! { " · "<span class="seen">{s}</span> })}
                    </span>
                </span>
            </a>
            // Remove, Block and the rest live on the profile sheet, so the row is all name.
            <button type="button" class="icon more" title=move || td_string!(i18n.get_locale(), view_profile)
                aria-label=move || format!("{}: {}", td_string!(i18n.get_locale(), view_profile), sheet_name)
                on:click=move |_| { if let Some(s) = shell { s.profile.set(Some(id)); } }>"⋯"</button>
        </li>
    }
}
