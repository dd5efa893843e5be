//! What people do to a message after sending it (docs/api.md, "Message actions"): edit,
//! recall, react, pin, and hide it for themselves. Every action but hiding is an event of
//! the conversation with its own `seq`, sent with a client `cid` like a message (cmd 17) and
//! acknowledged only once stored; hiding concerns one person's devices only, so it takes no
//! seq. A message's current state (edited, recalled, reactions, pinned, the message it
//! replies to) travels on its own frame, so a page of history never needs events replayed.

use super::body::{payload, Media, MAX_CONTENT_CHARS};
use super::Conv;
use crate::error::{ApiError, ErrorCode};
use crate::ids::{Cid, Seq, UserId};
use serde::{Deserialize, Serialize};

/// Most distinct emoji on one message: a further emoji is refused, reacting with one already
/// there is not.
pub const MAX_DISTINCT_REACTIONS: usize = 20;
/// Longest emoji accepted as a reaction, in bytes (the longest family sequences are ~35).
pub const MAX_EMOJI_BYTES: usize = 64;
/// Most people one message may @mention by name.
pub const MAX_MENTIONS: usize = 50;
/// The mention of everyone in a group (`@all`), as it is stored among the user ids.
pub const MENTION_ALL: UserId = UserId(0);
/// Longest quoted preview of a replied-to message, in characters.
pub const QUOTE_CHARS: usize = 120;

/// What an action does (`act` on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Act {
    /// Replace the text of my own text message (within the edit window).
    Edit,
    /// Delete my message for everyone (within the recall window; a group owner any time).
    Recall,
    /// Add my reaction (`content`: one emoji).
    React,
    /// Take my reaction back.
    Unreact,
    /// Pin the message in the conversation.
    Pin,
    /// Unpin it.
    Unpin,
    /// Hide it on all of my devices only; the others see nothing. Takes no seq.
    Hide,
}

impl Act {
    /// Every action, in code order.
    pub const ALL: [Act; 7] = [
        Act::Edit,
        Act::Recall,
        Act::React,
        Act::Unreact,
        Act::Pin,
        Act::Unpin,
        Act::Hide,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Act::Edit => "edit",
            Act::Recall => "recall",
            Act::React => "react",
            Act::Unreact => "unreact",
            Act::Pin => "pin",
            Act::Unpin => "unpin",
            Act::Hide => "hide",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Act> {
        Act::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The row kind the store keeps the event under (a message is 0); `None` for hiding,
    /// which is not an event of the conversation.
    pub fn kind(self) -> Option<i32> {
        match self {
            Act::Edit => Some(1),
            Act::Recall => Some(2),
            Act::React => Some(3),
            Act::Unreact => Some(4),
            Act::Pin => Some(5),
            Act::Unpin => Some(6),
            Act::Hide => None,
        }
    }

    /// The action stored under a row kind; `None` for a message (0) or an unknown kind.
    pub fn from_kind(kind: i32) -> Option<Act> {
        Act::ALL.into_iter().find(|a| a.kind() == Some(kind))
    }
}

/// An action a client asks for (cmd 17, or `POST /api/conversations/{conv}/actions`),
/// checked: which message, what to do, and with what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    /// The conversation.
    pub conv: Conv,
    /// The message acted on, by its seq.
    pub target: Seq,
    /// What to do.
    pub act: Act,
    /// The client's id for the action: resending it changes nothing twice.
    pub cid: Cid,
    /// The new text (edit) or the emoji (react, unreact); empty otherwise.
    pub content: String,
}

impl Action {
    /// Checks an action's fields (not yet whether this user may do it to that message).
    pub fn new(
        conv: Conv,
        target: Seq,
        act: Act,
        cid: Cid,
        content: String,
    ) -> Result<Action, ApiError> {
        if target <= Seq(0) {
            return Err(payload("`target` must be the seq of a message."));
        }
        let content = match act {
            Act::Edit => {
                let text = content.trim_end().to_owned();
                if text.trim().is_empty() || text.chars().count() > MAX_CONTENT_CHARS {
                    return Err(payload("An edited text must be 1-4000 characters."));
                }
                text
            }
            Act::React | Act::Unreact => {
                if content.is_empty() || content.len() > MAX_EMOJI_BYTES {
                    return Err(payload("A reaction is one emoji."));
                }
                content
            }
            Act::Recall | Act::Pin | Act::Unpin | Act::Hide => String::new(),
        };
        Ok(Action {
            conv,
            target,
            act,
            cid,
            content,
        })
    }
}

/// The quoted preview of the message a reply names, as every reader gets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The replied-to message's seq (the jump target).
    pub seq: Seq,
    /// Its sender.
    pub userid: UserId,
    /// Its media kind (0 once recalled).
    #[serde(default)]
    pub media: u16,
    /// Its first line, shortened to [`QUOTE_CHARS`], for text; empty otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content: String,
    /// True once it was recalled: the preview then says so and shows nothing of it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recalled: bool,
}

impl Quote {
    /// The preview of a message with this kind and text: the first line, shortened.
    pub fn of(seq: Seq, sender: UserId, media: Media, content: &str) -> Quote {
        let text = if media == Media::Text {
            let line = content.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            let mut short: String = line.chars().take(QUOTE_CHARS).collect();
            if line.chars().count() > QUOTE_CHARS {
                short.push('…');
            }
            short
        } else {
            String::new()
        };
        Quote {
            seq,
            userid: sender,
            media: media.code(),
            content: text,
            recalled: false,
        }
    }

