//! A person's profile sheet: their picture, name, @username and status line, and what I can
//! do about them: Message, Add friend (a request, never a friendship by itself), accept their
//! request, Remove friend, Block or Unblock. Contact cards and friend rows open it; nothing
//! acts on a single tap elsewhere.

use super::basics::{Avatar, ErrorText};
use super::confirm::ConfirmButton;
use super::dialog::Modal;
use super::shell::use_shell;
use super::sidebar::conv_href;
use crate::api::people::{accept_request, ask_friend, block_user, unblock_user, user_profile};
use crate::api::social::remove_friend;
use crate::error::ApiError;
use crate::i18n::{t, td_string, use_i18n};
use crate::ids::UserId;
use crate::protocol::{Conv, User};
use leptos::prelude::*;

/// Where I stand with someone, read from my lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standing {
    Me,
    Friend,
    IAsked,
    TheyAsked,
    Blocked,
    Stranger,
}

/// The shell's one profile sheet: open while `shell.profile` names someone.
#[component]
pub fn ProfileSheet() -> impl IntoView {
    let Some(shell) = use_shell() else {
        return ().into_any();
    };
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    // The sheet follows the shell's choice, and clears it when dismissed. Each side is set
    // only when it differs, or the two effects would wake each other forever.
    Effect::new(move |_| {
        let want = shell.profile.get().is_some();
        if open.get_untracked() != want {
            open.set(want);
        }
    });
    Effect::new(move |_| {
        if !open.get() && shell.profile.get_untracked().is_some() {
            shell.profile.set(None);
        }
    });
    view! {
        <Modal open title=Signal::derive(move || td_string!(i18n.get_locale(), profile).to_owned())>
            {move || shell.profile.get().map(|id| view! { <SheetBody id/> })}
        </Modal>
    }
    .into_any()
}

#[component]
fn SheetBody(id: UserId) -> impl IntoView {
    let Some(shell) = use_shell() else {
        return ().into_any();
    };
    let i18n = use_i18n();
    let person = Resource::new(move || id, user_profile);
    view! {
        <Transition fallback=move || view! { <p class="muted-line">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                let user = person.await;
                let friends = shell.friends.await;
                let requests = shell.requests.await;
                let blocked = shell.blocked.await;
                match user {
                    Ok(user) => {
                        let standing = if user.id == shell.me {
                            Standing::Me
                        } else if blocked.as_ref().is_ok_and(|b| b.iter().any(|u| u.id == id)) {
                            Standing::Blocked
                        } else if friends.as_ref().is_ok_and(|f| f.iter().any(|f| f.user.id == id)) {
                            Standing::Friend
                        } else if requests.as_ref().is_ok_and(|r| r.outgoing.iter().any(|o| o.user.id == id)) {
                            Standing::IAsked
                        } else if requests.as_ref().is_ok_and(|r| r.incoming.iter().any(|o| o.user.id == id)) {
                            Standing::TheyAsked
                        } else {
                            Standing::Stranger
                        };
                        view! { <Sheet user standing/> }.into_any()
                    }
                    Err(error) => view! { <p class="form-error" role="alert"><ErrorText error/></p> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// What one of the sheet's buttons does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Deed {
    Ask,
    Accept,
    Remove,
    Block,
    Unblock,
}

#[component]
fn Sheet(user: User, standing: Standing) -> impl IntoView {
    let Some(shell) = use_shell() else {
        return ().into_any();
    };
    let i18n = use_i18n();
    let id = user.id;
    let deed = Action::new(move |d: &Deed| {
        let d = *d;
        async move {
            let done: Result<(), ApiError> = match d {
                Deed::Ask => ask_friend(id, None).await.map(|_| ()),
                Deed::Accept => accept_request(id).await.map(|_| ()),
                Deed::Remove => remove_friend(id).await,
                Deed::Block => block_user(id).await,
                Deed::Unblock => unblock_user(id).await,
            };
            if done.is_ok() {
                shell.friends.refetch();
                shell.requests.refetch();
                shell.blocked.refetch();
            }
            done
        }
    });
    let busy = deed.pending();
    let message = Conv::private(shell.me, id).map(|c| {
        view! { <a class="button" href=conv_href(c) on:click=move |_| shell.profile.set(None)>{t!(i18n, send_message)}</a> }
    });
    let status = (!user.status.is_empty())
        .then(|| view! { <p class="profile-status"><bdi>{user.status.clone()}</bdi></p> });
    let label = move |f: fn(crate::i18n::Locale) -> &'static str| {
        Signal::derive(move || f(i18n.get_locale()).to_owned())
    };
    let actions = match standing {
        Standing::Me => view! { <a class="button secondary" href="/settings">{t!(i18n, open_settings)}</a> }.into_any(),
        Standing::Friend => view! {
            {message}
            <ConfirmButton label=label(|l| td_string!(l, remove_friend_action)) confirm=label(|l| td_string!(l, remove_confirm))
                pending=busy on_confirm=Callback::new(move |()| { deed.dispatch(Deed::Remove); })
                class="secondary danger"/>
            <ConfirmButton label=label(|l| td_string!(l, block)) confirm=label(|l| td_string!(l, block_confirm))
                pending=busy on_confirm=Callback::new(move |()| { deed.dispatch(Deed::Block); })
                class="secondary danger"/>
        }.into_any(),
        Standing::Blocked => view! {
            <p class="muted-line">{t!(i18n, you_blocked_them)}</p>
            <button type="button" class="secondary" disabled=busy on:click=move |_| { deed.dispatch(Deed::Unblock); }>{t!(i18n, unblock)}</button>
        }.into_any(),
        other => view! {
            {match other {
                Standing::IAsked => view! { <span class="tag">{t!(i18n, request_pending)}</span> }.into_any(),
                Standing::TheyAsked => view! {
                    <button type="button" disabled=busy on:click=move |_| { deed.dispatch(Deed::Accept); }>{t!(i18n, accept)}</button>
                }.into_any(),
                _ => view! {
                    <button type="button" disabled=busy on:click=move |_| { deed.dispatch(Deed::Ask); }>{t!(i18n, add_friend)}</button>
                }.into_any(),
            }}
            {message.map(|m| view! { <span class="secondary-link">{m}</span> })}
            <ConfirmButton label=label(|l| td_string!(l, block)) confirm=label(|l| td_string!(l, block_confirm))
                pending=busy on_confirm=Callback::new(move |()| { deed.dispatch(Deed::Block); })
                class="secondary danger"/>
        }.into_any(),
    };
    let nickname = user.nickname.clone();
    let username = user.username.clone();
    view! {
        <div class="profile-sheet">
            <div class="avatar-big"><Avatar user/></div>
            <h3 class="nickname"><bdi>{nickname}</bdi></h3>
            <p class="username">"@"<bdi>{username}</bdi></p>
            {status}
            <div class="sheet-actions">{actions}</div>
            {move || match deed.value().get() {
                Some(Err(error)) => Some(view! { <p class="form-error" role="alert"><ErrorText error/></p> }),
                _ => None,
            }}
        </div>
    }
    .into_any()
}
