//! The conversation list: the rows of `GET /api/conversations`, kept up to date by live
//! messages and read marks, newest activity first, with the unread counts the tab title sums.
//!
//! Counters follow the server's rules so a reload shows the same numbers: `unread` is
//! `last_seq - read_seq`, and sending a message moves my read mark to it (my own messages are
//! never unread).

use crate::ids::{Seq, UserId};
use crate::protocol::event::ServerEvent;
use crate::protocol::frame::{Cmd, Frame};
use crate::protocol::{Conv, ConversationSummary};
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// What a live message did to the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListChange {
    /// Its conversation has a new last message and moved to the top.
    Updated,
    /// A conversation not listed before, now at the top with an empty title and avatar:
    /// reload `GET /api/conversations` (and [`Conversations::apply_rows`]) to fill them in.
    New(Conv),
    /// Not a newer message of any conversation (a duplicate, an older one, another cmd).
    Unchanged,
}

/// The conversation list and the read receipts seen from peers.
#[derive(Clone, Debug, Default)]
pub struct Conversations {
    /// Newest activity first; a conversation appears once.
    list: Vec<ConversationSummary>,
    /// How far each 1:1 peer has read, from their receipts (the server's list does not say).
    peer_read: BTreeMap<Conv, Seq>,
}

/// Moves the read mark to `seq` and takes what it passed off the unread count. Actions on
/// messages take seqs too, so the count cannot be `last_seq - read_seq`: the server's count
/// is kept and lowered by at most the seqs passed (exact when they were all messages, and a
/// reload brings the server's exact count back).
fn read_to(c: &mut ConversationSummary, seq: Seq) {
    let passed = (seq.0 - c.read_seq.0).max(0);
    c.read_seq = c.read_seq.max(seq);
    c.unread = if c.read_seq >= c.last_seq {
        0
    } else {
        (c.unread - passed).clamp(0, c.last_seq.0 - c.read_seq.0)
    };
}

/// Activity time: the last message's server time (what the server sorts by too).
fn activity(c: &ConversationSummary) -> Reverse<i64> {
    Reverse(c.last.as_ref().map_or(0, |f| f.ts))
}

impl Conversations {
    /// An empty list, before the first `GET /api/conversations`.
    pub fn new() -> Conversations {
        Conversations::default()
    }

    /// Merges a fresh `GET /api/conversations` answer (on load and on every reconnect). The
    /// server's rows win, except where this client already holds something newer because a
    /// live message or a read mark overtook the request: then the newer last message and the
    /// further read mark are kept. Conversations the answer lacks but a live message created
    /// meanwhile stay. The list is then sorted by the last message's time, newest first.
    pub fn apply_rows(&mut self, rows: Vec<ConversationSummary>) {
        let mut held = std::mem::take(&mut self.list);
        for mut row in rows {
            if self.list.iter().any(|c| c.conv == row.conv) {
                continue;
            }
            if let Some(i) = held.iter().position(|c| c.conv == row.conv) {
                let local = held.remove(i);
                if local.last_seq > row.last_seq {
                    // Messages that overtook the answer were counted here.
                    row.last_seq = local.last_seq;
                    row.last = local.last;
                    row.unread = row.unread.max(local.unread);
                }
                read_to(&mut row, local.read_seq);
            }
            self.list.push(row);
        }
        self.list.extend(held);
        // Stable: rows with the same time keep the server's order.
        self.list.sort_by_key(activity);
    }

