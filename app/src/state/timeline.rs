//! One conversation's messages as this client sees them.
//!
//! Stored messages are keyed by `seq`, which the server hands out gap-free from 1, so the
//! client can tell exactly what it holds: a window of seqs that grows downwards as older pages
//! load and upwards as live frames arrive. A hole inside that window is a gap to pull with
//! `?after=`; seqs below the window are simply not loaded yet.
//!
//! My messages not yet stored are kept apart, keyed by their `cid`, in the order I wrote them.
//! A pending message becomes stored when its ack arrives, or when the stored message itself
//! shows up first (a REST send is delivered to this socket too, and a history page may hold
//! it): either way it is shown once.

use crate::error::ErrorCode;
use crate::ids::{Cid, Seq, UserId};
use crate::protocol::action::{apply_reaction, Act, Action};
use crate::protocol::body::MessageBody;
use crate::protocol::event::Ack;
use crate::protocol::frame::{Cmd, Frame};
use crate::protocol::Conv;
use std::collections::btree_map::{BTreeMap, Entry};

/// Where one of my unstored messages stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Waiting for the server: queued, or sent and not acked yet.
    Pending,
    /// Refused or given up on; shown with the reason and a way to retry. Never resent on its
    /// own, because resending something the server refused would be refused again.
    Failed {
        /// Why, as the server's error code (or the client's own reading of the failure).
        code: ErrorCode,
        /// Words to show the person.
        msg: String,
    },
}

/// A message I wrote that the server has not stored yet, as far as this client knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// My id for it; the same id is sent again on retry, so the server stores it only once.
    pub cid: Cid,
    /// What I wrote.
    pub body: MessageBody,
    /// When I wrote it, ms since the epoch (the client's clock, for display only).
    pub created_ms: i64,
    /// Waiting or failed.
    pub status: Status,
    /// What it says beyond its payload (reply, mentions, forwarded), as its frame will.
    pub decor: Decor,
}

/// A message's extras as its frame shows them: the message it replies to (with the quote
/// shown), whom it mentions, whether it was forwarded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decor {
    /// The quoted message.
    pub quote: Option<crate::protocol::action::Quote>,
    /// Mentioned user ids (0: everyone).
    pub mentions: Vec<i64>,
    /// Copied from another conversation.
    pub forwarded: bool,
}

impl Decor {
    /// Writes them into a message frame.
    pub fn write_to(&self, frame: &mut Frame) {
        frame.reply_to = self.quote.as_ref().map_or(0, |q| q.seq.0);
        frame.quote.clone_from(&self.quote);
        frame.mentions.clone_from(&self.mentions);
        frame.forwarded = self.forwarded;
    }
}

/// One entry of the conversation as displayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// A stored message, as the server's frame.
    Stored(&'a Frame),
    /// One of my messages not stored yet.
    Pending(&'a Pending),
}

/// What a message arriving (a live frame or an ack) did to the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveOutcome {
    /// It is now held, and the window has no hole.
    Added,
    /// It is now held, but messages are missing after seq `after`: pull
    /// `GET /api/conversations/{conv}/messages?after={after}`. Reported again for every
    /// message that arrives while the hole is open, so keep one pull in flight at a time.
    Gap {
        /// The newest seq held without a hole before it.
        after: Seq,
    },
    /// That seq was already held: nothing changed.
    Duplicate,
    /// Not a stored message of this conversation (another conversation, another cmd, no seq,
    /// or an ack for no pending cid of mine): nothing changed.
    Ignored,
}

/// One conversation's messages: stored ones by seq, then my pending ones.
#[derive(Clone, Debug)]
pub struct Timeline {
    conv: Conv,
    me: UserId,
    stored: BTreeMap<Seq, Frame>,
    /// In creation order; a cid appears at most once.
    pending: Vec<Pending>,
}

