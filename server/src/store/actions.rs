//! Actions on messages: each one a row of `messages` with its own seq (so a client that
//! pulls a gap sees it), idempotent on (actor, cid) like a message, and applied to its
//! target's row in the same transaction, so the target always reads in its current state.
//! Hiding a message for oneself is the exception: a row of `hidden_messages`, no seq.
//!
//! Recalling erases: the target's payload, mentions, reactions and pin go, its
//! `message_media` rows go, and every upload it was the last message to point at (and that
//! is not a published avatar or icon) is deleted from `media`; the caller deletes the files
//! once this transaction has committed.
//!
//! [`Store::timeline`] reads a page of a conversation as its readers get it: messages in
//! their current state (reactions, the quoted message of a reply, hidden for this reader)
//! and the events among them, each edit showing the text its message has now.

use super::entities::{
    conversation, hidden_message, media, mention, message, message_media, reaction,
};
use super::messages::{Page, StoredMessage};
use super::{classify, Store, StoreError};
use app::error::ErrorCode;
use app::ids::{Cid, MessageId, Seq, UserId};
use app::protocol::action::{Act, Quote, Reaction, MAX_DISTINCT_REACTIONS};
use app::protocol::body::Media;
use app::protocol::Conv;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::collections::{HashMap, HashSet};

/// An action to store, checked by the rules layer, with what the rules decided about who
/// this actor is in the conversation (the store checks the rest against the target's row
/// inside the transaction).
#[derive(Clone, Debug)]
pub struct NewAction {
    /// The conversation.
    pub conv: Conv,
    /// Who acts (from the session).
    pub actor: UserId,
    /// The actor's id for the action.
    pub cid: Cid,
    /// What to do.
    pub act: Act,
    /// The message acted on.
    pub target: Seq,
    /// The new text (edit) or the emoji (react, unreact).
    pub content: String,
    /// Store time, ms since the epoch.
    pub now_ms: i64,
    /// What this actor may do here.
    pub rights: Rights,
}

/// The actor's standing, decided by the rules layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rights {
    /// How long the sender may edit, in ms; 0: never.
    pub edit_window_ms: i64,
    /// How long the sender may recall, in ms; 0: never.
    pub recall_window_ms: i64,
    /// May recall anyone's message at any time (a group's owner).
    pub moderator: bool,
    /// May pin and unpin.
    pub may_pin: bool,
}

/// A stored action: an event of its conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// Row id.
    pub id: MessageId,
    /// The conversation.
    pub conv: Conv,
    /// The event's own position in the conversation.
    pub seq: Seq,
    /// Who acted.
    pub actor: UserId,
    /// The actor's id for it.
    pub cid: Cid,
    /// What was done.
    pub act: Act,
    /// The message acted on.
    pub target: Seq,
    /// The emoji of a reaction; the text its message has now for an edit (empty once
    /// recalled, or when read back as a resend).
    pub content: String,
    /// Store time, ms since the epoch.
    pub ts: i64,
}

impl StoredEvent {
    fn from_row(m: message::Model) -> Result<StoredEvent, StoreError> {
        let bad = |what: &str| StoreError::Inconsistent(format!("event {}: bad {what}", m.id));
        Ok(StoredEvent {
            id: MessageId(m.id),
            conv: Conv::parse(&m.conv).ok_or_else(|| bad("conv"))?,
            seq: Seq(m.seq),
            actor: UserId(m.sender_id),
            cid: Cid::new(m.cid.clone()).map_err(|_| bad("cid"))?,
            act: Act::from_kind(m.kind).ok_or_else(|| bad("kind"))?,
            target: Seq(m.target_seq),
            content: m.content,
            ts: m.created_at,
        })
    }
}

/// What storing an action did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acted {
    /// Newly stored: acknowledge and deliver.
    New {
        /// The event.
        event: StoredEvent,
        /// Uploads a recall left unreferenced, deleted from `media`: their files go next.
        freed_media: Vec<String>,
    },
    /// The actor had already stored this cid: acknowledge again, deliver nothing.
    Duplicate(StoredEvent),
}

