//! Group commit: many messages stored in one transaction, with a fixed number of statements
//! whatever their number, so concurrent sends share one commit (one fsync on SQLite, one
//! set of round trips on PostgreSQL) instead of queueing for one each.
//!
//! The rules are those of [`Store::store_message`], which stays the reference (and the
//! fallback): seq is gap-free per conversation and assigned in batch order, a resent
//! (sender, cid) answers with the stored message (also within one batch), a cid reused in
//! another conversation is `cid_conflict`, the non-friend allowance counts the batch's own
//! messages, and a refused message takes nothing with it. Conversation counter rows are
//! locked in key order (`FOR UPDATE` where the database has it; SQLite's single writer
//! holds the whole database), so two nodes batching into the same conversations serialise
//! instead of deadlocking.

use super::entities::{conv_read, conversation, message};
use super::messages::{
    add_media_refs, add_mentions, add_participants, message_row, unanswered, NewMessage, Stored,
    StoredMessage,
};
use super::{Store, StoreError};
use app::error::ErrorCode;
use app::ids::{Cid, UserId};
use app::protocol::Conv;
use sea_orm::sea_query::{CaseStatement, Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};

/// Most messages stored in one transaction; bounds the statement size (13 parameters per
/// message) and how long one commit can make later sends wait.
pub const MAX_BATCH: usize = 256;

/// One message to store and the non-friend allowance `(peer, n)` to enforce, if any.
#[derive(Clone, Debug)]
pub struct Pending {
    /// The message.
    pub new: NewMessage,
    /// See [`Store::store_message`].
    pub allowance: Option<(UserId, u64)>,
}

/// How a batch finds resends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// By a query before the insert (MySQL, which has no `RETURNING`; and the second try).
    Careful,
    /// By the insert itself: `ON CONFLICT DO NOTHING RETURNING` stores fewer rows.
    Optimistic,
}

/// What became of one message of a batch while the transaction was being built.
enum Outcome {
    /// Answered already (boxed: the other outcomes are a word).
    Done(Box<Result<Stored, StoreError>>),
    /// Inserted by this batch (read back after the insert).
    Inserted,
    /// The same (sender, cid) as an earlier message of this batch.
    SameAs(usize),
}

/// The stored messages with these (sender, cid) pairs, by pair.
/// `None` for a pair an action was stored under: a cid names one message or one action.
async fn by_sender_cid<'a>(
    conn: &impl ConnectionTrait,
    pairs: impl Iterator<Item = (UserId, &'a str)>,
) -> Result<HashMap<(i64, Cid), Option<StoredMessage>>, StoreError> {
    let mut any = Condition::any();
    let mut n = 0;
    for (sender, cid) in pairs {
        any = any.add(
            Condition::all()
                .add(message::Column::SenderId.eq(sender.0))
                .add(message::Column::Cid.eq(cid)),
        );
        n += 1;
    }
    if n == 0 {
        return Ok(HashMap::new());
    }
    let rows = message::Entity::find().filter(any).all(conn).await?;
    rows.into_iter()
        .map(|m| {
            if m.kind != 0 {
                let cid = Cid::new(m.cid)
                    .map_err(|_| StoreError::Inconsistent(format!("row {}: bad cid", m.id)))?;
                return Ok(((m.sender_id, cid), None));
            }
            let m = StoredMessage::try_from(m)?;
            Ok(((m.sender.0, m.cid.clone()), Some(m)))
        })
        .collect()
}

