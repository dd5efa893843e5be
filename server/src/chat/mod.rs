//! Messaging rules: who may write where, what a message must contain, and what happens
//! once it is stored (ack, then delivery). The socket session calls these; so will REST
//! and the seed-dialect adapter.

use crate::accounts::now_ms;
use crate::bus::Bus;
use crate::error::AppError;
use crate::hub::ConnId;
use crate::store::messages::{NewMessage, Stored, StoredMessage};
use crate::store::Store;
use app::error::{ApiError, ErrorCode};
use app::ids::{GroupId, UserId};
use app::protocol::frame::{validate_message, Cmd, Frame};
use app::protocol::{group_conv, private_conv, User};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Messages a user may send to a non-friend until that person replies (seed rule).
pub const NON_FRIEND_ALLOWANCE: u64 = 3;

/// Who takes part in a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conv {
    /// 1:1 between two users (low id first).
    Private(UserId, UserId),
    /// A group.
    Group(GroupId),
}

impl Conv {
    /// Parses `p:<a>:<b>` or `g:<id>`.
    pub fn parse(key: &str) -> Option<Conv> {
        let mut parts = key.split(':');
        let conv = match (parts.next(), parts.next(), parts.next()) {
            (Some("p"), Some(a), Some(b)) => {
                let (a, b) = (a.parse().ok()?, b.parse().ok()?);
                (a < b).then_some(Conv::Private(UserId(a), UserId(b)))?
            }
            (Some("g"), Some(g), None) => Conv::Group(GroupId(g.parse().ok()?)),
            _ => return None,
        };
        parts.next().is_none().then_some(conv)
    }

    /// The key, as in protocol.md.
    pub fn key(&self) -> String {
        match self {
            Conv::Private(a, b) => private_conv(*a, *b),
            Conv::Group(g) => group_conv(*g),
        }
    }
}

/// The messaging service.
#[derive(Clone)]
pub struct Chat {
    store: Store,
    bus: Arc<dyn Bus>,
    hub: Arc<crate::hub::Hub>,
}

/// The frame every participant receives for a stored message.
pub fn message_frame(m: &StoredMessage) -> Frame {
    let (cmd, dstid) = match Conv::parse(&m.conv) {
        Some(Conv::Private(a, b)) => (Cmd::Private, if m.sender == a { b.0 } else { a.0 }),
        Some(Conv::Group(g)) => (Cmd::Group, g.0),
        None => (Cmd::Private, 0),
    };
    Frame {
        cmd: cmd.code(),
        id: m.id,
        userid: m.sender.0,
        dstid,
        media: m.media,
        content: m.content.clone(),
        pic: m.pic.clone(),
        url: m.url.clone(),
        memo: m.memo.clone(),
        amount: m.amount,
        cid: m.cid.clone(),
        conv: m.conv.clone(),
        seq: m.seq,
        ts: m.ts,
        code: String::new(),
    }
}

fn ack(m: &StoredMessage) -> Frame {
    Frame {
        cmd: Cmd::Ack.code(),
        id: m.id,
        cid: m.cid.clone(),
        conv: m.conv.clone(),
        seq: m.seq,
        ts: m.ts,
        ..Frame::default()
    }
}

/// One row of `GET /api/conversations`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ConversationSummary {
    /// Conversation key.
    pub conv: String,
    /// The peer's nickname or the group's name.
    pub title: String,
    /// The peer's avatar or the group's icon.
    pub avatar: String,
    /// Newest seq.
    pub last_seq: i64,
    /// How far I have read.
    pub read_seq: i64,
    /// `last_seq - read_seq`.
    pub unread: i64,
    /// The newest message, as its frame.
    pub last: Option<Frame>,
}

impl Chat {
    /// Builds the service.
    pub fn new(store: Store, bus: Arc<dyn Bus>, hub: Arc<crate::hub::Hub>) -> Chat {
        Chat { store, bus, hub }
    }

