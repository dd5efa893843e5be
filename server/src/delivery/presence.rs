//! Presence as delivery knows it: the events of who comes and goes (a user's first
//! connection on this node, their last one closing, what the cluster decided), reported in
//! the order they happened (decided under the registry lock), and [`Announced`], who friends
//! have been told is online. Delivery only reports and records; the presence rules decide
//! what friends are told.

use app::ids::UserId;
use std::collections::HashSet;
use std::sync::Mutex;
use tokio::sync::mpsc;

/// A change in who is connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The user's first connection opened.
    Connected(UserId),
    /// The user's last connection closed.
    Disconnected(UserId),
    /// The grace period after a `Disconnected` has passed: time to decide "offline".
    Settle(UserId),
    /// Another part of the cluster decided the user is online (true) or offline (false):
    /// tell the friends (a dead node's users, or users re-announced after Redis came back).
    Told(UserId, bool),
    /// This node's view of the user changed while it could not hear the others (Redis was
    /// away): tell the friends connected here, who may have missed the change.
    Corrected(UserId, bool),
}

/// Where the hub sends presence events. Unbounded so the hub never waits while holding its
/// lock; there are at most two events per connection.
#[derive(Clone, Debug)]
pub struct Sender(mpsc::UnboundedSender<Event>);

/// The presence service's end.
pub type Receiver = mpsc::UnboundedReceiver<Event>;

impl Sender {
    /// Reports an event; dropped silently once the presence service has stopped (shutdown).
    pub fn send(&self, event: Event) {
        let _ = self.0.send(event);
    }
}

/// A new event channel.
pub fn channel() -> (Sender, Receiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Sender(tx), rx)
}

/// Who friends have been told is online. Shared so friend lists and
/// open conversations agree with what the presence events (cmd 13) said.
#[derive(Debug, Default)]
pub struct Announced(Mutex<HashSet<UserId>>);

impl Announced {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<UserId>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True while friends have been told `user` is online.
    pub fn contains(&self, user: UserId) -> bool {
        self.lock().contains(&user)
    }

    /// Records that friends were told `user` is online; true if that is news.
    pub fn insert(&self, user: UserId) -> bool {
        self.lock().insert(user)
    }

    /// Records that friends were told `user` is offline; true if they had been told online.
    pub fn remove(&self, user: UserId) -> bool {
        self.lock().remove(&user)
    }

    /// Replaces the whole set (what the cluster says after reconnecting to Redis) and
    /// returns who left it and who joined it.
    pub fn replace(&self, users: impl IntoIterator<Item = UserId>) -> (Vec<UserId>, Vec<UserId>) {
        let fresh: HashSet<UserId> = users.into_iter().collect();
        let old = std::mem::replace(&mut *self.lock(), fresh.clone());
        (
            old.difference(&fresh).copied().collect(),
            fresh.difference(&old).copied().collect(),
        )
    }
}