    /// The preview of a recalled message: who sent it, nothing of what.
    pub fn recalled(seq: Seq, sender: UserId) -> Quote {
        Quote {
            seq,
            userid: sender,
            media: 0,
            content: String::new(),
            recalled: true,
        }
    }
}

/// One emoji's reactions on a message: who reacted with it, in the order they did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// The emoji.
    pub emoji: String,
    /// Who reacted with it (the count is their number; "mine" is whether my id is here).
    pub users: Vec<UserId>,
}

/// Applies one person's reaction change to a message's reactions, keeping the order emoji
/// first appeared in; true if anything changed. Idempotent, so an event seen twice (a live
/// frame, then a page holding it) changes nothing the second time.
pub fn apply_reaction(reactions: &mut Vec<Reaction>, emoji: &str, user: UserId, on: bool) -> bool {
    let index = reactions.iter().position(|r| r.emoji == emoji);
    match (index, on) {
        (Some(i), true) => {
            if reactions[i].users.contains(&user) {
                return false;
            }
            reactions[i].users.push(user);
            true
        }
        (None, true) => {
            reactions.push(Reaction {
                emoji: emoji.to_owned(),
                users: vec![user],
            });
            true
        }
        (Some(i), false) => {
            let before = reactions[i].users.len();
            reactions[i].users.retain(|u| *u != user);
            let changed = reactions[i].users.len() != before;
            if reactions[i].users.is_empty() {
                reactions.remove(i);
            }
            changed
        }
        (None, false) => false,
    }
}

/// Reads the `@mentions` a client names: user ids (with [`MENTION_ALL`] for everyone),
/// each once, at most [`MAX_MENTIONS`].
pub fn check_mentions(mut ids: Vec<i64>) -> Result<Vec<UserId>, ApiError> {
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_MENTIONS || ids.iter().any(|id| *id < 0) {
        return Err(ApiError::with_msg(
            ErrorCode::InvalidPayload,
            "Mention at most 50 people, by their user ids.",
        ));
    }
    Ok(ids.into_iter().map(UserId).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    #[test]
    fn acts_round_trip_and_kinds_are_distinct() {
        for act in Act::ALL {
            assert_eq!(Act::parse(act.as_str()), Some(act));
            if let Some(kind) = act.kind() {
                assert!(kind > 0, "0 is a message");
                assert_eq!(Act::from_kind(kind), Some(act));
            }
        }
        assert_eq!(Act::parse("delete"), None);
        assert_eq!(Act::from_kind(0), None);
    }

    #[test]
    fn actions_are_checked() {
        let conv = Conv::private(UserId(1), UserId(2)).unwrap();
        let cid = || Cid::new("a1").unwrap();
        let ok = Action::new(conv, Seq(3), Act::Edit, cid(), "fixed  \n".into()).unwrap();
        assert_eq!(ok.content, "fixed");
        for (act, content) in [
            (Act::Edit, "   "),
            (Act::Edit, &"x".repeat(4001)),
            (Act::React, ""),
            (Act::React, &"👍".repeat(20)),
        ] {
            let e = Action::new(conv, Seq(3), act, cid(), content.into()).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidPayload, "{act:?} {content}");
        }
        assert!(Action::new(conv, Seq(0), Act::Pin, cid(), String::new()).is_err());
        // Recall and pin carry nothing, whatever was sent.
        let r = Action::new(conv, Seq(1), Act::Recall, cid(), "junk".into()).unwrap();
        assert_eq!(r.content, "");
    }

    #[test]
    fn reactions_apply_idempotently_in_first_seen_order() {
        let (a, b) = (UserId(1), UserId(2));
        let mut r = Vec::new();
        assert!(apply_reaction(&mut r, "👍", a, true));
        assert!(!apply_reaction(&mut r, "👍", a, true));
        assert!(apply_reaction(&mut r, "🎉", b, true));
        assert!(apply_reaction(&mut r, "👍", b, true));
        assert_eq!(r[0].users, vec![a, b]);
        assert_eq!(r[1].emoji, "🎉");
        assert!(apply_reaction(&mut r, "🎉", b, false));
        assert!(!apply_reaction(&mut r, "🎉", b, false));
        assert_eq!(r.len(), 1, "an emoji nobody holds is gone");
    }

    #[test]
    fn quotes_take_the_first_line_shortened() {
        let q = Quote::of(Seq(2), UserId(1), Media::Text, "\n  \nhello\nworld");
        assert_eq!(q.content, "hello");
        let long = Quote::of(Seq(2), UserId(1), Media::Text, &"长".repeat(200));
        assert_eq!(long.content.chars().count(), QUOTE_CHARS + 1);
        assert!(Quote::of(Seq(2), UserId(1), Media::Image, "x")
            .content
            .is_empty());
        assert!(Quote::recalled(Seq(2), UserId(1)).recalled);
    }

    #[test]
    fn mentions_are_bounded_and_deduplicated() {
        assert_eq!(
            check_mentions(vec![3, 0, 3]).unwrap(),
            vec![MENTION_ALL, UserId(3)]
        );
        assert!(check_mentions((1..=51).collect()).is_err());
        assert!(check_mentions(vec![-1]).is_err());
    }
}
