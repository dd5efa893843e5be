//! What an open conversation knows and how it stays current: the page's data to start with,
//! then the socket's events (messages, acks, presence, read marks, typing, notices) and a
//! fresh page after every reconnection or gap.

use super::message_list::ListScroll;
use crate::api::chat::load_conversation;
use crate::api::social::group_members;
use crate::ids::{Seq, UserId};
use crate::locale::now_ms;
use crate::protocol::event::ServerEvent;
use crate::protocol::frame::{ClientCmd, Frame};
use crate::protocol::{Conv, OpenConversation, User};
use crate::state::history::{merge_notices, merge_senders};
use crate::state::timeline::{LiveOutcome, Timeline};
use crate::ws::use_socket;
use leptos::prelude::*;

/// How long "typing…" shows after the peer's last typing signal.
const TYPING_SHOWN_MS: u64 = 4000;

/// The reactive state of one open conversation, shared by its parts. `Copy`: arena handles.
#[derive(Clone, Copy)]
pub(super) struct Live {
    /// The conversation.
    pub conv: Conv,
    /// Who is reading.
    pub me: UserId,
    /// Its messages, stored and pending, in seq order.
    pub timeline: RwSignal<Timeline>,
    /// Who wrote them (a group's members are learnt as they speak).
    pub senders: RwSignal<Vec<User>>,
    /// System notices about this conversation (a member joined, ...): those of the loaded
    /// pages, then the ones that arrive while it is open.
    pub notices: RwSignal<Vec<Frame>>,
    /// The newest of my messages the peer has read.
    pub peer_read: RwSignal<Seq>,
    /// Whether the peer is online.
    pub online: RwSignal<bool>,
    /// Whether the peer is typing.
    pub typing: RwSignal<bool>,
    /// A group's size, which changes while it is open (joins, leaves).
    pub members: RwSignal<u32>,
    /// Counts typing signals, so only the newest one's timer hides "typing…".
    typing_gen: StoredValue<u64>,
    /// Group members already asked for by id (see [`Live::learn_sender`]).
    asked: StoredValue<Vec<i64>>,
}

impl Live {
    /// The state of `open` as the page loaded it.
    pub fn new(open: &OpenConversation, me: UserId) -> Live {
        let conv = open.conv;
        Live {
            conv,
            me,
            timeline: RwSignal::new({
                let mut t = Timeline::new(conv, me);
                t.apply_page(open.messages.clone());
                t
            }),
            senders: RwSignal::new(open.senders.clone()),
            notices: RwSignal::new(open.notices.clone()),
            peer_read: RwSignal::new(open.peer_read_seq),
            online: RwSignal::new(open.peer_online),
            typing: RwSignal::new(false),
            members: RwSignal::new(open.member_count.unwrap_or(0)),
            typing_gen: StoredValue::new(0),
            asked: StoredValue::new(Vec::new()),
        }
    }

    /// Pulls the newest page (after a reconnect, or to fill a gap) and merges it by seq.
    fn pull(self) {
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = load_conversation(self.conv.key(), None).await {
                self.senders.update(|s| merge_senders(s, fresh.senders));
                self.notices.update(|n| merge_notices(n, fresh.notices));
                self.timeline.update(|t| {
                    t.apply_page(fresh.messages);
                });
                self.online.set(fresh.peer_online);
                if let Some(n) = fresh.member_count {
                    self.members.set(n);
                }
                self.peer_read
                    .update(|r| *r = (*r).max(fresh.peer_read_seq));
            }
        });
    }

    /// A group member who is in none of the loaded pages (new, or quiet so far) is named from
    /// the member list, asked once per such sender.
    fn learn_sender(self, id: i64) {
        let Conv::Group(group) = self.conv else {
            return;
        };
        let senders = self.senders;
        let known = senders.with_untracked(|s| s.iter().any(|u| u.id.0 == id));
        if known || self.asked.with_value(|a| a.contains(&id)) {
            return;
        }
        self.asked.update_value(|a| a.push(id));
        leptos::task::spawn_local(async move {
            if let Ok(members) = group_members(group).await {
                senders.try_update(|s| {
                    merge_senders(s, members.into_iter().map(|m| m.user).collect())
                });
            }
        });
    }

    /// Shows "typing…" for a few seconds after the last signal; a newer signal extends it.
    fn peer_typed(self) {
        let typing = self.typing;
        let typing_gen = self.typing_gen;
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

    /// Keeps the state current from the socket (nothing to do without one: the server and
    /// the page before hydration); `scroll` hears of arrivals.
    pub fn follow(self, scroll: ListScroll) {
        let Some(socket) = use_socket() else { return };
        let Live { conv, me, .. } = self;
        let peer = conv.peer_of(me);
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
                    self.notices.update(|n| merge_notices(n, vec![frame]));
                    if kind.changes_groups() {
                        self.pull();
                    }
                }
                ServerEvent::Ack(ack) => {
                    self.timeline.update(|t| {
                        t.apply_ack(&ack);
                    });
                }
                ServerEvent::Presence { user, online: now } if is_peer(user) => {
                    self.online.set(now);
                }
                ServerEvent::Read { user, seq, .. } if is_peer(user) => {
                    self.peer_read.update(|r| *r = (*r).max(seq));
                }
                ServerEvent::Typing { user, .. } if is_peer(user) => self.peer_typed(),
                ServerEvent::Message { frame, .. } => {
                    self.typing.set(false);
                    self.learn_sender(frame.userid);
                    let outcome = self.timeline.try_update(|t| t.apply_live(&frame));
                    if matches!(outcome, Some(LiveOutcome::Added | LiveOutcome::Gap { .. })) {
                        scroll.arrived(frame.userid == me.0);
                    }
                    if matches!(outcome, Some(LiveOutcome::Gap { .. })) {
                        self.pull();
                    }
                }
                ServerEvent::Error {
                    cid: Some(cid),
                    code,
                    msg,
                } => {
                    self.timeline.update(|t| {
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
                    self.timeline.update(|t| {
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
                self.pull();
            }
            n
        });
        Effect::new(move |_| {
            if let Some(seq) = self.timeline.with(Timeline::newest_seq) {
                socket.send_now(ClientCmd::Read { conv, seq });
            }
        });
    }
}
