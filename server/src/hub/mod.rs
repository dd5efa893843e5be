//! Node-local fan-out: which users have connections on this node, and delivery of an
//! encoded frame to each of their connections.
//!
//! [`Registry`] is pure and synchronous (maps behind one mutex held only for map
//! operations, never across an await or a send). It also enforces the socket caps (per
//! user, per client address, in total) at registration, so a cap is decided atomically.
//! Delivery encodes a frame once and hands the same bytes to every connection's bounded
//! queue with `try_send`: a full queue means a slow consumer, which is disconnected (it will
//! resync from the database) rather than allowed to stall the sender or anyone else.
//! Answers to a connection's own frames do not come through here: the session queues them
//! with backpressure on its own reader.
//!
//! A connection speaks a [`Dialect`]: v1 (`/ws`) gets every frame; a seed client (v0,
//! `/chat`) only messages, in the seed's flat shape, encoded at most once per delivery.

pub mod presence;

use app::error::{ApiError, ErrorCode};
use app::ids::UserId;
use app::protocol::frame::Frame;
use axum::extract::ws::{Message, Utf8Bytes};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Frames waiting per connection before it counts as a slow consumer.
pub const QUEUE_CAPACITY: usize = 256;

/// Identifies one connection on this node (for logs and to skip the originating socket).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

impl std::fmt::Display for ConnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "c{}", self.0)
    }
}

/// Why the server closes a connection; decides the WebSocket close code the client sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The client closed, or its connection broke.
    PeerGone,
    /// Nothing arrived from the client for the idle timeout (1000).
    Idle,
    /// The login session behind the socket ended: logout or expiry (4001).
    SessionEnded,
    /// Deliveries piled up because the client did not read them (1008).
    SlowConsumer,
    /// Too many unreadable frames in a row (1008).
    Unreadable,
    /// A frame over the WebSocket layer's size limit (1009, "message too big").
    TooBig,
    /// Too many v0 frames naming another sender (1008, policy violation).
    ForeignSender,
    /// The server is shutting down or restarting (1012, "service restart").
    Restart,
}

impl CloseReason {
    /// The close code sent to the client.
    pub fn code(self) -> u16 {
        match self {
            CloseReason::PeerGone | CloseReason::Idle => 1000,
            CloseReason::SlowConsumer | CloseReason::Unreadable | CloseReason::ForeignSender => {
                1008
            }
            CloseReason::TooBig => 1009,
            CloseReason::Restart => 1012,
            CloseReason::SessionEnded => 4001,
        }
    }

    /// The close frame's short explanation.
    pub fn text(self) -> &'static str {
        match self {
            CloseReason::PeerGone => "bye",
            CloseReason::Idle => "idle timeout",
            CloseReason::SessionEnded => "session ended",
            CloseReason::SlowConsumer => "slow consumer",
            CloseReason::Unreadable => "too many unreadable frames",
            CloseReason::TooBig => "frame too large",
            CloseReason::ForeignSender => "frames name another sender",
            CloseReason::Restart => "server restarting",
        }
    }

    /// True when answers already queued should still be sent before closing (the client
    /// is reading); false when the queue is full because it is not.
    pub fn drains(self) -> bool {
        !matches!(self, CloseReason::SlowConsumer | CloseReason::PeerGone)
    }
}

/// Which protocol a connection speaks (protocol.md sections 3 and 4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dialect {
    /// `/ws`: every frame, acks and errors included.
    #[default]
    V1,
    /// `/chat`, the seed's own client: messages (cmd 10/11) only, in the seed's flat shape;
    /// nothing else is ever written to it (it would draw any frame as a bubble).
    V0,
}

/// The hub's handle on one connection: its queue and the switch that closes it.
#[derive(Clone, Debug)]
pub struct Outlet {
    /// This connection.
    pub id: ConnId,
    /// Its outgoing queue.
    pub queue: flume::Sender<Message>,
    /// Cancelled to make the connection close (see [`Outlet::close`]).
    pub closed: CancellationToken,
    /// Why it was closed; the first reason given wins.
    reason: Arc<OnceLock<CloseReason>>,
    /// The login session it was opened with (token hash), so logout can close it.
    pub session: Arc<str>,
    /// What it may be sent, and in which shape.
    pub dialect: Dialect,
}

