//! The Chats tab (my conversations, newest first) and the conversation pane (header,
//! messages, composer). Both are server-rendered with their data, so the page shows history
//! before any script runs, and the composer is a plain form (`POST /send`) that works
//! without JavaScript.

use super::message::{preview, MessageView};
use super::{conv_href, use_shell};
use crate::api::chat::{list_conversations, load_conversation};
use crate::ids::UserId;
use crate::protocol::{is_allowed_url, Conv, ConversationSummary, OpenConversation, User};
use leptos::prelude::*;
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
    view! {
        <Suspense fallback=|| view! { <p class="empty">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(rows) if rows.is_empty() => view! {
                        <p class="empty">
                            "No conversations yet. Open a friend or a group to start one."
                        </p>
                    }
                    .into_any(),
                    Ok(rows) => view! {
                        <ul class="list conversations" aria-label="Conversations">
                            {rows
                                .into_iter()
                                .map(|row| view! { <ConversationRow row open/> })
                                .collect_view()}
                        </ul>
                    }
                    .into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.msg}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One row of the Chats tab: avatar, title, last message, unread badge.
#[component]
fn ConversationRow(row: ConversationSummary, open: Memo<Option<Conv>>) -> impl IntoView {
    let conv = row.conv;
    let current = move || open.get() == Some(conv);
    let last = row.last.as_ref().map(preview).unwrap_or_default();
    let badge = (row.unread > 0).then(|| {
        let label = format!("{} unread", row.unread);
        view! { <span class="badge unread" aria-label=label>{row.unread}</span> }
    });
    let title = row.title.clone();
    let icon = conv_icon(conv, &row.title, &row.avatar);
    view! {
        <li>
            <a class="row link" class:current=current href=conv_href(conv) aria-label=title
                aria-current=move || current().then_some("page")>
                {icon}
                <span class="who">
                    <span class="nickname"><bdi>{row.title}</bdi></span>
                    <span class="username preview">{last}</span>
                </span>
                {badge}
            </a>
        </li>
    }
}

/// A conversation's round picture: the peer's avatar or the group's icon when it is a safe
/// URL, otherwise the title's first letter (squarer for groups).
fn conv_icon(conv: Conv, title: &str, avatar: &str) -> AnyView {
    let class = match conv {
        Conv::Group(_) => "avatar group-avatar",
        Conv::Private { .. } => "avatar",
    };
    if !avatar.is_empty() && is_allowed_url(avatar) {
        view! { <img class=class src=avatar.to_owned() alt=""/> }.into_any()
    } else {
        let initial: String = title
            .chars()
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default();
        view! { <span class=class aria-hidden="true">{initial}</span> }.into_any()
    }
}

/// The pane for the conversation in the address.
#[component]
pub fn ConversationPane(
    /// The open conversation.
    conv: Conv,
) -> impl IntoView {
    let Some(shell) = use_shell() else {
        return ().into_any();
    };
    let data = Resource::new(move || conv, |c| load_conversation(c.key(), None));
    view! {
        <Suspense fallback=|| view! { <p class="empty">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(open) => view! { <ConversationView open me=shell.me/> }.into_any(),
                    Err(e) => view! {
                        <p class="empty" role="alert">{e.msg}</p>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// A loaded conversation: header, messages, composer.
#[component]
fn ConversationView(open: OpenConversation, me: UserId) -> impl IntoView {
    let query = use_query_map();
    let error = move || {
        query.with(|q| {
            q.get_str("error")
                .map(|code| crate::error::ApiError::from_query(code, None).msg)
        })
    };
    let draft = query.with_untracked(|q| q.get_str("draft").map(str::to_owned).unwrap_or_default());
    let in_group = matches!(open.conv, Conv::Group(_));
    let subtitle = open.member_count.map(|n| {
        if n == 1 {
            "1 member".to_owned()
        } else {
            format!("{n} members")
        }
    });
    let senders = open.senders.clone();
    let sender = move |id: i64| -> Option<User> { senders.iter().find(|u| u.id.0 == id).cloned() };
    let messages = if open.messages.is_empty() {
        view! { <p class="empty">"No messages yet. Say hello!"</p> }.into_any()
    } else {
        view! {
            <ol class="messages" aria-label="Messages">
                {open
                    .messages
                    .into_iter()
                    .map(|frame| {
                        let s = sender(frame.userid);
                        match s {
                            Some(sender) => view! { <MessageView frame me sender in_group/> }.into_any(),
                            None => view! { <MessageView frame me in_group/> }.into_any(),
                        }
                    })
                    .collect_view()}
            </ol>
        }
        .into_any()
    };
    let icon = conv_icon(open.conv, &open.title, &open.avatar);
    view! {
        <div class="conversation">
            <header class="conv-head">
                <a class="back" href="/" aria-label="Back to conversations">"‹"</a>
                {icon}
                <div class="who">
                    <h2 class="nickname"><bdi>{open.title.clone()}</bdi></h2>
                    {subtitle.map(|s| view! { <span class="username">{s}</span> })}
                </div>
            </header>
            <div class="message-scroll">{messages}</div>
            <form class="composer" method="post" action="/send">
                {move || error().map(|msg| view! { <p class="form-error" role="alert">{msg}</p> })}
                <input type="hidden" name="conv" value=open.conv.key()/>
                <input type="hidden" name="cid" value=open.next_cid/>
                <textarea name="content" aria-label="Message" placeholder="Message" rows="2"
                    required maxlength="4000">{draft}</textarea>
                <button type="submit">"Send"</button>
            </form>
        </div>
    }
}
