//! What an open conversation knows and how it stays current: the page's data to start with,
//! then the socket's events (messages, acks, presence, read marks, typing, notices) and a
//! fresh page after every reconnection or gap.

use super::message_list::ListScroll;
use crate::api::chat::load_conversation;
use crate::api::social::group_members;
use crate::components::composer::ComposeMode;
use crate::ids::{Cid, Seq, UserId};
use crate::locale::now_ms;
use crate::protocol::action::{Act, Action};
use crate::protocol::event::{NoticeKind, ServerEvent};
use crate::protocol::frame::{ClientCmd, Cmd, Frame};
use crate::protocol::{Conv, OpenConversation, ReadMark, User};
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
    /// When an offline peer was last seen (ms), if they let me see it; 0 otherwise.
    pub peer_seen: RwSignal<i64>,
    /// Whether the peer is typing.
    pub typing: RwSignal<bool>,
    /// A group's size, which changes while it is open (joins, leaves).
    pub members: RwSignal<u32>,
    /// The pinned messages, newest pin first.
    pub pins: RwSignal<Vec<Frame>>,
    /// In a group: how far each member has read (for "Read by N").
    pub read_marks: RwSignal<Vec<ReadMark>>,
    /// What I may do beyond my own messages, and for how long (from the page).
    pub rights: StoredValue<Rights>,
    /// The message I am replying to, or editing, in the composer.
    pub draft_mode: RwSignal<ComposeMode>,
    /// The messages the forward dialog is sending on (open while not empty), in seq order.
    pub forwarding: RwSignal<Vec<Frame>>,
    /// The message being reported to the site's admins, if any (the report dialog shows).
    pub reporting: RwSignal<Option<Frame>>,
    /// The message the full emoji picker reacts to, while it is open.
    pub reacting: RwSignal<Option<Frame>>,
    /// While choosing messages to forward together: the seqs chosen, in the order picked.
    pub selection: RwSignal<Option<Vec<Seq>>>,
    /// Whether messages are being chosen (rows show a check box instead of their menu).
    pub selecting: Memo<bool>,
    /// Why my last action was refused, until dismissed.
    pub action_error: RwSignal<Option<crate::error::ApiError>>,
    /// My actions sent from this view (cid and target), so a refusal is told apart and its
    /// message put back as the server has it.
    acting: StoredValue<Vec<(Cid, Seq)>>,
    /// Counts typing signals, so only the newest one's timer hides "typing…".
    typing_gen: StoredValue<u64>,
    /// Group members already asked for by id (see [`Live::learn_sender`]).
    asked: StoredValue<Vec<i64>>,
}

impl Live {
    /// The state of `open` as the page loaded it.
    pub fn new(open: &OpenConversation, me: UserId) -> Live {
        let conv = open.conv;
        let selection = RwSignal::new(None::<Vec<Seq>>);
        Live {
            conv,
            me,
            timeline: RwSignal::new({
                let mut t = Timeline::new(conv, me);
                t.apply_page(open.messages.clone());
                t.hide(&open.hidden);
                t
            }),
            senders: RwSignal::new(open.senders.clone()),
            notices: RwSignal::new(open.notices.clone()),
            peer_read: RwSignal::new(open.peer_read_seq),
            online: RwSignal::new(open.peer_online),
            peer_seen: RwSignal::new(open.peer_last_seen),
            typing: RwSignal::new(false),
            members: RwSignal::new(open.member_count.unwrap_or(0)),
            pins: RwSignal::new(open.pins.clone()),
            read_marks: RwSignal::new(open.read_marks.clone()),
            rights: StoredValue::new(Rights::of(open, me)),
            draft_mode: RwSignal::new(ComposeMode::Plain),
            forwarding: RwSignal::new(Vec::new()),
            reporting: RwSignal::new(None),
            reacting: RwSignal::new(None),
            selection,
            selecting: Memo::new(move |_| selection.with(Option::is_some)),
            action_error: RwSignal::new(None),
            acting: StoredValue::new(Vec::new()),
            typing_gen: StoredValue::new(0),
            asked: StoredValue::new(Vec::new()),
        }
    }