impl Timeline {
    /// An empty timeline of `conv` as seen by `me`. Knowing `me` matters because a cid is
    /// unique per sender only: just my own stored messages may resolve my pending ones.
    pub fn new(conv: Conv, me: UserId) -> Timeline {
        Timeline {
            conv,
            me,
            stored: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    /// Merges a page of the newest seqs, or of those after a seq (a pull after a reconnect or
    /// a gap), in any order, overlapping what is held or not: each seq is held once, my
    /// messages in it resolve the matching pending entries, and its events (edits, recalls,
    /// reactions, pins) are applied, in seq order, to the messages they name. Returns how
    /// many seqs were new, so an empty or fully known page can be told apart.
    pub fn apply_page(&mut self, frames: impl IntoIterator<Item = Frame>) -> usize {
        self.merge(frames, true)
    }

    /// Merges a page of older seqs (scrolling back). Its messages come in their current
    /// state, which already holds the effect of its events, so those are only held, never
    /// applied: an old "react" applied to a message whose reaction was since taken back
    /// would bring it back.
    pub fn apply_older_page(&mut self, frames: impl IntoIterator<Item = Frame>) -> usize {
        self.merge(frames, false)
    }

    fn merge(&mut self, frames: impl IntoIterator<Item = Frame>, apply: bool) -> usize {
        let mut frames: Vec<Frame> = frames.into_iter().collect();
        frames.sort_by_key(|f| f.seq);
        let mut added = 0;
        for frame in frames {
            if self.insert(&frame) == Some(true) {
                added += 1;
            }
            if apply && frame.cmd == Cmd::Action.code() {
                self.apply_effect(&frame);
            }
        }
        added
    }

    /// Applies an action event (cmd 17): held at its seq (a hide has none) and applied to
    /// the message it names, if held. See [`LiveOutcome`].
    pub fn apply_event(&mut self, frame: &Frame) -> LiveOutcome {
        if frame.cmd != Cmd::Action.code() || Conv::parse(&frame.conv) != Some(self.conv) {
            return LiveOutcome::Ignored;
        }
        self.apply_effect(frame);
        if frame.seq <= 0 {
            return LiveOutcome::Added;
        }
        let inserted = self.insert(frame);
        self.outcome(inserted)
    }

    /// Shows an action of mine at once, before the server has it (its ack then only fills
    /// in its seq, see [`Timeline::apply_action_ack`]).
    pub fn apply_mine(&mut self, action: &Action, now_ms: i64) {
        let frame = Frame {
            cmd: Cmd::Action.code(),
            userid: self.me.0,
            conv: self.conv.key(),
            ts: now_ms,
            act: action.act.as_str().to_owned(),
            target: action.target.0,
            content: action.content.clone(),
            ..Frame::default()
        };
        self.apply_effect(&frame);
    }

    /// Hides the held messages at `seqs` (I deleted them for me on another device while
    /// this one was away; hiding has no seq to be caught up by).
    pub fn hide(&mut self, seqs: &[Seq]) {
        for seq in seqs {
            if let Some(m) = self.stored.get_mut(seq) {
                if m.cmd != Cmd::Action.code() {
                    m.hidden = true;
                }
            }
        }
    }

    /// Puts the server's current state of a held message in place of what this client made
    /// of it: one of my actions on it was refused, so its optimistic effect must go. `false`
    /// when the message is not held (or `fresh` is not a message of this conversation).
    pub fn restore(&mut self, fresh: &Frame) -> bool {
        let message = matches!(Cmd::from_code(fresh.cmd), Some(Cmd::Private | Cmd::Group));
        if !message || fresh.seq <= 0 || Conv::parse(&fresh.conv) != Some(self.conv) {
            return false;
        }
        match self.stored.get_mut(&Seq(fresh.seq)) {
            Some(held) => {
                *held = fresh.clone();
                true
            }
            None => false,
        }
    }

    /// The ack of one of my actions: its seq is held from now on (nothing is missing there).
    pub fn apply_action_ack(&mut self, ack: &Ack) -> LiveOutcome {
        if ack.seq <= Seq(0) || ack.conv != self.conv {
            return LiveOutcome::Ignored;
        }
        let marker = Frame {
            cmd: Cmd::Action.code(),
            id: ack.id.0,
            userid: self.me.0,
            conv: self.conv.key(),
            seq: ack.seq.0,
            ts: ack.ts,
            cid: ack.cid.to_string(),
            ..Frame::default()
        };
        let inserted = self.insert(&marker);
        self.outcome(inserted)
    }

    /// What an action does to the message it names (idempotent: the same event applied twice
    /// changes nothing more).
    fn apply_effect(&mut self, ev: &Frame) {
        let Some(act) = Act::parse(&ev.act) else {
            return;
        };
        let target = Seq(ev.target);
        if act == Act::Recall {
            // Replies quoting it now say it was recalled.
            for f in self.stored.values_mut() {
                if let Some(q) = f.quote.as_mut().filter(|q| q.seq == target) {
                    q.recalled = true;
                    q.content.clear();
                }
            }
        }
        let Some(m) = self
            .stored
            .get_mut(&target)
            .filter(|m| m.cmd != Cmd::Action.code())
        else {
            return;
        };
        match act {
            Act::Edit if m.recalled_by == 0 => {
                m.content.clone_from(&ev.content);
                m.edited = ev.ts.max(1);
            }
            Act::Recall => {
                m.recalled_by = ev.userid;
                for field in [&mut m.content, &mut m.pic, &mut m.url, &mut m.memo] {
                    field.clear();
                }
                m.amount = 0;
                m.reactions.clear();
                m.mentions.clear();
                m.pinned_at = 0;
                m.pinned_by = 0;
            }
            Act::React | Act::Unreact if m.recalled_by == 0 => {
                apply_reaction(
                    &mut m.reactions,
                    &ev.content,
                    UserId(ev.userid),
                    act == Act::React,
                );
            }
            Act::Pin if m.recalled_by == 0 => {
                m.pinned_at = ev.ts.max(1);
                m.pinned_by = ev.userid;
            }
            Act::Unpin => {
                m.pinned_at = 0;
                m.pinned_by = 0;
            }
            Act::Hide => m.hidden = true,
            _ => {}
        }
    }

    /// Merges one live message frame (cmd 10/11); see [`LiveOutcome`].
    pub fn apply_live(&mut self, frame: &Frame) -> LiveOutcome {
        let inserted = self.insert(frame);
        self.outcome(inserted)
    }

    /// Shows a message I just wrote as pending, after everything stored. Returns false (and
    /// changes nothing) for a cid already pending: a cid names one message.
    pub fn add_pending(&mut self, cid: Cid, body: MessageBody, now_ms: i64) -> bool {
        if self.pending_index(&cid).is_some() {
            return false;
        }
        self.pending.push(Pending {
            cid,
            body,
            created_ms: now_ms,
            status: Status::Pending,
            decor: Decor::default(),
        });
        true
    }

    /// Gives a pending message of mine its extras (reply, mentions, forwarded), so the
    /// pending bubble and the stored one after the ack show them.
    pub fn decorate_pending(&mut self, cid: &Cid, decor: Decor) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.cid == *cid) {
            p.decor = decor;
        }
    }

