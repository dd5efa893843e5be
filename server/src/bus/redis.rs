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

use super::scripts;
use super::Bus;
use crate::config::ClusterConfig;
use crate::hub::presence::{Event, Sender as PresenceSender};
use crate::hub::{Census, ConnId, Hub, Limits, Refusal};
use crate::rules::presence::Announced;
use crate::store::{SocialChange, Store};
use app::ids::{GroupId, UserId};
use app::protocol::frame::Frame;
use axum::extract::ws::Utf8Bytes;
use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// What can go wrong talking to Redis.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Redis refused or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis is known to be unreachable right now (not tried).
    #[error("redis is unavailable")]
    Down,
    /// A background task of the bus has stopped (shutdown).
    #[error("the bus has stopped")]
    Stopped,
}

/// Frames waiting for the publisher; past it, deliveries to other nodes are dropped (and
/// healed by the recipients' resync) rather than held in memory without bound.
const OUTBOX: usize = 65_536;
/// Most commands sent to Redis in one pipeline.
const PIPELINE: usize = 512;
/// How long one Redis command may take before it counts as failed.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// The bus's counters for `/metrics`.
#[derive(Debug, Default)]
pub struct BusCounters {
    /// Deliveries handed to Redis (one per message, whatever the number of nodes).
    pub publishes: AtomicU64,
    /// Deliveries and notices received from other nodes.
    pub receipts: AtomicU64,
    /// Deliveries that could not be handed to Redis (down, outbox full, command failed).
    pub publish_failures: AtomicU64,
    /// Times the subscription was re-established after being lost.
    pub reconnects: AtomicU64,
}

enum Out {
    /// A frame for some users, published to the nodes holding them.
    Deliver { users: Vec<i64>, payload: Utf8Bytes },
    /// A notice every node acts on.
    Broadcast(String),
}

struct Inner {
    node: String,
    prefix: String,
    /// The notices channel every node subscribes to.
    all: String,
    node_ttl: Duration,
    hub: Arc<Hub>,
    store: Store,
    announced: Arc<Announced>,
    presence: PresenceSender,
    client: redis::Client,
    conn: ConnectionManager,
    outbox: mpsc::Sender<Out>,
    resync: mpsc::Sender<oneshot::Sender<Result<(), BusError>>>,
    up: AtomicBool,
    counters: BusCounters,
    deliver: redis::Script,
    admit: redis::Script,
    online: redis::Script,
    offline: redis::Script,
    beat: redis::Script,
    resync_script: redis::Script,
    fail: redis::Script,
    hit: redis::Script,
}

/// The Redis bus and the cluster-wide state around it. Cheap to clone.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("node", &self.inner.node)
            .field("up", &self.is_up())
            .finish_non_exhaustive()
    }
}