    /// Pulls the newest page (after a reconnect, or to fill a gap) and merges it by seq.
    fn pull(self) {
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = load_conversation(self.conv.key(), None).await {
                self.rights.set_value(Rights::of(&fresh, self.me));
                self.senders.update(|s| merge_senders(s, fresh.senders));
                self.notices.update(|n| merge_notices(n, fresh.notices));
                self.timeline.update(|t| {
                    t.apply_page(fresh.messages);
                    t.hide(&fresh.hidden);
                });
                self.online.set(fresh.peer_online);
                if let Some(n) = fresh.member_count {
                    self.members.set(n);
                }
                self.peer_read
                    .update(|r| *r = (*r).max(fresh.peer_read_seq));
                self.read_marks
                    .update(|marks| merge_marks(marks, &fresh.read_marks));
                self.pins.set(fresh.pins);
            }
        });
    }

    /// Puts the message at `target` back as the server has it (one of my actions on it was
    /// refused, so what it showed at once was never true), from the page that ends with it,
    /// wherever it is in the history; its pin too.
    fn restore(self, target: Seq) {
        leptos::task::spawn_local(async move {
            let Ok(page) = load_conversation(self.conv.key(), Some(target.0 + 1)).await else {
                return;
            };
            let Some(fresh) = page
                .messages
                .into_iter()
                .find(|f| f.seq == target.0 && f.cmd != Cmd::Action.code())
            else {
                return;
            };
            self.timeline.update(|t| {
                t.restore(&fresh);
            });
            self.pins.update(|p| {
                let at = p.iter().position(|f| f.seq == target.0);
                match (at, fresh.pinned_at > 0) {
                    (Some(i), true) => p[i] = fresh,
                    (Some(i), false) => {
                        p.remove(i);
                    }
                    (None, true) => p.insert(0, fresh),
                    (None, false) => {}
                }
            });
        });
    }

    /// Does `act` to the message at `target` as me: shown at once, queued for the socket
    /// (resent after a reconnect, stored once).
    pub fn act(self, act: Act, target: Seq, content: String) {
        let Some(socket) = use_socket() else { return };
        let cid = crate::components::composer::new_cid();
        let Ok(action) = Action::new(self.conv, target, act, cid.clone(), content) else {
            return;
        };
        self.timeline.update(|t| t.apply_mine(&action, now_ms()));
        if matches!(act, Act::Pin | Act::Unpin) {
            let frame = self.timeline.with_untracked(|t| t.get(target).cloned());
            if let Some(frame) = frame {
                self.pins.update(|p| {
                    p.retain(|f| f.seq != target.0);
                    if act == Act::Pin {
                        p.insert(0, frame);
                    }
                });
            }
        }
        self.acting.update_value(|a| a.push((cid, target)));
        self.action_error.set(None);
        socket.send_action(action);
    }

    /// Keeps the pinned bar in step with a pin or unpin (or a recall of a pinned message).
    fn pins_changed(self, act: Act, frame: &Frame) {
        let target = frame.target;
        match act {
            Act::Pin => {
                let held = self
                    .timeline
                    .with_untracked(|t| t.get(Seq(target)).cloned());
                match held {
                    Some(m) => self.pins.update(|p| {
                        p.retain(|f| f.seq != target);
                        p.insert(0, m);
                    }),
                    // Not loaded here: the page knows it.
                    None => self.pull(),
                }
            }
            Act::Unpin | Act::Recall | Act::Hide => {
                self.pins.update(|p| p.retain(|f| f.seq != target));
            }
            Act::Edit => {
                let held = self
                    .timeline
                    .with_untracked(|t| t.get(Seq(target)).cloned());
                if let Some(m) = held {
                    self.pins.update(|p| {
                        if let Some(f) = p.iter_mut().find(|f| f.seq == target) {
                            *f = m;
                        }
                    });
                }
            }
            Act::React | Act::Unreact => {}
        }
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
                    // The group's pin rule counts from its notice on, not from the page
                    // pulled after it.
                    match kind {
                        NoticeKind::MembersMayPin => self.rights.update_value(|r| r.may_pin = true),
                        NoticeKind::OnlyOwnerPins => {
                            self.rights.update_value(|r| r.may_pin = r.owner);
                        }
                        _ => {}
                    }
                    if kind.changes_groups() {
                        self.pull();
                    }
                }
                ServerEvent::Ack(ack) if ack.action.is_some() => {
                    let outcome = self.timeline.try_update(|t| t.apply_action_ack(&ack));
                    if matches!(outcome, Some(LiveOutcome::Gap { .. })) {
                        self.pull();
                    }
                }
                ServerEvent::Ack(ack) => {
                    self.timeline.update(|t| {
                        t.apply_ack(&ack);
                    });
                }
                ServerEvent::Action { frame, act, .. } => {
                    self.learn_sender(frame.userid);
                    let outcome = self.timeline.try_update(|t| t.apply_event(&frame));
                    if matches!(outcome, Some(LiveOutcome::Gap { .. })) {
                        self.pull();
                    }
                    self.pins_changed(act, &frame);
                }
                ServerEvent::Presence {
                    user,
                    online: now,
                    seen,
                } if is_peer(user) => {
                    self.online.set(now);
                    if !now {
                        self.peer_seen.set(seen);
                    }
                }
                ServerEvent::Read { user, seq, .. } if is_peer(user) => {
                    self.peer_read.update(|r| *r = (*r).max(seq));
                }
                ServerEvent::Read { user, seq, .. } if matches!(conv, Conv::Group(_)) => {
                    self.read_marks
                        .update(|marks| merge_marks(marks, &[ReadMark { user, seq }]));
                }
                ServerEvent::Typing { user, .. } if is_peer(user) => self.peer_typed(),
                ServerEvent::Profile {
                    user,
                    nickname,
                    avatar,
                    status,
                } => self.senders.update(|s| {
                    if let Some(u) = s.iter_mut().find(|u| u.id == user) {
                        u.nickname = nickname;
                        u.avatar = avatar;
                        u.status = status;
                    }
                }),
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
                    let failed = self
                        .timeline
                        .try_update(|t| t.fail(&cid, code, msg.clone()));
                    let refused = self
                        .acting
                        .with_value(|a| a.iter().find(|(c, _)| *c == cid).map(|(_, t)| *t));
                    if let (Some(false), Some(target)) = (failed, refused) {
                        // One of my actions was refused: say why, and show what is true.
                        self.acting.update_value(|a| a.retain(|(c, _)| *c != cid));
                        self.action_error
                            .set(Some(crate::error::ApiError::with_msg(code, msg)));
                        self.restore(target);
                    }
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
            for a in socket.unacked_actions() {
                if a.conv == conv {
                    self.acting
                        .update_value(|c| c.push((a.cid.clone(), a.target)));
                    self.timeline.update(|t| t.apply_mine(&a, now_ms()));
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

/// Merges read marks: each member's furthest mark wins.
fn merge_marks(marks: &mut Vec<ReadMark>, fresh: &[ReadMark]) {
    for m in fresh {
        match marks.iter_mut().find(|x| x.user == m.user) {
            Some(x) => x.seq = x.seq.max(m.seq),
            None => marks.push(*m),
        }
    }
}

/// What the reader may do to messages in this conversation, from the page: the windows the
/// server enforces (so a menu offers only what would be accepted), and the group's rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rights {
    /// How long my text stays editable, ms (0: never).
    pub edit_ms: i64,
    /// How long my message stays recallable, ms (0: never).
    pub recall_ms: i64,
    /// I own the group: I may recall anything and pin.
    pub owner: bool,
    /// I may pin and unpin.
    pub may_pin: bool,
}

impl Rights {
    /// The reader's rights in an opened conversation.
    pub fn of(open: &OpenConversation, me: UserId) -> Rights {
        let owner = open.owner_id == Some(me);
        Rights {
            edit_ms: open.edit_window_secs.saturating_mul(1000),
            recall_ms: open.recall_window_secs.saturating_mul(1000),
            owner,
            may_pin: match open.conv {
                Conv::Private { .. } => true,
                Conv::Group(_) => owner || open.members_can_pin,
            },
        }
    }
}