impl Store {
    /// Stores `batch` in one transaction, answering each message as
    /// [`Store::store_message`] would, in order. If the transaction as a whole fails (a cid
    /// that raced in from another node, a deadlock, a dropped connection) each message is
    /// stored on its own instead, so one cannot fail the others.
    pub async fn store_messages(&self, batch: &[Pending]) -> Vec<Result<Stored, StoreError>> {
        // Where the insert can say which rows it stored (RETURNING), resends are not looked
        // for first: a batch that meets one is rolled back and stored again carefully.
        // Resends only follow reconnections, so the common batch saves two queries.
        let mut mode = if self.db.get_database_backend() == DbBackend::MySql {
            Mode::Careful
        } else {
            Mode::Optimistic
        };
        loop {
            match self.store_batch(batch, mode).await {
                Ok(Some(results)) => return results,
                Ok(None) if mode == Mode::Optimistic => mode = Mode::Careful,
                // A careful batch that still met a resend raced another node's batch.
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, messages = batch.len(), "batch failed; storing one by one");
                    break;
                }
            }
        }
        let mut results = Vec::with_capacity(batch.len());
        for p in batch {
            results.push(self.store_message(p.new.clone(), p.allowance).await);
        }
        results
    }

    /// One attempt at storing `batch`; `None` when an optimistic insert met a resend (or a
    /// careful one a cid stored meanwhile by another node) and was rolled back.
    async fn store_batch(
        &self,
        batch: &[Pending],
        mode: Mode,
    ) -> Result<Option<Vec<Result<Stored, StoreError>>>, StoreError> {
        if batch.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let backend = self.db.get_database_backend();
        // Conversations in key order: the order their counters are locked in.
        let mut convs: BTreeMap<String, (Conv, i64)> = BTreeMap::new();
        for p in batch {
            let e = convs
                .entry(p.new.conv.key())
                .or_insert((p.new.conv, p.new.now_ms));
            e.1 = e.1.max(p.new.now_ms);
        }
        let txn = self.db.begin().await?;
        // The first statement writes, so SQLite takes its write lock before anything is read.
        conversation::Entity::insert_many(convs.iter().map(|(key, (conv, now))| {
            conversation::ActiveModel {
                conv: Set(key.clone()),
                last_seq: Set(0),
                last_msg_seq: Set(0),
                updated_at: Set(*now),
                group_id: Set(match conv {
                    Conv::Group(g) => Some(g.0),
                    Conv::Private { .. } => None,
                }),
            }
        }))
        .on_conflict(
            OnConflict::column(conversation::Column::Conv)
                .do_nothing_on([conversation::Column::Conv])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        let mut counters = conversation::Entity::find()
            .select_only()
            .column(conversation::Column::Conv)
            .column(conversation::Column::LastSeq)
            .filter(conversation::Column::Conv.is_in(convs.keys().cloned()))
            .order_by_asc(conversation::Column::Conv);
        if backend != DbBackend::Sqlite {
            counters = counters.lock_exclusive();
        }
        let mut last: HashMap<String, i64> =
            counters.into_tuple().all(&txn).await?.into_iter().collect();
        // A counter still at 0 was created just now (a refused first message rolls its row
        // back, so none is left at 0).
        let created: Vec<String> = last
            .iter()
            .filter(|(_, seq)| **seq == 0)
            .map(|(key, _)| key.clone())
            .collect();
        // Resends are found in the database (read after the counters are locked, so a
        // concurrent batch of another node holding the same conversation has committed),
        // or, optimistically, by the insert meeting them.
        let earlier = match mode {
            Mode::Careful => {
                by_sender_cid(
                    &txn,
                    batch.iter().map(|p| (p.new.sender, p.new.cid.as_str())),
                )
                .await?
            }
            Mode::Optimistic => HashMap::new(),
        };

        let mut outcomes = Vec::with_capacity(batch.len());
        let mut rows = Vec::new();
        let mut claimed: HashMap<(UserId, &str), usize> = HashMap::new();
        // Unanswered messages per (conv, sender), loaded when first needed and then kept up
        // to date with the batch's own messages.
        let mut unanswered_by: HashMap<(String, UserId), u64> = HashMap::new();
        for (i, p) in batch.iter().enumerate() {
            let new = &p.new;
            let key = new.conv.key();
            if let Some(done) = earlier.get(&(new.sender.0, new.cid.clone())) {
                outcomes.push(Outcome::Done(Box::new(match done {
                    Some(done) if done.conv == new.conv => Ok(Stored::Duplicate(done.clone())),
                    _ => Err(StoreError::Refused(ErrorCode::CidConflict)),
                })));
                continue;
            }
            if let Some(&first) = claimed.get(&(new.sender, new.cid.as_str())) {
                outcomes.push(if batch[first].new.conv == new.conv {
                    Outcome::SameAs(first)
                } else {
                    Outcome::Done(Box::new(Err(StoreError::Refused(ErrorCode::CidConflict))))
                });
                continue;
            }
            if let Some((peer, limit)) = p.allowance {
                let k = (key.clone(), new.sender);
                let sent = match unanswered_by.get(&k) {
                    Some(n) => *n,
                    None => unanswered(&txn, &key, new.sender, peer).await?,
                };
                if sent >= limit {
                    unanswered_by.insert(k, sent);
                    outcomes.push(Outcome::Done(Box::new(Err(StoreError::Refused(
                        ErrorCode::NotFriendsLimit,
                    )))));
                    continue;
                }
                unanswered_by.insert(k, sent + 1);
            }
            // Writing answers the peer: their unanswered count starts again.
            if let Some(peer) = new.conv.peer_of(new.sender) {
                unanswered_by.insert((key.clone(), peer), 0);
            }
            let seq = last.entry(key).or_insert(0);
            *seq += 1;
            rows.push(message_row(new, *seq));
            claimed.insert((new.sender, new.cid.as_str()), i);
            outcomes.push(Outcome::Inserted);
        }

        for key in &created {
            match (last.get(key), convs.get(key)) {
                // A new 1:1 gets the participant rows the conversation list joins.
                (Some(seq), Some((Conv::Private { low, high }, _))) if *seq > 0 => {
                    add_participants(&txn, key, *low, *high).await?;
                }
                (Some(0), _) => {
                    // Every message to it was refused: no conversation after all.
                    conversation::Entity::delete_by_id(key.clone())
                        .exec(&txn)
                        .await?;
                }
                _ => {}
            }
        }
        let mut inserted = HashMap::new();
        if !rows.is_empty() {
            let expected = rows.len();
            let stored: Vec<StoredMessage> = match mode {
                Mode::Optimistic => {
                    let mut insert = message::Entity::insert_many(rows)
                        .on_conflict(
                            OnConflict::columns([message::Column::SenderId, message::Column::Cid])
                                .do_nothing()
                                .to_owned(),
                        )
                        .into_query();
                    insert.returning_all();
                    txn.query_all(backend.build(&insert))
                        .await?
                        .iter()
                        .map(|row| {
                            StoredMessage::try_from(message::Model::from_query_result(row, "")?)
                        })
                        .collect::<Result<_, _>>()?
                }
                Mode::Careful => {
                    message::Entity::insert_many(rows)
                        .exec_without_returning(&txn)
                        .await?;
                    by_sender_cid(
                        &txn,
                        batch
                            .iter()
                            .zip(&outcomes)
                            .filter(|(_, o)| matches!(o, Outcome::Inserted))
                            .map(|(p, _)| (p.new.sender, p.new.cid.as_str())),
                    )
                    .await?
                    .into_values()
                    .flatten()
                    .collect()
                }
            };
            if stored.len() != expected {
                // A resend, whose seq would leave a gap: nothing of this attempt stays.
                txn.rollback().await?;
                return Ok(None);
            }
            add_media_refs(&txn, &stored).await?;
            add_mentions(&txn, &stored).await?;
            inserted = stored
                .into_iter()
                .map(|m| ((m.sender.0, m.cid.clone()), m))
                .collect();
            let mut advanced: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            let mut reads: BTreeMap<(String, i64), i64> = BTreeMap::new();
            for m in inserted.values() {
                let e = advanced.entry(m.conv.key()).or_insert((0, 0));
                *e = (e.0.max(m.seq.0), e.1.max(m.ts));
                // The sender has read their own message.
                let r = reads.entry((m.conv.key(), m.sender.0)).or_insert(0);
                *r = (*r).max(m.seq.0);
            }
            conv_read::Entity::insert_many(reads.into_iter().map(|((conv, user), seq)| {
                conv_read::ActiveModel {
                    conv: Set(conv),
                    user_id: Set(user),
                    read_seq: Set(seq),
                    ..Default::default()
                }
            }))
            .on_conflict(
                // A new message's seq is above any mark in its conversation.
                OnConflict::columns([conv_read::Column::Conv, conv_read::Column::UserId])
                    .update_column(conv_read::Column::ReadSeq)
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
            let mut seqs = CaseStatement::new();
            let mut times = CaseStatement::new();
            for (key, (seq, ts)) in &advanced {
                seqs = seqs.case(
                    conversation::Column::Conv.eq(key.as_str()),
                    Expr::value(*seq),
                );
                times = times.case(
                    conversation::Column::Conv.eq(key.as_str()),
                    Expr::value(*ts),
                );
            }
            let msg_seqs = seqs.clone();
            conversation::Entity::update_many()
                .col_expr(
                    conversation::Column::LastSeq,
                    seqs.finally(Expr::col(conversation::Column::LastSeq))
                        .into(),
                )
                // Every row of a batch is a message: the newest is also the newest message.
                .col_expr(
                    conversation::Column::LastMsgSeq,
                    msg_seqs
                        .finally(Expr::col(conversation::Column::LastMsgSeq))
                        .into(),
                )
                .col_expr(
                    conversation::Column::UpdatedAt,
                    times
                        .finally(Expr::col(conversation::Column::UpdatedAt))
                        .into(),
                )
                .filter(conversation::Column::Conv.is_in(advanced.keys().cloned()))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;

        let mut results: Vec<Result<Stored, StoreError>> = Vec::with_capacity(batch.len());
        for (p, outcome) in batch.iter().zip(outcomes) {
            let result = match outcome {
                Outcome::Done(r) => *r,
                Outcome::Inserted => inserted
                    .remove(&(p.new.sender.0, p.new.cid.clone()))
                    .map(Stored::New)
                    .ok_or_else(|| {
                        StoreError::Inconsistent(format!(
                            "cid {:?}: inserted but not found",
                            p.new.cid
                        ))
                    }),
                Outcome::SameAs(first) => match &results[first] {
                    Ok(Stored::New(m) | Stored::Duplicate(m)) => Ok(Stored::Duplicate(m.clone())),
                    // The first was refused; so is its resend, for the same reason.
                    Err(StoreError::Refused(code)) => Err(StoreError::Refused(*code)),
                    Err(e) => Err(StoreError::Inconsistent(format!(
                        "resend of a failed message: {e}"
                    ))),
                },
            };
            results.push(result);
        }
        Ok(Some(results))
    }
}
