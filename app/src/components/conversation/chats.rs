//! The Chats tab: my conversations, newest activity first, kept current from the socket.

use super::icon::conv_icon;
use crate::api::chat::list_conversations;
use crate::components::basics::{shown_name, ErrorText};
use crate::components::message::preview;
use crate::components::sidebar::conv_href;
use crate::i18n::{t, td_string, use_i18n};
use crate::locale::{list_time, use_clock};
use crate::protocol::action::Act;
use crate::protocol::event::ServerEvent;
use crate::protocol::{Conv, ConversationSummary};
use crate::ws::use_socket;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The conversation open in the pane, from the address (`?c=<key>`).
pub fn use_open_conv() -> Memo<Option<Conv>> {
    let query = use_query_map();
    Memo::new(move |_| query.with(|q| q.get_str("c").and_then(Conv::parse)))
}

/// The Chats tab: every conversation with messages, newest activity first.
#[component]
pub fn ChatsPanel() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_conversations());
    let open = use_open_conv();
    let i18n = use_i18n();
    // Live: any message, ack or read mark changes order, previews or counts; the server's
    // list is the truth, so ask it again (and after a reconnect).
    if let Some(socket) = use_socket() {
        socket.listen(move |event: ServerEvent| {
            let changes_list = match &event {
                ServerEvent::Message { .. } | ServerEvent::Ack(_) | ServerEvent::Read { .. } => {
                    true
                }
                // An edit or a recall may change the preview of a conversation's last message.
                ServerEvent::Action { act, .. } => {
                    matches!(act, Act::Edit | Act::Recall | Act::Hide)
                }
                // A dissolved group, an ended friendship: their rows change or go.
                ServerEvent::Notice { kind, .. } => kind.changes_friends() || kind.changes_groups(),
                // A 1:1's row shows the peer's name and picture.
                ServerEvent::Profile { .. } => true,
                _ => false,
            };
            if changes_list {
                list.refetch();
            }
        });
        Effect::new(move |seen: Option<u32>| {
            let n = socket.opens.get();
            if seen.is_some_and(|s| s != n) {
                list.refetch();
            }
            n
        });
    }
    // The tab's title counts what is unread, as people expect of a chat tab.
    let title = move || {
        let unread: i64 = list
            .get()
            .and_then(Result::ok)
            .map_or(0, |rows| rows.iter().map(|r| r.unread).sum());
        let brand = td_string!(i18n.get_locale(), brand);
        if unread > 0 {
            format!("({unread}) {brand}")
        } else {
            brand.to_owned()
        }
    };
    view! {
        <Title text=title/>
        <Transition fallback=move || view! { <p class="empty">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(rows) if rows.is_empty() => view! {
                        <p class="empty">{t!(i18n, no_conversations)}</p>
                    }
                    .into_any(),
                    Ok(rows) => view! {
                        <ul class="list conversations" aria-label=move || td_string!(i18n.get_locale(), conversations)>
                            {rows
                                .into_iter()
                                .map(|row| view! { <ConversationRow row open/> })
                                .collect_view()}
                        </ul>
                    }
                    .into_any(),
                    Err(e) => view! { <p class="form-error" role="alert"><ErrorText error=e/></p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// One row of the Chats tab: avatar, title, last message, unread badge.
#[component]
fn ConversationRow(row: ConversationSummary, open: Memo<Option<Conv>>) -> impl IntoView {
    let conv = row.conv;
    let current = move || open.get() == Some(conv);
    let i18n = use_i18n();
    let clock = use_clock();
    let last = row.last.clone();
    let when = last.as_ref().map(|f| f.ts).filter(|ts| *ts > 0).map(|ts| {
        let shown = move || {
            clock
                .map(|c| list_time(i18n.get_locale(), ts, c.now_ms.get(), c.offset_min.get()))
                .unwrap_or_default()
        };
        view! { <time class="list-time">{shown}</time> }
    });
    let last = move || {
        last.as_ref()
            .map(|f| preview(i18n.get_locale(), f))
            .unwrap_or_default()
    };
    let unread = row.unread;
    let badge = (unread > 0).then(|| {
        let label = move || td_string!(i18n.get_locale(), unread, count = unread).to_string();
        view! { <span class="badge unread" aria-label=label>{unread}</span> }
    });
    // A 1:1 with a deleted account is titled in the reader's language.
    let raw_title = row.title.clone();
    let title = move || shown_name(i18n.get_locale(), &raw_title);
    let label = title.clone();
    let icon = conv_icon(conv, &row.title, &row.avatar);
    let mentioned = (row.mentioned && unread > 0).then(|| {
        view! { <span class="mentioned-me">{move || td_string!(i18n.get_locale(), mentioned_me)}</span> }
    });
    view! {
        <li>
            <a class="row link" class:current=current href=conv_href(conv) aria-label=label
                aria-current=move || current().then_some("page")>
                {icon}
                <span class="who">
                    <span class="nickname"><bdi>{title}</bdi></span>
                    <span class="username preview">{mentioned}{last}</span>
                </span>
                <span class="row-end">{when}{badge}</span>
            </a>
        </li>
    }
}
