//! Node-local fan-out: delivery of a frame to every connection of some users on this node.
//!
//! The [`Registry`] (who is connected) sits behind one mutex held only for map operations,
//! never across an await or a send. Delivery encodes a frame once per kind of [`Encoder`]
//! among the targets and hands the same bytes to every connection's bounded queue with
//! `try_send`: a full queue means a slow consumer, which is disconnected (it will resync from
//! the database) rather than allowed to stall the sender or anyone else. Answers to a
//! connection's own frames do not come through here: the session queues them with
//! backpressure on its own reader.
//!
//! The hub reports each user's first connection and last disconnection here as
//! [`presence`](super::presence) events, and, when several nodes share counts, every change
//! of a count as a [`Census`].

use super::outlet::{encode_json, CloseReason, ConnId, Encoder, Outlet, JSON};
use super::presence;
use super::registry::{Limits, Refusal, Registry, Snapshot};
use app::ids::UserId;
use app::protocol::frame::Frame;
use axum::extract::ws::{Message, Utf8Bytes};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Frames waiting per connection before it counts as a slow consumer.
pub const QUEUE_CAPACITY: usize = 256;

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
                addr: addr.map(|a| (a, reg.from_addr(a))),
            });
        }
    }

    /// Every user and address with connections here, with their counts (what a node
    /// re-announces after Redis came back); `then` runs before the lock is released, so
    /// census reports it discards are all older than the snapshot.
    pub fn census_then(&self, then: impl FnOnce()) -> Snapshot {
        let reg = self.lock();
        then();
        reg.snapshot()
    }

    /// Connections of `user` and from `addr` on this node.
    pub fn counts(&self, user: UserId, addr: Option<IpAddr>) -> (usize, usize) {
        let reg = self.lock();
        (
            reg.outlets(user).len(),
            addr.map_or(0, |a| reg.from_addr(a)),
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
    /// hash), sent deliveries through `encoder`; refused past a cap or while shutting down.
    pub fn connect(
        self: &Arc<Self>,
        user: UserId,
        addr: Option<IpAddr>,
        session: &str,
        encoder: Arc<dyn Encoder>,
    ) -> Result<(Registration, flume::Receiver<Message>), Refusal> {
        if self.draining.load(Ordering::Acquire) {
            return Err(Refusal::ShuttingDown);
        }
        let (queue, rx) = flume::bounded(QUEUE_CAPACITY);
        let id = ConnId(self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        let outlet = Outlet::new(id, queue, session, encoder);
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
        for outlet in reg.all() {
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
        for outlet in reg.all() {
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

    /// Encodes `frame` (once per kind of encoder among the targets) and queues it to every
    /// connection of every user in `users`, except `skip`. Slow consumers are closed.
    pub fn deliver(&self, users: &[UserId], frame: &Frame, skip: Option<ConnId>) {
        if let Some(bytes) = encode_json(frame) {
            self.deliver_encoded(users, &bytes, Some(frame), skip);
        }
    }

    /// [`Hub::deliver`] of a frame already encoded as `json` (the [`Json`](super::outlet::Json)
    /// shape): what another node sent, or what was encoded once for here and for the other
    /// nodes. `frame` is `json` decoded, if the caller has it; connections of another
    /// encoding need it, and it is decoded from `json` only when one of them is a target.
    pub fn deliver_encoded(
        &self,
        users: &[UserId],
        json: &Utf8Bytes,
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
        let decoded = OnceLock::new();
        let frame = || -> Option<&Frame> {
            frame.or_else(|| {
                decoded
                    .get_or_init(|| serde_json::from_str::<Frame>(json.as_str()).ok())
                    .as_ref()
            })
        };
        // One slot per other kind of encoding met (a node holds one or two kinds).
        let mut other: Vec<(&'static str, Option<Utf8Bytes>)> = Vec::new();
        for outlet in targets {
            let kind = outlet.encoder.kind();
            let bytes = if kind == JSON {
                Some(json.clone())
            } else if let Some((_, b)) = other.iter().find(|(k, _)| *k == kind) {
                b.clone()
            } else {
                let b = frame().and_then(|f| outlet.encoder.encode(f));
                other.push((kind, b.clone()));
                b
            };
            if let Some(bytes) = bytes {
                self.push(&outlet, Message::Text(bytes));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::outlet::Json;

    fn json() -> Arc<dyn Encoder> {
        Arc::new(Json)
    }

    fn hub(limits: Limits) -> (Arc<Hub>, presence::Receiver) {
        let (tx, rx) = presence::channel();
        (Arc::new(Hub::new(limits, tx)), rx)
    }

    #[test]
    fn registry_tracks_first_and_last_connection() {
        let (hub, mut events) = hub(Limits::default());
        let u = UserId(1);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let (a, _ra) = hub.connect(u, Some(ip), "s", json()).unwrap();
        let (b, _rb) = hub.connect(u, Some(ip), "s", json()).unwrap();
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
        let (_a1, _r1) = hub.connect(UserId(1), Some(ip1), "s", json()).unwrap();
        let (_a2, _r2) = hub.connect(UserId(1), Some(ip1), "s", json()).unwrap();
        assert_eq!(
            hub.connect(UserId(1), Some(ip2), "s", json()).err(),
            Some(Refusal::Cap("per user"))
        );
        let (b1, _r3) = hub.connect(UserId(2), Some(ip1), "s", json()).unwrap();
        assert_eq!(
            hub.connect(UserId(3), Some(ip1), "s", json()).err(),
            Some(Refusal::Cap("per address"))
        );
        let (_c1, _r4) = hub.connect(UserId(3), Some(ip2), "s", json()).unwrap();
        assert_eq!(
            hub.connect(UserId(4), Some(ip2), "s", json()).err(),
            Some(Refusal::Cap("server"))
        );
        // Closing one frees its slot in every count.
        drop(b1);
        hub.lock().check_invariants();
        let (_d1, _r5) = hub.connect(UserId(4), Some(ip1), "s", json()).unwrap();
        assert_eq!(hub.counters.connections_refused.load(Ordering::Relaxed), 3);
        hub.shut_down();
        assert_eq!(
            hub.connect(UserId(5), Some(ip2), "s", json()).err(),
            Some(Refusal::ShuttingDown)
        );
    }

    #[test]
    fn delivery_skips_the_origin_and_cuts_slow_consumers_once() {
        let (hub, _events) = hub(Limits::default());
        let (a, ra) = hub.connect(UserId(1), None, "s", json()).unwrap();
        let (b, rb) = hub.connect(UserId(1), None, "s", json()).unwrap();
        let (c, rc) = hub.connect(UserId(2), None, "s", json()).unwrap();
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

    /// An encoding that writes only messages, as `"m<id>"`, and counts its calls.
    #[derive(Debug, Default)]
    struct MessagesOnly(std::sync::atomic::AtomicUsize);

    impl Encoder for MessagesOnly {
        fn kind(&self) -> &'static str {
            "messages-only"
        }

        fn encode(&self, frame: &Frame) -> Option<Utf8Bytes> {
            self.0.fetch_add(1, Ordering::Relaxed);
            (frame.cmd == 10).then(|| Utf8Bytes::from(format!("m{}", frame.id)))
        }
    }

    #[test]
    fn each_connection_gets_its_encoding_made_once_per_delivery() {
        let (hub, _events) = hub(Limits::default());
        let other = Arc::new(MessagesOnly::default());
        let (_v1, r1) = hub.connect(UserId(1), None, "s", json()).unwrap();
        let (o1, r2) = hub.connect(UserId(1), None, "t", other.clone()).unwrap();
        let (_o2, r3) = hub.connect(UserId(2), None, "u", other.clone()).unwrap();
        let (_o3, r4) = hub.connect(UserId(2), None, "v", other.clone()).unwrap();
        let message = Frame {
            cmd: 10,
            id: 4,
            content: "hi".into(),
            ..Frame::default()
        };
        hub.deliver(&[UserId(1), UserId(2)], &message, Some(o1.outlet.id));
        let text = |m: Message| match m {
            Message::Text(t) => t.as_str().to_owned(),
            other => panic!("{other:?}"),
        };
        assert!(text(r1.try_recv().unwrap()).contains(r#""content":"hi""#));
        assert!(r2.try_recv().is_err(), "no echo to the sending socket");
        assert_eq!(text(r3.try_recv().unwrap()), "m4");
        assert_eq!(text(r4.try_recv().unwrap()), "m4");
        assert_eq!(other.0.load(Ordering::Relaxed), 1, "encoded once for both");
        // What an encoding does not send never reaches its connections; JSON gets it all.
        // From another node the frame arrives as JSON and is decoded only for them.
        let read = Frame {
            cmd: 15,
            ..message.clone()
        };
        hub.deliver(&[UserId(1), UserId(2)], &read, None);
        let bytes = encode_json(&message).unwrap();
        hub.deliver_encoded(&[UserId(2)], &bytes, None, None);
        assert_eq!(r1.len(), 1);
        assert!(r2.is_empty() && r3.len() == 1 && r4.len() == 1);
        assert_eq!(other.0.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn the_first_close_reason_wins() {
        let (hub, _events) = hub(Limits::default());
        let (a, _ra) = hub.connect(UserId(1), None, "tok", json()).unwrap();
        hub.close_session("other");
        assert!(!a.outlet.closed.is_cancelled());
        hub.close_session("tok");
        hub.shut_down();
        assert_eq!(a.outlet.reason(), Some(CloseReason::SessionEnded));
        assert_eq!(CloseReason::Restart.code(), 1012);
        assert_eq!(CloseReason::TooBig.code(), 1009);
    }
}
