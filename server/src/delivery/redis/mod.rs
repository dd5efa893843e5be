//! Several nodes on one database, with Redis between them (`REDIS_URL`).
//!
//! Delivery goes to **per-node channels** (`<prefix>node:<id>`), chosen through a directory
//! of who is connected where (`<prefix>n:<node>:u`, the users a node holds), which every
//! node keeps current for its own connections. A stored message is published once per node that holds
//! any of its recipients, by one script that reads the directory and publishes atomically,
//! with the frame encoded once; a node receives only what its own connections need and
//! never every message (per-user channels would cost one publish per recipient, and a node
//! would receive a group message once per member it holds). The origin node delivers to its
//! own connections directly, so they never wait for Redis.
//!
//! Redis is an accelerator, never the source of truth: messages, seq and the (sender, cid)
//! dedupe live in the database. A delivery Redis drops (restart, cut, a node not yet
//! resubscribed) is healed by the client's gap pull: it resyncs after every reconnect and
//! when a `seq` skips. The directory entry of a new connection is written a moment after
//! the socket is admitted; a message published in that moment reaches the client by the
//! sync it runs right after connecting.
//!
//! If Redis goes away the node keeps accepting and storing messages and delivering to its
//! own connections; it reconnects by itself (with backoff), re-announces its connections
//! and empties its social-graph cache (invalidations may have been missed meanwhile).
//!
//! Presence is cluster-wide: a user is online while any living node holds a connection.
//! Each node heartbeats into `<prefix>nodes`; a node silent for the node ttl is cleared by
//! the next heartbeat of another (scripts::BEAT) and its users are told offline to friends.
//!
//! Split by job: [`shared`] (the state the jobs share), [`link`] (publisher and subscriber),
//! [`directory`] (who is connected where, presence, heartbeats), [`counters`] (the
//! throttles' shared counts), [`notices`] (what every node is told, typed) and [`scripts`].

mod counters;
mod directory;
mod link;
mod notices;
mod scripts;
mod shared;

use super::cluster::{CacheNote, Cluster, Forget, LinkStatus, SharedError};
use super::hub::Hub;
use super::presence::{Announced, Sender as PresenceSender};
use super::registry::Refusal;
use crate::config::ClusterConfig;
use app::ids::UserId;
use async_trait::async_trait;
use axum::extract::ws::Utf8Bytes;
use notices::Notice;
use redis::aio::ConnectionManager;
use shared::{Out, Scripts, Shared, COMMAND_TIMEOUT, MAX_BACKOFF};
use std::net::IpAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Frames waiting for the publisher; past it, deliveries to other nodes are dropped (and
/// healed by the recipients' resync) rather than held in memory without bound.
const OUTBOX: usize = 65_536;

/// Several nodes through Redis. Cheap to clone.
#[derive(Clone)]
pub struct RedisCluster {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RedisCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCluster")
            .field("node", &self.shared.node)
            .field("up", &self.shared.is_up())
            .finish_non_exhaustive()
    }
}

/// A random node id: a restarted process is a new node, so a stale entry of its previous
/// life can never be mistaken for a live one.
fn node_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl RedisCluster {
    /// Joins the cluster: starts the subscriber, publisher, census and heartbeat tasks (so
    /// it must run inside the tokio runtime). Never fails because Redis is down: the node
    /// works alone until Redis answers. Received deliveries go to `hub`; what other nodes
    /// announce updates `announced` and reaches the presence rules through `presence`; their
    /// cache notes are handed to `forget`.
    pub fn start(
        config: &ClusterConfig,
        hub: Arc<Hub>,
        announced: Arc<Announced>,
        presence: PresenceSender,
        forget: Forget,
    ) -> Result<RedisCluster, SharedError> {
        let client = redis::Client::open(config.redis_url.as_str())?;
        let manager_config = redis::aio::ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_max_delay(MAX_BACKOFF)
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), manager_config)?;
        let (outbox, outbox_rx) = mpsc::channel(OUTBOX);
        let (resync, resync_rx) = mpsc::channel(1);
        let (census_tx, census_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            node: node_id(),
            prefix: config.prefix.clone(),
            all: format!("{}all", config.prefix),
            node_ttl: config.node_ttl,
            hub: hub.clone(),
            announced,
            presence,
            forget,
            client,
            conn,
            outbox,
            resync,
            up: AtomicBool::new(false),
            counters: shared::Counters::default(),
            scripts: Scripts::default(),
        });
        tracing::info!(node = %shared.node, prefix = %shared.prefix, "cluster: joining through Redis");
        hub.report_census(census_tx);
        tokio::spawn(link::publish_loop(shared.clone(), outbox_rx));
        tokio::spawn(directory::census_loop(shared.clone(), census_rx, resync_rx));
        tokio::spawn(link::listen_loop(shared.clone()));
        tokio::spawn(directory::beat_loop(shared.clone()));
        Ok(RedisCluster { shared })
    }
}

#[async_trait]
impl Cluster for RedisCluster {
    fn status(&self) -> Option<LinkStatus> {
        Some(self.shared.status())
    }

    async fn ping(&self) -> Result<(), SharedError> {
        let mut conn = self.shared.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }

    fn publish(&self, users: &[UserId], json: &Utf8Bytes) {
        self.shared.send(Out::Deliver {
            users: users.iter().map(|u| u.0).collect(),
            payload: json.clone(),
        });
    }

    fn close_session(&self, token_hash: &str) {
        self.shared
            .broadcast(Notice::CloseSession(token_hash.to_owned()));
    }

    fn invalidate(&self, note: CacheNote) {
        match note {
            CacheNote::Friends(users) => self.shared.broadcast(Notice::FriendsChanged(users)),
            CacheNote::Members(g) => self.shared.broadcast(Notice::MembersChanged(g)),
            // Only a node that lost the link forgets everything; it has nothing to tell.
            CacheNote::Everything => {}
        }
    }

    async fn admit(&self, user: UserId, addr: Option<IpAddr>) -> Result<(), Refusal> {
        directory::admit(&self.shared, user, addr).await
    }

    async fn mark_online(&self, user: UserId) -> Result<bool, SharedError> {
        directory::mark_online(&self.shared, user).await
    }

    async fn mark_offline(&self, user: UserId) -> Result<bool, SharedError> {
        directory::mark_offline(&self.shared, user).await
    }

    async fn failures(&self, keys: &[String]) -> Result<Vec<(u32, Duration)>, SharedError> {
        counters::failures(&self.shared, keys).await
    }

    async fn record_failure(&self, keys: &[String], window: Duration) -> Result<(), SharedError> {
        counters::record_failure(&self.shared, keys, window).await
    }

    async fn forget(&self, key: &str) -> Result<(), SharedError> {
        counters::forget(&self.shared, key).await
    }

    async fn hit(
        &self,
        keys: &[(String, u32)],
        window: Duration,
    ) -> Result<Option<Duration>, SharedError> {
        counters::hit(&self.shared, keys, window).await
    }

    async fn remember_device(
        &self,
        device: &str,
        account: &str,
        ttl: Duration,
    ) -> Result<(), SharedError> {
        counters::remember_device(&self.shared, device, account, ttl).await
    }

    async fn device_account(&self, device: &str) -> Result<Option<String>, SharedError> {
        counters::device_account(&self.shared, device).await
    }
}
