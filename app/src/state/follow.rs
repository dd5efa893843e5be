//! Whether the message list follows the newest message, and how many arrived unseen while the
//! reader was scrolled up (the "N new messages" button).

use crate::i18n::{td_string, Locale};

/// What to do with the scroll position after messages arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// Show the newest message: the reader was at the bottom, or wrote it.
    Stick,
    /// Leave the view where it is: the reader is reading older messages.
    Keep,
}

/// The list's following state. Starts pinned: a conversation opens on its newest message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Follow {
    pinned: bool,
    unseen: u32,
}

impl Default for Follow {
    fn default() -> Self {
        Follow {
            pinned: true,
            unseen: 0,
        }
    }
}

impl Follow {
    /// The reader scrolled; `at_bottom` says whether the newest message is now in view.
    /// Reaching the bottom counts everything as seen.
    pub fn scrolled(&mut self, at_bottom: bool) {
        self.pinned = at_bottom;
        if at_bottom {
            self.unseen = 0;
        }
    }

    /// `count` new messages arrived, `mine` when I wrote them (my own message always brings
    /// the view down to it). Others' messages while scrolled up are counted as unseen.
    pub fn arrived(&mut self, count: u32, mine: bool) -> Arrival {
        if mine {
            self.jumped();
            Arrival::Stick
        } else if self.pinned {
            Arrival::Stick
        } else {
            self.unseen = self.unseen.saturating_add(count);
            Arrival::Keep
        }
    }

    /// The reader jumped to the newest message (the button).
    pub fn jumped(&mut self) {
        self.pinned = true;
        self.unseen = 0;
    }

    /// True while the list follows the newest message.
    pub fn pinned(&self) -> bool {
        self.pinned
    }

    /// Messages that arrived while scrolled up and have not been seen.
    pub fn unseen(&self) -> u32 {
        self.unseen
    }
}

/// The button's words for `n` unseen messages; its accessible name, so it names the count.
pub fn new_messages_label(locale: Locale, n: u32) -> String {
    if n == 1 {
        td_string!(locale, one_new_message).to_owned()
    } else {
        td_string!(locale, n_new_messages, count = n).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_bottom_new_messages_keep_the_view_pinned() {
        let mut f = Follow::default();
        assert!(f.pinned());
        assert_eq!(f.arrived(1, false), Arrival::Stick);
        assert_eq!(f.arrived(1, true), Arrival::Stick);
        assert_eq!(f.unseen(), 0);
    }

    #[test]
    fn scrolled_up_new_messages_are_counted_until_the_bottom_is_reached() {
        let mut f = Follow::default();
        f.scrolled(false);
        assert_eq!(f.arrived(1, false), Arrival::Keep);
        assert_eq!(f.arrived(2, false), Arrival::Keep);
        assert_eq!(f.unseen(), 3);
        assert_eq!(new_messages_label(Locale::en, f.unseen()), "3 new messages");
        // Scrolling around above the bottom keeps the count.
        f.scrolled(false);
        assert_eq!(f.unseen(), 3);
        // Reaching the bottom by scrolling clears it.
        f.scrolled(true);
        assert_eq!((f.unseen(), f.pinned()), (0, true));
    }

    #[test]
    fn the_button_and_my_own_message_bring_the_view_down() {
        let mut f = Follow::default();
        f.scrolled(false);
        f.arrived(1, false);
        assert_eq!(new_messages_label(Locale::en, f.unseen()), "1 new message");
        f.jumped();
        assert_eq!((f.unseen(), f.pinned()), (0, true));
        f.scrolled(false);
        f.arrived(2, false);
        assert_eq!(f.arrived(1, true), Arrival::Stick);
        assert_eq!((f.unseen(), f.pinned()), (0, true));
    }
}
