//! What the server tells a client, typed: [`ServerEvent`] is decoded once from a wire
//! [`Frame`] where the socket reads it (`ws.rs`), so listeners match on variants instead of
//! re-reading `cmd` numbers and string fields. The message payload itself stays a [`Frame`]
//! (history pages carry the same shape), but everything around it is closed and checked.

use super::action::Act;
use super::frame::{Cmd, Frame};
use super::Conv;
use crate::error::ErrorCode;
use crate::ids::{Cid, MessageId, Seq, UserId};

/// The kinds of system notice (cmd 12, `memo`), as docs/api.md lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// Two people became friends.
    FriendAdded,
    /// A friendship ended.
    FriendRemoved,
    /// Someone joined a group.
    MemberJoined,
    /// Someone left a group.
    MemberLeft,
    /// A group changed hands.
    OwnerChanged,
    /// A group was dissolved.
    GroupDissolved,
    /// A group's owner let its members pin messages.
    MembersMayPin,
    /// A group's owner took back pinning for themselves.
    OnlyOwnerPins,
    /// Someone asked to be a friend (told to the asked and to the asker's devices).
    FriendRequest,
    /// I declined a request (my own devices).
    RequestDeclined,
    /// A request was withdrawn by its asker.
    RequestWithdrawn,
    /// I blocked someone (my own devices).
    Blocked,
    /// I unblocked someone (my own devices).
    Unblocked,
    /// A kind this client does not know yet (a newer server): shown, never acted on.
    Other,
}

impl NoticeKind {
    /// Reads a notice's `memo`.
    pub fn parse(memo: &str) -> NoticeKind {
        match memo {
            "friend_added" => NoticeKind::FriendAdded,
            "friend_removed" => NoticeKind::FriendRemoved,
            "member_joined" => NoticeKind::MemberJoined,
            "member_left" => NoticeKind::MemberLeft,
            "owner_changed" => NoticeKind::OwnerChanged,
            "group_dissolved" => NoticeKind::GroupDissolved,
            "members_may_pin" => NoticeKind::MembersMayPin,
            "only_owner_pins" => NoticeKind::OnlyOwnerPins,
            "friend_request" => NoticeKind::FriendRequest,
            "request_declined" => NoticeKind::RequestDeclined,
            "request_withdrawn" => NoticeKind::RequestWithdrawn,
            "blocked" => NoticeKind::Blocked,
            "unblocked" => NoticeKind::Unblocked,
            _ => NoticeKind::Other,
        }
    }

    /// Whether it changes who my friends are.
    pub fn changes_friends(self) -> bool {
        matches!(self, NoticeKind::FriendAdded | NoticeKind::FriendRemoved)
    }

    /// Whether it changes the friend requests waiting for me or made by me.
    pub fn changes_requests(self) -> bool {
        matches!(
            self,
            NoticeKind::FriendRequest
                | NoticeKind::RequestDeclined
                | NoticeKind::RequestWithdrawn
                | NoticeKind::FriendAdded
                | NoticeKind::Blocked
        )
    }

    /// Whether it changes whom I blocked.
    pub fn changes_blocks(self) -> bool {
        matches!(self, NoticeKind::Blocked | NoticeKind::Unblocked)
    }

    /// Whether it changes a group's members, owner, rules or existence.
    pub fn changes_groups(self) -> bool {
        matches!(
            self,
            NoticeKind::MemberJoined
                | NoticeKind::MemberLeft
                | NoticeKind::OwnerChanged
                | NoticeKind::GroupDissolved
                | NoticeKind::MembersMayPin
                | NoticeKind::OnlyOwnerPins
        )
    }
}

/// Which part of my account a cmd 19 says changed (its `memo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountPart {
    /// My privacy settings (`privacy`).
    Privacy,
    /// Where I am signed in: a login, or a session ended (`sessions`).
    Sessions,
}

impl AccountPart {
    /// The name sent in `memo`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountPart::Privacy => "privacy",
            AccountPart::Sessions => "sessions",
        }
    }

    /// Reads a `memo`; `None` for a part this client does not know (a newer server).
    pub fn parse(memo: &str) -> Option<AccountPart> {
        [AccountPart::Privacy, AccountPart::Sessions]
            .into_iter()
            .find(|p| p.as_str() == memo)
    }

    /// The frame that tells my devices this part changed.
    pub fn frame(self) -> Frame {
        Frame {
            cmd: Cmd::Account.code(),
            memo: self.as_str().to_owned(),
            ..Frame::default()
        }
    }
}