impl Acted {
    /// The event, new or not.
    pub fn event(&self) -> &StoredEvent {
        match self {
            Acted::New { event, .. } | Acted::Duplicate(event) => event,
        }
    }
}

/// A message as a page shows it to one reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    /// The message in its current state.
    pub message: StoredMessage,
    /// Its reactions.
    pub reactions: Vec<Reaction>,
    /// The preview of the message it replies to.
    pub quote: Option<Quote>,
    /// Hidden by this reader ("delete for me"): shown as nothing.
    pub hidden: bool,
}

/// One seq of a conversation as a page returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A message (boxed: it is three times an event's size).
    Message(Box<MessageView>),
    /// An action on one.
    Event(StoredEvent),
}

impl Entry {
    /// Its seq.
    pub fn seq(&self) -> Seq {
        match self {
            Entry::Message(v) => v.message.seq,
            Entry::Event(e) => e.seq,
        }
    }
}

/// The reactions of these messages, by message, emoji in the order they first appeared.
pub(super) async fn reactions_of(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<Reaction>>, StoreError> {
    let mut by_message: HashMap<i64, Vec<Reaction>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_message);
    }
    let rows = reaction::Entity::find()
        .filter(reaction::Column::MessageId.is_in(ids.iter().copied()))
        .order_by_asc(reaction::Column::Id)
        .all(conn)
        .await?;
    for r in rows {
        let list = by_message.entry(r.message_id).or_default();
        app::protocol::action::apply_reaction(list, &r.emoji, UserId(r.user_id), true);
    }
    Ok(by_message)
}

/// The quote of a message row as a reply shows it.
fn quote_of(m: &message::Model) -> Quote {
    if m.recalled_by != 0 {
        return Quote::recalled(Seq(m.seq), UserId(m.sender_id));
    }
    let media = u16::try_from(m.media)
        .ok()
        .and_then(Media::from_code)
        .unwrap_or(Media::Text);
    Quote::of(Seq(m.seq), UserId(m.sender_id), media, &m.content)
}

impl Store {
    /// The message at `seq` of `conv` (not an action), if any.
    pub async fn message_at(
        &self,
        conv: Conv,
        seq: Seq,
    ) -> Result<Option<StoredMessage>, StoreError> {
        message::Entity::find()
            .filter(message::Column::Conv.eq(conv.key()))
            .filter(message::Column::Seq.eq(seq.0))
            .filter(message::Column::Kind.eq(0))
            .one(&self.db)
            .await?
            .map(StoredMessage::try_from)
            .transpose()
    }

    /// The preview a reply to the message at `seq` of `conv` shows; `None` when no message
    /// is there.
    pub async fn quote(&self, conv: Conv, seq: Seq) -> Result<Option<Quote>, StoreError> {
        Ok(message::Entity::find()
            .filter(message::Column::Conv.eq(conv.key()))
            .filter(message::Column::Seq.eq(seq.0))
            .filter(message::Column::Kind.eq(0))
            .one(&self.db)
            .await?
            .as_ref()
            .map(quote_of))
    }

    /// The actor's earlier action under this cid, as the answer to a resend: the same event
    /// if it was in the same conversation, `cid_conflict` if not (or if a message took it).
    async fn acted_before(&self, new: &NewAction) -> Result<Option<Acted>, StoreError> {
        let row = message::Entity::find()
            .filter(message::Column::SenderId.eq(new.actor.0))
            .filter(message::Column::Cid.eq(new.cid.as_str()))
            .one(&self.db)
            .await?;
        match row {
            None => Ok(None),
            Some(m) if m.kind != 0 && m.conv == new.conv.key() => {
                let mut event = StoredEvent::from_row(m)?;
                // An edit's text is read from its message, which may have changed since.
                if event.act == Act::Edit {
                    event.content.clear();
                }
                Ok(Some(Acted::Duplicate(event)))
            }
            Some(_) => Err(StoreError::Refused(ErrorCode::CidConflict)),
        }
    }