impl Outlet {
    /// Asks the connection to close for `reason`; returns true for the call that decided it
    /// (later calls change nothing), so a cut is reported once.
    pub fn close(&self, reason: CloseReason) -> bool {
        let first = self.reason.set(reason).is_ok();
        self.closed.cancel();
        first
    }

    /// Why the connection is closing, once it is.
    pub fn reason(&self) -> Option<CloseReason> {
        self.reason.get().copied()
    }
}

/// Socket caps (settings `PARLEY_MAX_SOCKETS_PER_USER`, `..._PER_ADDR`, `PARLEY_MAX_SOCKETS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most sockets one user may hold open on this node.
    pub per_user: usize,
    /// Most sockets from one client address.
    pub per_addr: usize,
    /// Most sockets in all.
    pub total: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_user: 16,
            per_addr: 1024,
            total: 20_000,
        }
    }
}

/// Who is connected here: user -> their connections, and counts per address.
#[derive(Debug, Default)]
pub struct Registry {
    by_user: HashMap<UserId, Vec<Outlet>>,
    by_addr: HashMap<IpAddr, usize>,
    total: usize,
}

/// Why a connection was not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A cap is reached; which one is in the message.
    Cap(&'static str),
    /// The node is shutting down.
    ShuttingDown,
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> ApiError {
        match r {
            Refusal::Cap(which) => ApiError::with_msg(
                ErrorCode::TooManyConnections,
                format!("Too many open connections ({which}). Close another tab or device and try again."),
            ),
            Refusal::ShuttingDown => ApiError::new(ErrorCode::Unavailable),
        }
    }
}

impl Registry {
    /// Adds a connection within `limits`; returns true if it is the user's first here.
    pub fn add(
        &mut self,
        user: UserId,
        addr: Option<IpAddr>,
        outlet: Outlet,
        limits: Limits,
    ) -> Result<bool, Refusal> {
        if self.total >= limits.total {
            return Err(Refusal::Cap("server"));
        }
        if self.outlets(user).len() >= limits.per_user {
            return Err(Refusal::Cap("per user"));
        }
        if let Some(a) = addr {
            if self.by_addr.get(&a).copied().unwrap_or(0) >= limits.per_addr {
                return Err(Refusal::Cap("per address"));
            }
            *self.by_addr.entry(a).or_default() += 1;
        }
        self.total += 1;
        let conns = self.by_user.entry(user).or_default();
        conns.push(outlet);
        Ok(conns.len() == 1)
    }

    /// Removes a connection; returns true if it was the user's last here. Decided under the
    /// same lock as the removal, so of several connections closing at once exactly one is
    /// the last.
    pub fn remove(&mut self, user: UserId, addr: Option<IpAddr>, id: ConnId) -> bool {
        let Some(conns) = self.by_user.get_mut(&user) else {
            return false;
        };
        let before = conns.len();
        conns.retain(|o| o.id != id);
        if conns.len() == before {
            return false;
        }
        self.total -= 1;
        if let Some(a) = addr {
            if let Some(n) = self.by_addr.get_mut(&a) {
                *n -= 1;
                if *n == 0 {
                    self.by_addr.remove(&a);
                }
            }
        }
        if conns.is_empty() {
            self.by_user.remove(&user);
            true
        } else {
            false
        }
    }

    /// The connections of `user`.
    pub fn outlets(&self, user: UserId) -> &[Outlet] {
        self.by_user.get(&user).map_or(&[], Vec::as_slice)
    }

    /// True while `user` has a connection here.
    pub fn is_online(&self, user: UserId) -> bool {
        self.by_user.contains_key(&user)
    }

    /// Total connections.
    pub fn connections(&self) -> usize {
        self.total
    }

    /// Panics if the structure is inconsistent (tests only): no empty entries, no
    /// connection listed twice, counts that add up.
    pub fn check_invariants(&self) {
        let mut seen = std::collections::HashSet::new();
        for conns in self.by_user.values() {
            assert!(!conns.is_empty(), "empty connection list kept");
            for o in conns {
                assert!(seen.insert(o.id), "connection {} listed twice", o.id);
            }
        }
        assert_eq!(seen.len(), self.total, "total count");
        assert!(
            self.by_addr.values().all(|n| *n > 0),
            "zero address count kept"
        );
        assert!(self.by_addr.values().sum::<usize>() <= self.total);
    }
}