/// The server's answer that one of my messages is stored (cmd 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    /// The conversation it was stored in.
    pub conv: Conv,
    /// My id for it.
    pub cid: Cid,
    /// Its server id.
    pub id: MessageId,
    /// Its position in the conversation.
    pub seq: Seq,
    /// When it was stored, ms since the epoch.
    pub ts: i64,
    /// For an action of mine: what it was (a message's ack has none).
    pub action: Option<Act>,
}

/// One event from the server, decoded once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerEvent {
    /// cmd 0: the answer to a heartbeat; proves the connection is alive.
    Pong,
    /// cmd 1: one of my messages is stored.
    Ack(Ack),
    /// cmd 10/11: a stored message (mine from another device, or someone else's), with a
    /// conversation key that parses and a `seq` above 0.
    Message {
        /// Where it belongs.
        conv: Conv,
        /// The message as history pages carry it.
        frame: Frame,
    },
    /// cmd 2: a request was refused.
    Error {
        /// The refused message's `cid`, when the error is about one (a cid that is not a
        /// valid one names none of my messages, so it reads as none).
        cid: Option<Cid>,
        /// Why, as a closed code.
        code: ErrorCode,
        /// The server's words.
        msg: String,
    },
    /// cmd 12: something changed that concerns me (a friend, a group).
    Notice {
        /// What happened.
        kind: NoticeKind,
        /// The conversation it is shown in, if any.
        conv: Option<Conv>,
        /// The notice as the conversation shows it.
        frame: Frame,
    },
    /// cmd 13: a friend came online or went offline.
    Presence {
        /// Who.
        user: UserId,
        /// Whether they are connected now.
        online: bool,
        /// Going offline: since when (ms), if they let friends see it; 0 otherwise.
        seen: i64,
    },
    /// cmd 15: someone (my peer, or my other device) read `conv` up to `seq`.
    Read {
        /// The conversation.
        conv: Conv,
        /// Who read.
        user: UserId,
        /// The newest seq they read.
        seq: Seq,
    },
    /// cmd 16: someone is typing in `conv`.
    Typing {
        /// The conversation.
        conv: Conv,
        /// Who is typing.
        user: UserId,
    },
    /// cmd 18: someone I see changed their profile; views showing them update in place.
    Profile {
        /// Whose profile.
        user: UserId,
        /// Their display name now.
        nickname: String,
        /// Their avatar URL now (empty: none).
        avatar: String,
        /// Their status line now (empty: none).
        status: String,
    },
    /// cmd 19: my own account changed on another device; views showing that part read it
    /// again.
    Account(AccountPart),
    /// cmd 17: someone acted on a message of `conv` (an event with its own `seq`), or I hid
    /// one on my devices (no seq).
    Action {
        /// The conversation.
        conv: Conv,
        /// What was done.
        act: Act,
        /// The message acted on.
        target: Seq,
        /// The event as stored (`seq`, `userid`, `content`, `ts`, ...).
        frame: Frame,
    },
}

impl ServerEvent {
    /// Decodes one text frame from the server; `None` for anything unreadable or unknown (a
    /// newer server's event is ignored, never misread).
    pub fn decode(text: &str) -> Option<ServerEvent> {
        serde_json::from_str::<Frame>(text)
            .ok()
            .and_then(ServerEvent::from_frame)
    }