    /// Stores an action with its conversation's next seq and applies it to its target, in
    /// one transaction; refused (and nothing written) when the target is not a message of
    /// the conversation (`not_found`), was recalled (`recalled`), or the actor may not do
    /// this to it. Resending a cid returns the stored event as [`Acted::Duplicate`].
    pub async fn store_action(&self, new: NewAction) -> Result<Acted, StoreError> {
        if new.act == Act::Hide {
            return Err(StoreError::Inconsistent("hiding is not an event".into()));
        }
        if let Some(done) = self.acted_before(&new).await? {
            return Ok(done);
        }
        let key = new.conv.key();
        let txn = self.db.begin().await?;
        // The counter first: on SQLite the write lock is taken before anything is read, and
        // elsewhere the row lock orders this action with every send to the conversation.
        let bumped = conversation::Entity::update_many()
            .col_expr(
                conversation::Column::LastSeq,
                Expr::col(conversation::Column::LastSeq).add(1),
            )
            .filter(conversation::Column::Conv.eq(key.clone()))
            .exec(&txn)
            .await?;
        if bumped.rows_affected == 0 {
            return Err(StoreError::Refused(ErrorCode::NotFound));
        }
        let seq: i64 = conversation::Entity::find_by_id(key.clone())
            .select_only()
            .column(conversation::Column::LastSeq)
            .into_tuple()
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::Inconsistent(format!("{key}: counter row vanished")))?;
        let target = message::Entity::find()
            .filter(message::Column::Conv.eq(key.clone()))
            .filter(message::Column::Seq.eq(new.target.0))
            .filter(message::Column::Kind.eq(0))
            .one(&txn)
            .await?
            .ok_or(StoreError::Refused(ErrorCode::NotFound))?;
        if target.recalled_by != 0 {
            return Err(StoreError::Refused(ErrorCode::Recalled));
        }
        let age = new.now_ms - target.created_at;
        let own = target.sender_id == new.actor.0;
        let mut freed_media = Vec::new();
        let mut row_content = String::new();
        match new.act {
            Act::Edit => {
                if !own {
                    return Err(StoreError::Refused(ErrorCode::NotAuthor));
                }
                if target.media != i32::from(Media::Text.code()) {
                    return Err(StoreError::Refused(ErrorCode::InvalidPayload));
                }
                if new.rights.edit_window_ms <= 0 || age > new.rights.edit_window_ms {
                    return Err(StoreError::Refused(ErrorCode::EditWindowPassed));
                }
                let mut m: message::ActiveModel = target.clone().into();
                m.content = Set(new.content.clone());
                m.edited_at = Set(new.now_ms);
                m.update(&txn).await?;
            }
            Act::Recall => {
                if !new.rights.moderator {
                    if !own {
                        return Err(StoreError::Refused(ErrorCode::NotAuthor));
                    }
                    if new.rights.recall_window_ms <= 0 || age > new.rights.recall_window_ms {
                        return Err(StoreError::Refused(ErrorCode::RecallWindowPassed));
                    }
                }
                freed_media = erase(&txn, &target, new.actor).await?;
            }
            Act::React | Act::Unreact => {
                row_content.clone_from(&new.content);
                if new.act == Act::React {
                    react(&txn, &target, new.actor, &new.content, new.now_ms).await?;
                } else {
                    reaction::Entity::delete_many()
                        .filter(reaction::Column::MessageId.eq(target.id))
                        .filter(reaction::Column::UserId.eq(new.actor.0))
                        .filter(reaction::Column::Emoji.eq(new.content.as_str()))
                        .exec(&txn)
                        .await?;
                }
            }
            Act::Pin | Act::Unpin => {
                if !new.rights.may_pin {
                    return Err(StoreError::Refused(ErrorCode::Forbidden));
                }
                let mut m: message::ActiveModel = target.clone().into();
                let pin = new.act == Act::Pin;
                m.pinned_at = Set(if pin { new.now_ms } else { 0 });
                m.pinned_by = Set(if pin { new.actor.0 } else { 0 });
                m.update(&txn).await?;
            }
            Act::Hide => {}
        }
        let kind = new
            .act
            .kind()
            .ok_or_else(|| StoreError::Inconsistent("an action without a kind".into()))?;
        let row = message::ActiveModel {
            conv: Set(key.clone()),
            seq: Set(seq),
            sender_id: Set(new.actor.0),
            cid: Set(new.cid.to_string()),
            media: Set(0),
            content: Set(row_content),
            pic: Set(String::new()),
            url: Set(String::new()),
            memo: Set(String::new()),
            amount: Set(0),
            created_at: Set(new.now_ms),
            width: Set(0),
            height: Set(0),
            kind: Set(kind),
            target_seq: Set(new.target.0),
            reply_seq: Set(0),
            forwarded: Set(false),
            mentions: Set(String::new()),
            edited_at: Set(0),
            recalled_by: Set(0),
            pinned_at: Set(0),
            pinned_by: Set(0),
            ..Default::default()
        };
        let inserted = match row.insert(&txn).await.map_err(classify) {
            Ok(m) => m,
            // The same cid raced in from another connection and won: answer as a resend.
            Err(StoreError::Duplicate) => {
                drop(txn);
                return self.acted_before(&new).await?.ok_or_else(|| {
                    StoreError::Inconsistent(format!("cid {:?}: duplicate but not found", new.cid))
                });
            }
            Err(e) => return Err(e),
        };
        txn.commit().await?;
        let mut event = StoredEvent::from_row(inserted)?;
        if new.act == Act::Edit {
            event.content = new.content;
        }
        Ok(Acted::New { event, freed_media })
    }

    /// Hides the message at `target` of `conv` for `user` only ("delete for me"); hiding it
    /// again changes nothing. `not_found` when no message is there.
    pub async fn hide(&self, conv: Conv, user: UserId, target: Seq) -> Result<(), StoreError> {
        let m = self
            .message_at(conv, target)
            .await?
            .ok_or(StoreError::Refused(ErrorCode::NotFound))?;
        let inserted = hidden_message::ActiveModel {
            user_id: Set(user.0),
            message_id: Set(m.id.0),
            conv: Set(conv.key()),
            seq: Set(target.0),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(classify);
        match inserted {
            Ok(_) | Err(StoreError::Duplicate) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Which of `messages` (conversation and seq) `user` hid: one statement, whatever their
    /// number (the conversation list asks this about every conversation's last message).
    pub async fn hidden_among(
        &self,
        user: UserId,
        messages: &[(Conv, Seq)],
    ) -> Result<Vec<(Conv, Seq)>, StoreError> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let convs: Vec<String> = messages.iter().map(|(c, _)| c.key()).collect();
        let seqs: Vec<i64> = messages.iter().map(|(_, s)| s.0).collect();
        let rows: Vec<(String, i64)> = hidden_message::Entity::find()
            .select_only()
            .column(hidden_message::Column::Conv)
            .column(hidden_message::Column::Seq)
            .filter(hidden_message::Column::UserId.eq(user.0))
            .filter(hidden_message::Column::Conv.is_in(convs))
            .filter(hidden_message::Column::Seq.is_in(seqs))
            .into_tuple()
            .all(&self.db)
            .await?;
        // The two IN lists match a superset of the pairs asked about; keep the pairs.
        Ok(messages
            .iter()
            .filter(|(c, s)| rows.iter().any(|(k, q)| *k == c.key() && *q == s.0))
            .copied()
            .collect())
    }

    /// The newest message of `conv` that `user` has not hidden, if any.
    pub async fn newest_shown(
        &self,
        conv: Conv,
        user: UserId,
    ) -> Result<Option<StoredMessage>, StoreError> {
        let hidden = Query::select()
            .column(hidden_message::Column::Seq)
            .from(hidden_message::Entity)
            .and_where(hidden_message::Column::UserId.eq(user.0))
            .and_where(hidden_message::Column::Conv.eq(conv.key()))
            .to_owned();
        message::Entity::find()
            .filter(message::Column::Conv.eq(conv.key()))
            .filter(message::Column::Kind.eq(0))
            .filter(message::Column::Seq.not_in_subquery(hidden))
            .order_by_desc(message::Column::Seq)
            .one(&self.db)
            .await?
            .map(StoredMessage::try_from)
            .transpose()
    }

    /// The seqs of `conv` that `user` hid, newest first, at most `limit`.
    pub async fn hidden(
        &self,
        conv: Conv,
        user: UserId,
        limit: u64,
    ) -> Result<Vec<Seq>, StoreError> {
        let seqs: Vec<i64> = hidden_message::Entity::find()
            .select_only()
            .column(hidden_message::Column::Seq)
            .filter(hidden_message::Column::UserId.eq(user.0))
            .filter(hidden_message::Column::Conv.eq(conv.key()))
            .order_by_desc(hidden_message::Column::Seq)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(seqs.into_iter().map(Seq).collect())
    }

    /// The pinned messages of `conv`, newest pin first, at most `limit`.
    pub async fn pins(&self, conv: Conv, limit: u64) -> Result<Vec<StoredMessage>, StoreError> {
        message::Entity::find()
            .filter(message::Column::Conv.eq(conv.key()))
            .filter(message::Column::PinnedAt.gt(0))
            .filter(message::Column::Kind.eq(0))
            .order_by_desc(message::Column::PinnedAt)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(StoredMessage::try_from)
            .collect()
    }

    /// A page of `conv` as `reader` sees it, ascending by seq, at most `limit` entries:
    /// messages in their current state and the events among them.
    pub async fn timeline(
        &self,
        conv: Conv,
        page: Page,
        limit: u64,
        reader: UserId,
    ) -> Result<Vec<Entry>, StoreError> {
        let key = conv.key();
        let base = message::Entity::find().filter(message::Column::Conv.eq(key.clone()));
        let mut rows = match page {
            Page::After(seq) => {
                base.filter(message::Column::Seq.gt(seq))
                    .order_by_asc(message::Column::Seq)
                    .limit(limit)
                    .all(&self.db)
                    .await?
            }
            Page::Before(seq) => {
                base.filter(message::Column::Seq.lt(seq))
                    .order_by_desc(message::Column::Seq)
                    .limit(limit)
                    .all(&self.db)
                    .await?
            }
            Page::Latest => {
                base.order_by_desc(message::Column::Seq)
                    .limit(limit)
                    .all(&self.db)
                    .await?
            }
        };
        rows.sort_by_key(|m| m.seq);
        self.entries(conv, rows, reader).await
    }

    /// Turns rows of one conversation into entries: three more queries whatever their number
    /// (reactions, the messages replies and edits name, what `reader` hid).
    async fn entries(
        &self,
        conv: Conv,
        rows: Vec<message::Model>,
        reader: UserId,
    ) -> Result<Vec<Entry>, StoreError> {
        let key = conv.key();
        let ids: Vec<i64> = rows.iter().filter(|m| m.kind == 0).map(|m| m.id).collect();
        let mut reactions = reactions_of(&self.db, &ids).await?;
        // The messages named by replies and by edits, read once.
        let named: HashSet<i64> = rows
            .iter()
            .filter_map(|m| match (m.kind, Act::from_kind(m.kind)) {
                (0, _) if m.reply_seq > 0 => Some(m.reply_seq),
                (_, Some(Act::Edit)) => Some(m.target_seq),
                _ => None,
            })
            .collect();
        let targets: HashMap<i64, message::Model> = if named.is_empty() {
            HashMap::new()
        } else {
            message::Entity::find()
                .filter(message::Column::Conv.eq(key.clone()))
                .filter(message::Column::Kind.eq(0))
                .filter(message::Column::Seq.is_in(named))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|m| (m.seq, m))
                .collect()
        };
        let seqs: Vec<i64> = rows.iter().filter(|m| m.kind == 0).map(|m| m.seq).collect();
        let hidden: HashSet<i64> = if seqs.is_empty() {
            HashSet::new()
        } else {
            hidden_message::Entity::find()
                .select_only()
                .column(hidden_message::Column::Seq)
                .filter(hidden_message::Column::UserId.eq(reader.0))
                .filter(hidden_message::Column::Conv.eq(key.clone()))
                .filter(hidden_message::Column::Seq.is_in(seqs))
                .into_tuple::<i64>()
                .all(&self.db)
                .await?
                .into_iter()
                .collect()
        };
        let mut entries = Vec::with_capacity(rows.len());
        for m in rows {
            if m.kind == 0 {
                let quote = (m.reply_seq > 0)
                    .then(|| targets.get(&m.reply_seq).map(quote_of))
                    .flatten();
                let view = MessageView {
                    reactions: reactions.remove(&m.id).unwrap_or_default(),
                    hidden: hidden.contains(&m.seq),
                    quote,
                    message: StoredMessage::try_from(m)?,
                };
                entries.push(Entry::Message(Box::new(view)));
            } else {
                let mut event = StoredEvent::from_row(m)?;
                if event.act == Act::Edit {
                    // The text its message has now: an earlier text is served to nobody.
                    event.content = targets
                        .get(&event.target.0)
                        .filter(|t| t.recalled_by == 0)
                        .map(|t| t.content.clone())
                        .unwrap_or_default();
                }
                entries.push(Entry::Event(event));
            }
        }
        Ok(entries)
    }

    /// The messages of `conv` at these seqs as `reader` sees them (pins, the page of a
    /// conversation list's newest messages).
    pub async fn views(
        &self,
        conv: Conv,
        messages: Vec<StoredMessage>,
        reader: UserId,
    ) -> Result<Vec<MessageView>, StoreError> {
        let seqs: Vec<i64> = messages.iter().map(|m| m.seq.0).collect();
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        let rows = message::Entity::find()
            .filter(message::Column::Conv.eq(conv.key()))
            .filter(message::Column::Seq.is_in(seqs))
            .filter(message::Column::Kind.eq(0))
            .order_by_desc(message::Column::PinnedAt)
            .all(&self.db)
            .await?;
        let mut by_seq: HashMap<Seq, MessageView> = self
            .entries(conv, rows, reader)
            .await?
            .into_iter()
            .filter_map(|e| match e {
                Entry::Message(v) => Some((v.message.seq, *v)),
                Entry::Event(_) => None,
            })
            .collect();
        Ok(messages
            .iter()
            .filter_map(|m| by_seq.remove(&m.seq))
            .collect())
    }

    /// How far each member of `conv` has read it (for "Read by N" under my messages).
    pub async fn read_marks(&self, conv: Conv) -> Result<Vec<(UserId, Seq)>, StoreError> {
        use super::entities::conv_read;
        Ok(conv_read::Entity::find()
            .filter(conv_read::Column::Conv.eq(conv.key()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (UserId(r.user_id), Seq(r.read_seq)))
            .collect())
    }

    /// Who sent messages of `conv` with a seq in `(after, upto]`, other than `reader`: the
    /// people whose "Read by" a read mark moving over that range changes.
    pub async fn senders_between(
        &self,
        conv: Conv,
        after: i64,
        upto: i64,
        reader: UserId,
    ) -> Result<Vec<UserId>, StoreError> {
        if upto <= after {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = message::Entity::find()
            .select_only()
            .column(message::Column::SenderId)
            .distinct()
            .filter(message::Column::Conv.eq(conv.key()))
            .filter(message::Column::Seq.gt(after))
            .filter(message::Column::Seq.lte(upto))
            .filter(message::Column::Kind.eq(0))
            .filter(message::Column::SenderId.ne(reader.0))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }
}

/// Adds `actor`'s reaction `emoji` to `target` (again: no change), refusing a new emoji
/// past [`MAX_DISTINCT_REACTIONS`].
async fn react(
    txn: &sea_orm::DatabaseTransaction,
    target: &message::Model,
    actor: UserId,
    emoji: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    let emojis: Vec<String> = reaction::Entity::find()
        .select_only()
        .column(reaction::Column::Emoji)
        .distinct()
        .filter(reaction::Column::MessageId.eq(target.id))
        .into_tuple()
        .all(txn)
        .await?;
    if !emojis.iter().any(|e| e == emoji) && emojis.len() >= MAX_DISTINCT_REACTIONS {
        return Err(StoreError::Refused(ErrorCode::TooManyReactions));
    }
    let exists = reaction::Entity::find()
        .filter(reaction::Column::MessageId.eq(target.id))
        .filter(reaction::Column::UserId.eq(actor.0))
        .filter(reaction::Column::Emoji.eq(emoji))
        .count(txn)
        .await?
        > 0;
    if !exists {
        reaction::ActiveModel {
            message_id: Set(target.id),
            conv: Set(target.conv.clone()),
            user_id: Set(actor.0),
            emoji: Set(emoji.to_owned()),
            created_at: Set(now_ms),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Erases a recalled message: its payload, mentions, reactions and pin, its media
/// references, and the uploads nothing else points at any more (their rows; the caller
/// deletes the files after the commit). Returns those uploads' keys.
async fn erase(
    txn: &sea_orm::DatabaseTransaction,
    target: &message::Model,
    actor: UserId,
) -> Result<Vec<String>, StoreError> {
    let mut m: message::ActiveModel = target.clone().into();
    m.content = Set(String::new());
    m.pic = Set(String::new());
    m.url = Set(String::new());
    m.memo = Set(String::new());
    m.amount = Set(0);
    m.width = Set(0);
    m.height = Set(0);
    m.mentions = Set(String::new());
    m.reply_seq = Set(0);
    m.edited_at = Set(0);
    m.pinned_at = Set(0);
    m.pinned_by = Set(0);
    m.recalled_by = Set(actor.0);
    m.update(txn).await?;
    reaction::Entity::delete_many()
        .filter(reaction::Column::MessageId.eq(target.id))
        .exec(txn)
        .await?;
    mention::Entity::delete_many()
        .filter(mention::Column::Conv.eq(target.conv.clone()))
        .filter(mention::Column::Seq.eq(target.seq))
        .exec(txn)
        .await?;
    let keys: Vec<String> = message_media::Entity::find()
        .select_only()
        .column(message_media::Column::MediaKey)
        .filter(message_media::Column::MessageId.eq(target.id))
        .into_tuple()
        .all(txn)
        .await?;
    message_media::Entity::delete_many()
        .filter(message_media::Column::MessageId.eq(target.id))
        .exec(txn)
        .await?;
    let mut freed = Vec::new();
    for key in keys {
        let still_used = message_media::Entity::find()
            .filter(message_media::Column::MediaKey.eq(key.as_str()))
            .count(txn)
            .await?
            > 0;
        if still_used {
            continue;
        }
        // A published picture (an avatar, a group icon) stays: everyone may see it.
        let gone = media::Entity::delete_many()
            .filter(media::Column::Key.eq(key.as_str()))
            .filter(media::Column::Published.eq(false))
            .exec(txn)
            .await?;
        if gone.rows_affected > 0 {
            freed.push(key);
        }
    }
    Ok(freed)
}
