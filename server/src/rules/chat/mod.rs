//! Messaging rules: who may write where, what a message must contain, and what happens
//! once it is stored (ack, then delivery). The socket session calls these with commands
//! already parsed at the edge ([`ClientCmd`](app::protocol::frame::ClientCmd)); REST and the
//! seed-dialect adapter call the same methods, with the same [`Outgoing`].
//!
//! The send pipeline is this module and [`writer`]: [`Chat::submit`] checks the right to
//! write and the payload and queues the message; the writer stores concurrent sends as one
//! batch (group commit), then delivers each new message and resolves its sender's ack.

pub mod actions;
pub mod frames;
pub mod writer;

use crate::clock::now_ms;
use crate::config::{ActionLimits, Persistence};
use crate::delivery::outlet::ConnId;
use crate::delivery::Delivery;
use crate::error::AppError;
use crate::media::Storage;
use crate::rules::throttle::RateLimit;
use crate::store::batch::Pending;
use crate::store::messages::{MessageExtras, NewMessage, Page, Stored, StoredMessage};
use crate::store::Store;
use app::error::{ApiError, ErrorCode};
use app::ids::UserId;
use app::protocol::action::{Quote, MENTION_ALL};
use app::protocol::body::MessageBody;
use app::protocol::frame::{Cmd, Extras, Frame, Outgoing, SendRequest, Target, TypingTo};
use app::protocol::people::blocked_error;
use app::protocol::upload::{media_key, MEDIA_PREFIX};
use app::protocol::{Conv, OpenConversation, ReadMark, User};
use frames::{ack, entry_frame, message_frame, view_frame};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use writer::Writer;

/// Messages a user may send to a non-friend until that person replies (seed rule).
pub const NON_FRIEND_ALLOWANCE: u64 = 3;

/// The messaging service.
#[derive(Clone)]
pub struct Chat {
    store: Store,
    delivery: Delivery,
    writer: Writer,
    /// Edit and recall windows, action rate.
    limits: ActionLimits,
    /// Actions per user per minute.
    per_user: Arc<RateLimit<UserId>>,
    /// Actions per client address per minute (several people may share one).
    per_addr: Arc<RateLimit<IpAddr>>,
    /// Where uploads live: a recall deletes the files nothing points at any more.
    storage: Storage,
}

/// Pinned messages an open conversation lists.
const OPEN_PINS: u64 = 50;
/// How many users behind one address share the action budget before it binds.
const ACTIONS_ADDR_FACTOR: u32 = 10;

/// Messages the chat pane shows when it opens a conversation.
const OPEN_PAGE: u64 = 30;
/// Most system notices sent with a page of a conversation.
const OPEN_NOTICES: u64 = 100;

/// A window in whole seconds, as pages give it to the browser.
fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// A fresh, unguessable client id for a message the server's own form will send.
fn new_cid() -> app::ids::Cid {
    app::ids::Cid::random('w', rand::random())
}

/// The upload keys a message points at (its `url` and `pic` under `/media/`). A `/media/`
/// path that cannot be a key names no upload, so it is refused like a missing one.
fn media_keys(body: &MessageBody) -> Result<Vec<&str>, AppError> {
    let mut keys = Vec::new();
    for url in [&body.url, &body.pic] {
        if url.starts_with(MEDIA_PREFIX) {
            keys.push(media_key(url).ok_or(AppError::code(ErrorCode::MediaNotFound))?);
        }
    }
    Ok(keys)
}

fn no_such_user() -> AppError {
    ApiError::with_msg(ErrorCode::NotFound, "No such user.").into()
}

/// What sending did: the stored message, and whether this call stored it (`false` for a
/// resent cid, which changes nothing).
#[derive(Clone, Debug)]
pub struct Sent {
    /// The message as stored.
    pub message: StoredMessage,
    /// True when this call stored it.
    pub new: bool,
}

