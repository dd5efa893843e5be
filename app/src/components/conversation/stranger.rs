//! The bar a 1:1 with someone who is not my friend shows above the messages: who they are
//! to me, and "Add friend" (a request), "Block" and "Report"; or, once blocked, "Unblock".
//! Anyone may write to a stranger three times, so this is where an unwanted one is dealt with.

use crate::api::people::{ask_friend, block_user, report, unblock_user};
use crate::components::basics::ErrorText;
use crate::components::confirm::ConfirmButton;
use crate::components::dialog::Modal;
use crate::components::shell::use_shell;
use crate::error::ApiError;
use crate::i18n::{t, td_string, use_i18n};
use crate::ids::UserId;
use crate::protocol::people::{ReportRequest, MAX_REASON_CHARS};
use leptos::prelude::*;

/// What the bar did last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Did {
    Asked,
    Blocked,
    Unblocked,
    Reported,
}

/// The stranger bar for the 1:1 with `peer` (named `name`); nothing for a friend.
#[component]
pub(super) fn StrangerBar(peer: UserId, name: String) -> impl IntoView {
    let Some(shell) = use_shell() else {
        return ().into_any();
    };
    let (friends, requests, blocked) = (shell.friends, shell.requests, shell.blocked);
    let i18n = use_i18n();
    let reporting = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let act = Action::new(move |did: &Did| {
        let did = *did;
        async move {
            let done: Result<(), ApiError> = match did {
                Did::Asked => ask_friend(peer, None).await.map(|_| ()),
                Did::Blocked => block_user(peer).await,
                Did::Unblocked => unblock_user(peer).await,
                Did::Reported => report(ReportRequest {
                    user_id: peer,
                    conv: None,
                    seq: None,
                    reason: reason.get_untracked(),
                })
                .await
                .map(|_| ()),
            };
            if done.is_ok() {
                match did {
                    Did::Asked => requests.refetch(),
                    Did::Blocked | Did::Unblocked => {
                        blocked.refetch();
                        requests.refetch();
                        friends.refetch();
                    }
                    Did::Reported => {
                        reporting.set(false);
                        reason.set(String::new());
                    }
                }
            }
            done.map(|()| did)
        }
    });
    let busy = act.pending();
    let status = move || match act.value().get() {
        Some(Ok(Did::Reported)) => Some(
            view! {
                <span class="stranger-status" role="status">{t!(i18n, report_sent)}</span>
            }
            .into_any(),
        ),
        Some(Err(error)) => Some(
            view! {
                <span class="form-error" role="alert"><ErrorText error/></span>
            }
            .into_any(),
        ),
        _ => None,
    };
    let name_for_title = name.clone();
    view! {
        <Transition fallback=|| ()>
            {move || {
                let name = name.clone();
                Suspend::new(async move {
                    let is_friend = friends
                        .await
                        .is_ok_and(|l| l.iter().any(|f| f.user.id == peer));
                    let is_blocked = blocked
                        .await
                        .is_ok_and(|l| l.iter().any(|u| u.id == peer));
                    let asked = requests
                        .await
                        .is_ok_and(|r| r.outgoing.iter().any(|o| o.user.id == peer));
                    if is_friend {
                        return ().into_any();
                    }
                    let fill = move |template: &str| template.replace("{name}", &name);
                    if is_blocked {
                        return view! {
                            <div class="stranger-bar" role="region"
                                aria-label=move || td_string!(i18n.get_locale(), about_this_person)>
                                <span class="what">{move || fill(td_string!(i18n.get_locale(), you_blocked_name))}</span>
                                <button type="button" class="small secondary" disabled=move || busy.get()
                                    on:click=move |_| { act.dispatch(Did::Unblocked); }>
                                    {t!(i18n, unblock)}
                                </button>
                                {status}
                            </div>
                        }
                        .into_any();
                    }
                    view! {
                        <div class="stranger-bar" role="region"
                            aria-label=move || td_string!(i18n.get_locale(), about_this_person)>
                            <span class="what">{move || fill(td_string!(i18n.get_locale(), not_your_friend))}</span>
                            <span class="stranger-actions">
                                {if asked {
                                    view! { <span class="tag">{t!(i18n, request_pending)}</span> }.into_any()
                                } else {
                                    view! {
                                        <button type="button" class="small" disabled=move || busy.get()
                                            on:click=move |_| { act.dispatch(Did::Asked); }>
                                            {t!(i18n, add_friend)}
                                        </button>
                                    }
                                    .into_any()
                                }}
                                <ConfirmButton label=Signal::derive(move || td_string!(i18n.get_locale(), block).to_owned())
                                    confirm=Signal::derive(move || td_string!(i18n.get_locale(), block_confirm).to_owned())
                                    pending=busy
                                    on_confirm=Callback::new(move |()| { act.dispatch(Did::Blocked); })
                                    class="small secondary danger"/>
                                <button type="button" class="small secondary" disabled=move || busy.get()
                                    on:click=move |_| reporting.set(true)>
                                    {t!(i18n, report)}
                                </button>
                            </span>
                            {status}
                        </div>
                    }
                    .into_any()
                })
            }}
        </Transition>
        <Modal open=reporting
            title=Signal::derive(move || td_string!(i18n.get_locale(), report_title).replace("{name}", &name_for_title))>
            <form class="report-form" on:submit=move |ev| {
                ev.prevent_default();
                act.dispatch(Did::Reported);
            }>
                <label>
                    <span>{t!(i18n, report_reason)}</span>
                    <textarea name="reason" rows="4" required autofocus maxlength=MAX_REASON_CHARS
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                </label>
                <button type="submit" disabled=move || busy.get()>{t!(i18n, report_send)}</button>
            </form>
        </Modal>
    }
    .into_any()
}
