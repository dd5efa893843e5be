//! "New friends": the friend requests waiting for my answer (Accept, Decline, Block) and
//! those I made that still wait (Withdraw). Lives at the top of the Friends tab and updates
//! live as requests arrive, are answered or withdrawn on any device.

use super::basics::{Avatar, ErrorText};
use super::confirm::ConfirmButton;
use super::notice::{Notice, NoticeLine, NoticeText};
use super::shell::use_shell;
use crate::api::people::{accept_request, block_user, decline_request, withdraw_request};
use crate::error::ApiError;
use crate::i18n::{t, td_string, use_i18n};
use crate::protocol::people::FriendRequest;
use crate::protocol::User;
use leptos::prelude::*;

/// What a click on a request row asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Accept,
    Decline,
    Block,
    Withdraw,
}

/// The "New friends" section; renders nothing when no request waits either way.
#[component]
pub fn RequestsSection() -> impl IntoView {
    let Some(shell) = use_shell() else {
        return ().into_any();
    };
    let (requests, friends, blocked) = (shell.requests, shell.friends, shell.blocked);
    let i18n = use_i18n();
    let notice = RwSignal::new(None::<Notice>);
    let answer = Action::new(move |(what, user): &(Answer, User)| {
        let (what, user) = (*what, user.clone());
        async move {
            let id = user.id;
            let done: Result<(), ApiError> = match what {
                Answer::Accept => accept_request(id).await.map(|_| ()),
                Answer::Decline => decline_request(id).await,
                Answer::Block => block_user(id).await,
                Answer::Withdraw => withdraw_request(id).await,
            };
            match done {
                Ok(()) => {
                    let locale = i18n.get_locale_untracked();
                    let words = match what {
                        Answer::Accept => Some(td_string!(locale, friend_added)),
                        Answer::Block => Some(td_string!(locale, user_blocked)),
                        Answer::Decline | Answer::Withdraw => None,
                    };
                    notice.set(words.and_then(|w| {
                        Notice::ok(NoticeText::fill(w, &[("name", user.nickname.clone())]))
                    }));
                    requests.refetch();
                    if what == Answer::Accept {
                        friends.refetch();
                    }
                    if what == Answer::Block {
                        blocked.refetch();
                    }
                }
                Err(e) => notice.set(Notice::failed(e)),
            }
        }
    });
    let busy = answer.pending();
    let incoming_row = move |r: FriendRequest| {
        let user = r.user.clone();
        let act = move |what: Answer| {
            let user = user.clone();
            move |_| {
                answer.dispatch((what, user.clone()));
            }
        };
        let block_user = r.user.clone();
        let note = (!r.note.is_empty()).then(|| {
            view! { <span class="note"><bdi>{r.note.clone()}</bdi></span> }
        });
        view! {
            <li class="row request">
                <Avatar user=r.user.clone()/>
                <span class="who">
                    <span class="nickname"><bdi>{r.user.nickname.clone()}</bdi></span>
                    <span class="username">"@"<bdi>{r.user.username.clone()}</bdi></span>
                    {note}
                </span>
                <span class="request-actions">
                    <button type="button" class="small" disabled=move || busy.get()
                        on:click=act(Answer::Accept)>{t!(i18n, accept)}</button>
                    <button type="button" class="small secondary" disabled=move || busy.get()
                        on:click=act(Answer::Decline)>{t!(i18n, decline)}</button>
                    <ConfirmButton label=Signal::derive(move || td_string!(i18n.get_locale(), block).to_owned())
                        confirm=Signal::derive(move || td_string!(i18n.get_locale(), block_confirm).to_owned())
                        pending=busy
                        on_confirm=Callback::new(move |()| {
                            answer.dispatch((Answer::Block, block_user.clone()));
                        })
                        class="small secondary danger"/>
                </span>
            </li>
        }
    };
    let outgoing_row = move |r: FriendRequest| {
        let user = r.user.clone();
        view! {
            <li class="row request">
                <Avatar user=r.user.clone()/>
                <span class="who">
                    <span class="nickname"><bdi>{r.user.nickname.clone()}</bdi></span>
                    <span class="username">"@"<bdi>{r.user.username.clone()}</bdi></span>
                </span>
                <span class="request-actions">
                    <span class="tag">{t!(i18n, request_pending)}</span>
                    <button type="button" class="small secondary" disabled=move || busy.get()
                        on:click=move |_| { answer.dispatch((Answer::Withdraw, user.clone())); }>
                        {t!(i18n, withdraw)}
                    </button>
                </span>
            </li>
        }
    };

    view! {
        <NoticeLine notice/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match requests.await {
                    Ok(r) if r.incoming.is_empty() && r.outgoing.is_empty() => ().into_any(),
                    Ok(r) => {
                        let waiting = r.incoming.len();
                        view! {
                            <section class="requests" aria-labelledby="new-friends">
                                <h2 class="list-title" id="new-friends">
                                    {t!(i18n, new_friends)}
                                    {(waiting > 0).then(|| view! { <span class="badge unread">{waiting}</span> })}
                                </h2>
                                <ul class="list">
                                    {r.incoming.into_iter().map(incoming_row).collect_view()}
                                    {r.outgoing.into_iter().map(outgoing_row).collect_view()}
                                </ul>
                            </section>
                        }
                        .into_any()
                    }
                    Err(error) => view! {
                        <p class="form-error" role="alert"><ErrorText error/></p>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}