impl Sent {
    /// The ack for the sender's socket.
    pub fn ack(&self) -> Frame {
        ack(&self.message)
    }

    /// The stored message as every participant receives it.
    pub fn frame(&self) -> Frame {
        message_frame(&self.message)
    }
}

/// One row of `GET /api/conversations`; the type lives in `app` so the browser reads what
/// the server writes.
pub use app::protocol::ConversationSummary;

impl Chat {
    /// Builds the service and starts its message writer (inside the tokio runtime).
    pub fn new(
        store: Store,
        delivery: Delivery,
        persistence: Persistence,
        limits: ActionLimits,
        storage: Storage,
    ) -> Chat {
        let writer = Writer::start(store.clone(), delivery.clone(), persistence);
        let minute = Duration::from_secs(60);
        Chat {
            store,
            delivery,
            writer,
            limits,
            per_user: Arc::new(RateLimit::new(limits.per_minute, minute)),
            per_addr: Arc::new(RateLimit::new(
                limits.per_minute.saturating_mul(ACTIONS_ADDR_FACTOR),
                minute,
            )),
            storage,
        }
    }

    /// The users of a conversation `me` may read: 404 if it names a user or group that does
    /// not exist, 403 if `me` is not in it.
    pub async fn participants(&self, me: UserId, conv: Conv) -> Result<Vec<UserId>, AppError> {
        match conv {
            Conv::Private { low, high } => {
                let peer = conv
                    .peer_of(me)
                    .ok_or(AppError::code(ErrorCode::Forbidden))?;
                // A key may name anyone: no read marks or receipts for users that do not
                // exist. A friend exists (the cache answers without a query).
                if !self.store.friend_set(me).await?.contains(&peer)
                    && self.store.user(peer).await?.is_none()
                {
                    return Err(no_such_user());
                }
                Ok(vec![low, high])
            }
            Conv::Group(g) => {
                // From the cache on the send path. A refusal is checked against the
                // database first: another node may have let `me` join a moment ago.
                let mut members = self.store.member_set(g).await?;
                if members.binary_search(&me).is_err() {
                    self.store.forget_members(g);
                    members = self.store.member_set(g).await?;
                }
                if members.binary_search(&me).is_ok() {
                    Ok(members.to_vec())
                } else if self.store.group(g).await?.is_some() {
                    Err(AppError::code(ErrorCode::NotMember))
                } else {
                    Err(AppError::code(ErrorCode::NotFound))
                }
            }
        }
    }

    /// Whether `from` may write to `peer` now: friends always; others within the
    /// non-friend allowance, unless either blocked the other (403 `blocked`). Returns the
    /// allowance the store must enforce atomically, if any.
    async fn private_right(
        &self,
        from: UserId,
        peer: UserId,
    ) -> Result<Option<(UserId, u64)>, AppError> {
        // Friends (the usual case) cost no query: the cache knows them, and they exist.
        if self.store.friend_set(from).await?.contains(&peer) {
            return Ok(None);
        }
        // Not a friend by the cache: ask the database, as another node may have made them
        // friends a moment ago.
        self.store.forget_friends(&[from]);
        if self.store.friend_set(from).await?.contains(&peer) {
            return Ok(None);
        }
        if self.store.live_user(peer).await?.is_none() {
            return Err(no_such_user());
        }
        // Blocking ends a friendship, so only strangers can be blocked; the database
        // answers, so a block made on another node a moment ago holds here too.
        match self.store.blocks_between(from, peer).await? {
            (true, _) => Err(blocked_error(true).into()),
            (_, true) => Err(blocked_error(false).into()),
            _ => Ok(Some((peer, NON_FRIEND_ALLOWANCE))),
        }
    }

