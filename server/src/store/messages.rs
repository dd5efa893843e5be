//! Messages: storing one with its conversation's next seq (idempotent on sender + cid),
//! history pages, the conversation list and read marks.
//!
//! The conversation list is what every (re)connecting client syncs from, so its cost must
//! not grow with the number of conversations: it is two joins over indexed participant rows
//! (`conv_members` for 1:1s, `group_members` through `conversations.group_id` for groups),
//! written when a conversation's first message is stored.

use super::entities::{
    conv_member, conv_read, conversation, group, group_member, mention, message, message_media,
    user,
};
use super::{classify, Store, StoreError};
use app::error::ErrorCode;
use app::ids::{Cid, MessageId, Seq, UserId};
use app::protocol::body::{Media, MessageBody};
use app::protocol::Conv;
use sea_orm::sea_query::{Alias, Condition, Expr, OnConflict, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

/// A message to store, validated and authorised.
#[derive(Clone, Debug)]
pub struct NewMessage {
    /// Where it goes.
    pub conv: Conv,
    /// Who sends it (from the session).
    pub sender: UserId,
    /// The sender's id for it.
    pub cid: Cid,
    /// The payload.
    pub body: MessageBody,
    /// Store time, ms since the epoch.
    pub now_ms: i64,
    /// Reply, mentions, forwarded.
    pub extras: MessageExtras,
}

/// What a message says beyond its payload, fixed when it is sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageExtras {
    /// The earlier message of the conversation it replies to.
    pub reply_to: Option<Seq>,
    /// Who it @mentions (`MENTION_ALL`: everyone in the group).
    pub mentions: Vec<UserId>,
    /// Copied from another conversation.
    pub forwarded: bool,
}

/// What has been done to a message since it was sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageState {
    /// When its text was last edited, ms since the epoch.
    pub edited_at: Option<i64>,
    /// Who recalled it; its content is then gone.
    pub recalled_by: Option<UserId>,
    /// When and by whom it was pinned.
    pub pinned: Option<(i64, UserId)>,
}

