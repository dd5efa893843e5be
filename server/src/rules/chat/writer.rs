//! The message writer: every send of this node goes through one task that stores what
//! has queued up meanwhile as one batch ([`Store::store_messages`]), then delivers the new
//! messages in seq order and answers each sender. Actions on messages (edits, recalls,
//! reactions, pins) take the same queue, each stored in its own transaction
//! ([`Store::store_action`]) in the order it came, so a conversation's events and messages
//! are delivered in seq order too. While one batch commits the next one
//! gathers, so the cost of a commit (an fsync, a round trip) is shared by however many
//! sends arrived during it, and a lone send waits for nothing.
//!
//! The ack is only sent after the commit that holds the message: the sender's future
//! resolves when the batch is durable. Delivery happens here too, not in the senders'
//! tasks, so every connection of this node receives a conversation's messages in seq order.
//!
//! `PARLEY_BENCH_NO_PERSIST` replaces the database with in-memory seq counters. It exists
//! only so the benchmark can compare the hub with hubs that store nothing; nothing sent
//! with it survives a restart, and the server says so loudly at start.

use crate::config::Persistence;
use crate::delivery::outlet::ConnId;
use crate::delivery::Delivery;
use crate::store::actions::{Acted, NewAction, StoredEvent};
use crate::store::batch::{Pending, MAX_BATCH};
use crate::store::messages::{Stored, StoredMessage};
use crate::store::{Store, StoreError};
use app::ids::{MessageId, Seq, UserId};
use app::protocol::action::Quote;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use tokio::sync::{mpsc, oneshot};

use super::frames::{event_frame, live_frame};

/// Sends waiting for the writer before senders are made to wait (backpressure on their
/// sockets' readers).
const QUEUE: usize = 4 * MAX_BATCH;

/// What a job asks the writer to store.
enum Work {
    /// A message, with the preview of the message it replies to (for the live frame).
    Message {
        pending: Pending,
        quote: Option<Quote>,
        reply: oneshot::Sender<Result<Stored, StoreError>>,
    },
    /// An action on a message.
    Action {
        action: NewAction,
        reply: oneshot::Sender<Result<Acted, StoreError>>,
    },
}

/// One send handed to the writer.
struct Job {
    work: Work,
    /// Who receives the message or event once stored.
    recipients: Vec<UserId>,
    /// The sender's connection, which gets the ack instead.
    origin: Option<ConnId>,
}

/// The handle senders use; cheap to clone.
#[derive(Clone, Debug)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

/// Why a send got no answer from the writer.
#[derive(Debug, thiserror::Error)]
#[error("the message writer has stopped")]
pub struct Stopped;

impl Writer {
    /// Starts the writer task (inside the tokio runtime).
    pub fn start(store: Store, delivery: Delivery, persistence: Persistence) -> Writer {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(rx, store, delivery, persistence));
        Writer { queue }
    }

    /// Queues a checked message (waiting for room); the receiver resolves once it is
    /// stored and delivered, or refused.
    pub async fn submit(
        &self,
        pending: Pending,
        quote: Option<Quote>,
        recipients: Vec<UserId>,
        origin: Option<ConnId>,
    ) -> Result<oneshot::Receiver<Result<Stored, StoreError>>, Stopped> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job {
                work: Work::Message {
                    pending,
                    quote,
                    reply,
                },
                recipients,
                origin,
            })
            .await
            .map_err(|_| Stopped)?;
        Ok(answer)
    }

    /// Queues a checked action; the receiver resolves once it is stored and delivered, or
    /// refused.
    pub async fn submit_action(
        &self,
        action: NewAction,
        recipients: Vec<UserId>,
        origin: Option<ConnId>,
    ) -> Result<oneshot::Receiver<Result<Acted, StoreError>>, Stopped> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job {
                work: Work::Action { action, reply },
                recipients,
                origin,
            })
            .await
            .map_err(|_| Stopped)?;
        Ok(answer)
    }
}