    /// Sends a checked message as `from` (the session's user, never the frame's `userid`):
    /// checks the right to write, stores it with the next seq, then delivers it to every
    /// participant's connections except `origin`. Returns the ack for the sender; a resent
    /// cid gets the same ack and delivers nothing; a cid reused elsewhere is refused.
    pub async fn send(
        &self,
        from: &User,
        origin: Option<ConnId>,
        out: Outgoing,
    ) -> Result<Sent, AppError> {
        self.submit(from, origin, out).await?.await
    }

    /// The first half of [`Chat::send`]: checks the right to write and queues the message
    /// for the writer, in the order calls are made. The returned future resolves once the
    /// message is stored (then delivered) or refused, so one connection can have many
    /// sends in flight while keeping their order.
    pub async fn submit(
        &self,
        from: &User,
        origin: Option<ConnId>,
        out: Outgoing,
    ) -> Result<impl std::future::Future<Output = Result<Sent, AppError>> + Send + 'static, AppError>
    {
        let conv = out.to.conv(from.id).ok_or_else(|| {
            AppError::from(ApiError::with_msg(
                ErrorCode::InvalidPayload,
                "You cannot message yourself.",
            ))
        })?;
        let (recipients, allowance) = match conv.peer_of(from.id) {
            Some(peer) => (
                vec![from.id, peer],
                self.private_right(from.id, peer).await?,
            ),
            None => (self.participants(from.id, conv).await?, None),
        };
        let (body, extras, quote) = self.extras(from.id, conv, &recipients, out).await?;
        let pending = Pending {
            new: NewMessage {
                conv,
                sender: from.id,
                cid: extras.0,
                body,
                now_ms: now_ms(),
                extras: extras.1,
            },
            allowance,
        };
        let answer = self
            .writer
            .submit(pending, quote, recipients, origin)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(async move {
            let stored = answer
                .await
                .map_err(|_| AppError::Internal("the message writer dropped a send".into()))??;
            Ok(match stored {
                Stored::New(message) => Sent { message, new: true },
                Stored::Duplicate(message) => Sent {
                    message,
                    new: false,
                },
            })
        })
    }

    /// Checks what a message says beyond its payload and settles the payload: a reply must
    /// name a message of the same conversation that is still there; mentions name members
    /// of a group (everyone: its owner only); a forward copies a message `from` may read,
    /// media and all. Anything else may point only at files its sender uploaded, so nobody
    /// can make someone else's file visible to a conversation by naming its key. (The store
    /// records a message's keys with it, which is what lets the participants fetch them.)
    async fn extras(
        &self,
        from: UserId,
        conv: Conv,
        members: &[UserId],
        out: Outgoing,
    ) -> Result<(MessageBody, (app::ids::Cid, MessageExtras), Option<Quote>), AppError> {
        let Outgoing {
            cid, body, extras, ..
        } = out;
        let Extras {
            reply_to,
            mentions,
            forward_of,
        } = extras;
        let quote = match reply_to {
            None => None,
            Some(seq) => match self.store.quote(conv, seq).await? {
                Some(q) if q.recalled => return Err(AppError::code(ErrorCode::Recalled)),
                Some(q) => Some(q),
                None => {
                    return Err(ApiError::with_msg(
                        ErrorCode::NotFound,
                        "The message you reply to is not in this conversation.",
                    )
                    .into())
                }
            },
        };
        if !mentions.is_empty() {
            let Conv::Group(g) = conv else {
                return Err(ApiError::with_msg(
                    ErrorCode::InvalidPayload,
                    "Mentions are for groups.",
                )
                .into());
            };
            for m in &mentions {
                if *m == MENTION_ALL {
                    let owner = self.store.group(g).await?.map(|g| g.owner_id);
                    if owner != Some(from) {
                        return Err(AppError::code(ErrorCode::NotOwner));
                    }
                } else if members.binary_search(m).is_err() {
                    return Err(AppError::code(ErrorCode::NotMember));
                }
            }
        }
        let (body, forwarded) = match forward_of {
            Some((source_conv, seq)) => {
                self.participants(from, source_conv).await?;
                let source = self
                    .store
                    .message_at(source_conv, seq)
                    .await?
                    .ok_or_else(|| {
                        ApiError::with_msg(ErrorCode::NotFound, "No such message to forward.")
                    })?;
                if source.state.recalled_by.is_some() {
                    return Err(AppError::code(ErrorCode::Recalled));
                }
                (source.body, true)
            }
            None => {
                let keys = media_keys(&body)?;
                if !self.store.media_all_owned_by(&keys, from).await? {
                    return Err(AppError::code(ErrorCode::MediaNotFound));
                }
                (body, false)
            }
        };
        let extras = MessageExtras {
            reply_to,
            mentions,
            forwarded,
        };
        Ok((body, (cid, extras), quote))
    }