    /// The users of a conversation `me` may read; 404 if it cannot exist, 403 if `me` is
    /// not in it.
    pub async fn participants(&self, me: UserId, conv: &Conv) -> Result<Vec<UserId>, AppError> {
        match conv {
            Conv::Private(a, b) if *a == me || *b == me => Ok(vec![*a, *b]),
            Conv::Private(..) => Err(AppError::code(ErrorCode::Forbidden)),
            Conv::Group(g) => {
                // One query on the send path; the second only to explain a refusal.
                let members = self.store.group_member_ids(*g).await?;
                if members.contains(&me) {
                    Ok(members)
                } else if self.store.group(*g).await?.is_some() {
                    Err(AppError::code(ErrorCode::NotMember))
                } else {
                    Err(AppError::code(ErrorCode::NotFound))
                }
            }
        }
    }

    /// Sends a cmd 10/11 frame as `from` (never as the frame's own `userid`): checks the
    /// right to write, validates the payload, stores it with the next seq, then delivers it
    /// to every participant's connections except `origin`. Returns the ack for the sender;
    /// a resent cid gets the same ack and delivers nothing.
    pub async fn send(
        &self,
        from: &User,
        origin: Option<ConnId>,
        frame: &Frame,
    ) -> Result<Frame, AppError> {
        let cmd = Cmd::from_code(frame.cmd);
        if !matches!(cmd, Some(Cmd::Private | Cmd::Group)) {
            return Err(AppError::code(ErrorCode::UnknownCmd));
        }
        // Cheap checks first: a malformed message never costs a database round trip.
        validate_message(frame)?;
        let (conv, allowance) = match cmd {
            Some(Cmd::Private) => {
                let peer = UserId(frame.dstid);
                if peer == from.id {
                    return Err(ApiError::with_msg(
                        ErrorCode::InvalidPayload,
                        "You cannot message yourself.",
                    )
                    .into());
                }
                if self.store.user(peer).await?.is_none() {
                    return Err(ApiError::with_msg(ErrorCode::NotFound, "No such user.").into());
                }
                let allowance = if self.store.are_friends(from.id, peer).await? {
                    None
                } else {
                    Some((peer, NON_FRIEND_ALLOWANCE))
                };
                let (lo, hi) = if from.id < peer {
                    (from.id, peer)
                } else {
                    (peer, from.id)
                };
                (Conv::Private(lo, hi), allowance)
            }
            Some(Cmd::Group) => (Conv::Group(GroupId(frame.dstid)), None),
            _ => return Err(AppError::code(ErrorCode::UnknownCmd)),
        };
        let recipients = self.participants(from.id, &conv).await?;
        let stored = self
            .store
            .store_message(
                NewMessage {
                    conv: conv.key(),
                    sender: from.id,
                    cid: frame.cid.clone(),
                    media: frame.media,
                    content: frame.content.clone(),
                    pic: frame.pic.clone(),
                    url: frame.url.clone(),
                    memo: frame.memo.clone(),
                    amount: frame.amount,
                    now_ms: now_ms(),
                },
                allowance,
            )
            .await?;
        match stored {
            Stored::New(m) => {
                self.hub
                    .counters
                    .messages_in
                    .fetch_add(1, Ordering::Relaxed);
                self.bus.publish(&recipients, &message_frame(&m), origin);
                Ok(ack(&m))
            }
            Stored::Duplicate(m) => Ok(ack(&m)),
        }
    }

