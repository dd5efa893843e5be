//! The state every job of the Redis link shares: this node's id and keys, the connection,
//! the scripts, whether the link is up, and the queue to the publisher. One struct, held in
//! an `Arc` by the link's tasks and by [`super::RedisCluster`].

use super::notices::Notice;
use super::scripts;
use crate::delivery::cluster::{Forget, LinkStatus, SharedError};
use crate::delivery::hub::Hub;
use crate::delivery::presence::{Announced, Sender as PresenceSender};
use axum::extract::ws::Utf8Bytes;
use redis::aio::ConnectionManager;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most commands sent to Redis in one pipeline.
pub const PIPELINE: usize = 512;
/// How long one Redis command may take before it counts as failed.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait between reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// The link's counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Counters {
    /// Deliveries handed to Redis (one per message, whatever the number of nodes).
    pub publishes: AtomicU64,
    /// Deliveries and notices received from other nodes.
    pub receipts: AtomicU64,
    /// Deliveries that could not be handed to Redis (down, outbox full, command failed).
    pub publish_failures: AtomicU64,
    /// Times the subscription was re-established after being lost.
    pub reconnects: AtomicU64,
}

/// What the publisher sends, in order.
pub enum Out {
    /// A frame for some users, published to the nodes holding them.
    Deliver {
        /// The recipients' ids.
        users: Vec<i64>,
        /// The frame, JSON.
        payload: Utf8Bytes,
    },
    /// A notice every node acts on.
    Broadcast(Notice),
}

/// A request to write the whole registry to Redis; answered when done.
pub type ResyncRequest = oneshot::Sender<Result<(), SharedError>>;

/// The Lua scripts, loaded once per process (each carries its hash).
pub struct Scripts {
    /// scripts::DELIVER.
    pub deliver: redis::Script,
    /// scripts::ADMIT.
    pub admit: redis::Script,
    /// scripts::ONLINE.
    pub online: redis::Script,
    /// scripts::OFFLINE.
    pub offline: redis::Script,
    /// scripts::BEAT.
    pub beat: redis::Script,
    /// scripts::RESYNC.
    pub resync: redis::Script,
    /// scripts::FAIL.
    pub fail: redis::Script,
    /// scripts::HIT.
    pub hit: redis::Script,
}

impl Default for Scripts {
    fn default() -> Scripts {
        Scripts {
            deliver: redis::Script::new(scripts::DELIVER),
            admit: redis::Script::new(scripts::ADMIT),
            online: redis::Script::new(scripts::ONLINE),
            offline: redis::Script::new(scripts::OFFLINE),
            beat: redis::Script::new(scripts::BEAT),
            resync: redis::Script::new(scripts::RESYNC),
            fail: redis::Script::new(scripts::FAIL),
            hit: redis::Script::new(scripts::HIT),
        }
    }
}

/// The link's shared state.
pub struct Shared {
    /// This node's id.
    pub node: String,
    /// The key prefix.
    pub prefix: String,
    /// The notices channel every node subscribes to.
    pub all: String,
    /// A node silent this long is dead.
    pub node_ttl: Duration,
    /// This node's connections.
    pub hub: Arc<Hub>,
    /// Who friends were told is online.
    pub announced: Arc<Announced>,
    /// Where presence decisions of the cluster go.
    pub presence: PresenceSender,
    /// What a cache note from another node does here.
    pub forget: Forget,
    /// For subscriptions.
    pub client: redis::Client,
    /// For commands (reconnects by itself).
    pub conn: ConnectionManager,
    /// To the publisher.
    pub outbox: mpsc::Sender<Out>,
    /// To the census task, which writes the registry after a (re)connection.
    pub resync: mpsc::Sender<ResyncRequest>,
    /// Subscribed and announced.
    pub up: AtomicBool,
    /// For `/metrics`.
    pub counters: Counters,
    /// The Lua scripts.
    pub scripts: Scripts,
}

/// Milliseconds, as Redis takes them.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Shared {
    /// True while the node is subscribed and announced in Redis.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// `Err(Down)` unless the link is up: shared questions are not tried while it is down.
    pub fn ready(&self) -> Result<(), SharedError> {
        if self.is_up() {
            Ok(())
        } else {
            Err(SharedError::Down)
        }
    }

    /// Queues something for the publisher, never waiting: dropped (and counted) while the
    /// link is down or the outbox is full.
    pub fn send(&self, out: Out) {
        if !self.is_up() || self.outbox.try_send(out).is_err() {
            self.counters
                .publish_failures
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Queues a notice for every node.
    pub fn broadcast(&self, notice: Notice) {
        self.send(Out::Broadcast(notice));
    }

    /// This node's delivery channel.
    pub fn channel(&self) -> String {
        format!("{}node:{}", self.prefix, self.node)
    }

    /// The link's state now.
    pub fn status(&self) -> LinkStatus {
        let c = &self.counters;
        LinkStatus {
            node: self.node.clone(),
            up: self.is_up(),
            publishes: c.publishes.load(Ordering::Relaxed),
            publish_failures: c.publish_failures.load(Ordering::Relaxed),
            receipts: c.receipts.load(Ordering::Relaxed),
            reconnects: c.reconnects.load(Ordering::Relaxed),
        }
    }
}