    /// Sends to conversation `conv` (as REST and the no-JavaScript form name it): the same
    /// rules as the socket; 403 for a 1:1 `from` is not part of.
    pub async fn send_to(
        &self,
        from: &User,
        conv: Conv,
        req: SendRequest,
    ) -> Result<Sent, AppError> {
        let to = match conv {
            Conv::Private { .. } => Target::User(
                conv.peer_of(from.id)
                    .ok_or(AppError::code(ErrorCode::Forbidden))?,
            ),
            Conv::Group(g) => Target::Group(g),
        };
        self.send(from, None, Outgoing::from_request(to, req)?)
            .await
    }

    /// Every conversation `me` takes part in that has messages, newest activity first, with
    /// counters and the last message: what a (re)connecting client syncs from.
    pub async fn conversations(&self, me: UserId) -> Result<Vec<ConversationSummary>, AppError> {
        // A fixed number of queries however many conversations there are: this runs on
        // every (re)connect.
        let mut list = self.store.conversation_list(me).await?;
        // A last message I deleted for me is not my preview: the one before it is (rarely
        // needed, so one more query for each such conversation only).
        let lasts: Vec<(Conv, app::ids::Seq)> = list
            .iter()
            .filter_map(|c| c.last.as_ref().map(|m| (c.conv, m.seq)))
            .collect();
        let hidden = self.store.hidden_among(me, &lasts).await?;
        for c in &mut list {
            if c.last
                .as_ref()
                .is_some_and(|m| hidden.contains(&(c.conv, m.seq)))
            {
                c.last = self.store.newest_shown(c.conv, me).await?;
            }
        }
        Ok(list
            .into_iter()
            .map(|c| ConversationSummary {
                last: c.last.as_ref().map(message_frame),
                unread: c.unread,
                mentioned: c.mentioned,
                conv: c.conv,
                title: c.title,
                avatar: c.avatar,
                last_seq: app::ids::Seq(c.last_seq),
                read_seq: app::ids::Seq(c.read_seq),
            })
            .collect())
    }

