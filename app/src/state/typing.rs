//! Who is typing in a conversation: each signal (cmd 16) shows its sender for a few seconds,
//! a newer one extends it, and a message from them ends it.

use crate::i18n::{td_string, Locale};

use crate::ids::UserId;

/// The people typing now, each until a deadline (ms since the epoch).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Typers {
    /// In the order they started typing; a user appears at most once.
    until: Vec<(UserId, i64)>,
}

impl Typers {
    /// `who` signalled typing at `now_ms`; shown until `now_ms + shown_ms`.
    pub fn note(&mut self, who: UserId, now_ms: i64, shown_ms: i64) {
        let deadline = now_ms.saturating_add(shown_ms);
        match self.until.iter_mut().find(|(u, _)| *u == who) {
            Some(entry) => entry.1 = entry.1.max(deadline),
            None => self.until.push((who, deadline)),
        }
    }

    /// `who` sent a message: they are done typing it. Returns true if they were shown.
    pub fn stopped(&mut self, who: UserId) -> bool {
        let before = self.until.len();
        self.until.retain(|(u, _)| *u != who);
        self.until.len() != before
    }

    /// Forgets everyone whose deadline has passed. Returns true if anyone was removed.
    pub fn expire(&mut self, now_ms: i64) -> bool {
        let before = self.until.len();
        self.until.retain(|&(_, deadline)| deadline > now_ms);
        self.until.len() != before
    }

    /// Who is shown typing, in the order they started.
    pub fn who(&self) -> impl Iterator<Item = UserId> + '_ {
        self.until.iter().map(|&(u, _)| u)
    }
}

/// The header's line for the people typing (their display names, in order): `None` when
/// nobody is, the name for one person, a count for more.
pub fn typing_line(locale: Locale, names: &[String]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(td_string!(locale, one_typing, name = one).to_string()),
        many => Some(td_string!(locale, n_typing, count = many.len()).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_show_for_a_while_and_a_message_ends_them() {
        let mut t = Typers::default();
        t.note(UserId(2), 1_000, 4_000);
        t.note(UserId(3), 2_000, 4_000);
        // A newer signal extends the first typist.
        t.note(UserId(2), 3_000, 4_000);
        assert_eq!(t.who().collect::<Vec<_>>(), [UserId(2), UserId(3)]);
        assert!(!t.expire(5_999));
        assert!(t.expire(6_000));
        assert_eq!(t.who().collect::<Vec<_>>(), [UserId(2)]);
        assert!(t.stopped(UserId(2)));
        assert!(!t.stopped(UserId(2)));
        assert_eq!(t.who().count(), 0);
    }

    #[test]
    fn the_line_names_one_typist_and_counts_more() {
        assert_eq!(typing_line(Locale::en, &[]), None);
        assert_eq!(
            typing_line(Locale::en, &["Ann".into()]).as_deref(),
            Some("Ann is typing…")
        );
        assert_eq!(
            typing_line(Locale::zh_CN, &["安".into()]).as_deref(),
            Some("安 正在输入…")
        );
        assert_eq!(
            typing_line(Locale::en, &["Ann".into(), "Ben".into()]).as_deref(),
            Some("2 people are typing…")
        );
    }
}