/// Counters exported on `/metrics`.
#[derive(Debug, Default)]
pub struct Counters {
    /// Connections opened since start.
    pub connections_opened: AtomicU64,
    /// Connections refused by a cap.
    pub connections_refused: AtomicU64,
    /// Messages stored from clients.
    pub messages_in: AtomicU64,
    /// Batches the message writer stored (each one transaction).
    pub message_batches: AtomicU64,
    /// Frames queued to connections.
    pub frames_out: AtomicU64,
    /// Connections cut because their queue was full (once per connection).
    pub queue_drops: AtomicU64,
}

/// The node's hub.
#[derive(Debug)]
pub struct Hub {
    registry: Mutex<Registry>,
    next_id: AtomicU64,
    limits: Limits,
    draining: AtomicBool,
    presence: presence::Sender,
    /// Where connection counts go after each change, when several nodes share them.
    census: OnceLock<tokio::sync::mpsc::UnboundedSender<Census>>,
    /// Counters for `/metrics`.
    pub counters: Counters,
}

/// Every user and every client address with connections on this node, with their counts.
pub type Snapshot = (Vec<(UserId, usize)>, Vec<(IpAddr, usize)>);

/// A user's (and their address's) connection count on this node right after a change,
/// reported in the order the registry changed, so the last report is the current count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Census {
    /// Whose count changed.
    pub user: UserId,
    /// Their connections here now.
    pub user_conns: usize,
    /// The client address and its connections here now.
    pub addr: Option<(IpAddr, usize)>,
}

/// Unregisters its connection when dropped, however the session ends.
#[derive(Debug)]
pub struct Registration {
    hub: Arc<Hub>,
    user: UserId,
    addr: Option<IpAddr>,
    /// The connection.
    pub outlet: Outlet,
    /// True if this was the user's first connection on this node.
    pub first: bool,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let last = {
            let mut reg = self.hub.lock();
            let last = reg.remove(self.user, self.addr, self.outlet.id);
            self.hub.report(&reg, self.user, self.addr);
            last
        };
        if last {
            self.hub
                .presence
                .send(presence::Event::Disconnected(self.user));
        }
    }
}

impl Hub {
    /// A hub admitting connections within `limits`, reporting first and last connections
    /// of each user to `presence`.
    pub fn new(limits: Limits, presence: presence::Sender) -> Hub {
        Hub {
            registry: Mutex::new(Registry::default()),
            next_id: AtomicU64::new(0),
            limits,
            draining: AtomicBool::new(false),
            presence,
            census: OnceLock::new(),
            counters: Counters::default(),
        }
    }

    /// Starts reporting every change of a user's or address's connection count (to share
    /// them with other nodes); the first call wins.
    pub fn report_census(&self, to: tokio::sync::mpsc::UnboundedSender<Census>) {
        let _ = self.census.set(to);
    }

    /// Reports the counts of `user` and `addr` as they are in `reg` (called under the lock,
    /// so reports leave in the order of the changes).
    fn report(&self, reg: &Registry, user: UserId, addr: Option<IpAddr>) {
        if let Some(to) = self.census.get() {
            let _ = to.send(Census {
                user,
                user_conns: reg.outlets(user).len(),
                addr: addr.map(|a| (a, reg.by_addr.get(&a).copied().unwrap_or(0))),
            });
        }
    }

    /// Every user and address with connections here, with their counts (what a node
    /// re-announces after Redis came back); `then` runs before the lock is released, so
    /// census reports it discards are all older than the snapshot.
    pub fn census_then(&self, then: impl FnOnce()) -> Snapshot {
        let reg = self.lock();
        then();
        (
            reg.by_user.iter().map(|(u, c)| (*u, c.len())).collect(),
            reg.by_addr.iter().map(|(a, n)| (*a, *n)).collect(),
        )
    }