/// Writes mention ids as stored: comma-separated.
pub(super) fn mentions_column(ids: &[UserId]) -> String {
    ids.iter()
        .map(|u| u.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads the stored mention ids (a broken entry is skipped: it names nobody).
fn parse_mentions(column: &str) -> Vec<UserId> {
    column
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .map(UserId)
        .collect()
}

/// A stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    /// Server id.
    pub id: MessageId,
    /// Its conversation.
    pub conv: Conv,
    /// Position in the conversation.
    pub seq: Seq,
    /// Sender.
    pub sender: UserId,
    /// The sender's id for it.
    pub cid: Cid,
    /// The payload.
    pub body: MessageBody,
    /// Store time, ms since the epoch.
    pub ts: i64,
    /// Reply, mentions, forwarded.
    pub extras: MessageExtras,
    /// Edited, recalled, pinned.
    pub state: MessageState,
}

impl TryFrom<message::Model> for StoredMessage {
    type Error = StoreError;

    fn try_from(m: message::Model) -> Result<StoredMessage, StoreError> {
        if m.kind != 0 {
            return Err(StoreError::Inconsistent(format!(
                "row {} is an action, not a message",
                m.id
            )));
        }
        let conv = Conv::parse(&m.conv)
            .ok_or_else(|| StoreError::Inconsistent(format!("message {}: bad conv", m.id)))?;
        // A recalled message keeps its kind; its payload fields are empty.
        let media = u16::try_from(m.media)
            .ok()
            .and_then(Media::from_code)
            .ok_or_else(|| StoreError::Inconsistent(format!("message {}: bad media", m.id)))?;
        let cid = Cid::new(m.cid)
            .map_err(|_| StoreError::Inconsistent(format!("message {}: bad cid", m.id)))?;
        Ok(StoredMessage {
            id: MessageId(m.id),
            conv,
            seq: Seq(m.seq),
            sender: UserId(m.sender_id),
            cid,
            // Stored bodies passed the media rule when they were sent.
            body: MessageBody {
                media,
                content: m.content,
                pic: m.pic,
                url: m.url,
                memo: m.memo,
                amount: m.amount,
                // Written from a checked u32 (<= MAX_DIMENSION); anything else reads as unknown.
                width: u32::try_from(m.width).unwrap_or(0),
                height: u32::try_from(m.height).unwrap_or(0),
            },
            ts: m.created_at,
            extras: MessageExtras {
                reply_to: (m.reply_seq > 0).then_some(Seq(m.reply_seq)),
                mentions: parse_mentions(&m.mentions),
                forwarded: m.forwarded,
            },
            state: MessageState {
                edited_at: (m.edited_at > 0).then_some(m.edited_at),
                recalled_by: (m.recalled_by != 0).then_some(UserId(m.recalled_by)),
                pinned: (m.pinned_at > 0).then_some((m.pinned_at, UserId(m.pinned_by))),
            },
        })
    }
}

fn stored(rows: Vec<message::Model>) -> Result<Vec<StoredMessage>, StoreError> {
    rows.into_iter().map(StoredMessage::try_from).collect()
}

/// How many of `sender`'s messages in `conv` came after `peer`'s last one.
pub(super) async fn unanswered(
    conn: &impl ConnectionTrait,
    conv: &str,
    sender: UserId,
    peer: UserId,
) -> Result<u64, StoreError> {
    let answered: Option<i64> = message::Entity::find()
        .select_only()
        .column_as(message::Column::Seq.max(), "m")
        .filter(message::Column::Conv.eq(conv))
        .filter(message::Column::SenderId.eq(peer.0))
        .filter(message::Column::Kind.eq(0))
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten();
    Ok(message::Entity::find()
        .filter(message::Column::Conv.eq(conv))
        .filter(message::Column::SenderId.eq(sender.0))
        .filter(message::Column::Kind.eq(0))
        .filter(message::Column::Seq.gt(answered.unwrap_or(0)))
        .count(conn)
        .await?)
}

/// The row of a new message with its seq (the id comes from the database).
pub(super) fn message_row(new: &NewMessage, seq: i64) -> message::ActiveModel {
    let body = new.body.clone();
    message::ActiveModel {
        conv: Set(new.conv.key()),
        seq: Set(seq),
        sender_id: Set(new.sender.0),
        cid: Set(new.cid.to_string()),
        media: Set(i32::from(body.media.code())),
        content: Set(body.content),
        pic: Set(body.pic),
        url: Set(body.url),
        memo: Set(body.memo),
        amount: Set(body.amount),
        created_at: Set(new.now_ms),
        // At most MAX_DIMENSION, so the conversion never saturates in practice.
        width: Set(i32::try_from(body.width).unwrap_or(i32::MAX)),
        height: Set(i32::try_from(body.height).unwrap_or(i32::MAX)),
        kind: Set(0),
        target_seq: Set(0),
        reply_seq: Set(new.extras.reply_to.map_or(0, |s| s.0)),
        forwarded: Set(new.extras.forwarded),
        mentions: Set(mentions_column(&new.extras.mentions)),
        edited_at: Set(0),
        recalled_by: Set(0),
        pinned_at: Set(0),
        pinned_by: Set(0),
        ..Default::default()
    }
}

/// Records whom new messages @mention, so "mentioned since my read mark" is an index range.
pub(super) async fn add_mentions<'a>(
    txn: &sea_orm::DatabaseTransaction,
    messages: impl IntoIterator<Item = &'a StoredMessage>,
) -> Result<(), StoreError> {
    let rows: Vec<mention::ActiveModel> = messages
        .into_iter()
        .flat_map(|m| {
            m.extras.mentions.iter().map(|u| mention::ActiveModel {
                conv: Set(m.conv.key()),
                seq: Set(m.seq.0),
                user_id: Set(u.0),
                ..Default::default()
            })
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    mention::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// What storing a message did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Newly stored: acknowledge and deliver.
    New(StoredMessage),
    /// The sender had already stored this cid: acknowledge again, deliver nothing.
    Duplicate(StoredMessage),
}

/// One conversation of a user's list, as [`Store::conversation_list`] returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedConv {
    /// The conversation.
    pub conv: Conv,
    /// The peer's nickname or the group's name.
    pub title: String,
    /// The peer's avatar or the group's icon.
    pub avatar: String,
    /// Newest seq.
    pub last_seq: i64,
    /// How far the user has read: 0 without a read mark, never past `last_seq`.
    pub read_seq: i64,
    /// Last activity, ms since the epoch.
    pub updated_at: i64,
    /// The newest message (`None` only if it went missing: the store never does that).
    pub last: Option<StoredMessage>,
    /// Messages from others after the read mark (actions are not counted).
    pub unread: i64,
    /// Whether one of those @mentions the user (or everyone).
    pub mentioned: bool,
}

/// A row of either listing query: the conversation's counters, who or what it is with, the
/// caller's read mark and the newest message. Everything that comes from a LEFT JOIN is
/// optional.
#[derive(Debug, FromQueryResult)]
struct ListRow {
    conv: String,
    last_seq: i64,
    updated_at: i64,
    /// The peer's id in a 1:1, the group's id in a group.
    party: i64,
    title: String,
    avatar: String,
    read_seq: Option<i64>,
    m_id: Option<i64>,
    m_seq: Option<i64>,
    m_sender_id: Option<i64>,
    m_cid: Option<String>,
    m_media: Option<i32>,
    m_content: Option<String>,
    m_pic: Option<String>,
    m_url: Option<String>,
    m_memo: Option<String>,
    m_amount: Option<i64>,
    m_created_at: Option<i64>,
    m_width: Option<i32>,
    m_height: Option<i32>,
    m_reply_seq: Option<i64>,
    m_forwarded: Option<bool>,
    m_mentions: Option<String>,
    m_edited_at: Option<i64>,
    m_recalled_by: Option<i64>,
    m_pinned_at: Option<i64>,
    m_pinned_by: Option<i64>,
    /// Messages from others after the read mark.
    unread: i64,
    /// Mentions of the reader (or everyone) after the read mark.
    mentions: i64,
}

/// The message columns of a [`ListRow`], in the order the queries select them.
const LAST_MESSAGE_COLUMNS: [(message::Column, &str); 20] = [
    (message::Column::Id, "m_id"),
    (message::Column::Seq, "m_seq"),
    (message::Column::SenderId, "m_sender_id"),
    (message::Column::Cid, "m_cid"),
    (message::Column::Media, "m_media"),
    (message::Column::Content, "m_content"),
    (message::Column::Pic, "m_pic"),
    (message::Column::Url, "m_url"),
    (message::Column::Memo, "m_memo"),
    (message::Column::Amount, "m_amount"),
    (message::Column::CreatedAt, "m_created_at"),
    (message::Column::Width, "m_width"),
    (message::Column::Height, "m_height"),
    (message::Column::ReplySeq, "m_reply_seq"),
    (message::Column::Forwarded, "m_forwarded"),
    (message::Column::Mentions, "m_mentions"),
    (message::Column::EditedAt, "m_edited_at"),
    (message::Column::RecalledBy, "m_recalled_by"),
    (message::Column::PinnedAt, "m_pinned_at"),
    (message::Column::PinnedBy, "m_pinned_by"),
];

impl ListRow {
    fn into_listed(self, conv: Conv) -> Result<ListedConv, StoreError> {
        let last = match self.m_id {
            None => None,
            Some(id) => {
                // NOT NULL columns of a row the join found: NULL here is a broken database.
                let null = || StoreError::Inconsistent(format!("message {id}: NULL column"));
                Some(StoredMessage::try_from(message::Model {
                    id,
                    conv: self.conv.clone(),
                    seq: self.m_seq.ok_or_else(null)?,
                    sender_id: self.m_sender_id.ok_or_else(null)?,
                    cid: self.m_cid.ok_or_else(null)?,
                    media: self.m_media.ok_or_else(null)?,
                    content: self.m_content.ok_or_else(null)?,
                    pic: self.m_pic.ok_or_else(null)?,
                    url: self.m_url.ok_or_else(null)?,
                    memo: self.m_memo.ok_or_else(null)?,
                    amount: self.m_amount.ok_or_else(null)?,
                    created_at: self.m_created_at.ok_or_else(null)?,
                    width: self.m_width.ok_or_else(null)?,
                    height: self.m_height.ok_or_else(null)?,
                    // The join names a message row (seq = last_msg_seq), never an action.
                    kind: 0,
                    target_seq: 0,
                    reply_seq: self.m_reply_seq.ok_or_else(null)?,
                    forwarded: self.m_forwarded.ok_or_else(null)?,
                    mentions: self.m_mentions.ok_or_else(null)?,
                    edited_at: self.m_edited_at.ok_or_else(null)?,
                    recalled_by: self.m_recalled_by.ok_or_else(null)?,
                    pinned_at: self.m_pinned_at.ok_or_else(null)?,
                    pinned_by: self.m_pinned_by.ok_or_else(null)?,
                })?)
            }
        };
        Ok(ListedConv {
            conv,
            title: self.title,
            avatar: self.avatar,
            last_seq: self.last_seq,
            read_seq: self.read_seq.map_or(0, |r| r.min(self.last_seq)),
            updated_at: self.updated_at,
            last,
            unread: self.unread,
            mentioned: self.mentions > 0,
        })
    }
}

/// Completes a listing query whose FROM and inner joins already lead to `conversations`:
/// selects the counters, LEFT JOINs `me`'s read mark (unique on (conv, user_id)) and the
/// newest message (unique on (conv, seq), with seq = last_msg_seq), so each conversation is one
/// row found through indexes.
fn with_counters_and_last(q: &mut SelectStatement, me: UserId) {
    let conv = (conversation::Entity, conversation::Column::Conv);
    q.expr_as(Expr::col(conv), Alias::new("conv"))
        .expr_as(
            Expr::col((conversation::Entity, conversation::Column::LastSeq)),
            Alias::new("last_seq"),
        )
        .expr_as(
            Expr::col((conversation::Entity, conversation::Column::UpdatedAt)),
            Alias::new("updated_at"),
        )
        .expr_as(
            Expr::col((conv_read::Entity, conv_read::Column::ReadSeq)),
            Alias::new("read_seq"),
        );
    for (column, alias) in LAST_MESSAGE_COLUMNS {
        q.expr_as(Expr::col((message::Entity, column)), Alias::new(alias));
    }
    // Unread messages and mentions: correlated counts over (conv, seq) index ranges after
    // the read mark, so the list stays two statements whatever its length. Actions take
    // seqs too, so `last_seq - read_seq` would count reactions and edits as unread.
    let mark = || {
        sea_orm::sea_query::Func::coalesce([
            Expr::col((conv_read::Entity, conv_read::Column::ReadSeq)).into(),
            Expr::val(0i64).into(),
        ])
    };
    let um = Alias::new("um");
    let mut unread = Query::select();
    unread
        .expr(Expr::col((um.clone(), message::Column::Id)).count())
        .from_as(message::Entity, um.clone())
        .and_where(Expr::col((um.clone(), message::Column::Conv)).equals(conv))
        .and_where(Expr::col((um.clone(), message::Column::Seq)).gt(mark()))
        .and_where(Expr::col((um.clone(), message::Column::Kind)).eq(0))
        .and_where(Expr::col((um, message::Column::SenderId)).ne(me.0));
    let mn = Alias::new("mn");
    let mut mentions = Query::select();
    mentions
        .expr(Expr::col((mn.clone(), mention::Column::Id)).count())
        .from_as(mention::Entity, mn.clone())
        .and_where(
            Expr::col((mn.clone(), mention::Column::UserId))
                .is_in([me.0, app::protocol::action::MENTION_ALL.0]),
        )
        .and_where(Expr::col((mn.clone(), mention::Column::Conv)).equals(conv))
        .and_where(Expr::col((mn, mention::Column::Seq)).gt(mark()));
    q.expr_as(
        sea_orm::sea_query::SimpleExpr::SubQuery(None, Box::new(unread.into_sub_query_statement())),
        Alias::new("unread"),
    )
    .expr_as(
        sea_orm::sea_query::SimpleExpr::SubQuery(
            None,
            Box::new(mentions.into_sub_query_statement()),
        ),
        Alias::new("mentions"),
    );
    q.left_join(
        conv_read::Entity,
        Condition::all()
            .add(Expr::col((conv_read::Entity, conv_read::Column::Conv)).equals(conv))
            .add(Expr::col((conv_read::Entity, conv_read::Column::UserId)).eq(me.0)),
    )
    .left_join(
        message::Entity,
        Condition::all()
            .add(Expr::col((message::Entity, message::Column::Conv)).equals(conv))
            .add(
                Expr::col((message::Entity, message::Column::Seq))
                    .equals((conversation::Entity, conversation::Column::LastMsgSeq)),
            ),
    );
}

/// Adds the two rows that list a new 1:1 for each of its sides.
pub(super) async fn add_participants(
    txn: &sea_orm::DatabaseTransaction,
    conv: &str,
    low: UserId,
    high: UserId,
) -> Result<(), StoreError> {
    let row = |user: UserId, peer: UserId| conv_member::ActiveModel {
        conv: Set(conv.to_owned()),
        user_id: Set(user.0),
        peer_id: Set(peer.0),
        ..Default::default()
    };
    conv_member::Entity::insert_many([row(low, high), row(high, low)])
        .on_conflict(
            OnConflict::columns([conv_member::Column::UserId, conv_member::Column::Conv])
                .do_nothing_on([conv_member::Column::UserId])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Records which uploads (`/media/<key>` in `url` or `pic`) new messages point at, so the
/// participants of their conversations may fetch them (see `store::media`); one statement
/// for all of them.
pub(super) async fn add_media_refs<'a>(
    txn: &sea_orm::DatabaseTransaction,
    messages: impl IntoIterator<Item = &'a StoredMessage>,
) -> Result<(), StoreError> {
    let mut refs = Vec::new();
    for m in messages {
        let mut keys: Vec<&str> = [&m.body.url, &m.body.pic]
            .into_iter()
            .filter_map(|u| app::protocol::upload::media_key(u))
            .collect();
        keys.dedup();
        for k in keys {
            refs.push(message_media::ActiveModel {
                media_key: Set(k.to_owned()),
                conv: Set(m.conv.key()),
                message_id: Set(m.id.0),
                ..Default::default()
            });
        }
    }
    if refs.is_empty() {
        return Ok(());
    }
    message_media::Entity::insert_many(refs)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Which way a history page reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// The newest messages.
    Latest,
    /// Messages with a seq below this one (scrolling back).
    Before(i64),
    /// Messages with a seq above this one (filling a gap).
    After(i64),
}

impl Store {
    /// The message `sender` stored under `cid`, if any.
    /// An action stored under that cid is `cid_conflict`: a cid names one message or action.
    pub async fn message_by_cid(
        &self,
        sender: UserId,
        cid: &str,
    ) -> Result<Option<StoredMessage>, StoreError> {
        match message::Entity::find()
            .filter(message::Column::SenderId.eq(sender.0))
            .filter(message::Column::Cid.eq(cid))
            .one(&self.db)
            .await?
        {
            Some(m) if m.kind != 0 => Err(StoreError::Refused(ErrorCode::CidConflict)),
            other => other.map(StoredMessage::try_from).transpose(),
        }
    }

    /// The sender's earlier message under this cid, as the answer to a resend: the same
    /// message if it went to the same conversation, `cid_conflict` if not.
    async fn resent(&self, new: &NewMessage) -> Result<Option<Stored>, StoreError> {
        match self.message_by_cid(new.sender, new.cid.as_str()).await? {
            Some(done) if done.conv == new.conv => Ok(Some(Stored::Duplicate(done))),
            Some(_) => Err(StoreError::Refused(ErrorCode::CidConflict)),
            None => Ok(None),
        }
    }

    /// How many messages `sender` has sent in the 1:1 `conv` since `peer` last wrote there
    /// (the non-friend allowance counts these).
    pub async fn unanswered(
        &self,
        conv: Conv,
        sender: UserId,
        peer: UserId,
    ) -> Result<u64, StoreError> {
        unanswered(&self.db, &conv.key(), sender, peer).await
    }

    /// Stores a message with its conversation's next seq, in one transaction. Resending a
    /// cid returns the stored message as [`Stored::Duplicate`]; reusing it in another
    /// conversation is refused (`cid_conflict`). With `allowance` = `(peer, n)`, refuses
    /// (`not_friends_limit`) once the sender has `n` messages in the conversation that
    /// `peer` has not answered.
    pub async fn store_message(
        &self,
        new: NewMessage,
        allowance: Option<(UserId, u64)>,
    ) -> Result<Stored, StoreError> {
        if let Some(done) = self.resent(&new).await? {
            return Ok(done);
        }
        let key = new.conv.key();
        let txn = self.db.begin().await?;
        // Create the counter row if this is the conversation's first message. This write is
        // the transaction's first statement, so on SQLite the write lock is taken before
        // anything is read.
        let created = conversation::Entity::insert(conversation::ActiveModel {
            conv: Set(key.clone()),
            last_seq: Set(0),
            last_msg_seq: Set(0),
            updated_at: Set(new.now_ms),
            group_id: Set(match new.conv {
                Conv::Group(g) => Some(g.0),
                Conv::Private { .. } => None,
            }),
        })
        .on_conflict(
            // `do_nothing_on` names a column because MySQL has no DO NOTHING: there it
            // becomes `ON DUPLICATE KEY UPDATE conv = conv`.
            OnConflict::column(conversation::Column::Conv)
                .do_nothing_on([conversation::Column::Conv])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        // A new 1:1 also gets its two participant rows (the conversation list joins them).
        // Only on creation: every later message of the conversation costs nothing more, and
        // a refused or rolled-back first message takes its rows with it.
        if created > 0 {
            if let Conv::Private { low, high } = new.conv {
                add_participants(&txn, &key, low, high).await?;
            }
        }
        conversation::Entity::update_many()
            .col_expr(
                conversation::Column::LastSeq,
                Expr::col(conversation::Column::LastSeq).add(1),
            )
            .col_expr(conversation::Column::UpdatedAt, Expr::value(new.now_ms))
            .filter(conversation::Column::Conv.eq(key.clone()))
            .exec(&txn)
            .await?;
        let seq: i64 = conversation::Entity::find_by_id(key.clone())
            .select_only()
            .column(conversation::Column::LastSeq)
            .into_tuple()
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::Inconsistent(format!("{key}: counter row vanished")))?;

        if let Some((peer, limit)) = allowance {
            if unanswered(&txn, &key, new.sender, peer).await? >= limit {
                return Err(StoreError::Refused(ErrorCode::NotFriendsLimit));
            }
        }

        let inserted = message_row(&new, seq).insert(&txn).await.map_err(classify);
        let stored = match inserted {
            Ok(m) => StoredMessage::try_from(m)?,
            // The same cid raced in from another connection and won: answer as a resend.
            Err(StoreError::Duplicate) => {
                drop(txn);
                return self.resent(&new).await?.ok_or_else(|| {
                    StoreError::Inconsistent(format!("cid {:?}: duplicate but not found", new.cid))
                });
            }
            Err(e) => return Err(e),
        };
        add_media_refs(&txn, [&stored]).await?;
        add_mentions(&txn, [&stored]).await?;
        conversation::Entity::update_many()
            .col_expr(conversation::Column::LastMsgSeq, Expr::value(seq))
            .filter(conversation::Column::Conv.eq(key.clone()))
            .exec(&txn)
            .await?;
        // The sender has read their own message.
        upsert_read(&txn, &key, stored.sender, stored.seq.0).await?;
        txn.commit().await?;
        Ok(Stored::New(stored))
    }

    /// A page of a conversation's messages (no actions: see [`Store::timeline`] for what
    /// readers get), ascending by seq; at most `limit` messages.
    pub async fn history(
        &self,
        conv: Conv,
        page: Page,
        limit: u64,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let base = message::Entity::find()
            .filter(message::Column::Conv.eq(conv.key()))
            .filter(message::Column::Kind.eq(0));
        let rows = match page {
            Page::After(seq) => {
                base.filter(message::Column::Seq.gt(seq))
                    .order_by_asc(message::Column::Seq)
                    .limit(limit)
                    .all(&self.db)
                    .await?
            }
            Page::Before(seq) => {
                let mut rows = base
                    .filter(message::Column::Seq.lt(seq))
                    .order_by_desc(message::Column::Seq)
                    .limit(limit)
                    .all(&self.db)
                    .await?;
                rows.reverse();
                rows
            }
            Page::Latest => {
                let mut rows = base
                    .order_by_desc(message::Column::Seq)
                    .limit(limit)
                    .all(&self.db)
                    .await?;
                rows.reverse();
                rows
            }
        };
        stored(rows)
    }

    /// Every conversation `me` takes part in that has messages, newest activity first (ties
    /// by key), with the title and avatar of the peer or group, `me`'s read mark and the
    /// newest message. Two indexed queries whatever the number of conversations: the 1:1s
    /// from `conv_members` (whose peer must exist), the groups from `group_members` (which
    /// must exist).
    pub async fn conversation_list(&self, me: UserId) -> Result<Vec<ListedConv>, StoreError> {
        let backend = self.db.get_database_backend();
        let mut private = Query::select();
        private
            .expr_as(
                Expr::col((conv_member::Entity, conv_member::Column::PeerId)),
                Alias::new("party"),
            )
            .expr_as(
                Expr::col((user::Entity, user::Column::Nickname)),
                Alias::new("title"),
            )
            .expr_as(
                Expr::col((user::Entity, user::Column::Avatar)),
                Alias::new("avatar"),
            )
            .from(conv_member::Entity)
            .inner_join(
                conversation::Entity,
                Expr::col((conversation::Entity, conversation::Column::Conv))
                    .equals((conv_member::Entity, conv_member::Column::Conv)),
            )
            .inner_join(
                user::Entity,
                Expr::col((user::Entity, user::Column::Id))
                    .equals((conv_member::Entity, conv_member::Column::PeerId)),
            )
            .and_where(Expr::col((conv_member::Entity, conv_member::Column::UserId)).eq(me.0));
        with_counters_and_last(&mut private, me);

        let mut groups = Query::select();
        groups
            .expr_as(
                Expr::col((group::Entity, group::Column::Id)),
                Alias::new("party"),
            )
            .expr_as(
                Expr::col((group::Entity, group::Column::Name)),
                Alias::new("title"),
            )
            .expr_as(
                Expr::col((group::Entity, group::Column::Icon)),
                Alias::new("avatar"),
            )
            .from(group_member::Entity)
            .inner_join(
                conversation::Entity,
                Expr::col((conversation::Entity, conversation::Column::GroupId))
                    .equals((group_member::Entity, group_member::Column::GroupId)),
            )
            .inner_join(
                group::Entity,
                Expr::col((group::Entity, group::Column::Id))
                    .equals((group_member::Entity, group_member::Column::GroupId)),
            )
            .and_where(Expr::col((group_member::Entity, group_member::Column::UserId)).eq(me.0));
        with_counters_and_last(&mut groups, me);

        let private = ListRow::find_by_statement(backend.build(&private))
            .all(&self.db)
            .await?;
        let groups = ListRow::find_by_statement(backend.build(&groups))
            .all(&self.db)
            .await?;
        let mut list = Vec::with_capacity(private.len() + groups.len());
        for row in private {
            // The key must agree with the row that led to it; a key this code never writes
            // was never listed.
            match Conv::parse(&row.conv) {
                Some(conv) if conv.peer_of(me) == Some(UserId(row.party)) => {
                    list.push(row.into_listed(conv)?);
                }
                _ => {}
            }
        }
        for row in groups {
            match Conv::parse(&row.conv) {
                Some(conv @ Conv::Group(g)) if g.0 == row.party => {
                    list.push(row.into_listed(conv)?);
                }
                _ => {}
            }
        }
        list.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| a.conv.cmp(&b.conv))
        });
        Ok(list)
    }

    /// How far `user` has read `conv` (0 before any read mark).
    pub async fn read_mark(&self, conv: Conv, user: UserId) -> Result<i64, StoreError> {
        Ok(conv_read::Entity::find()
            .filter(conv_read::Column::Conv.eq(conv.key()))
            .filter(conv_read::Column::UserId.eq(user.0))
            .one(&self.db)
            .await?
            .map_or(0, |r| r.read_seq))
    }

    /// Moves `user`'s read mark in `conv` forward to `seq` (never back, never past the
    /// newest message); returns the mark now stored.
    pub async fn mark_read(&self, conv: Conv, user: UserId, seq: i64) -> Result<i64, StoreError> {
        let conv = &conv.key();
        let last: i64 = conversation::Entity::find_by_id(conv.to_owned())
            .select_only()
            .column(conversation::Column::LastSeq)
            .into_tuple()
            .one(&self.db)
            .await?
            .unwrap_or(0);
        let txn = self.db.begin().await?;
        upsert_read(&txn, conv, user, seq.clamp(0, last)).await?;
        let mark = conv_read::Entity::find()
            .filter(conv_read::Column::Conv.eq(conv))
            .filter(conv_read::Column::UserId.eq(user.0))
            .one(&txn)
            .await?
            .map_or(0, |r| r.read_seq);
        txn.commit().await?;
        Ok(mark)
    }
}

/// Creates or advances a read mark; a lower `seq` than the stored one changes nothing.
async fn upsert_read(
    txn: &sea_orm::DatabaseTransaction,
    conv: &str,
    user: UserId,
    seq: i64,
) -> Result<(), StoreError> {
    let advanced = conv_read::Entity::update_many()
        .col_expr(conv_read::Column::ReadSeq, Expr::value(seq))
        .filter(conv_read::Column::Conv.eq(conv))
        .filter(conv_read::Column::UserId.eq(user.0))
        .filter(conv_read::Column::ReadSeq.lt(seq))
        .exec(txn)
        .await?;
    if advanced.rows_affected == 0 {
        conv_read::Entity::insert(conv_read::ActiveModel {
            conv: Set(conv.to_owned()),
            user_id: Set(user.0),
            read_seq: Set(seq),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([conv_read::Column::Conv, conv_read::Column::UserId])
                .do_nothing_on([conv_read::Column::Conv])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}
