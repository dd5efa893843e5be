//! Loading a conversation's older pages as the reader scrolls up: one request at a time, never
//! past seq 1, and the senders of each page merged so group names show for members who only
//! wrote long ago.

use super::timeline::Timeline;
use crate::ids::Seq;
use crate::protocol::frame::Frame;
use crate::protocol::User;

/// Where loading older pages stands for one open conversation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Older {
    /// The `before` of the request in flight, if any.
    in_flight: Option<Seq>,
}

impl Older {
    /// Starts loading the page before what `timeline` holds, returning the `before` to ask
    /// for; `None` while a page is already loading (the same page is never asked for twice
    /// at once), when nothing is held yet, or when seq 1 is held (nothing is older).
    pub fn begin(&mut self, timeline: &Timeline) -> Option<Seq> {
        if self.in_flight.is_some() {
            return None;
        }
        let before = timeline.oldest_seq()?;
        self.in_flight = Some(before);
        Some(before)
    }

    /// The request in flight ended (its page merged, or it failed and may be asked again).
    pub fn finish(&mut self) {
        self.in_flight = None;
    }

    /// True while a page is loading ("Loading earlier messages…").
    pub fn loading(&self) -> bool {
        self.in_flight.is_some()
    }
}

/// True once the conversation's first message (seq 1) is held: the reader has reached the
/// beginning.
pub fn at_beginning(timeline: &Timeline) -> bool {
    timeline.get(Seq::FIRST).is_some()
}

/// Adds the users of `page` not yet in `known` (by id), keeping what was known first.
pub fn merge_senders(known: &mut Vec<User>, page: Vec<User>) {
    for u in page {
        if !known.iter().any(|k| k.id == u.id) {
            known.push(u);
        }
    }
}

/// Adds the system notices of `page` not yet in `known` (by id), keeping `known` in id order,
/// which is the order they happened in.
pub fn merge_notices(known: &mut Vec<Frame>, page: Vec<Frame>) {
    let before = known.len();
    for n in page {
        if !known.iter().any(|k| k.id == n.id) {
            known.push(n);
        }
    }
    if known.len() != before {
        known.sort_by_key(|n| n.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{GroupId, UserId};
    use crate::protocol::Conv;

    const ME: UserId = UserId(1);

    fn group() -> Conv {
        Conv::group(GroupId(9))
    }

    fn msg(seq: i64, from: i64) -> Frame {
        Frame {
            cmd: 11,
            id: 500 + seq,
            userid: from,
            dstid: 9,
            media: 1,
            content: format!("m{seq}"),
            cid: format!("c{seq}"),
            conv: group().key(),
            seq,
            ts: seq,
            ..Frame::default()
        }
    }

    fn user(id: i64, nickname: &str) -> User {
        User {
            id: UserId(id),
            username: format!("u{id}"),
            nickname: nickname.into(),
            avatar: String::new(),
            status: String::new(),
        }
    }

    #[test]
    fn older_pages_load_one_at_a_time_down_to_seq_one() {
        let mut t = Timeline::new(group(), ME);
        let mut older = Older::default();
        // Nothing held yet: the newest page comes first, not an older one.
        assert_eq!(older.begin(&t), None);
        t.apply_page((91..=120).map(|s| msg(s, 2)));
        assert_eq!(older.begin(&t), Some(Seq(91)));
        assert!(older.loading());
        // Scrolling on while it loads asks for nothing more.
        assert_eq!(older.begin(&t), None);
        // The page arrives (the server's page before 91) and merges below what is held.
        assert_eq!(t.apply_page((61..=90).map(|s| msg(s, 3))), 30);
        older.finish();
        assert!(!older.loading());
        assert!(!at_beginning(&t));
        assert_eq!(older.begin(&t), Some(Seq(61)));
        // A failed request may be asked again.
        older.finish();
        assert_eq!(older.begin(&t), Some(Seq(61)));
        t.apply_page((1..=60).map(|s| msg(s, 4)));
        older.finish();
        assert!(at_beginning(&t));
        assert_eq!(older.begin(&t), None, "nothing is older than seq 1");
        assert_eq!(t.items().count(), 120);
        assert!(!t.has_gap());
    }

    #[test]
    fn senders_of_older_pages_are_added_once() {
        let mut known = vec![user(2, "Bea"), user(3, "Cal")];
        merge_senders(&mut known, vec![user(3, "Cal renamed"), user(4, "Dee")]);
        let names: Vec<&str> = known.iter().map(|u| u.nickname.as_str()).collect();
        assert_eq!(names, ["Bea", "Cal", "Dee"]);
        merge_senders(&mut known, Vec::new());
        assert_eq!(known.len(), 3);
    }

    #[test]
    fn notices_of_each_page_are_added_once_in_id_order() {
        let notice = |id: i64| Frame {
            cmd: 12,
            id,
            ts: id,
            ..Frame::default()
        };
        // A live notice first, then the newest page's, then an older page's.
        let mut known = vec![notice(9)];
        merge_notices(&mut known, vec![notice(7), notice(9)]);
        merge_notices(&mut known, vec![notice(3), notice(7)]);
        let ids: Vec<i64> = known.iter().map(|n| n.id).collect();
        assert_eq!(ids, [3, 7, 9]);
    }
}