/// A message job taken apart for the batch.
type MessageJob = (
    Option<Quote>,
    Vec<UserId>,
    Option<ConnId>,
    oneshot::Sender<Result<Stored, StoreError>>,
);

async fn run(
    mut rx: mpsc::Receiver<Job>,
    store: Store,
    delivery: Delivery,
    persistence: Persistence,
) {
    let mut memory = Memory::default();
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        // In arrival order: runs of messages as one batch each, actions one by one.
        let mut messages: Vec<(Pending, MessageJob)> = Vec::new();
        for job in jobs.drain(..) {
            match job.work {
                Work::Message {
                    pending,
                    quote,
                    reply,
                } => messages.push((pending, (quote, job.recipients, job.origin, reply))),
                Work::Action { action, reply } => {
                    store_batch(&store, &delivery, persistence, &mut memory, &mut messages).await;
                    let result = match persistence {
                        Persistence::Durable => store.store_action(action).await,
                        Persistence::BenchmarkNone => Ok(memory.act(action)),
                    };
                    if let Ok(Acted::New { event, .. }) = &result {
                        delivery.publish(&job.recipients, &event_frame(event), job.origin);
                    }
                    let _ = reply.send(result);
                }
            }
        }
        store_batch(&store, &delivery, persistence, &mut memory, &mut messages).await;
    }
}

/// Stores the messages gathered so far as one batch, delivers the new ones and answers
/// their senders.
async fn store_batch(
    store: &Store,
    delivery: &Delivery,
    persistence: Persistence,
    memory: &mut Memory,
    messages: &mut Vec<(Pending, MessageJob)>,
) {
    if messages.is_empty() {
        return;
    }
    let counters = &delivery.hub().counters;
    let (pending, rest): (Vec<Pending>, Vec<MessageJob>) = messages.drain(..).unzip();
    counters.message_batches.fetch_add(1, Ordering::Relaxed);
    let results = match persistence {
        Persistence::Durable => store.store_messages(&pending).await,
        Persistence::BenchmarkNone => pending.iter().map(|p| Ok(memory.store(p))).collect(),
    };
    for (result, (quote, recipients, origin, reply)) in results.into_iter().zip(rest) {
        if let Ok(Stored::New(m)) = &result {
            counters.messages_in.fetch_add(1, Ordering::Relaxed);
            delivery.publish(&recipients, &live_frame(m, quote.as_ref()), origin);
        }
        // A sender that went away meanwhile needs no answer; its message is stored.
        let _ = reply.send(result);
    }
}

/// The benchmark's stand-in for the database: seq counters and ids, nothing else.
#[derive(Default)]
struct Memory {
    seqs: HashMap<String, i64>,
    next_id: i64,
}

impl Memory {
    fn next(&mut self, key: String) -> (i64, i64) {
        let seq = self.seqs.entry(key).or_insert(0);
        *seq += 1;
        self.next_id += 1;
        (*seq, self.next_id)
    }

    fn store(&mut self, p: &Pending) -> Stored {
        let (seq, id) = self.next(p.new.conv.key());
        Stored::New(StoredMessage {
            id: MessageId(id),
            conv: p.new.conv,
            seq: Seq(seq),
            sender: p.new.sender,
            cid: p.new.cid.clone(),
            body: p.new.body.clone(),
            ts: p.new.now_ms,
            extras: p.new.extras.clone(),
            state: Default::default(),
        })
    }

    fn act(&mut self, a: NewAction) -> Acted {
        let (seq, id) = self.next(a.conv.key());
        Acted::New {
            event: StoredEvent {
                id: MessageId(id),
                conv: a.conv,
                seq: Seq(seq),
                actor: a.actor,
                cid: a.cid,
                act: a.act,
                target: a.target,
                content: a.content,
                ts: a.now_ms,
            },
            freed_media: Vec::new(),
        }
    }
}