    /// Applies an ack: the pending message becomes stored at its seq. An ack for another
    /// conversation, or for a cid not pending here (unknown, or already stored because its
    /// frame came first), is ignored.
    pub fn apply_ack(&mut self, ack: &Ack) -> LiveOutcome {
        if ack.seq <= Seq(0) || ack.conv != self.conv {
            return LiveOutcome::Ignored;
        }
        let Some(index) = self.pending_index(&ack.cid) else {
            return LiveOutcome::Ignored;
        };
        let mine = self.pending.remove(index);
        let frame = self.stored_frame(mine, ack);
        let inserted = self.insert(&frame);
        self.outcome(inserted)
    }

    /// Marks a pending message failed with the server's reason. Returns false for a cid not
    /// pending here.
    pub fn fail(&mut self, cid: &Cid, code: ErrorCode, msg: String) -> bool {
        let Some(index) = self.pending_index(cid) else {
            return false;
        };
        self.pending[index].status = Status::Failed { code, msg };
        true
    }

    /// Puts a failed message back to pending, keeping its cid (so the server cannot store it
    /// twice) and its place. Returns false unless it was failed.
    pub fn retry(&mut self, cid: &Cid) -> bool {
        match self.pending.iter_mut().find(|p| p.cid == *cid) {
            Some(p) if p.status != Status::Pending => {
                p.status = Status::Pending;
                true
            }
            _ => false,
        }
    }

