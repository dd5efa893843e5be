//! The line under a conversation's title: in a group, who is typing ("Ann is typing…",
//! "2 people are typing…"), from the typing signals (cmd 16) the server relays to members;
//! with one peer, their typing and presence.

use crate::api::social::group_members;
use crate::i18n::{td_string, use_i18n};
use crate::ids::UserId;
use crate::locale::{now_ms, seen_time, use_clock};
use crate::protocol::event::ServerEvent;
use crate::protocol::{Conv, User};
use crate::state::typing::{typing_line, Typers};
use crate::ws::use_socket;
use leptos::prelude::*;

/// How long someone shows as typing after their last signal (they signal every 3 s).
const TYPING_SHOWN_MS: i64 = 4000;

/// Who is typing in group `conv`, by name: senders already known, else the group's members
/// (fetched once, the first time someone not known yet types).
#[component]
pub fn GroupTyping(
    /// The group conversation.
    conv: Conv,
    /// Who is reading (my own other tabs' signals are not shown).
    me: UserId,
    /// Senders known from the loaded pages.
    senders: RwSignal<Vec<User>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let typers = RwSignal::new(Typers::default());
    let members = RwSignal::new(Vec::<User>::new());
    let asked = StoredValue::new(false);
    let name_of = move |id: UserId| {
        senders
            .with(|s| s.iter().find(|u| u.id == id).map(|u| u.nickname.clone()))
            .or_else(|| members.with(|m| m.iter().find(|u| u.id == id).map(|u| u.nickname.clone())))
    };
    if let Some(socket) = use_socket() {
        socket.listen(move |event: ServerEvent| {
            let (who, typing) = match event {
                ServerEvent::Typing { conv: c, user } if c == conv => (user, true),
                ServerEvent::Message { conv: c, frame } if c == conv => {
                    (UserId(frame.userid), false)
                }
                _ => return,
            };
            if who == me {
                return;
            }
            if typing {
                typers.update(|t| t.note(who, now_ms(), TYPING_SHOWN_MS));
                if name_of(who).is_none() && !asked.get_value() {
                    asked.set_value(true);
                    if let Conv::Group(g) = conv {
                        leptos::task::spawn_local(async move {
                            if let Ok(list) = group_members(g).await {
                                members.try_set(list.into_iter().map(|m| m.user).collect());
                            }
                        });
                    }
                }
                // A little after the deadline, so the newest signal's own timer clears it.
                set_timeout(
                    move || {
                        typers.try_update(|t| t.expire(now_ms()));
                    },
                    std::time::Duration::from_millis(TYPING_SHOWN_MS.unsigned_abs() + 50),
                );
            } else {
                typers.update(|t| {
                    t.stopped(who);
                });
            }
        });
    }
    let line = move || {
        let names: Vec<String> = typers.with(|t| {
            t.who()
                .map(|id| name_of(id).unwrap_or_else(|| format!("#{}", id.0)))
                .collect()
        });
        typing_line(i18n.get_locale(), &names)
    };
    view! {
        <span class="username typing-line" role="status">{line}</span>
    }
}

/// The line under a private conversation's title: "typing…" while the peer types, else
/// "online" while they are, and "unknown" while disconnected (what we last heard may be
/// stale).
#[component]
pub fn PresenceLine(
    /// Whether the peer is typing.
    typing: RwSignal<bool>,
    /// Whether the peer is online, as last heard.
    online: RwSignal<bool>,
    /// When an offline peer was last seen (ms; 0: unknown or hidden).
    seen: RwSignal<i64>,
) -> impl IntoView {
    let i18n = use_i18n();
    let socket = use_socket();
    let clock = use_clock();
    view! {
        <span class="username presence-line" role="status">
            {move || if typing.get() {
                td_string!(i18n.get_locale(), typing).to_owned()
            } else if !socket.is_some_and(|s| s.is_open()) {
                // Disconnected: whatever we last heard may be stale.
                td_string!(i18n.get_locale(), presence_unknown).to_owned()
            } else if online.get() {
                td_string!(i18n.get_locale(), online).to_owned()
            } else {
                match (seen.get(), clock) {
                    (at, Some(c)) if at > 0 => {
                        let when = seen_time(i18n.get_locale(), at, c.now_ms.get(), c.offset_min.get());
                        td_string!(i18n.get_locale(), last_seen).replace("{when}", &when)
                    }
                    _ => String::new(),
                }
            }}
        </span>
    }
}