/// A random node id: a restarted process is a new node, so a stale entry of its previous
/// life can never be mistaken for a live one.
fn node_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Cluster {
    /// Joins the cluster: starts the subscriber, publisher, census and heartbeat tasks (so
    /// it must run inside the tokio runtime). Never fails because Redis is down: the node
    /// works alone until Redis answers.
    pub fn start(
        config: &ClusterConfig,
        hub: Arc<Hub>,
        store: Store,
        announced: Arc<Announced>,
        presence: PresenceSender,
    ) -> Result<Cluster, BusError> {
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
        let inner = Arc::new(Inner {
            node: node_id(),
            prefix: config.prefix.clone(),
            all: format!("{}all", config.prefix),
            node_ttl: config.node_ttl,
            hub: hub.clone(),
            store: store.clone(),
            announced,
            presence,
            client,
            conn,
            outbox,
            resync,
            up: AtomicBool::new(false),
            counters: BusCounters::default(),
            deliver: redis::Script::new(scripts::DELIVER),
            admit: redis::Script::new(scripts::ADMIT),
            online: redis::Script::new(scripts::ONLINE),
            offline: redis::Script::new(scripts::OFFLINE),
            beat: redis::Script::new(scripts::BEAT),
            resync_script: redis::Script::new(scripts::RESYNC),
            fail: redis::Script::new(scripts::FAIL),
            hit: redis::Script::new(scripts::HIT),
        });
        tracing::info!(node = %inner.node, prefix = %inner.prefix, "cluster: joining through Redis");
        hub.report_census(census_tx);
        let weak = Arc::downgrade(&inner);
        store.on_social_change(Arc::new(move |change: &SocialChange| {
            if let Some(inner) = weak.upgrade() {
                inner.broadcast(match change {
                    SocialChange::Friends(users) => format!("fc {}", join_ids(users)),
                    SocialChange::Members(g) => format!("mc {}", g.0),
                });
            }
        }));
        tokio::spawn(publish_loop(inner.clone(), outbox_rx));
        tokio::spawn(census_loop(inner.clone(), census_rx, resync_rx));
        tokio::spawn(listen_loop(inner.clone()));
        tokio::spawn(beat_loop(inner.clone()));
        Ok(Cluster { inner })
    }

    /// This node's id in the cluster.
    pub fn node(&self) -> &str {
        &self.inner.node
    }

    /// True while the node is subscribed and announced in Redis.
    pub fn is_up(&self) -> bool {
        self.inner.up.load(Ordering::Acquire)
    }

    /// The bus's counters.
    pub fn counters(&self) -> &BusCounters {
        &self.inner.counters
    }

    /// Answers a PING (for `/healthz`).
    pub async fn ping(&self) -> Result<(), BusError> {
        let mut conn = self.inner.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }

    /// Living nodes, by their heartbeats (for `/metrics`).
    pub async fn nodes(&self) -> Result<u64, BusError> {
        let mut conn = self.inner.conn.clone();
        let n: u64 = redis::cmd("ZCARD")
            .arg(format!("{}nodes", self.inner.prefix))
            .query_async(&mut conn)
            .await?;
        Ok(n)
    }

    /// Checks the cluster-wide socket caps for one more connection of `user` from `addr`
    /// (this node's own counts come from its registry, which then checks them again as it
    /// admits). While Redis is down only this node's caps apply.
    pub async fn admit(&self, user: UserId, addr: Option<IpAddr>) -> Result<(), Refusal> {
        if !self.is_up() {
            return Ok(());
        }
        let Limits {
            per_user, per_addr, ..
        } = self.inner.hub.limits();
        let (mine, from_addr) = self.inner.hub.counts(user, addr);
        let mut conn = self.inner.conn.clone();
        let verdict: Result<u8, _> = self
            .inner
            .admit
            .arg(&self.inner.prefix)
            .arg(&self.inner.node)
            .arg(user.0)
            .arg(addr.map(|a| a.to_string()).unwrap_or_default())
            .arg(mine)
            .arg(from_addr)
            .arg(per_user)
            .arg(per_addr)
            .invoke_async(&mut conn)
            .await;
        match verdict {
            Ok(1) => Err(Refusal::Cap("per user")),
            Ok(2) => Err(Refusal::Cap("per address")),
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, "cluster: cannot check socket caps; this node's apply");
                Ok(())
            }
        }
    }

    /// `user` has connections here: returns true when that made them online cluster-wide
    /// (the caller tells the friends). `Err` when Redis cannot say.
    pub async fn mark_online(&self, user: UserId) -> Result<bool, BusError> {
        if !self.is_up() {
            return Err(BusError::Down);
        }
        let (here, _) = self.inner.hub.counts(user, None);
        let mut conn = self.inner.conn.clone();
        let news: u8 = self
            .inner
            .online
            .arg(&self.inner.prefix)
            .arg(&self.inner.node)
            .arg(user.0)
            .arg(here.max(1))
            .invoke_async(&mut conn)
            .await?;
        Ok(news == 1)
    }

    /// `user`'s grace period here is over without a connection: returns true when no
    /// living node holds one, which made them offline (the caller tells the friends).
    pub async fn mark_offline(&self, user: UserId) -> Result<bool, BusError> {
        if !self.is_up() {
            return Err(BusError::Down);
        }
        let mut conn = self.inner.conn.clone();
        let gone: u8 = self
            .inner
            .offline
            .arg(&self.inner.prefix)
            .arg(&self.inner.node)
            .arg(user.0)
            .arg(millis(self.inner.node_ttl))
            .invoke_async(&mut conn)
            .await?;
        Ok(gone == 1)
    }

    /// Failures recorded for each throttle key in its current window, with the time left
    /// in that window (keys without failures answer 0).
    pub async fn failures(&self, keys: &[String]) -> Result<Vec<(u32, Duration)>, BusError> {
        if !self.is_up() {
            return Err(BusError::Down);
        }
        let mut pipe = redis::pipe();
        for k in keys {
            pipe.cmd("GET").arg(self.throttle_key(k));
            pipe.cmd("PTTL").arg(self.throttle_key(k));
        }
        let mut conn = self.inner.conn.clone();
        let answers: Vec<Option<i64>> = pipe.query_async(&mut conn).await?;
        Ok(answers
            .chunks(2)
            .map(|pair| {
                let count = pair.first().copied().flatten().unwrap_or(0);
                let left = pair.get(1).copied().flatten().unwrap_or(0);
                (
                    u32::try_from(count).unwrap_or(0),
                    Duration::from_millis(u64::try_from(left).unwrap_or(0)),
                )
            })
            .collect())
    }

    /// Counts a failure against each throttle key (each key's window starts at its first
    /// failure).
    pub async fn record_failure(&self, keys: &[String], window: Duration) -> Result<(), BusError> {
        if !self.is_up() {
            return Err(BusError::Down);
        }
        let mut conn = self.inner.conn.clone();
        for k in keys {
            let _: (i64, i64) = self
                .inner
                .fail
                .arg(self.throttle_key(k))
                .arg(millis(window))
                .invoke_async(&mut conn)
                .await?;
        }
        Ok(())
    }

    /// Forgets a throttle key's failures.
    pub async fn forget(&self, key: &str) -> Result<(), BusError> {
        if !self.is_up() {
            return Err(BusError::Down);
        }
        let mut conn = self.inner.conn.clone();
        let _: i64 = redis::cmd("DEL")
            .arg(self.throttle_key(key))
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Counts one event against every budget of `keys` (name, limit) within `window`,
    /// unless one is spent: then nothing is counted and the wait until it renews comes back.
    pub async fn hit(
        &self,
        keys: &[(String, u32)],
        window: Duration,
    ) -> Result<Option<Duration>, BusError> {
        if !self.is_up() {
            return Err(BusError::Down);
        }
        let mut conn = self.inner.conn.clone();
        let mut call = self.inner.hit.prepare_invoke();
        call.arg(millis(window));
        for (k, limit) in keys {
            call.arg(self.throttle_key(k)).arg(*limit);
        }
        let wait: i64 = call.invoke_async(&mut conn).await?;
        Ok((wait > 0).then(|| Duration::from_millis(u64::try_from(wait).unwrap_or(0))))
    }

    /// Remembers a device cookie (its hash) as one `account` logged in on, for `ttl`.
    pub async fn remember_device(
        &self,
        device: &str,
        account: &str,
        ttl: Duration,
    ) -> Result<(), BusError> {
        if !self.is_up() {
            return Err(BusError::Down);
        }
        let mut conn = self.inner.conn.clone();
        let _: () = redis::cmd("SET")
            .arg(self.throttle_key(&format!("d:{device}")))
            .arg(account)
            .arg("PX")
            .arg(millis(ttl))
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The account a device cookie (its hash) was set for, if it is remembered.
    pub async fn device_account(&self, device: &str) -> Result<Option<String>, BusError> {
        if !self.is_up() {
            return Err(BusError::Down);
        }
        let mut conn = self.inner.conn.clone();
        Ok(redis::cmd("GET")
            .arg(self.throttle_key(&format!("d:{device}")))
            .query_async(&mut conn)
            .await?)
    }

    fn throttle_key(&self, key: &str) -> String {
        format!("{}t:{key}", self.inner.prefix)
    }
}

impl Bus for Cluster {
    fn publish(&self, users: &[UserId], frame: &Frame, skip: Option<ConnId>) {
        let Some(payload) = crate::hub::encode(frame) else {
            return;
        };
        self.inner
            .hub
            .deliver_encoded(users, &payload, Some(frame), skip);
        self.inner.send(Out::Deliver {
            users: users.iter().map(|u| u.0).collect(),
            payload,
        });
    }

    fn close_session(&self, token_hash: &str) {
        self.inner.hub.close_session(token_hash);
        self.inner.broadcast(format!("close {token_hash}"));
    }
}

fn join_ids(users: &[UserId]) -> String {
    users
        .iter()
        .map(|u| u.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_ids(text: &str) -> Vec<i64> {
    text.split(',').filter_map(|s| s.parse().ok()).collect()
}

impl Inner {
    fn send(&self, out: Out) {
        if !self.up.load(Ordering::Acquire) {
            self.counters
                .publish_failures
                .fetch_add(1, Ordering::Relaxed);
            return;
        }
        if self.outbox.try_send(out).is_err() {
            self.counters
                .publish_failures
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    fn broadcast(&self, text: String) {
        self.send(Out::Broadcast(text));
    }

    fn channel(&self, node: &str) -> String {
        format!("{}node:{node}", self.prefix)
    }

    /// Acts on one message from Redis.
    fn receive(&self, channel: &str, payload: &str) {
        self.counters.receipts.fetch_add(1, Ordering::Relaxed);
        if channel == self.all {
            let (verb, arg) = payload.split_once(' ').unwrap_or((payload, ""));
            match verb {
                "p+" => parse_ids(arg).into_iter().for_each(|u| {
                    self.announced.insert(UserId(u));
                }),
                "p-" => parse_ids(arg).into_iter().for_each(|u| {
                    self.announced.remove(UserId(u));
                }),
                "close" => self.hub.close_session(arg),
                "fc" => {
                    let users: Vec<UserId> = parse_ids(arg).into_iter().map(UserId).collect();
                    self.store.forget_friends(&users);
                }
                "mc" => {
                    if let Ok(g) = arg.parse() {
                        self.store.forget_members(GroupId(g));
                    }
                }
                other => tracing::debug!(verb = other, "cluster: unknown notice ignored"),
            }
            return;
        }
        let Some((ids, frame)) = payload.split_once('\n') else {
            tracing::warn!("cluster: malformed delivery ignored");
            return;
        };
        let users: Vec<UserId> = parse_ids(ids).into_iter().map(UserId).collect();
        self.hub
            .deliver_encoded(&users, &Utf8Bytes::from(frame), None, None);
    }

    /// Writes this node's registry to Redis as it is now (see scripts::RESYNC) and tells
    /// the friends of users this made online. `census` is drained under the hub's lock, so
    /// every count reported after the snapshot is newer than it.
    async fn resync(&self, census: &mut mpsc::UnboundedReceiver<Census>) -> Result<(), BusError> {
        let (users, addrs) = self.hub.census_then(|| while census.try_recv().is_ok() {});
        let mut conn = self.conn.clone();
        let mut call = self.resync_script.prepare_invoke();
        call.arg(&self.prefix).arg(&self.node).arg(users.len());
        for (u, n) in &users {
            call.arg(u.0).arg(*n);
        }
        for (a, n) in &addrs {
            call.arg(a.to_string()).arg(*n);
        }
        let (news, online): (Vec<i64>, Vec<i64>) = call.invoke_async(&mut conn).await?;
        let here: Vec<UserId> = users.iter().map(|(u, _)| *u).collect();
        let (left, joined) = self
            .announced
            .replace(online.into_iter().map(UserId).chain(here));
        let news: HashSet<UserId> = news.into_iter().map(UserId).collect();
        for u in &news {
            self.presence.send(Event::Told(*u, true));
        }
        // What changed while this node could not hear the others: its own friends may have
        // missed it (a user who became online here is told by `news` to everyone). Another
        // node's users may be re-announced after this, which corrects an early "offline".
        for u in left {
            self.presence.send(Event::Corrected(u, false));
        }
        for u in joined.into_iter().filter(|u| !news.contains(u)) {
            self.presence.send(Event::Corrected(u, true));
        }
        Ok(())
    }
}

/// Sends queued deliveries and notices in order, as many per round trip as are waiting.
async fn publish_loop(inner: Arc<Inner>, mut rx: mpsc::Receiver<Out>) {
    let mut batch = Vec::with_capacity(PIPELINE);
    let mut conn = inner.conn.clone();
    let deliver_hash = inner.deliver.get_hash().to_owned();
    while rx.recv_many(&mut batch, PIPELINE).await > 0 {
        let n = batch.len() as u64;
        let mut pipe = redis::pipe();
        for out in &batch {
            match out {
                Out::Deliver { users, payload } => {
                    pipe.cmd("EVALSHA")
                        .arg(&deliver_hash)
                        .arg(0)
                        .arg(&inner.prefix)
                        .arg(&inner.node)
                        .arg(payload.as_str())
                        .arg(users)
                        .ignore();
                }
                Out::Broadcast(text) => {
                    pipe.cmd("PUBLISH").arg(&inner.all).arg(text).ignore();
                }
            }
        }
        let mut result: Result<(), redis::RedisError> = pipe.query_async(&mut conn).await;
        if matches!(&result, Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript))
        {
            // Redis restarted and forgot the script since this node loaded it (on
            // subscribing): load it and send the batch again. Its notices are sent twice
            // (acting on one twice changes nothing); should another node have loaded the
            // script midway, a delivery may arrive twice, which clients drop by its seq.
            result = match inner.deliver.load_async(&mut conn).await {
                Ok(_) => pipe.query_async(&mut conn).await,
                Err(e) => Err(e),
            };
        }
        match result {
            Ok(()) => {
                inner.counters.publishes.fetch_add(n, Ordering::Relaxed);
            }
            Err(e) => {
                inner
                    .counters
                    .publish_failures
                    .fetch_add(n, Ordering::Relaxed);
                tracing::warn!(error = %e, lost = n, "cluster: publish failed; recipients on other nodes resync");
            }
        }
        batch.clear();
    }
}

/// Keeps this node's connection counts in Redis: each report is the count after a change,
/// so only the last per user or address in a batch is written. Also runs the resync the
/// subscriber asks for, in the same task, so a snapshot and the reports around it are
/// written in order.
async fn census_loop(
    inner: Arc<Inner>,
    mut census: mpsc::UnboundedReceiver<Census>,
    mut resyncs: mpsc::Receiver<oneshot::Sender<Result<(), BusError>>>,
) {
    let mut batch = Vec::with_capacity(PIPELINE);
    let mut conn = inner.conn.clone();
    loop {
        tokio::select! {
            Some(done) = resyncs.recv() => {
                let _ = done.send(inner.resync(&mut census).await);
                continue;
            }
            got = census.recv_many(&mut batch, PIPELINE) => if got == 0 { return },
        }
        if !inner.up.load(Ordering::Acquire) {
            // The resync after reconnecting writes the whole registry.
            batch.clear();
            continue;
        }
        let mut users = HashMap::new();
        let mut addrs = HashMap::new();
        for c in batch.drain(..) {
            users.insert(c.user, c.user_conns);
            if let Some((a, n)) = c.addr {
                addrs.insert(a, n);
            }
        }
        let mut pipe = redis::pipe();
        let (uset, aset) = (
            format!("{}n:{}:u", inner.prefix, inner.node),
            format!("{}n:{}:a", inner.prefix, inner.node),
        );
        for (u, n) in users {
            let key = format!("{}u:{}", inner.prefix, u.0);
            if n > 0 {
                pipe.hset(&key, &inner.node, n).ignore();
                pipe.sadd(&uset, u.0).ignore();
            } else {
                pipe.hdel(&key, &inner.node).ignore();
                pipe.srem(&uset, u.0).ignore();
            }
        }
        for (a, n) in addrs {
            let key = format!("{}a:{a}", inner.prefix);
            if n > 0 {
                pipe.hset(&key, &inner.node, n).ignore();
                pipe.sadd(&aset, a.to_string()).ignore();
            } else {
                pipe.hdel(&key, &inner.node).ignore();
                pipe.srem(&aset, a.to_string()).ignore();
            }
        }
        if let Err(e) = pipe.query_async::<()>(&mut conn).await {
            tracing::warn!(error = %e, "cluster: cannot record connection counts");
        }
    }
}

/// Holds the subscription to this node's channel and the notices channel, resubscribing
/// (and re-announcing the node) with backoff whenever it is lost.
async fn listen_loop(inner: Arc<Inner>) {
    let mut backoff = Duration::from_millis(100);
    let mut connected_before = false;
    loop {
        match subscribe(&inner).await {
            Ok(mut pubsub) => {
                if connected_before {
                    inner.counters.reconnects.fetch_add(1, Ordering::Relaxed);
                    tracing::info!("cluster: reconnected to Redis");
                } else {
                    tracing::info!("cluster: connected to Redis");
                }
                connected_before = true;
                backoff = Duration::from_millis(100);
                let mut stream = pubsub.on_message();
                while let Some(msg) = stream.next().await {
                    let payload: String = match msg.get_payload() {
                        Ok(p) => p,
                        Err(_) => continue,
                    };
                    inner.receive(msg.get_channel_name(), &payload);
                }
                inner.up.store(false, Ordering::Release);
                tracing::warn!("cluster: lost Redis; this node works alone until it is back");
            }
            Err(e) => {
                tracing::warn!(error = %e, "cluster: cannot reach Redis; retrying");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Subscribes, then re-announces the node; marks it up only once both are done, so no
/// delivery is routed here before the subscription can receive it.
async fn subscribe(inner: &Arc<Inner>) -> Result<redis::aio::PubSub, BusError> {
    let mut pubsub = inner.client.get_async_pubsub().await?;
    pubsub
        .subscribe(&[inner.channel(&inner.node), inner.all.clone()])
        .await?;
    // Invalidations sent while we were away are lost: start the cache over.
    inner.store.forget_social();
    // A restarted Redis has forgotten the scripts: load the pipelined one before any
    // delivery needs it (the others load themselves on their first call).
    let mut conn = inner.conn.clone();
    inner.deliver.load_async(&mut conn).await?;
    let (done, answer) = oneshot::channel();
    inner
        .resync
        .send(done)
        .await
        .map_err(|_| BusError::Stopped)?;
    answer.await.map_err(|_| BusError::Stopped)??;
    inner.up.store(true, Ordering::Release);
    Ok(pubsub)
}

/// Heartbeats this node and clears dead ones, telling friends of their users.
async fn beat_loop(inner: Arc<Inner>) {
    let mut tick = tokio::time::interval(inner.node_ttl / 4);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut conn = inner.conn.clone();
    loop {
        tick.tick().await;
        if !inner.up.load(Ordering::Acquire) {
            continue;
        }
        let beat: Result<(u8, Vec<i64>), _> = inner
            .beat
            .arg(&inner.prefix)
            .arg(&inner.node)
            .arg(millis(inner.node_ttl))
            .invoke_async(&mut conn)
            .await;
        match beat {
            Ok((added, gone)) => {
                for u in gone {
                    inner.announced.remove(UserId(u));
                    inner.presence.send(Event::Told(UserId(u), false));
                }
                if added == 1 {
                    tracing::warn!(
                        "cluster: this node had been dropped as dead; announcing it again"
                    );
                    let (done, answer) = oneshot::channel();
                    if inner.resync.send(done).await.is_ok() {
                        if let Ok(Err(e)) = answer.await {
                            tracing::warn!(error = %e, "cluster: resync failed");
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cluster: heartbeat failed"),
        }
    }
}