    /// The seq to load older messages before (`?before=`); `None` when nothing is held yet
    /// (load the newest page instead) or seq 1 is held (there is nothing older).
    pub fn oldest_seq(&self) -> Option<Seq> {
        self.stored
            .keys()
            .next()
            .copied()
            .filter(|&seq| seq > Seq::FIRST)
    }

    /// The newest seq held; on reconnect, a conversation whose `last_seq` is beyond it is
    /// pulled with `?after=`.
    pub fn newest_seq(&self) -> Option<Seq> {
        self.stored.keys().next_back().copied()
    }

    /// Where the first hole in the held window starts: the newest seq held with nothing
    /// missing between it and the oldest seq held. `None` without a hole.
    pub fn gap_after(&self) -> Option<Seq> {
        let mut seqs = self.stored.keys().copied();
        let mut prev = seqs.next()?;
        for seq in seqs {
            if seq != prev.next() {
                return Some(prev);
            }
            prev = seq;
        }
        None
    }

    /// True while messages are missing inside the held window.
    pub fn has_gap(&self) -> bool {
        self.gap_after().is_some()
    }

    /// The stored message (or event) at `seq`, if held.
    pub fn get(&self, seq: Seq) -> Option<&Frame> {
        self.stored.get(&seq)
    }

    /// My newest message still held and not recalled (Up arrow in an empty composer edits
    /// it).
    pub fn my_last_text(&self) -> Option<&Frame> {
        self.stored.values().rev().find(|f| {
            f.userid == self.me.0
                && f.cmd != Cmd::Action.code()
                && f.recalled_by == 0
                && !f.hidden
                && f.media == crate::protocol::body::Media::Text.code()
        })
    }

    /// What to display, in order: stored messages by seq, then my pending and failed ones in
    /// the order I wrote them.
    pub fn items(&self) -> impl Iterator<Item = Item<'_>> + '_ {
        self.stored
            .values()
            .filter(|f| f.cmd != Cmd::Action.code() && !f.hidden)
            .map(Item::Stored)
            .chain(self.pending.iter().map(Item::Pending))
    }

    fn pending_index(&self, cid: &Cid) -> Option<usize> {
        self.pending.iter().position(|p| p.cid == *cid)
    }

    /// Holds a stored message frame once. `None`: not a message of this conversation;
    /// `Some(true)`: newly held; `Some(false)`: that seq was held already.
    fn insert(&mut self, frame: &Frame) -> Option<bool> {
        let held = matches!(
            Cmd::from_code(frame.cmd),
            Some(Cmd::Private | Cmd::Group | Cmd::Action)
        );
        if !held || frame.seq <= 0 || Conv::parse(&frame.conv) != Some(self.conv) {
            return None;
        }
        // My own message, stored: whatever was pending under its cid is done, even if it had
        // been marked failed (the failure was only this client's view, e.g. a lost ack).
        if frame.userid == self.me.0 && !frame.cid.is_empty() {
            self.pending.retain(|p| p.cid.as_str() != frame.cid);
        }
        match self.stored.entry(Seq(frame.seq)) {
            Entry::Vacant(slot) => {
                slot.insert(frame.clone());
                Some(true)
            }
            Entry::Occupied(_) => Some(false),
        }
    }

    fn outcome(&self, inserted: Option<bool>) -> LiveOutcome {
        match inserted {
            None => LiveOutcome::Ignored,
            Some(false) => LiveOutcome::Duplicate,
            Some(true) => match self.gap_after() {
                Some(after) => LiveOutcome::Gap { after },
                None => LiveOutcome::Added,
            },
        }
    }

