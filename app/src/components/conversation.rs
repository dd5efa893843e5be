//! The Chats tab (my conversations, newest first) and the conversation pane (header,
//! messages, composer). Both are server-rendered with their data, so the page shows history
//! before any script runs, and the composer is a plain form (`POST /send`) that works
//! without JavaScript.

use super::attachments::{Attachments, UploadBubble};
use super::composer_tools::ComposerTools;
use super::draft;
use super::lightbox::{Lightbox, LightboxContext};
use super::message::{preview, MessageView};
use super::message_list::{HistoryStatus, ListScroll, NewMessagesButton};
use super::typing_line::GroupTyping;
use super::{conv_href, member_count, use_shell, SysNotice};
use crate::api::chat::{list_conversations, load_conversation};
use crate::api::social::group_members;
use crate::i18n::{t, td_string, use_i18n};
use crate::ids::{Cid, Seq, UserId};
use crate::locale::{day_label, list_time, local_day, now_ms, use_clock};
use crate::protocol::body::MessageBody;
use crate::protocol::event::ServerEvent;
use crate::protocol::frame::{ClientCmd, Cmd, Frame, Outgoing, Target, TypingTo};
use crate::protocol::{is_allowed_url, Conv, ConversationSummary, OpenConversation};
use crate::state::history::{merge_notices, merge_senders};
use crate::state::timeline::{self, Item, LiveOutcome, Timeline};
use crate::ws::use_socket;
use chrono::NaiveDate;
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
                // A dissolved group, an ended friendship: their rows change or go.
                ServerEvent::Notice { kind, .. } => kind.changes_friends() || kind.changes_groups(),
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
                    Err(e) => view! { <p class="form-error" role="alert"><super::ErrorText error=e/></p> }.into_any(),
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
                <span class="row-end">{when}{badge}</span>
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
    let i18n = use_i18n();
    view! {
        <Suspense fallback=move || view! { <p class="empty">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(open) => view! { <ConversationView open me=shell.me/> }.into_any(),
                    Err(e) => view! {
                        <p class="empty" role="alert"><super::ErrorText error=e/></p>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// A displayed row of the conversation: a stored message, or one of mine still pending or
/// failed (shown as the frame it will become).
#[derive(Clone, Debug, PartialEq)]
struct Row {
    key: String,
    frame: Frame,
    pending: Option<timeline::Status>,
    /// My newest message the peer has read (shows "Read" under it).
    read: bool,
    /// Set on a day's first message: the separator above it shows this day.
    day: Option<NaiveDate>,
}

/// The rows on screen: messages in seq order with the system notices placed by time; `now_ms` dates pending messages, `offset_min` is the
/// reader's clock.
#[allow(clippy::too_many_arguments)]
fn rows(
    t: &Timeline,
    notices: &[Frame],
    me: UserId,
    conv: Conv,
    peer_read: Seq,
    now_ms: i64,
    offset_min: i32,
) -> Vec<Row> {
    let mut rows: Vec<Row> = t
        .items()
        .map(|item| match item {
            Item::Stored(f) => Row {
                key: format!("s{}", f.seq),
                frame: f.clone(),
                pending: None,
                read: false,
                day: None,
            },
            Item::Pending(p) => {
                let frame = Frame::message(conv, me, p.cid.as_str(), &p.body);
                Row {
                    key: format!("c{}", p.cid),
                    frame,
                    pending: Some(p.status.clone()),
                    read: false,
                    day: None,
                }
            }
        })
        .collect();
    for n in notices {
        let at = rows
            .iter()
            .position(|r| r.pending.is_some() || r.frame.ts > n.ts)
            .unwrap_or(rows.len());
        rows.insert(
            at,
            Row {
                key: format!("n{}", n.id),
                frame: n.clone(),
                pending: None,
                read: false,
                day: None,
            },
        );
    }
    let mut previous = None;
    for r in &mut rows {
        let ts = if r.frame.ts > 0 { r.frame.ts } else { now_ms };
        let day = local_day(ts, offset_min);
        if day != previous {
            r.day = day;
            previous = day;
        }
    }
    if matches!(conv, Conv::Private { .. }) {
        let newest_read = rows.iter_mut().rev().find(|r| {
            r.pending.is_none()
                && r.frame.cmd != Cmd::Notice.code()
                && r.frame.userid == me.0
                && Seq(r.frame.seq) <= peer_read
        });
        if let Some(r) = newest_read {
            r.read = true;
        }
    }
    rows
}

/// True when a drag carries files (not text or a link being dragged around the page).
fn carries_files(ev: &leptos::ev::DragEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        super::attachments::carries_files(ev)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        false
    }
}

/// How long "typing…" shows after the peer's last typing signal.
const TYPING_SHOWN_MS: u64 = 4000;
/// How often typing is signalled while keys are pressed.
const TYPING_EVERY_MS: i64 = 3000;

/// A fresh client id for a message typed in this tab.
#[cfg(feature = "hydrate")]
pub(super) fn new_cid() -> Cid {
    let a = js_sys::Math::random().to_bits();
    let b = js_sys::Math::random().to_bits();
    Cid::random('b', (u128::from(a) << 64) | u128::from(b))
}

/// The server renders the form with its own fresh cid; this is only called from event
/// handlers, which run in the browser.
#[cfg(not(feature = "hydrate"))]
pub(super) fn new_cid() -> Cid {
    Cid::random('b', 0)
}

/// A loaded conversation: header, messages (live), composer.
#[component]
fn ConversationView(open: OpenConversation, me: UserId) -> impl IntoView {
    let conv = open.conv;
    let key = conv.key();
    let socket = use_socket();
    let query = use_query_map();
    let error = RwSignal::new(query.with_untracked(|q| {
        q.get_str("error")
            .map(|code| crate::error::ApiError::from_query(code, None))
    }));
    let draft = query.with_untracked(|q| q.get_str("draft").map(str::to_owned).unwrap_or_default());
    let in_group = matches!(conv, Conv::Group(_));
    let i18n = use_i18n();
    let clock = use_clock();
    // A group's size changes while it is open (joins, leaves): kept current by `pull`.
    let members = RwSignal::new(open.member_count.unwrap_or(0));
    let subtitle = open.member_count.map(|_| {
        move || {
            member_count(
                i18n.get_locale(),
                usize::try_from(members.get()).unwrap_or(0),
            )
        }
    });
    let senders = RwSignal::new(open.senders.clone());
    let timeline = RwSignal::new({
        let mut t = Timeline::new(conv, me);
        t.apply_page(open.messages.clone());
        t
    });
    // System notices about this conversation (a member joined, ...): those of the loaded
    // pages, then the ones that arrive while it is open.
    let notices = RwSignal::new(open.notices.clone());
    let scroll = ListScroll::new(conv, timeline, senders, notices);
    let full_image = RwSignal::new(None);
    provide_context(LightboxContext(full_image));
    let cid = RwSignal::new(open.next_cid.clone());
    let peer = conv.peer_of(me);
    let online = RwSignal::new(open.peer_online);
    let peer_read = RwSignal::new(open.peer_read_seq);
    let typing = RwSignal::new(false);
    let typing_gen = StoredValue::new(0u64);
    let last_typing_sent = StoredValue::new(0i64);

    // Pulls the newest page (after a reconnect, or to fill a gap) and merges it by seq.
    let pull = move || {
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = load_conversation(conv.key(), None).await {
                senders.update(|s| merge_senders(s, fresh.senders));
                notices.update(|n| merge_notices(n, fresh.notices));
                timeline.update(|t| {
                    t.apply_page(fresh.messages);
                });
                online.set(fresh.peer_online);
                if let Some(n) = fresh.member_count {
                    members.set(n);
                }
                peer_read.update(|r| *r = (*r).max(fresh.peer_read_seq));
            }
        });
    };
    // A group member who is in none of the loaded pages (new, or quiet so far) is named from
    // the member list, asked once per such sender.
    let asked = StoredValue::new(Vec::<i64>::new());
    let learn_sender = move |id: i64| {
        let Conv::Group(group) = conv else { return };
        let known = senders.with_untracked(|s| s.iter().any(|u| u.id.0 == id));
        if known || asked.with_value(|a| a.contains(&id)) {
            return;
        }
        asked.update_value(|a| a.push(id));
        leptos::task::spawn_local(async move {
            if let Ok(members) = group_members(group).await {
                senders.try_update(|s| {
                    merge_senders(s, members.into_iter().map(|m| m.user).collect())
                });
            }
        });
    };
    if let Some(socket) = socket {
        socket.listen(move |event: ServerEvent| {
            if event.conv().is_some_and(|c| c != conv) {
                return;
            }
            let is_peer = |user: UserId| peer == Some(user);
            match event {
                ServerEvent::Notice {
                    frame,
                    kind,
                    conv: Some(_),
                } => {
                    notices.update(|n| merge_notices(n, vec![frame]));
                    if kind.changes_groups() {
                        pull();
                    }
                }
                ServerEvent::Ack(ack) => {
                    timeline.update(|t| {
                        t.apply_ack(&ack);
                    });
                }
                ServerEvent::Presence { user, online: now } if is_peer(user) => {
                    online.set(now);
                }
                ServerEvent::Read { user, seq, .. } if is_peer(user) => {
                    peer_read.update(|r| *r = (*r).max(seq));
                }
                ServerEvent::Typing { user, .. } if is_peer(user) => {
                    // Shown for a few seconds after the last signal; a newer signal extends it.
                    typing.set(true);
                    let generation = typing_gen.get_value() + 1;
                    typing_gen.set_value(generation);
                    set_timeout(
                        move || {
                            if typing_gen.try_get_value() == Some(generation) {
                                typing.set(false);
                            }
                        },
                        std::time::Duration::from_millis(TYPING_SHOWN_MS),
                    );
                }
                ServerEvent::Message { frame, .. } => {
                    typing.set(false);
                    learn_sender(frame.userid);
                    let outcome = timeline.try_update(|t| t.apply_live(&frame));
                    if matches!(outcome, Some(LiveOutcome::Added | LiveOutcome::Gap { .. })) {
                        scroll.arrived(frame.userid == me.0);
                    }
                    if matches!(outcome, Some(LiveOutcome::Gap { .. })) {
                        pull();
                    }
                }
                ServerEvent::Error {
                    cid: Some(cid),
                    code,
                    msg,
                } => {
                    timeline.update(|t| {
                        t.fail(&cid, code, msg);
                    });
                }
                _ => {}
            }
        });
        // After hydration: my unacked messages of this conversation (kept across reloads)
        // show as pending again; what was missed while away is pulled after a reconnect;
        // and what is on screen is marked read.
        Effect::new(move |_| {
            for o in socket.unacked() {
                if o.to.conv(me) == Some(conv) {
                    timeline.update(|t| {
                        t.add_pending(o.cid, o.body, now_ms());
                    });
                }
            }
        });
        // Every (re)connection pulls what it may have missed. That includes a socket that
        // was already open when the view mounted: the page's data was read before this
        // view listened, and a frame in between (a friend coming online while the page
        // loaded) reached nobody.
        Effect::new(move |seen: Option<u32>| {
            let n = socket.opens.get();
            if seen.map_or(n > 0, |s| s != n) {
                pull();
            }
            n
        });
        Effect::new(move |_| {
            if let Some(seq) = timeline.with(Timeline::newest_seq) {
                socket.send_now(ClientCmd::Read { conv, seq });
            }
        });
    }

    scroll.start();

    let textarea = NodeRef::<leptos::html::Textarea>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    // Every message composed here, whatever its kind, goes the same way: a pending bubble,
    // then the outbox (which survives reloads and resends until acked).
    let send_as = move |id: Cid, body: MessageBody| {
        let Some(socket) = socket else { return };
        let Some(to) = Target::in_conv(conv, me) else {
            return;
        };
        let out = Outgoing {
            to,
            cid: id.clone(),
            body: body.clone(),
        };
        timeline.update(|t| {
            t.add_pending(id, body, now_ms());
        });
        socket.send_message(out);
        error.set(None);
    };
    let send_body = move |body: MessageBody| {
        send_as(cid.get_untracked(), body);
        cid.set(new_cid());
    };
    // Attachments carry their own cid from the moment their upload starts.
    let attachments = Attachments::new(Callback::new(move |(id, body)| send_as(id, body)));
    on_cleanup(move || attachments.close());
    // A new upload of mine brings the list down to it, as a sent message does.
    Effect::new(move |seen: Option<usize>| {
        let n = attachments.jobs.with(Vec::len);
        if seen.is_some_and(|s| n > s) {
            scroll.show_mine();
        }
        n
    });
    // Files dragged over the conversation: highlighted while over it, sent when dropped.
    let dropping = RwSignal::new(false);
    let drag_depth = StoredValue::new(0i32);
    let on_dragenter = move |ev: leptos::ev::DragEvent| {
        if carries_files(&ev) {
            ev.prevent_default();
            drag_depth.update_value(|d| *d += 1);
            dropping.set(true);
        }
    };
    let on_dragover = move |ev: leptos::ev::DragEvent| {
        if carries_files(&ev) {
            ev.prevent_default();
        }
    };
    let on_dragleave = move |_: leptos::ev::DragEvent| {
        drag_depth.update_value(|d| *d -= 1);
        if drag_depth.get_value() <= 0 {
            drag_depth.set_value(0);
            dropping.set(false);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        drag_depth.set_value(0);
        dropping.set(false);
        if carries_files(&ev) {
            ev.prevent_default();
            #[cfg(feature = "hydrate")]
            attachments.add_files(super::attachments::dropped_files(&ev));
        }
    };
    // A picture pasted into the composer is sent as one (text pastes as text).
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        #[cfg(feature = "hydrate")]
        {
            let files = super::attachments::pasted_files(&ev);
            if !files.is_empty() {
                ev.prevent_default();
                attachments.add_files(files);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if socket.is_none() {
            return;
        }
        ev.prevent_default();
        let Some(area) = textarea.get() else { return };
        let text = area.value();
        if text.trim().is_empty() {
            return;
        }
        match MessageBody::new(1, text, String::new(), String::new(), String::new(), 0) {
            Ok(body) => {
                send_body(body);
                area.set_value("");
                draft::clear(conv);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    // The server cannot know this browser's draft: it comes back after hydration, unless the
    // no-JS error path already filled the box (`?draft=`).
    Effect::new(move |_| {
        if let Some(area) = textarea.get() {
            if area.value().is_empty() {
                if let Some(saved) = draft::load(conv) {
                    area.set_value(&saved);
                }
            }
        }
    });
    // Enter sends, Shift+Enter is a new line, and nothing is sent while an input method is
    // still composing a character.
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            if let Some(f) = form.get() {
                let _ = f.request_submit();
            }
        }
    };
    // Keeps the draft (per conversation, in this browser) and tells the peer (or the group)
    // I am typing, at most every few seconds.
    let on_input = move |_| {
        if let Some(area) = textarea.get_untracked() {
            draft::save(conv, &area.value());
        }
        let Some(socket) = socket else {
            return;
        };
        let now = now_ms();
        if now - last_typing_sent.get_value() >= TYPING_EVERY_MS {
            last_typing_sent.set_value(now);
            socket.send_now(ClientCmd::Typing(match peer {
                Some(peer) => TypingTo::User(peer),
                None => TypingTo::Conv(conv),
            }));
        }
    };
    let retry = move |id: String| {
        // The row's cid is that of one of my pending messages, so it is a valid one.
        let Ok(id) = Cid::new(id) else { return };
        timeline.update(|t| {
            t.retry(&id);
        });
        if let Some(socket) = socket {
            socket.retry(&id);
        }
    };

    let icon = conv_icon(conv, &open.title, &open.avatar);
    let empty = move || {
        timeline.with(|t| t.items().next().is_none()) && attachments.jobs.with(Vec::is_empty)
    };
    view! {
        <div class="conversation" class:dropping=move || dropping.get()
            on:dragenter=on_dragenter on:dragover=on_dragover on:dragleave=on_dragleave on:drop=on_drop>
            <header class="conv-head">
                <a class="back" href="/" aria-label=move || td_string!(i18n.get_locale(), back_to_conversations)>"‹"</a>
                {icon}
                <div class="who">
                    <h2 class="nickname"><bdi>{open.title.clone()}</bdi></h2>
                    {subtitle.map(|s| view! { <span class="username">{s}</span> })}
                    {in_group.then(|| view! { <GroupTyping conv me senders/> })}
                    {peer.map(|_| view! {
                        <span class="username presence-line" role="status">
                            {move || if typing.get() {
                                td_string!(i18n.get_locale(), typing)
                            } else if !socket.is_some_and(|s| s.is_open()) {
                                // Disconnected: whatever we last heard may be stale.
                                td_string!(i18n.get_locale(), presence_unknown)
                            } else if online.get() {
                                td_string!(i18n.get_locale(), online)
                            } else {
                                ""
                            }}
                        </span>
                    })}
                </div>
            </header>
            <div class="message-area">
            <div class="message-scroll" node_ref=scroll.scroller on:scroll=move |_| scroll.on_scroll()>
                <Show when=empty>
                    <p class="empty">{t!(i18n, no_messages)}</p>
                </Show>
                <ol class="messages" aria-label=move || td_string!(i18n.get_locale(), messages) node_ref=scroll.list>
                    <For each=move || {
                        let (now, offset) = clock.map_or((0, 0), |c| (c.now_ms.get(), c.offset_min.get()));
                        notices.with(|n| timeline.with(|t| rows(t, n, me, conv, peer_read.get(), now, offset)))
                    } key=|r| (r.key.clone(), r.read, r.day) let:row>
                        {
                            let from = row.frame.userid;
                            let sender = Memo::new(move |_| senders.with(|s| s.iter().find(|u| u.id.0 == from).cloned()));
                            let frame = row.frame.clone();
                            let status = row.pending.clone();
                            let read = row.read.then(|| view! {
                                <li class="msg-status mine read">{t!(i18n, read)}</li>
                            });
                            let separator = row.day.map(|day| {
                                let label = move || {
                                    let today = clock
                                        .and_then(|c| local_day(c.now_ms.get(), c.offset_min.get()))
                                        .unwrap_or(day);
                                    day_label(i18n.get_locale(), day, today)
                                };
                                view! { <li class="day-sep" role="separator"><span>{label}</span></li> }
                            });
                            let cid = row.frame.cid.clone();
                            view! {
                                {separator}
                                {if frame.cmd == Cmd::Notice.code() {
                                    view! { <SysNotice notice=frame.clone() me/> }.into_any()
                                } else {
                                    (move || view! { <MessageView frame=frame.clone() sender=sender.get() in_group me/> }).into_any()
                                }}
                                {status.map(|s| match s {
                                    timeline::Status::Pending => view! {
                                        <li class="msg-status mine" role="status">{t!(i18n, sending)}</li>
                                    }.into_any(),
                                    timeline::Status::Failed { code, msg } => view! {
                                        <li class="msg-status mine failed" role="alert">
                                            <super::ErrorText error=crate::error::ApiError::with_msg(code, msg)/>" "
                                            <button type="button" class="small" on:click=move |_| retry(cid.clone())>{t!(i18n, retry)}</button>
                                        </li>
                                    }.into_any(),
                                })}
                                {read}
                            }
                        }
                    </For>
                    <For each=move || attachments.jobs.with(|j| j.iter().map(|u| u.id).collect::<Vec<_>>())
                        key=|id| *id let:id>
                        <UploadBubble attachments id/>
                    </For>
                </ol>
                // Listed after the messages: the column is reversed, so this shows above them.
                <HistoryStatus scroll/>
            </div>
            <NewMessagesButton scroll/>
            <div class="drop-hint" aria-hidden="true"><span>{t!(i18n, drop_to_send)}</span></div>
            </div>
            <Lightbox image=full_image/>
            <ComposerTools textarea send=Callback::new(send_body) attachments/>
            <form class="composer" method="post" action="/send" node_ref=form on:submit=on_submit>
                {move || error.get().map(|error| view! { <p class="form-error" role="alert"><super::ErrorText error/></p> })}
                <input type="hidden" name="conv" value=key/>
                <input type="hidden" name="cid" value=move || cid.get().to_string()/>
                <textarea name="content" aria-label=move || td_string!(i18n.get_locale(), message) placeholder=move || td_string!(i18n.get_locale(), message) rows="2"
                    required maxlength="4000" node_ref=textarea on:keydown=on_keydown on:input=on_input on:paste=on_paste>{draft}</textarea>
                <button type="submit">{t!(i18n, send)}</button>
            </form>
        </div>
    }
}
