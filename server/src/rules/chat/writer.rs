//! The message writer: every send of this node goes through one task that stores what
//! has queued up meanwhile as one batch ([`Store::store_messages`]), then delivers the new
//! messages in seq order and answers each sender. While one batch commits the next one
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
use crate::store::batch::{Pending, MAX_BATCH};
use crate::store::messages::{Stored, StoredMessage};
use crate::store::{Store, StoreError};
use app::ids::{MessageId, Seq, UserId};
use app::protocol::frame::{Cmd, Frame};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use tokio::sync::{mpsc, oneshot};

/// Sends waiting for the writer before senders are made to wait (backpressure on their
/// sockets' readers).
const QUEUE: usize = 4 * MAX_BATCH;

/// One send handed to the writer.
struct Job {
    pending: Pending,
    /// Who receives the message once stored.
    recipients: Vec<UserId>,
    /// The sender's connection, which gets the ack instead of the message.
    origin: Option<ConnId>,
    reply: oneshot::Sender<Result<Stored, StoreError>>,
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
        recipients: Vec<UserId>,
        origin: Option<ConnId>,
    ) -> Result<oneshot::Receiver<Result<Stored, StoreError>>, Stopped> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job {
                pending,
                recipients,
                origin,
                reply,
            })
            .await
            .map_err(|_| Stopped)?;
        Ok(answer)
    }
}

async fn run(
    mut rx: mpsc::Receiver<Job>,
    store: Store,
    delivery: Delivery,
    persistence: Persistence,
) {
    let counters = &delivery.hub().counters;
    let mut memory = Memory::default();
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (pending, rest): (Vec<Pending>, Vec<_>) = jobs
            .drain(..)
            .map(|j| (j.pending, (j.recipients, j.origin, j.reply)))
            .unzip();
        counters.message_batches.fetch_add(1, Ordering::Relaxed);
        let results = match persistence {
            Persistence::Durable => store.store_messages(&pending).await,
            Persistence::BenchmarkNone => pending.iter().map(|p| Ok(memory.store(p))).collect(),
        };
        for (result, (recipients, origin, reply)) in results.into_iter().zip(rest) {
            if let Ok(Stored::New(m)) = &result {
                counters.messages_in.fetch_add(1, Ordering::Relaxed);
                delivery.publish(&recipients, &message_frame(m), origin);
            }
            // A sender that went away meanwhile needs no answer; its message is stored.
            let _ = reply.send(result);
        }
    }
}

/// The frame every participant receives for a stored message.
pub fn message_frame(m: &StoredMessage) -> Frame {
    Frame {
        id: m.id.0,
        seq: m.seq.0,
        ts: m.ts,
        ..Frame::message(m.conv, m.sender, m.cid.as_str(), &m.body)
    }
}

/// The sender's ack for a stored message: its id, seq and time, under the sender's cid.
pub fn ack(m: &StoredMessage) -> Frame {
    Frame {
        cmd: Cmd::Ack.code(),
        id: m.id.0,
        cid: m.cid.to_string(),
        conv: m.conv.key(),
        seq: m.seq.0,
        ts: m.ts,
        ..Frame::default()
    }
}

/// The benchmark's stand-in for the database: seq counters and ids, nothing else.
#[derive(Default)]
struct Memory {
    seqs: HashMap<String, i64>,
    next_id: i64,
}

impl Memory {
    fn store(&mut self, p: &Pending) -> Stored {
        let seq = self.seqs.entry(p.new.conv.key()).or_insert(0);
        *seq += 1;
        self.next_id += 1;
        Stored::New(StoredMessage {
            id: MessageId(self.next_id),
            conv: p.new.conv,
            seq: Seq(*seq),
            sender: p.new.sender,
            cid: p.new.cid.clone(),
            body: p.new.body.clone(),
            ts: p.new.now_ms,
        })
    }
}