    /// The frame the server delivers to others for my acked message (the same shape as its
    /// `message_frame`): the ack gives id, seq and ts; the body is what I wrote.
    fn stored_frame(&self, mine: Pending, ack: &Ack) -> Frame {
        let mut frame = Frame {
            id: ack.id.0,
            seq: ack.seq.0,
            ts: ack.ts,
            ..Frame::message(self.conv, self.me, mine.cid.as_str(), &mine.body)
        };
        mine.decor.write_to(&mut frame);
        frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{GroupId, MessageId};

    fn c(cid: &str) -> Cid {
        Cid::new(cid).unwrap()
    }

    const ME: UserId = UserId(1);
    const PEER: UserId = UserId(2);

    fn conv() -> Conv {
        Conv::private(ME, PEER).unwrap()
    }

    fn text(s: &str) -> MessageBody {
        MessageBody::new(1, s.into(), String::new(), String::new(), String::new(), 0).unwrap()
    }

    /// A stored message of `conv()` as the server delivers it.
    fn msg(seq: i64, from: UserId, cid: &str) -> Frame {
        Frame {
            cmd: 10,
            id: 1000 + seq,
            userid: from.0,
            dstid: if from == ME { PEER.0 } else { ME.0 },
            media: 1,
            content: format!("m{seq}"),
            cid: cid.into(),
            conv: conv().key(),
            seq,
            ts: 50_000 + seq,
            ..Frame::default()
        }
    }

    fn theirs(seq: i64) -> Frame {
        msg(seq, PEER, &format!("p{seq}"))
    }

    fn ack(cid: &str, seq: i64) -> Ack {
        Ack {
            id: MessageId(1000 + seq),
            cid: c(cid),
            conv: conv(),
            seq: Seq(seq),
            ts: 50_000 + seq,
            action: None,
        }
    }

    /// An action event of `conv()` as the server delivers it.
    fn event(seq: i64, from: UserId, act: &str, target: i64, content: &str) -> Frame {
        Frame {
            cmd: 17,
            userid: from.0,
            conv: conv().key(),
            seq,
            ts: 60_000 + seq,
            act: act.into(),
            target,
            content: content.into(),
            ..Frame::default()
        }
    }

    /// What is displayed, compactly: `5` for stored seq 5, `?c` pending cid c, `!c` failed.
    fn shown(t: &Timeline) -> Vec<String> {
        t.items()
            .map(|item| match item {
                Item::Stored(f) => f.seq.to_string(),
                Item::Pending(p) if p.status == Status::Pending => format!("?{}", p.cid),
                Item::Pending(p) => format!("!{}", p.cid),
            })
            .collect()
    }

    fn seqs(range: std::ops::RangeInclusive<i64>) -> Vec<String> {
        range.map(|s| s.to_string()).collect()
    }

    #[test]
    fn pages_in_any_order_merge_by_seq() {
        let mut t = Timeline::new(conv(), ME);
        assert_eq!(
            (t.oldest_seq(), t.newest_seq(), t.has_gap()),
            (None, None, false)
        );
        // The newest page, shuffled and with a repeat.
        let mut page: Vec<Frame> = (81..=100).rev().map(theirs).collect();
        page.push(theirs(90));
        assert_eq!(t.apply_page(page), 20);
        assert_eq!(t.oldest_seq(), Some(Seq(81)));
        // An older page overlapping what is held.
        assert_eq!(t.apply_page((61..=85).map(theirs)), 20);
        assert_eq!(t.apply_page((81..=85).map(theirs)), 0);
        assert_eq!(
            (t.oldest_seq(), t.newest_seq()),
            (Some(Seq(61)), Some(Seq(100)))
        );
        assert!(!t.has_gap());
        // The first page reached: nothing older to load.
        t.apply_page((1..=60).map(theirs));
        assert_eq!(t.oldest_seq(), None);
        assert_eq!(shown(&t), seqs(1..=100));
        assert_eq!(t.get(Seq(42)).map(|f| f.content.as_str()), Some("m42"));
    }

    #[test]
    fn live_frames_insert_once_and_report_gaps() {
        let mut t = Timeline::new(conv(), ME);
        t.apply_page((81..=100).map(theirs));
        assert_eq!(t.apply_live(&theirs(101)), LiveOutcome::Added);
        assert_eq!(t.apply_live(&theirs(101)), LiveOutcome::Duplicate);
        assert_eq!(t.apply_live(&theirs(90)), LiveOutcome::Duplicate);
        // 102 and 103 were missed (say, while reconnecting).
        assert_eq!(
            t.apply_live(&theirs(104)),
            LiveOutcome::Gap { after: Seq(101) }
        );
        assert_eq!(
            t.apply_live(&theirs(105)),
            LiveOutcome::Gap { after: Seq(101) }
        );
        assert_eq!(t.gap_after(), Some(Seq(101)));
        // The pull `?after=101` fills it, overlapping what came live.
        assert_eq!(t.apply_page((102..=105).map(theirs)), 2);
        assert!(!t.has_gap());
        assert_eq!(t.apply_live(&theirs(106)), LiveOutcome::Added);
        assert_eq!(shown(&t), seqs(81..=106));
    }

    #[test]
    fn a_live_frame_before_any_history_is_not_a_gap() {
        // Nothing below the window is missing: it is history not loaded yet.
        let mut t = Timeline::new(conv(), ME);
        assert_eq!(t.apply_live(&theirs(57)), LiveOutcome::Added);
        assert_eq!(t.oldest_seq(), Some(Seq(57)));
        // The newest page then arrives with it included.
        t.apply_page((38..=57).map(theirs));
        assert_eq!((t.oldest_seq(), t.has_gap()), (Some(Seq(38)), false));
    }

    #[test]
    fn frames_of_other_conversations_and_kinds_are_ignored() {
        let mut t = Timeline::new(conv(), ME);
        let elsewhere = Frame {
            conv: Conv::group(GroupId(3)).key(),
            cmd: 11,
            ..theirs(1)
        };
        let no_seq = Frame {
            seq: 0,
            ..theirs(1)
        };
        let notice = Frame {
            cmd: 12,
            ..theirs(1)
        };
        for f in [&elsewhere, &no_seq, &notice] {
            assert_eq!(t.apply_live(f), LiveOutcome::Ignored);
        }
        assert_eq!(t.apply_page([elsewhere, no_seq, notice]), 0);
        assert_eq!(t.items().count(), 0);
    }

    #[test]
    fn pending_messages_follow_stored_ones_and_acks_store_them() {
        let mut t = Timeline::new(conv(), ME);
        t.apply_page((1..=3).map(theirs));
        assert!(t.add_pending(c("a"), text("first"), 10));
        assert!(t.add_pending(c("b"), text("second"), 11));
        assert!(!t.add_pending(c("a"), text("again"), 12));
        assert!(Cid::new(String::new()).is_err(), "no cid");
        assert_eq!(shown(&t), ["1", "2", "3", "?a", "?b"]);

        // Acks may come in any order; a stored message sorts by seq, pending by creation.
        assert_eq!(t.apply_ack(&ack("b", 4)), LiveOutcome::Added);
        assert_eq!(shown(&t), ["1", "2", "3", "4", "?a"]);
        // The stored message looks as the server delivers it to others.
        let stored = t.get(Seq(4)).unwrap();
        assert_eq!(
            (stored.cmd, stored.userid, stored.dstid, stored.cid.as_str()),
            (10, ME.0, PEER.0, "b")
        );
        assert_eq!((stored.content.as_str(), stored.media), ("second", 1));
        assert_eq!((stored.id, stored.ts), (1004, 50_004));

        // Repeated, unknown and foreign acks are harmless.
        assert_eq!(t.apply_ack(&ack("b", 4)), LiveOutcome::Ignored);
        assert_eq!(t.apply_ack(&ack("zz", 9)), LiveOutcome::Ignored);
        let other = Ack {
            conv: Conv::group(GroupId(7)),
            ..ack("a", 5)
        };
        assert_eq!(t.apply_ack(&other), LiveOutcome::Ignored);
        assert_eq!(shown(&t), ["1", "2", "3", "4", "?a"]);

        // My ack can overtake the peer's message stored just before it.
        assert_eq!(
            t.apply_ack(&ack("a", 6)),
            LiveOutcome::Gap { after: Seq(4) }
        );
        assert_eq!(t.apply_live(&theirs(5)), LiveOutcome::Added);
        assert_eq!(shown(&t), seqs(1..=6));
    }

    #[test]
    fn group_acks_build_group_frames() {
        let g = Conv::group(GroupId(7));
        let mut t = Timeline::new(g, ME);
        t.add_pending(c("c"), text("hi all"), 1);
        let outcome = t.apply_ack(&Ack {
            conv: g,
            ..ack("c", 1)
        });
        assert_eq!(outcome, LiveOutcome::Added);
        let stored = t.get(Seq(1)).unwrap();
        assert_eq!((stored.cmd, stored.dstid, stored.userid), (11, 7, ME.0));
    }

    #[test]
    fn my_message_arriving_as_a_frame_resolves_the_pending_one() {
        let mut t = Timeline::new(conv(), ME);
        t.apply_page((1..=2).map(theirs));
        t.add_pending(c("x"), text("sent over REST"), 1);
        t.add_pending(c("y"), text("in a page"), 2);
        // Someone else's message with the same cid is theirs, not mine.
        assert_eq!(t.apply_live(&msg(3, PEER, "x")), LiveOutcome::Added);
        assert_eq!(shown(&t), ["1", "2", "3", "?x", "?y"]);
        // My own, delivered before the ack: shown once, no longer pending.
        assert_eq!(t.apply_live(&msg(4, ME, "x")), LiveOutcome::Added);
        assert_eq!(shown(&t), ["1", "2", "3", "4", "?y"]);
        assert_eq!(t.apply_ack(&ack("x", 4)), LiveOutcome::Ignored);
        // A history page holding my message does the same.
        t.apply_page([msg(5, ME, "y")]);
        assert_eq!(shown(&t), seqs(1..=5));
    }

    #[test]
    fn failed_messages_keep_their_cid_and_place() {
        let mut t = Timeline::new(conv(), ME);
        t.add_pending(c("a"), text("one"), 1);
        t.add_pending(c("b"), text("two"), 2);
        assert!(t.fail(&c("a"), ErrorCode::NotFriendsLimit, "Not friends.".into()));
        assert!(!t.fail(&c("nope"), ErrorCode::Internal, String::new()));
        assert_eq!(shown(&t), ["!a", "?b"]);
        let Some(Item::Pending(a)) = t.items().next() else {
            panic!("a is first")
        };
        assert_eq!(
            a.status,
            Status::Failed {
                code: ErrorCode::NotFriendsLimit,
                msg: "Not friends.".into()
            }
        );
        assert!(t.retry(&c("a")));
        assert!(!t.retry(&c("a")), "already pending");
        assert!(!t.retry(&c("nope")));
        assert_eq!(shown(&t), ["?a", "?b"]);
        // A failure that was only this client's view ends when the message shows up stored.
        t.fail(&c("b"), ErrorCode::Internal, "Timed out.".into());
        t.apply_live(&msg(1, ME, "b"));
        assert_eq!(shown(&t), ["1", "?a"]);
    }

    #[test]
    fn events_take_their_seq_and_change_the_message_they_name() {
        let mut t = Timeline::new(conv(), ME);
        t.apply_page([theirs(1), theirs(2)]);
        assert_eq!(
            t.apply_event(&event(3, PEER, "edit", 1, "fixed")),
            LiveOutcome::Added
        );
        assert_eq!(
            t.apply_event(&event(4, ME, "react", 1, "👍")),
            LiveOutcome::Added
        );
        assert_eq!(
            t.apply_event(&event(5, PEER, "react", 1, "👍")),
            LiveOutcome::Added
        );
        assert_eq!(
            t.apply_event(&event(6, PEER, "pin", 2, "")),
            LiveOutcome::Added
        );
        // Events are held (no hole), never shown as rows.
        assert_eq!(shown(&t), ["1", "2"]);
        assert_eq!(t.gap_after(), None);
        let m = t.get(Seq(1)).unwrap();
        assert_eq!((m.content.as_str(), m.edited > 0), ("fixed", true));
        assert_eq!(m.reactions[0].users, vec![ME, PEER]);
        assert!(t.get(Seq(2)).unwrap().pinned_at > 0);
        // Seen again (a page after a reconnect): nothing changes twice.
        assert_eq!(
            t.apply_event(&event(5, PEER, "react", 1, "👍")),
            LiveOutcome::Duplicate
        );
        t.apply_page([event(4, ME, "react", 1, "👍")]);
        assert_eq!(t.get(Seq(1)).unwrap().reactions[0].users.len(), 2);
        // A missed event is a gap like a missed message.
        assert_eq!(
            t.apply_event(&event(8, PEER, "unreact", 1, "👍")),
            LiveOutcome::Gap { after: Seq(6) }
        );
        assert_eq!(t.get(Seq(1)).unwrap().reactions[0].users, vec![ME]);
    }

    #[test]
    fn a_refused_action_of_mine_is_undone_by_the_servers_state_of_its_message() {
        let mut t = Timeline::new(conv(), ME);
        t.apply_page([theirs(1), theirs(2)]);
        let react = Action::new(conv(), Seq(1), Act::React, c("k1"), "👍".into()).unwrap();
        t.apply_mine(&react, 70_000);
        assert_eq!(t.get(Seq(1)).unwrap().reactions.len(), 1);
        // A newer page does not undo it: the message is held already.
        t.apply_page([theirs(1), theirs(2)]);
        assert_eq!(t.get(Seq(1)).unwrap().reactions.len(), 1);
        // The server's own state of the message does.
        assert!(t.restore(&theirs(1)));
        assert!(t.get(Seq(1)).unwrap().reactions.is_empty());
        // Only messages this timeline holds, of this conversation.
        assert!(!t.restore(&theirs(9)));
        assert!(!t.restore(&event(3, PEER, "react", 1, "👍")));
        let mut elsewhere = theirs(2);
        elsewhere.conv = Conv::group(GroupId(4)).key();
        assert!(!t.restore(&elsewhere));
        assert_eq!(shown(&t), ["1", "2"]);
    }

    #[test]
    fn messages_deleted_for_me_elsewhere_hide_here_too() {
        let mut t = Timeline::new(conv(), ME);
        t.apply_page([theirs(1), theirs(2)]);
        t.apply_event(&event(3, PEER, "react", 1, "👍"));
        t.hide(&[Seq(2), Seq(3), Seq(40)]);
        assert!(!t.get(Seq(1)).unwrap().hidden);
        assert!(t.get(Seq(2)).unwrap().hidden);
    }

    #[test]
    fn a_recall_erases_the_message_and_the_quotes_of_it() {
        let mut t = Timeline::new(conv(), ME);
        let mut reply = theirs(2);
        reply.reply_to = 1;
        reply.quote = Some(crate::protocol::action::Quote::of(
            Seq(1),
            ME,
            crate::protocol::body::Media::Text,
            "secret",
        ));
        t.apply_page([msg(1, ME, "a"), reply]);
        t.apply_event(&event(3, ME, "recall", 1, ""));
        let m = t.get(Seq(1)).unwrap();
        assert_eq!((m.recalled_by, m.content.as_str()), (ME.0, ""));
        let q = t.get(Seq(2)).unwrap().quote.clone().unwrap();
        assert!(q.recalled && q.content.is_empty());
        // Nothing more applies to it.
        t.apply_event(&event(4, ME, "edit", 1, "back"));
        assert_eq!(t.get(Seq(1)).unwrap().content, "");
        assert_eq!(shown(&t), ["1", "2"], "a recalled message keeps its place");
    }

    #[test]
    fn my_actions_show_at_once_and_their_acks_fill_their_seq() {
        let mut t = Timeline::new(conv(), ME);
        t.apply_page([msg(1, ME, "a")]);
        let edit = Action::new(conv(), Seq(1), Act::Edit, c("e"), "better".into()).unwrap();
        t.apply_mine(&edit, 5);
        assert_eq!(t.get(Seq(1)).unwrap().content, "better");
        let acked = Ack {
            action: Some(Act::Edit),
            ..ack("e", 2)
        };
        assert_eq!(t.apply_action_ack(&acked), LiveOutcome::Added);
        assert_eq!(t.newest_seq(), Some(Seq(2)));
        assert_eq!(shown(&t), ["1"]);
        // Hiding for me: gone from the rows, nothing of it shown.
        let hide = event(0, ME, "hide", 1, "");
        assert_eq!(t.apply_event(&hide), LiveOutcome::Added);
        assert!(shown(&t).is_empty());
    }

    #[test]
    fn an_older_page_is_held_as_it_comes() {
        let mut t = Timeline::new(conv(), ME);
        t.apply_page([theirs(3)]);
        // The message comes in its current state (no reaction any more); the old event
        // that added one must not bring it back.
        t.apply_older_page([theirs(1), event(2, PEER, "react", 1, "👍")]);
        assert!(t.get(Seq(1)).unwrap().reactions.is_empty());
        assert_eq!(t.gap_after(), None);
    }
}
