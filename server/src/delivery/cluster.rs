//! What differs between one node and many, behind one trait: reaching users connected to
//! other nodes, closing a login session everywhere, admitting a socket within cluster-wide
//! caps, deciding presence cluster-wide, and the counters the throttles share. A single node
//! ([`SingleNode`]) has nothing to share; several nodes share through Redis
//! ([`super::redis::RedisCluster`], chosen by `REDIS_URL`). Callers hold a `dyn Cluster` and
//! never learn which: where the answer is "nothing shared" they decide on their own counts,
//! exactly as a node whose Redis is away does.

use super::registry::Refusal;
use app::ids::{GroupId, UserId};
use async_trait::async_trait;
use axum::extract::ws::Utf8Bytes;
use std::net::IpAddr;
use std::time::Duration;

/// Why a shared answer is not available; the caller then decides from this node alone.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    /// This is the only node: there is nothing shared to ask.
    #[error("single node: nothing is shared")]
    Alone,
    /// Redis refused or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis is known to be unreachable right now (not tried).
    #[error("redis is unavailable")]
    Down,
    /// A background task of the cluster has stopped (shutdown).
    #[error("the cluster link has stopped")]
    Stopped,
}

/// A committed change of the social graph other nodes must forget from their caches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheNote {
    /// These users' friend lists changed.
    Friends(Vec<UserId>),
    /// This group's members changed.
    Members(GroupId),
    /// Changes may have been missed (the link to the others was lost): forget everything.
    Everything,
}

/// What a cache note from another node asks of this node's caches (wired in `state.rs`, so
/// delivery never names the store).
pub type Forget = std::sync::Arc<dyn Fn(&CacheNote) + Send + Sync>;

/// How the link to the other nodes is doing, for `/healthz` and `/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkStatus {
    /// This node's id in the cluster.
    pub node: String,
    /// True while subscribed and announced.
    pub up: bool,
    /// Deliveries and notices handed over for other nodes.
    pub publishes: u64,
    /// Deliveries for other nodes dropped (link down or failing; recipients resync).
    pub publish_failures: u64,
    /// Deliveries and notices received from other nodes.
    pub receipts: u64,
    /// Times the link was re-established after being lost.
    pub reconnects: u64,
}

/// Everything that differs between one node and several.
#[async_trait]
pub trait Cluster: Send + Sync + 'static {
    /// The link's state, or `None` on a single node.
    fn status(&self) -> Option<LinkStatus>;

    /// Asks the shared service for a sign of life (health check).
    async fn ping(&self) -> Result<(), SharedError>;

    /// Hands a delivery (already delivered on this node) to the other nodes holding any of
    /// `users`, in the [`Json`](super::outlet::Json) shape. Never waits: what cannot be
    /// handed over is dropped and healed by the recipients' resync.
    fn publish(&self, users: &[UserId], json: &Utf8Bytes);

    /// Closes the sockets of the login session `token_hash` on the other nodes.
    fn close_session(&self, token_hash: &str);

    /// Tells the other nodes to forget what a committed change made stale.
    fn invalidate(&self, note: CacheNote);

    /// Checks the cluster-wide socket caps for one more socket of `user` from `addr` (this
    /// node's own caps are checked again by its registry as it admits).
    async fn admit(&self, user: UserId, addr: Option<IpAddr>) -> Result<(), Refusal>;

    /// `user` has connections here: true when that made them online cluster-wide.
    async fn mark_online(&self, user: UserId) -> Result<bool, SharedError>;

    /// `user`'s grace period here is over without a connection: true when no living node
    /// holds one, which made them offline.
    async fn mark_offline(&self, user: UserId) -> Result<bool, SharedError>;

    /// Failures recorded for each throttle key in its current window, with the time left in
    /// that window (keys without failures answer 0).
    async fn failures(&self, keys: &[String]) -> Result<Vec<(u32, Duration)>, SharedError>;

    /// Counts a failure against each throttle key (a key's window starts at its first).
    async fn record_failure(&self, keys: &[String], window: Duration) -> Result<(), SharedError>;

    /// Forgets a throttle key's failures.
    async fn forget(&self, key: &str) -> Result<(), SharedError>;

    /// Counts one event against every budget of `keys` (name, limit) within `window`, unless
    /// one is spent: then nothing is counted and the wait until it renews comes back.
    async fn hit(
        &self,
        keys: &[(String, u32)],
        window: Duration,
    ) -> Result<Option<Duration>, SharedError>;

    /// Remembers a device cookie (its hash) as one `account` logged in on, for `ttl`.
    async fn remember_device(
        &self,
        device: &str,
        account: &str,
        ttl: Duration,
    ) -> Result<(), SharedError>;

    /// The account a device cookie (its hash) was set for, if it is remembered.
    async fn device_account(&self, device: &str) -> Result<Option<String>, SharedError>;
}

/// One node alone: nothing to reach, nothing shared; every shared question answers
/// [`SharedError::Alone`] and the caller decides from this node's own counts.
#[derive(Clone, Copy, Debug, Default)]
pub struct SingleNode;

#[async_trait]
impl Cluster for SingleNode {
    fn status(&self) -> Option<LinkStatus> {
        None
    }

    async fn ping(&self) -> Result<(), SharedError> {
        Ok(())
    }

    fn publish(&self, _users: &[UserId], _json: &Utf8Bytes) {}

    fn close_session(&self, _token_hash: &str) {}

    fn invalidate(&self, _note: CacheNote) {}

    async fn admit(&self, _user: UserId, _addr: Option<IpAddr>) -> Result<(), Refusal> {
        Ok(())
    }

    async fn mark_online(&self, _user: UserId) -> Result<bool, SharedError> {
        Err(SharedError::Alone)
    }

    async fn mark_offline(&self, _user: UserId) -> Result<bool, SharedError> {
        Err(SharedError::Alone)
    }

    async fn failures(&self, _keys: &[String]) -> Result<Vec<(u32, Duration)>, SharedError> {
        Err(SharedError::Alone)
    }

    async fn record_failure(&self, _keys: &[String], _window: Duration) -> Result<(), SharedError> {
        Err(SharedError::Alone)
    }

    async fn forget(&self, _key: &str) -> Result<(), SharedError> {
        Err(SharedError::Alone)
    }

    async fn hit(
        &self,
        _keys: &[(String, u32)],
        _window: Duration,
    ) -> Result<Option<Duration>, SharedError> {
        Err(SharedError::Alone)
    }

    async fn remember_device(
        &self,
        _device: &str,
        _account: &str,
        _ttl: Duration,
    ) -> Result<(), SharedError> {
        Err(SharedError::Alone)
    }

    async fn device_account(&self, _device: &str) -> Result<Option<String>, SharedError> {
        Err(SharedError::Alone)
    }
}
