//! Messages: storing one with its conversation's next seq (idempotent on sender + cid),
//! history pages, the conversation list and read marks.

use super::entities::{conv_read, conversation, message};
use super::{classify, Store, StoreError};
use app::error::ErrorCode;
use app::ids::UserId;
use app::protocol::frame::{Media, MessageBody};
use app::protocol::Conv;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

/// A message to store, validated and authorised.
#[derive(Clone, Debug)]
pub struct NewMessage {
    /// Where it goes.
    pub conv: Conv,
    /// Who sends it (from the session).
    pub sender: UserId,
    /// The sender's id for it.
    pub cid: String,
    /// The payload.
    pub body: MessageBody,
    /// Store time, ms since the epoch.
    pub now_ms: i64,
}

/// A stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    /// Server id.
    pub id: i64,
    /// Its conversation.
    pub conv: Conv,
    /// Position in the conversation.
    pub seq: i64,
    /// Sender.
    pub sender: UserId,
    /// The sender's id for it.
    pub cid: String,
    /// The payload.
    pub body: MessageBody,
    /// Store time, ms since the epoch.
    pub ts: i64,
}

impl TryFrom<message::Model> for StoredMessage {
    type Error = StoreError;

    fn try_from(m: message::Model) -> Result<StoredMessage, StoreError> {
        let conv = Conv::parse(&m.conv)
            .ok_or_else(|| StoreError::Inconsistent(format!("message {}: bad conv", m.id)))?;
        let media = u16::try_from(m.media)
            .ok()
            .and_then(Media::from_code)
            .ok_or_else(|| StoreError::Inconsistent(format!("message {}: bad media", m.id)))?;
        Ok(StoredMessage {
            id: m.id,
            conv,
            seq: m.seq,
            sender: UserId(m.sender_id),
            cid: m.cid,
            // Stored bodies passed the media rule when they were sent.
            body: MessageBody {
                media,
                content: m.content,
                pic: m.pic,
                url: m.url,
                memo: m.memo,
                amount: m.amount,
            },
            ts: m.created_at,
        })
    }
}

fn stored(rows: Vec<message::Model>) -> Result<Vec<StoredMessage>, StoreError> {
    rows.into_iter().map(StoredMessage::try_from).collect()
}

/// How many of `sender`'s messages in `conv` came after `peer`'s last one.
async fn unanswered(
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
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten();
    Ok(message::Entity::find()
        .filter(message::Column::Conv.eq(conv))
        .filter(message::Column::SenderId.eq(sender.0))
        .filter(message::Column::Seq.gt(answered.unwrap_or(0)))
        .count(conn)
        .await?)
}

/// What storing a message did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Newly stored: acknowledge and deliver.
    New(StoredMessage),
    /// The sender had already stored this cid: acknowledge again, deliver nothing.
    Duplicate(StoredMessage),
}

/// A conversation's counters as one participant sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvState {
    /// Conversation key.
    pub conv: String,
    /// Newest seq.
    pub last_seq: i64,
    /// How far this participant has read.
    pub read_seq: i64,
    /// Last activity, ms since the epoch.
    pub updated_at: i64,
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
    pub async fn message_by_cid(
        &self,
        sender: UserId,
        cid: &str,
    ) -> Result<Option<StoredMessage>, StoreError> {
        message::Entity::find()
            .filter(message::Column::SenderId.eq(sender.0))
            .filter(message::Column::Cid.eq(cid))
            .one(&self.db)
            .await?
            .map(StoredMessage::try_from)
            .transpose()
    }

    /// The sender's earlier message under this cid, as the answer to a resend: the same
    /// message if it went to the same conversation, `cid_conflict` if not.
    async fn resent(&self, new: &NewMessage) -> Result<Option<Stored>, StoreError> {
        match self.message_by_cid(new.sender, &new.cid).await? {
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
        conversation::Entity::insert(conversation::ActiveModel {
            conv: Set(key.clone()),
            last_seq: Set(0),
            updated_at: Set(new.now_ms),
        })
        .on_conflict(
            OnConflict::column(conversation::Column::Conv)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
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

        let body = new.body.clone();
        let inserted = message::ActiveModel {
            conv: Set(key.clone()),
            seq: Set(seq),
            sender_id: Set(new.sender.0),
            cid: Set(new.cid.clone()),
            media: Set(i32::from(body.media.code())),
            content: Set(body.content),
            pic: Set(body.pic),
            url: Set(body.url),
            memo: Set(body.memo),
            amount: Set(body.amount),
            created_at: Set(new.now_ms),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(classify);
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
        // The sender has read their own message.
        upsert_read(&txn, &key, stored.sender, stored.seq).await?;
        txn.commit().await?;
        Ok(Stored::New(stored))
    }

    /// A page of a conversation's history, ascending by seq; at most `limit` messages.
    pub async fn history(
        &self,
        conv: Conv,
        page: Page,
        limit: u64,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let base = message::Entity::find().filter(message::Column::Conv.eq(conv.key()));
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

    /// Counters of the given conversations for `user` (those with no message yet are left
    /// out), newest activity first.
    pub async fn conv_states(
        &self,
        user: UserId,
        convs: &[String],
    ) -> Result<Vec<ConvState>, StoreError> {
        if convs.is_empty() {
            return Ok(Vec::new());
        }
        let rows = conversation::Entity::find()
            .filter(conversation::Column::Conv.is_in(convs.iter().cloned()))
            .order_by_desc(conversation::Column::UpdatedAt)
            .all(&self.db)
            .await?;
        let reads = conv_read::Entity::find()
            .filter(conv_read::Column::UserId.eq(user.0))
            .filter(conv_read::Column::Conv.is_in(convs.iter().cloned()))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|c| ConvState {
                read_seq: reads
                    .iter()
                    .find(|r| r.conv == c.conv)
                    .map_or(0, |r| r.read_seq.min(c.last_seq)),
                conv: c.conv,
                last_seq: c.last_seq,
                updated_at: c.updated_at,
            })
            .collect())
    }

    /// Keys of every 1:1 conversation `user` has a message in.
    pub async fn private_convs_of(&self, user: UserId) -> Result<Vec<String>, StoreError> {
        let rows: Vec<String> = conversation::Entity::find()
            .select_only()
            .column(conversation::Column::Conv)
            .filter(
                sea_orm::Condition::any()
                    .add(conversation::Column::Conv.like(format!("p:{user}:%")))
                    .add(conversation::Column::Conv.like(format!("p:%:{user}"))),
            )
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows)
    }

    /// The newest message of each of `states`.
    pub async fn last_messages(
        &self,
        states: &[ConvState],
    ) -> Result<Vec<StoredMessage>, StoreError> {
        if states.is_empty() {
            return Ok(Vec::new());
        }
        let mut any = sea_orm::Condition::any();
        for st in states {
            any = any.add(
                sea_orm::Condition::all()
                    .add(message::Column::Conv.eq(st.conv.clone()))
                    .add(message::Column::Seq.eq(st.last_seq)),
            );
        }
        let rows = message::Entity::find().filter(any).all(&self.db).await?;
        stored(rows)
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
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}