    /// Opens a conversation for the chat pane: who or what it is with (also before any
    /// message), its newest page (or the page before `before`) and that page's senders.
    pub async fn open(
        &self,
        me: UserId,
        conv: Conv,
        before: Option<i64>,
    ) -> Result<OpenConversation, AppError> {
        self.participants(me, conv).await?;
        let mut peer_online = false;
        let mut peer_read_seq = 0;
        let mut peer_last_seen = 0;
        let mut owner_id = None;
        let mut members_can_pin = false;
        let (title, avatar, member_count) = match conv {
            Conv::Private { .. } => {
                let peer = conv
                    .peer_of(me)
                    .ok_or(AppError::code(ErrorCode::Forbidden))?;
                let u = self.store.user(peer).await?.ok_or_else(no_such_user)?;
                // What friends were told (cmd 13), so a page agrees with the live dots even
                // while the peer reloads within the presence grace period. Presence is for
                // friends only: a stranger, or someone blocked, never learns it here either.
                let friends = self.store.friend_set(me).await?.contains(&peer);
                peer_online = friends && self.delivery.is_online(peer);
                if friends && !peer_online {
                    peer_last_seen = self
                        .store
                        .last_seen(&[peer])
                        .await?
                        .get(&peer)
                        .copied()
                        .unwrap_or(0);
                }
                // Read receipts go both ways or not at all: whoever turned them off
                // neither shows nor sees them.
                if self.store.receipts_off(&[me, peer]).await?.is_empty() {
                    peer_read_seq = self.store.read_mark(conv, peer).await?;
                }
                (u.nickname, u.avatar, None)
            }
            Conv::Group(g) => {
                let group = self
                    .store
                    .group(g)
                    .await?
                    .ok_or(AppError::code(ErrorCode::NotFound))?;
                owner_id = Some(group.owner_id);
                members_can_pin = group.members_can_pin;
                (group.name, group.icon, Some(group.member_count))
            }
        };
        let page = before.map_or(Page::Latest, Page::Before);
        let messages = self.history(me, conv, page, OPEN_PAGE).await?;
        let hidden = match before {
            Some(_) => Vec::new(),
            None => {
                self.store
                    .hidden(conv, me, app::protocol::HIDDEN_LISTED)
                    .await?
            }
        };
        let (pins, read_marks) = match (before, conv) {
            // An older page needs none of these again.
            (Some(_), _) => (Vec::new(), Vec::new()),
            (None, Conv::Private { .. }) => (self.pins(me, conv).await?, Vec::new()),
            (None, Conv::Group(_)) => {
                let marks = self.store.read_marks(conv).await?;
                let readers: Vec<UserId> = marks.iter().map(|(u, _)| *u).chain([me]).collect();
                let off = self.store.receipts_off(&readers).await?;
                let marks = if off.contains(&me) {
                    Vec::new()
                } else {
                    marks
                        .into_iter()
                        .filter(|(u, _)| !off.contains(u))
                        .map(|(user, seq)| ReadMark { user, seq })
                        .collect()
                };
                (self.pins(me, conv).await?, marks)
            }
        };
        let mut ids: Vec<UserId> = messages
            .iter()
            .chain(&pins)
            .flat_map(|m| [UserId(m.userid), UserId(m.pinned_by)])
            .chain(
                messages
                    .iter()
                    .filter_map(|m| m.quote.as_ref().map(|q| q.userid)),
            )
            .filter(|u| u.0 > 0)
            // Both people of a 1:1 are always named (a recall line, a quote, a reaction may
            // name the peer before any message of theirs is on the page).
            .chain(match conv {
                Conv::Private { low, high } => vec![low, high],
                Conv::Group(_) => Vec::new(),
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let senders = self.store.users(&ids).await?;
        // Notices sit among the messages by time: those from the page's oldest message on
        // (all of them once the page reaches the first message). The newest page wants the
        // latest notices; an older page the ones just after its start, which also covers the
        // stretch up to the next page (the browser drops the ones it already has).
        let since = match messages.first() {
            Some(m) if m.seq > 1 => m.ts,
            _ => 0,
        };
        let notices = self
            .store
            .conv_notices(me, &conv.key(), since, before.is_some(), OPEN_NOTICES)
            .await?
            .iter()
            .map(crate::rules::social::notice_frame)
            .collect();
        Ok(OpenConversation {
            conv,
            title,
            avatar,
            member_count,
            peer_online,
            peer_read_seq: app::ids::Seq(peer_read_seq),
            peer_last_seen,
            messages,
            senders,
            notices,
            next_cid: new_cid(),
            pins,
            read_marks,
            members_can_pin,
            owner_id,
            edit_window_secs: secs(self.limits.edit_window),
            recall_window_secs: secs(self.limits.recall_window),
            hidden,
        })
    }

    /// The pinned messages of `conv` as `me` sees them, newest pin first.
    async fn pins(&self, me: UserId, conv: Conv) -> Result<Vec<Frame>, AppError> {
        let pinned = self.store.pins(conv, OPEN_PINS).await?;
        let views = self.store.views(conv, pinned, me).await?;
        Ok(views.iter().map(view_frame).collect())
    }

    /// A page of history of a conversation `me` takes part in (403 otherwise, 404 when it
    /// names someone or something that does not exist).
    pub async fn history(
        &self,
        me: UserId,
        conv: Conv,
        page: Page,
        limit: u64,
    ) -> Result<Vec<Frame>, AppError> {
        self.participants(me, conv).await?;
        let entries = self.store.timeline(conv, page, limit, me).await?;
        Ok(entries.iter().map(entry_frame).collect())
    }

    /// Moves `from`'s read mark in `conv`; in a 1:1 the other side gets a read receipt.
    pub async fn mark_read(&self, from: &User, conv: Conv, seq: i64) -> Result<i64, AppError> {
        let people = self.participants(from.id, conv).await?;
        let before = self.store.read_mark(conv, from.id).await?;
        let mark = self.store.mark_read(conv, from.id, seq).await?;
        let receipt = Frame {
            cmd: Cmd::Read.code(),
            userid: from.id.0,
            conv: conv.key(),
            seq: mark,
            ..Frame::default()
        };
        let mut to: Vec<UserId> = match conv {
            // The reader's other devices learn the mark; the peer gets the receipt.
            Conv::Private { .. } => people,
            // In a group, the people whose messages it passed ("Read by N" under them):
            // not every member, which would cost members squared frames per group.
            Conv::Group(_) => {
                let mut to = self
                    .store
                    .senders_between(conv, before, mark, from.id)
                    .await?;
                to.push(from.id);
                to
            }
        };
        // Receipts go both ways or not at all: a reader who turned them off tells only their
        // own devices, and whoever turned them off is told nobody's.
        let off = self.store.receipts_off(&to).await?;
        if off.contains(&from.id) {
            to = vec![from.id];
        } else {
            to.retain(|u| *u == from.id || !off.contains(u));
        }
        self.delivery.publish(&to, &receipt, None);
        Ok(mark)
    }

    /// Relays a typing indicator (cmd 16) to a 1:1 peer or a group's members; not stored.
    /// It needs the same right as sending: a friend, or a non-friend within the allowance;
    /// a member of the group.
    pub async fn typing(
        &self,
        from: &User,
        origin: Option<ConnId>,
        to: TypingTo,
    ) -> Result<(), AppError> {
        let conv = match to {
            TypingTo::User(peer) => Conv::private(from.id, peer).ok_or_else(|| {
                AppError::from(ApiError::with_msg(
                    ErrorCode::InvalidPayload,
                    "Typing needs `dstid` (the peer) or `conv`.",
                ))
            })?,
            TypingTo::Conv(conv) => conv,
        };
        let people = match conv.peer_of(from.id) {
            Some(peer) => {
                if let Some((peer, allowance)) = self.private_right(from.id, peer).await? {
                    if self.store.unanswered(conv, from.id, peer).await? >= allowance {
                        return Err(AppError::code(ErrorCode::NotFriendsLimit));
                    }
                }
                vec![from.id, peer]
            }
            None => {
                // In a group, nobody on either side of a block with the typist hears it.
                let mut members = self.participants(from.id, conv).await?;
                let hidden = self.store.block_partners(from.id).await?;
                if !hidden.is_empty() {
                    members.retain(|m| hidden.binary_search(m).is_err());
                }
                members
            }
        };
        let dstid = match conv {
            Conv::Private { .. } => conv.peer_of(from.id).map_or(0, |u| u.0),
            Conv::Group(g) => g.0,
        };
        let relay = Frame {
            cmd: Cmd::Typing.code(),
            userid: from.id.0,
            dstid,
            conv: conv.key(),
            ..Frame::default()
        };
        self.delivery.publish(&people, &relay, origin);
        Ok(())
    }
}
