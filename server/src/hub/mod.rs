//! Node-local fan-out: which users have connections on this node, and delivery of an
//! encoded frame to each of their connections.
//!
//! [`Registry`] is pure and synchronous (a map behind one mutex held only for map
//! operations, never across an await or a send). Delivery encodes a frame once and hands
//! the same bytes to every connection's bounded queue with `try_send`: a full queue means a
//! slow consumer, which is disconnected (it will resync from the database) rather than
//! allowed to stall the sender or anyone else.

use app::ids::UserId;
use app::protocol::frame::Frame;
use axum::extract::ws::{Message, Utf8Bytes};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
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

/// The hub's handle on one connection: its queue and the switch that closes it.
#[derive(Clone, Debug)]
pub struct Outlet {
    /// This connection.
    pub id: ConnId,
    /// Its outgoing queue.
    pub queue: mpsc::Sender<Message>,
    /// Cancelled to make the connection close (slow consumer, logout).
    pub close: CancellationToken,
    /// The login session it was opened with (token hash), so logout can close it.
    pub session: Arc<str>,
}

/// Who is connected here: user -> their connections.
#[derive(Debug, Default)]
pub struct Registry {
    by_user: HashMap<UserId, Vec<Outlet>>,
}

impl Registry {
    /// Adds a connection; returns true if it is the user's first on this node.
    pub fn add(&mut self, user: UserId, outlet: Outlet) -> bool {
        let conns = self.by_user.entry(user).or_default();
        conns.push(outlet);
        conns.len() == 1
    }

    /// Removes a connection; returns true if it was the user's last on this node.
    pub fn remove(&mut self, user: UserId, id: ConnId) -> bool {
        let Some(conns) = self.by_user.get_mut(&user) else {
            return false;
        };
        conns.retain(|o| o.id != id);
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
        self.by_user.values().map(Vec::len).sum()
    }

    /// Panics if the structure is inconsistent (tests only): no empty entries, no
    /// connection listed twice.
    pub fn check_invariants(&self) {
        let mut seen = std::collections::HashSet::new();
        for conns in self.by_user.values() {
            assert!(!conns.is_empty(), "empty connection list kept");
            for o in conns {
                assert!(seen.insert(o.id), "connection {} listed twice", o.id);
            }
        }
    }
}

/// Counters exported on `/metrics`.
#[derive(Debug, Default)]
pub struct Counters {
    /// Connections opened since start.
    pub connections_opened: AtomicU64,
    /// Messages stored from clients.
    pub messages_in: AtomicU64,
    /// Frames queued to connections.
    pub frames_out: AtomicU64,
    /// Connections dropped because their queue was full.
    pub queue_drops: AtomicU64,
}

/// The node's hub.
#[derive(Debug, Default)]
pub struct Hub {
    registry: Mutex<Registry>,
    next_id: AtomicU64,
    /// Counters for `/metrics`.
    pub counters: Counters,
}

/// Unregisters its connection when dropped, however the session ends.
#[derive(Debug)]
pub struct Registration {
    hub: Arc<Hub>,
    user: UserId,
    /// The connection.
    pub outlet: Outlet,
    /// True if this was the user's first connection on this node.
    pub first: bool,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.hub.lock().remove(self.user, self.outlet.id);
    }
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // A panic while holding the lock cannot leave the map half-updated (every operation
        // is a single map call), so a poisoned lock is safe to keep using.
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a new connection of `user`; returns its registration and queue receiver.
    pub fn connect(
        self: &Arc<Self>,
        user: UserId,
        session: &str,
    ) -> (Registration, mpsc::Receiver<Message>) {
        let (queue, rx) = mpsc::channel(QUEUE_CAPACITY);
        let outlet = Outlet {
            id: ConnId(self.next_id.fetch_add(1, Ordering::Relaxed) + 1),
            queue,
            close: CancellationToken::new(),
            session: session.into(),
        };
        let first = self.lock().add(user, outlet.clone());
        self.counters
            .connections_opened
            .fetch_add(1, Ordering::Relaxed);
        let reg = Registration {
            hub: Arc::clone(self),
            user,
            outlet,
            first,
        };
        (reg, rx)
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
                outlet.close.cancel();
            }
        }
    }

    /// Open connections on this node.
    pub fn connections(&self) -> usize {
        self.lock().connections()
    }

    /// Encodes `frame` once and queues it to every connection of every user in `users`,
    /// except `skip`. Slow consumers are closed.
    pub fn deliver(&self, users: &[UserId], frame: &Frame, skip: Option<ConnId>) {
        let bytes = match serde_json::to_string(frame) {
            Ok(s) => Utf8Bytes::from(s),
            Err(e) => {
                tracing::error!(error = %e, "cannot encode frame");
                return;
            }
        };
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
        for outlet in targets {
            self.push(&outlet, Message::Text(bytes.clone()));
        }
    }

    /// Queues one message to one connection; closes it if its queue is full.
    pub fn push(&self, outlet: &Outlet, msg: Message) {
        match outlet.queue.try_send(msg) {
            Ok(()) => {
                self.counters.frames_out.fetch_add(1, Ordering::Relaxed);
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.counters.queue_drops.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(conn = %outlet.id, "slow consumer: queue full, disconnecting");
                outlet.close.cancel();
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_tracks_first_and_last_connection() {
        let hub = Arc::new(Hub::default());
        let u = UserId(1);
        let (a, _ra) = hub.connect(u, "s");
        let (b, _rb) = hub.connect(u, "s");
        assert!(a.first && !b.first);
        assert_eq!(hub.connections(), 2);
        hub.lock().check_invariants();
        drop(a);
        assert!(hub.is_online(u));
        drop(b);
        assert!(!hub.is_online(u));
        hub.lock().check_invariants();
        assert_eq!(hub.connections(), 0);
    }

    #[test]
    fn delivery_skips_the_origin_and_drops_slow_consumers() {
        let hub = Arc::new(Hub::default());
        let (a, mut ra) = hub.connect(UserId(1), "s");
        let (b, mut rb) = hub.connect(UserId(1), "s");
        let (c, mut rc) = hub.connect(UserId(2), "s");
        let frame = Frame {
            cmd: 10,
            content: "hi".into(),
            ..Frame::default()
        };
        hub.deliver(&[UserId(1), UserId(2)], &frame, Some(a.outlet.id));
        assert!(ra.try_recv().is_err());
        assert!(matches!(rb.try_recv(), Ok(Message::Text(t)) if t.as_str().contains("\"hi\"")));
        assert!(rc.try_recv().is_ok());
        for _ in 0..QUEUE_CAPACITY + 1 {
            hub.deliver(&[UserId(2)], &frame, None);
        }
        assert!(c.outlet.close.is_cancelled());
        assert!(!b.outlet.close.is_cancelled());
        assert_eq!(hub.counters.queue_drops.load(Ordering::Relaxed), 1);
    }
}