    /// What a decoded frame means; `None` when it is not a well-formed server event.
    pub fn from_frame(frame: Frame) -> Option<ServerEvent> {
        let conv = Conv::parse(&frame.conv);
        let event = match Cmd::from_code(frame.cmd)? {
            Cmd::Heartbeat => ServerEvent::Pong,
            Cmd::Ack if frame.seq > 0 => ServerEvent::Ack(Ack {
                conv: conv?,
                cid: Cid::new(frame.cid).ok()?,
                id: MessageId(frame.id),
                seq: Seq(frame.seq),
                ts: frame.ts,
                action: Act::parse(&frame.act),
            }),
            Cmd::Ack => return None,
            Cmd::Private | Cmd::Group if frame.seq > 0 => {
                ServerEvent::Message { conv: conv?, frame }
            }
            Cmd::Private | Cmd::Group => return None,
            Cmd::Error => ServerEvent::Error {
                cid: Cid::new(frame.cid).ok(),
                code: ErrorCode::parse(&frame.code).unwrap_or(ErrorCode::Internal),
                msg: frame.content,
            },
            Cmd::Notice => ServerEvent::Notice {
                kind: NoticeKind::parse(&frame.memo),
                conv,
                frame,
            },
            Cmd::Presence => ServerEvent::Presence {
                user: UserId(frame.userid),
                online: frame.content == "online",
                seen: frame.ts,
            },
            Cmd::Read => ServerEvent::Read {
                conv: conv?,
                user: UserId(frame.userid),
                seq: Seq(frame.seq),
            },
            Cmd::Typing => ServerEvent::Typing {
                conv: conv?,
                user: UserId(frame.userid),
            },
            Cmd::Profile if frame.userid > 0 => ServerEvent::Profile {
                user: UserId(frame.userid),
                nickname: frame.memo,
                avatar: frame.pic,
                status: frame.content,
            },
            Cmd::Profile => return None,
            Cmd::Account => ServerEvent::Account(AccountPart::parse(&frame.memo)?),
            Cmd::Action => {
                let act = Act::parse(&frame.act)?;
                // Every action but hiding is an event with a seq; a hide has none.
                if frame.target <= 0 || (act.kind().is_some() != (frame.seq > 0)) {
                    return None;
                }
                ServerEvent::Action {
                    conv: conv?,
                    act,
                    target: Seq(frame.target),
                    frame,
                }
            }
        };
        Some(event)
    }