    /// Every conversation `me` takes part in that has messages, newest activity first, with
    /// counters and the last message: what a (re)connecting client syncs from.
    pub async fn conversations(&self, me: UserId) -> Result<Vec<ConversationSummary>, AppError> {
        let groups = self.store.my_groups(me).await?;
        let mut keys = self.store.private_convs_of(me).await?;
        keys.extend(groups.iter().map(|g| group_conv(g.group.id)));
        let states = self.store.conv_states(me, &keys).await?;
        let lasts = self.store.last_messages(&states).await?;
        let mut out = Vec::with_capacity(states.len());
        for st in states {
            let (title, avatar) = match Conv::parse(&st.conv) {
                Some(Conv::Private(a, b)) => {
                    let peer = if a == me { b } else { a };
                    match self.store.user(peer).await? {
                        Some(u) => (u.nickname, u.avatar),
                        None => continue,
                    }
                }
                Some(Conv::Group(g)) => match groups.iter().find(|x| x.group.id == g) {
                    Some(x) => (x.group.name.clone(), x.group.icon.clone()),
                    None => continue,
                },
                None => continue,
            };
            out.push(ConversationSummary {
                last: lasts.iter().find(|m| m.conv == st.conv).map(message_frame),
                unread: st.last_seq - st.read_seq,
                conv: st.conv,
                title,
                avatar,
                last_seq: st.last_seq,
                read_seq: st.read_seq,
            });
        }
        Ok(out)
    }

    /// A page of history of a conversation `me` takes part in (403 otherwise).
    pub async fn history(
        &self,
        me: UserId,
        conv_key: &str,
        page: crate::store::messages::Page,
        limit: u64,
    ) -> Result<Vec<Frame>, AppError> {
        let conv = Conv::parse(conv_key).ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
        self.participants(me, &conv).await?;
        let rows = self.store.history(&conv.key(), page, limit).await?;
        Ok(rows.iter().map(message_frame).collect())
    }

    /// Moves `from`'s read mark in `conv`; in a 1:1 the other side gets a read receipt.
    pub async fn mark_read(&self, from: &User, conv_key: &str, seq: i64) -> Result<i64, AppError> {
        let conv = Conv::parse(conv_key).ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
        let people = self.participants(from.id, &conv).await?;
        let mark = self.store.mark_read(&conv.key(), from.id, seq).await?;
        let receipt = Frame {
            cmd: Cmd::Read.code(),
            userid: from.id.0,
            conv: conv.key(),
            seq: mark,
            ..Frame::default()
        };
        let to: Vec<UserId> = match conv {
            // The reader's other devices learn the mark; the peer gets the receipt.
            Conv::Private(..) => people,
            Conv::Group(_) => vec![from.id],
        };
        self.bus.publish(&to, &receipt, None);
        Ok(mark)
    }

    /// Relays a typing indicator (cmd 16) to a 1:1 peer or a group's members; not stored.
    pub async fn typing(
        &self,
        from: &User,
        origin: Option<ConnId>,
        frame: &Frame,
    ) -> Result<(), AppError> {
        let conv = if frame.conv.is_empty() {
            if frame.dstid <= 0 || frame.dstid == from.id.0 {
                return Err(ApiError::with_msg(
                    ErrorCode::InvalidPayload,
                    "Typing needs `dstid` (the peer) or `conv`.",
                )
                .into());
            }
            let peer = UserId(frame.dstid);
            let (lo, hi) = if from.id < peer {
                (from.id, peer)
            } else {
                (peer, from.id)
            };
            Conv::Private(lo, hi)
        } else {
            Conv::parse(&frame.conv).ok_or_else(|| AppError::code(ErrorCode::NotFound))?
        };
        let people = self.participants(from.id, &conv).await?;
        let relay = Frame {
            cmd: Cmd::Typing.code(),
            userid: from.id.0,
            dstid: frame.dstid,
            conv: conv.key(),
            ..Frame::default()
        };
        self.bus.publish(&people, &relay, origin);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_keys_parse_strictly() {
        assert_eq!(
            Conv::parse("p:3:9"),
            Some(Conv::Private(UserId(3), UserId(9)))
        );
        assert_eq!(Conv::parse("g:4"), Some(Conv::Group(GroupId(4))));
        for bad in [
            "p:9:3", "p:3:3", "p:3", "g:x", "g:1:2", "x:1", "", "p:3:9:1",
        ] {
            assert_eq!(Conv::parse(bad), None, "{bad}");
        }
        assert_eq!(Conv::parse("p:3:9").unwrap().key(), "p:3:9");
    }
}