    /// Applies a delivered message (cmd 10/11), or my own acked one: a newer message becomes
    /// its conversation's last, counts as unread unless it is mine (`me`), and moves the
    /// conversation to the top. A conversation not listed yet is created (see
    /// [`ListChange::New`]) without a read mark, so all of it counts as unread, as the
    /// server counts a conversation I never read.
    pub fn apply_live(&mut self, frame: &Frame, me: UserId) -> ListChange {
        let is_message = matches!(Cmd::from_code(frame.cmd), Some(Cmd::Private | Cmd::Group));
        let Some(conv) = Conv::parse(&frame.conv).filter(|_| is_message && frame.seq > 0) else {
            return ListChange::Unchanged;
        };
        let (mut entry, change) = match self.position(conv) {
            Some(i) if self.list[i].last_seq >= Seq(frame.seq) => return ListChange::Unchanged,
            Some(i) => (self.list.remove(i), ListChange::Updated),
            None => (
                ConversationSummary {
                    conv,
                    title: String::new(),
                    avatar: String::new(),
                    last_seq: Seq(0),
                    // Every local read mark is one the server has too, so a reload can merge
                    // by taking the further mark; a guess here would outlive the reload.
                    read_seq: Seq(0),
                    // At most this many; the reload that fills in the title counts exactly.
                    unread: frame.seq - 1,
                    last: None,
                    mentioned: false,
                },
                ListChange::New(conv),
            ),
        };
        entry.last_seq = Seq(frame.seq);
        entry.last = Some(frame.clone());
        if frame.userid == me.0 {
            // The server moves the sender's read mark to their own message.
            read_to(&mut entry, Seq(frame.seq));
        } else if Seq(frame.seq) > entry.read_seq {
            entry.unread += 1;
            if frame.mentions.contains(&me.0) || frame.mentions.contains(&0) {
                entry.mentioned = true;
            }
        }
        self.list.insert(0, entry);
        change
    }

    /// I have seen `conv` up to `seq` (never past its newest message). Returns true when the
    /// mark moved, i.e. when to tell the server (`{cmd:15, conv, seq}`); false when it was
    /// already there or the conversation is not listed.
    pub fn mark_read(&mut self, conv: Conv, seq: Seq) -> bool {
        let Some(c) = self.entry_mut(conv) else {
            return false;
        };
        let seq = seq.min(c.last_seq);
        if seq <= c.read_seq {
            return false;
        }
        read_to(c, seq);
        if c.unread == 0 {
            c.mentioned = false;
        }
        true
    }

    /// Applies a relayed read mark (cmd 15, [`ServerEvent::Read`]); any other event changes
    /// nothing. My own mark (`me`), from another of my devices, clears unread messages here;
    /// a peer's is a receipt for [`Conversations::peer_read_seq`]. Marks never move back.
    /// Returns true when something changed.
    pub fn apply_read_receipt(&mut self, event: &ServerEvent, me: UserId) -> bool {
        let &ServerEvent::Read { conv, user, seq } = event else {
            return false;
        };
        if user == me {
            // Not capped at the newest message held: the server already capped it at the
            // newest stored, which may still be on its way here.
            return match self.entry_mut(conv) {
                Some(c) if seq > c.read_seq => {
                    read_to(c, seq);
                    if c.unread == 0 {
                        c.mentioned = false;
                    }
                    true
                }
                _ => false,
            };
        }
        let mark = self.peer_read.entry(conv).or_default();
        if seq > *mark {
            *mark = seq;
            true
        } else {
            false
        }
    }

    /// How far the peer of a 1:1 has read, from the receipts seen since this list was made
    /// (0 before any: the server's list does not carry it).
    pub fn peer_read_seq(&self, conv: Conv) -> Seq {
        self.peer_read.get(&conv).copied().unwrap_or_default()
    }

    /// Takes a conversation off the list (I left the group, it was dissolved). Returns false
    /// when it was not listed.
    pub fn remove(&mut self, conv: Conv) -> bool {
        self.peer_read.remove(&conv);
        match self.position(conv) {
            Some(i) => {
                self.list.remove(i);
                true
            }
            None => false,
        }
    }

    /// The sum of unread messages, for the tab title.
    pub fn total_unread(&self) -> i64 {
        self.list.iter().map(|c| c.unread).sum()
    }