    /// The conversation the event belongs to, if it belongs to one.
    pub fn conv(&self) -> Option<Conv> {
        match self {
            ServerEvent::Ack(a) => Some(a.conv),
            ServerEvent::Message { conv, .. }
            | ServerEvent::Read { conv, .. }
            | ServerEvent::Typing { conv, .. }
            | ServerEvent::Action { conv, .. } => Some(*conv),
            ServerEvent::Notice { conv, .. } => *conv,
            ServerEvent::Pong
            | ServerEvent::Error { .. }
            | ServerEvent::Presence { .. }
            | ServerEvent::Profile { .. }
            | ServerEvent::Account(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::GroupId;

    #[test]
    fn a_profile_change_decodes_and_needs_its_user() {
        assert_eq!(
            ServerEvent::decode(
                r#"{"cmd":18,"userid":7,"memo":"Ann","pic":"/media/a","content":"away"}"#
            ),
            Some(ServerEvent::Profile {
                user: UserId(7),
                nickname: "Ann".into(),
                avatar: "/media/a".into(),
                status: "away".into(),
            })
        );
        assert_eq!(ServerEvent::decode(r#"{"cmd":18,"memo":"Ann"}"#), None);
        for part in [AccountPart::Privacy, AccountPart::Sessions] {
            let text = serde_json::to_string(&part.frame()).unwrap();
            assert_eq!(ServerEvent::decode(&text), Some(ServerEvent::Account(part)));
        }
        assert_eq!(ServerEvent::decode(r#"{"cmd":19,"memo":"theme"}"#), None);
    }

    #[test]
    fn every_server_frame_decodes_once_into_its_event() {
        assert_eq!(ServerEvent::decode(r#"{"cmd":0}"#), Some(ServerEvent::Pong));
        let g = Conv::group(GroupId(7));
        assert_eq!(
            ServerEvent::decode(r#"{"cmd":1,"cid":"c1","conv":"g:7","id":9,"seq":3,"ts":5}"#),
            Some(ServerEvent::Ack(Ack {
                conv: g,
                cid: Cid::new("c1").unwrap(),
                id: MessageId(9),
                seq: Seq(3),
                ts: 5,
                action: None,
            }))
        );
        // An action's ack says so; the action itself (cmd 17) decodes with its target, and
        // a hide (no seq) only as a hide.
        let Some(ServerEvent::Ack(a)) = ServerEvent::decode(
            r#"{"cmd":1,"cid":"k","conv":"g:7","id":9,"seq":4,"ts":5,"act":"react","target":3}"#,
        ) else {
            panic!()
        };
        assert_eq!(a.action, Some(crate::protocol::action::Act::React));
        let Some(ServerEvent::Action { act, target, .. }) = ServerEvent::decode(
            r#"{"cmd":17,"conv":"g:7","seq":5,"userid":2,"act":"edit","target":3,"content":"x"}"#,
        ) else {
            panic!()
        };
        assert_eq!((act.as_str(), target), ("edit", Seq(3)));
        for bad in [
            r#"{"cmd":17,"conv":"g:7","userid":2,"act":"edit","target":3}"#,
            r#"{"cmd":17,"conv":"g:7","seq":5,"userid":2,"act":"hide","target":3}"#,
            r#"{"cmd":17,"conv":"g:7","seq":5,"userid":2,"act":"nope","target":3}"#,
            r#"{"cmd":17,"conv":"g:7","seq":5,"userid":2,"act":"edit"}"#,
        ] {
            assert_eq!(ServerEvent::decode(bad), None, "{bad}");
        }
        assert!(matches!(
            ServerEvent::decode(r#"{"cmd":17,"conv":"g:7","userid":2,"act":"hide","target":3}"#),
            Some(ServerEvent::Action { .. })
        ));
        let Some(ServerEvent::Message { conv, frame }) = ServerEvent::decode(
            r#"{"cmd":11,"conv":"g:7","seq":4,"userid":2,"media":1,"content":"hi"}"#,
        ) else {
            panic!("not a message")
        };
        assert_eq!((conv, frame.content.as_str()), (g, "hi"));
        assert_eq!(
            ServerEvent::decode(r#"{"cmd":2,"cid":"c2","code":"not_member","content":"No."}"#),
            Some(ServerEvent::Error {
                cid: Some(Cid::new("c2").unwrap()),
                code: ErrorCode::NotMember,
                msg: "No.".into()
            })
        );
        let Some(ServerEvent::Error { cid, code, .. }) =
            ServerEvent::decode(r#"{"cmd":2,"code":"from_the_future"}"#)
        else {
            panic!("not an error")
        };
        assert_eq!((cid, code), (None, ErrorCode::Internal));
        let Some(ServerEvent::Notice { kind, conv, .. }) =
            ServerEvent::decode(r#"{"cmd":12,"memo":"member_joined","conv":"g:7"}"#)
        else {
            panic!("not a notice")
        };
        assert_eq!((kind, conv), (NoticeKind::MemberJoined, Some(g)));
        assert!(kind.changes_groups() && !kind.changes_friends());
        assert!(NoticeKind::parse("friend_added").changes_friends());
        let asked = NoticeKind::parse("friend_request");
        assert!(asked.changes_requests() && !asked.changes_friends());
        assert!(NoticeKind::parse("blocked").changes_blocks());
        assert_eq!(NoticeKind::parse("later_kind"), NoticeKind::Other);
        assert_eq!(
            ServerEvent::decode(r#"{"cmd":13,"userid":5,"content":"online"}"#),
            Some(ServerEvent::Presence {
                user: UserId(5),
                online: true,
                seen: 0,
            })
        );
        assert_eq!(
            ServerEvent::decode(r#"{"cmd":15,"conv":"g:7","userid":5,"seq":8}"#),
            Some(ServerEvent::Read {
                conv: g,
                user: UserId(5),
                seq: Seq(8)
            })
        );
        assert_eq!(
            ServerEvent::decode(r#"{"cmd":16,"conv":"g:7","userid":5}"#).and_then(|e| e.conv()),
            Some(g)
        );
    }

    #[test]
    fn malformed_or_unknown_frames_are_no_event() {
        for text in [
            "nope",
            "{}",
            r#"{"cmd":99}"#,
            r#"{"cmd":1,"cid":"c","conv":"g:7"}"#,
            r#"{"cmd":1,"cid":"c","conv":"x","seq":2}"#,
            r#"{"cmd":1,"conv":"g:7","seq":2}"#,
            r#"{"cmd":10,"conv":"p:1:2"}"#,
            r#"{"cmd":15,"conv":"bad","seq":1}"#,
            r#"{"cmd":16,"userid":3}"#,
        ] {
            assert_eq!(ServerEvent::decode(text), None, "{text}");
        }
    }
}