    /// Connections of `user` and from `addr` on this node.
    pub fn counts(&self, user: UserId, addr: Option<IpAddr>) -> (usize, usize) {
        let reg = self.lock();
        (
            reg.outlets(user).len(),
            addr.and_then(|a| reg.by_addr.get(&a).copied()).unwrap_or(0),
        )
    }

    /// The caps this hub admits connections within.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters (each operation is a few map calls), so a poisoned lock is kept in use.
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a new connection of `user` from `addr` (login session `session`, a token
    /// hash) speaking `dialect`; refused past a cap or while shutting down.
    pub fn connect(
        self: &Arc<Self>,
        user: UserId,
        addr: Option<IpAddr>,
        session: &str,
        dialect: Dialect,
    ) -> Result<(Registration, flume::Receiver<Message>), Refusal> {
        if self.draining.load(Ordering::Acquire) {
            return Err(Refusal::ShuttingDown);
        }
        let (queue, rx) = flume::bounded(QUEUE_CAPACITY);
        let outlet = Outlet {
            id: ConnId(self.next_id.fetch_add(1, Ordering::Relaxed) + 1),
            queue,
            closed: CancellationToken::new(),
            reason: Arc::new(OnceLock::new()),
            session: session.into(),
            dialect,
        };
        let added = {
            let mut reg = self.lock();
            let added = reg.add(user, addr, outlet.clone(), self.limits);
            if added.is_ok() {
                self.report(&reg, user, addr);
            }
            added
        };
        let first = match added {
            Ok(first) => first,
            Err(refusal) => {
                self.counters
                    .connections_refused
                    .fetch_add(1, Ordering::Relaxed);
                return Err(refusal);
            }
        };
        self.counters
            .connections_opened
            .fetch_add(1, Ordering::Relaxed);
        if first {
            self.presence.send(presence::Event::Connected(user));
        }
        let reg = Registration {
            hub: Arc::clone(self),
            user,
            addr,
            outlet,
            first,
        };
        Ok((reg, rx))
    }

    /// True while `user` has a connection on this node.
    pub fn is_online(&self, user: UserId) -> bool {
        self.lock().is_online(user)
    }

    /// Closes every connection opened with the login session `session` (at logout).
    pub fn close_session(&self, session: &str) {
        let reg = self.lock();
        for outlet in reg.by_user.values().flatten() {
            if &*outlet.session == session {
                outlet.close(CloseReason::SessionEnded);
            }
        }
    }

    /// Open connections on this node.
    pub fn connections(&self) -> usize {
        self.lock().connections()
    }

    /// Starts shutting down: no new connections; every open one is told to close with 1012
    /// once it has answered the frames it already read.
    pub fn shut_down(&self) {
        self.draining.store(true, Ordering::Release);
        let reg = self.lock();
        for outlet in reg.by_user.values().flatten() {
            outlet.close(CloseReason::Restart);
        }
    }

    /// Waits until every connection has closed, or `within` has passed; true if all did.
    pub async fn drained(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while self.connections() > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// Encodes `frame` once and queues it to every connection of every user in `users`,
    /// except `skip`. Slow consumers are closed. Seed (v0) connections get messages only,
    /// in the seed's shape, encoded once and only when one of them is among the targets.
    pub fn deliver(&self, users: &[UserId], frame: &Frame, skip: Option<ConnId>) {
        if let Some(bytes) = encode(frame) {
            self.deliver_encoded(users, &bytes, Some(frame), skip);
        }
    }

    /// [`Hub::deliver`] of a frame already encoded as `bytes` (v1 JSON): what another node
    /// sent, or what the bus encoded once for here and for Redis. `frame` is `bytes`
    /// decoded, if the caller has it; seed (v0) connections need it, and it is decoded from
    /// `bytes` only when one of them is among the targets.
    pub fn deliver_encoded(
        &self,
        users: &[UserId],
        bytes: &Utf8Bytes,
        frame: Option<&Frame>,
        skip: Option<ConnId>,
    ) {
        // Collect the targets first so no send happens under the lock.
        let targets: Vec<Outlet> = {
            let reg = self.lock();
            users
                .iter()
                .flat_map(|u| reg.outlets(*u).iter())
                .filter(|o| Some(o.id) != skip)
                .cloned()
                .collect()
        };
        let seed = OnceLock::new();
        for outlet in targets {
            match outlet.dialect {
                Dialect::V1 => self.push(&outlet, Message::Text(bytes.clone())),
                Dialect::V0 => {
                    let flat = seed.get_or_init(|| match frame {
                        Some(f) => seed_bytes(f),
                        None => serde_json::from_str::<Frame>(bytes.as_str())
                            .ok()
                            .and_then(|f| seed_bytes(&f)),
                    });
                    if let Some(flat) = flat {
                        self.push(&outlet, Message::Text(flat.clone()));
                    }
                }
            }
        }
    }

    /// Queues a delivery to one connection without waiting; a full queue means the client
    /// is not reading, so the connection is cut (reported once, however many frames miss).
    pub fn push(&self, outlet: &Outlet, msg: Message) {
        match outlet.queue.try_send(msg) {
            Ok(()) => {
                self.counters.frames_out.fetch_add(1, Ordering::Relaxed);
            }
            Err(flume::TrySendError::Full(_)) => {
                if outlet.close(CloseReason::SlowConsumer) {
                    self.counters.queue_drops.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(conn = %outlet.id, "slow consumer: queue full, disconnecting");
                }
            }
            Err(flume::TrySendError::Disconnected(_)) => {}
        }
    }
}

/// The v1 encoding of `frame`, once for all its recipients.
pub fn encode(frame: &Frame) -> Option<Utf8Bytes> {
    match serde_json::to_string(frame) {
        Ok(s) => Some(Utf8Bytes::from(s)),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode frame");
            None
        }
    }
}

/// The seed (v0) encoding of `frame`; `None` for anything but a message.
fn seed_bytes(frame: &Frame) -> Option<Utf8Bytes> {
    let flat = app::protocol::seed::flat_message(frame)?;
    match serde_json::to_string(&flat) {
        Ok(s) => Some(Utf8Bytes::from(s)),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode seed frame");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(limits: Limits) -> (Arc<Hub>, presence::Receiver) {
        let (tx, rx) = presence::channel();
        (Arc::new(Hub::new(limits, tx)), rx)
    }

    #[test]
    fn registry_tracks_first_and_last_connection() {
        let (hub, mut events) = hub(Limits::default());
        let u = UserId(1);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let (a, _ra) = hub.connect(u, Some(ip), "s", Dialect::V1).unwrap();
        let (b, _rb) = hub.connect(u, Some(ip), "s", Dialect::V1).unwrap();
        assert!(a.first && !b.first);
        assert_eq!(hub.connections(), 2);
        hub.lock().check_invariants();
        drop(a);
        assert!(hub.is_online(u));
        drop(b);
        assert!(!hub.is_online(u));
        hub.lock().check_invariants();
        assert_eq!(hub.connections(), 0);
        // One "connected" for the first, one "disconnected" for the last.
        assert_eq!(events.try_recv().ok(), Some(presence::Event::Connected(u)));
        assert_eq!(
            events.try_recv().ok(),
            Some(presence::Event::Disconnected(u))
        );
        assert!(events.try_recv().is_err());
    }

    #[test]
    fn caps_per_user_per_address_and_in_total() {
        let (hub, _events) = hub(Limits {
            per_user: 2,
            per_addr: 3,
            total: 4,
        });
        let ip1: IpAddr = "10.0.0.1".parse().unwrap();
        let ip2: IpAddr = "10.0.0.2".parse().unwrap();
        let (_a1, _r1) = hub.connect(UserId(1), Some(ip1), "s", Dialect::V1).unwrap();
        let (_a2, _r2) = hub.connect(UserId(1), Some(ip1), "s", Dialect::V1).unwrap();
        assert_eq!(
            hub.connect(UserId(1), Some(ip2), "s", Dialect::V1).err(),
            Some(Refusal::Cap("per user"))
        );
        let (b1, _r3) = hub.connect(UserId(2), Some(ip1), "s", Dialect::V1).unwrap();
        assert_eq!(
            hub.connect(UserId(3), Some(ip1), "s", Dialect::V1).err(),
            Some(Refusal::Cap("per address"))
        );
        let (_c1, _r4) = hub.connect(UserId(3), Some(ip2), "s", Dialect::V1).unwrap();
        assert_eq!(
            hub.connect(UserId(4), Some(ip2), "s", Dialect::V1).err(),
            Some(Refusal::Cap("server"))
        );
        // Closing one frees its slot in every count.
        drop(b1);
        hub.lock().check_invariants();
        let (_d1, _r5) = hub.connect(UserId(4), Some(ip1), "s", Dialect::V1).unwrap();
        assert_eq!(hub.counters.connections_refused.load(Ordering::Relaxed), 3);
        hub.shut_down();
        assert_eq!(
            hub.connect(UserId(5), Some(ip2), "s", Dialect::V1).err(),
            Some(Refusal::ShuttingDown)
        );
    }

    #[test]
    fn delivery_skips_the_origin_and_cuts_slow_consumers_once() {
        let (hub, _events) = hub(Limits::default());
        let (a, ra) = hub.connect(UserId(1), None, "s", Dialect::V1).unwrap();
        let (b, rb) = hub.connect(UserId(1), None, "s", Dialect::V1).unwrap();
        let (c, rc) = hub.connect(UserId(2), None, "s", Dialect::V1).unwrap();
        let frame = Frame {
            cmd: 10,
            content: "hi".into(),
            ..Frame::default()
        };
        hub.deliver(&[UserId(1), UserId(2)], &frame, Some(a.outlet.id));
        assert!(ra.try_recv().is_err());
        assert!(matches!(rb.try_recv(), Ok(Message::Text(t)) if t.as_str().contains("\"hi\"")));
        assert!(rc.try_recv().is_ok());
        // Fill c's queue, then overflow it many times: one cut, counted once.
        for _ in 0..QUEUE_CAPACITY + 50 {
            hub.deliver(&[UserId(2)], &frame, None);
        }
        assert!(c.outlet.closed.is_cancelled());
        assert_eq!(c.outlet.reason(), Some(CloseReason::SlowConsumer));
        assert!(!b.outlet.closed.is_cancelled());
        assert_eq!(hub.counters.queue_drops.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn seed_connections_get_only_messages_in_the_flat_shape() {
        let (hub, _events) = hub(Limits::default());
        let (_v1, r1) = hub.connect(UserId(1), None, "s", Dialect::V1).unwrap();
        let (v0, r0) = hub.connect(UserId(1), None, "t", Dialect::V0).unwrap();
        let (_other, r2) = hub.connect(UserId(1), None, "u", Dialect::V0).unwrap();
        let message = Frame {
            cmd: 10,
            id: 4,
            userid: 2,
            dstid: 1,
            media: 1,
            content: "hi".into(),
            cid: "c".into(),
            conv: "p:1:2".into(),
            seq: 1,
            ts: 9,
            ..Frame::default()
        };
        hub.deliver(&[UserId(1)], &message, Some(v0.outlet.id));
        let text = |m: Message| match m {
            Message::Text(t) => t.as_str().to_owned(),
            other => panic!("{other:?}"),
        };
        assert!(text(r1.try_recv().unwrap()).contains(r#""cid":"c""#));
        assert!(r0.try_recv().is_err(), "no echo to the sending socket");
        assert_eq!(
            text(r2.try_recv().unwrap()),
            r#"{"cmd":10,"id":4,"userid":2,"dstid":1,"media":1,"content":"hi"}"#
        );
        for cmd in [12, 13, 15, 16] {
            let other = Frame {
                cmd,
                ..message.clone()
            };
            hub.deliver(&[UserId(1)], &other, None);
        }
        assert_eq!(r1.len(), 4);
        assert!(r0.is_empty() && r2.is_empty());
    }

    #[test]
    fn the_first_close_reason_wins() {
        let (hub, _events) = hub(Limits::default());
        let (a, _ra) = hub.connect(UserId(1), None, "tok", Dialect::V1).unwrap();
        hub.close_session("other");
        assert!(!a.outlet.closed.is_cancelled());
        hub.close_session("tok");
        hub.shut_down();
        assert_eq!(a.outlet.reason(), Some(CloseReason::SessionEnded));
        assert_eq!(CloseReason::Restart.code(), 1012);
        assert_eq!(CloseReason::TooBig.code(), 1009);
    }
}