    /// The conversations, newest activity first.
    pub fn iter(&self) -> impl Iterator<Item = &ConversationSummary> + '_ {
        self.list.iter()
    }

    /// One conversation, if listed.
    pub fn get(&self, conv: Conv) -> Option<&ConversationSummary> {
        self.list.iter().find(|c| c.conv == conv)
    }

    fn position(&self, conv: Conv) -> Option<usize> {
        self.list.iter().position(|c| c.conv == conv)
    }

    fn entry_mut(&mut self, conv: Conv) -> Option<&mut ConversationSummary> {
        self.list.iter_mut().find(|c| c.conv == conv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::GroupId;

    const ME: UserId = UserId(1);

    fn p(peer: i64) -> Conv {
        Conv::private(ME, UserId(peer)).unwrap()
    }

    fn g(id: i64) -> Conv {
        Conv::group(GroupId(id))
    }

    fn msg(conv: Conv, seq: i64, from: i64, ts: i64) -> Frame {
        Frame {
            cmd: if matches!(conv, Conv::Group(_)) {
                11
            } else {
                10
            },
            id: ts,
            userid: from,
            media: 1,
            content: format!("{conv} #{seq}"),
            cid: format!("c{ts}"),
            conv: conv.key(),
            seq,
            ts,
            ..Frame::default()
        }
    }

    fn row(conv: Conv, title: &str, last_seq: i64, read_seq: i64, ts: i64) -> ConversationSummary {
        ConversationSummary {
            conv,
            title: title.into(),
            avatar: String::new(),
            last_seq: Seq(last_seq),
            read_seq: Seq(read_seq),
            unread: last_seq - read_seq,
            last: Some(msg(conv, last_seq, 99, ts)),
            mentioned: false,
        }
    }

    fn receipt(conv: Conv, from: i64, seq: i64) -> Frame {
        Frame {
            cmd: 15,
            userid: from,
            conv: conv.key(),
            seq,
            ..Frame::default()
        }
    }

    /// The event a read mark frame decodes into.
    fn read(conv: Conv, from: i64, seq: i64) -> ServerEvent {
        ServerEvent::from_frame(receipt(conv, from, seq)).unwrap()
    }

    fn order(c: &Conversations) -> Vec<String> {
        c.iter().map(|s| s.conv.key()).collect()
    }

    fn unread(c: &Conversations, conv: Conv) -> i64 {
        c.get(conv).map_or(-1, |s| s.unread)
    }

    fn listed() -> Conversations {
        let mut c = Conversations::new();
        c.apply_rows(vec![
            row(p(2), "Bob", 10, 7, 300),
            row(g(5), "Club", 40, 40, 200),
            row(p(3), "Cy", 4, 0, 100),
        ]);
        c
    }

    #[test]
    fn rows_from_the_server_keep_their_order_and_counts() {
        let c = listed();
        assert_eq!(order(&c), ["p:1:2", "g:5", "p:1:3"]);
        assert_eq!(c.total_unread(), 3 + 4);
        assert_eq!(c.get(g(5)).map(|s| s.title.as_str()), Some("Club"));
        assert_eq!(c.get(p(9)), None);
    }

    #[test]
    fn live_messages_move_their_conversation_to_the_top() {
        let mut c = listed();
        assert_eq!(c.apply_live(&msg(p(3), 5, 3, 400), ME), ListChange::Updated);
        assert_eq!(order(&c), ["p:1:3", "p:1:2", "g:5"]);
        assert_eq!((unread(&c, p(3)), c.total_unread()), (5, 8));
        // Duplicates and older messages change nothing.
        assert_eq!(
            c.apply_live(&msg(p(3), 5, 3, 400), ME),
            ListChange::Unchanged
        );
        assert_eq!(
            c.apply_live(&msg(p(2), 9, 2, 250), ME),
            ListChange::Unchanged
        );
        assert_eq!(order(&c), ["p:1:3", "p:1:2", "g:5"]);
        // My own message is read, and reads what came before it (as on the server).
        assert_eq!(
            c.apply_live(&msg(g(5), 41, ME.0, 500), ME),
            ListChange::Updated
        );
        assert_eq!(
            c.apply_live(&msg(p(2), 11, ME.0, 600), ME),
            ListChange::Updated
        );
        assert_eq!(order(&c), ["p:1:2", "g:5", "p:1:3"]);
        assert_eq!((unread(&c, p(2)), unread(&c, g(5))), (0, 0));
        let last = c.get(p(2)).and_then(|s| s.last.as_ref()).unwrap();
        assert_eq!((last.seq, last.userid), (11, ME.0));
        // Not messages.
        assert_eq!(
            c.apply_live(&receipt(p(2), 2, 11), ME),
            ListChange::Unchanged
        );
        let bad_key = Frame {
            conv: "p:2:1".into(),
            ..msg(p(2), 12, 2, 700)
        };
        assert_eq!(c.apply_live(&bad_key, ME), ListChange::Unchanged);
    }

    #[test]
    fn an_unknown_conversation_is_created_untitled_then_filled_in() {
        let mut c = listed();
        // A stranger's 1:1 (or a group I was just added to) with history I never saw.
        assert_eq!(
            c.apply_live(&msg(p(8), 6, 8, 400), ME),
            ListChange::New(p(8))
        );
        let new = c.get(p(8)).unwrap();
        assert_eq!(
            (new.title.as_str(), new.unread, new.last_seq),
            ("", 6, Seq(6))
        );
        assert_eq!(order(&c)[0], "p:1:8");
        // The reload gives the real title and counters.
        c.apply_rows(vec![
            row(p(8), "Dee", 6, 2, 400),
            row(p(2), "Bob", 10, 7, 300),
            row(g(5), "Club", 40, 40, 200),
            row(p(3), "Cy", 4, 0, 100),
        ]);
        assert_eq!(order(&c), ["p:1:8", "p:1:2", "g:5", "p:1:3"]);
        assert_eq!(
            c.get(p(8)).map(|s| (s.title.as_str(), s.unread)),
            Some(("Dee", 4))
        );
    }

    #[test]
    fn a_reload_keeps_what_overtook_it() {
        let mut c = listed();
        // While the request was out: a message in Cy's chat, a new chat with Eve, and I
        // read Bob's.
        c.apply_live(&msg(p(3), 5, 3, 400), ME);
        c.apply_live(&msg(p(5), 1, 5, 500), ME);
        assert!(c.mark_read(p(2), Seq(10)));
        // The answer was computed before all that.
        c.apply_rows(vec![
            row(p(2), "Bob", 10, 7, 300),
            row(g(5), "Club", 40, 40, 200),
            row(p(3), "Cy", 4, 0, 100),
            row(g(5), "Club again", 40, 40, 200),
        ]);
        assert_eq!(order(&c), ["p:1:5", "p:1:3", "p:1:2", "g:5"]);
        assert_eq!(
            c.get(p(3)).map(|s| (s.last_seq, s.unread)),
            Some((Seq(5), 5))
        );
        assert_eq!(unread(&c, p(2)), 0);
        assert_eq!(c.get(g(5)).map(|s| s.title.as_str()), Some("Club"));
        assert_eq!(c.total_unread(), 5 + 1);
    }

    #[test]
    fn reading_moves_the_mark_forward_only() {
        let mut c = listed();
        assert!(c.mark_read(p(2), Seq(9)));
        assert_eq!(unread(&c, p(2)), 1);
        assert!(
            !c.mark_read(p(2), Seq(9)),
            "already there: nothing to tell the server"
        );
        assert!(!c.mark_read(p(2), Seq(3)), "never back");
        assert!(c.mark_read(p(2), Seq(1000)), "capped at the newest message");
        assert_eq!(
            c.get(p(2)).map(|s| (s.read_seq, s.unread)),
            Some((Seq(10), 0))
        );
        assert!(!c.mark_read(p(9), Seq(1)), "not listed");
        assert_eq!(c.total_unread(), 4);
    }

    #[test]
    fn read_receipts_from_my_devices_and_from_peers() {
        let mut c = listed();
        // Read on my phone.
        assert!(c.apply_read_receipt(&read(p(3), ME.0, 4), ME));
        assert!(!c.apply_read_receipt(&read(p(3), ME.0, 2), ME));
        assert_eq!(unread(&c, p(3)), 0);
        // My phone already read a message that has not reached this tab yet.
        assert!(c.apply_read_receipt(&read(p(2), ME.0, 11), ME));
        c.apply_live(&msg(p(2), 11, 2, 400), ME);
        assert_eq!(unread(&c, p(2)), 0);
        // Bob read mine.
        assert_eq!(c.peer_read_seq(p(2)), Seq(0));
        assert!(c.apply_read_receipt(&read(p(2), 2, 10), ME));
        assert!(!c.apply_read_receipt(&read(p(2), 2, 8), ME));
        assert_eq!(c.peer_read_seq(p(2)), Seq(10));
        assert_eq!(unread(&c, p(2)), 0);
        // Not a read mark.
        let typing = Frame {
            cmd: 16,
            ..receipt(p(2), 2, 12)
        };
        let typing = ServerEvent::from_frame(typing).unwrap();
        assert!(!c.apply_read_receipt(&typing, ME));
        assert_eq!(c.peer_read_seq(p(2)), Seq(10));
    }

    #[test]
    fn conversations_can_be_removed() {
        let mut c = listed();
        assert!(c.remove(g(5)));
        assert!(!c.remove(g(5)));
        assert_eq!(order(&c), ["p:1:2", "p:1:3"]);
        assert_eq!(c.total_unread(), 7);
    }
}
