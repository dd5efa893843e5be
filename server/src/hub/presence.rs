//! The hub's presence events: a user's first connection on this node and their last one
//! closing. The hub only reports them, in the order they happened (decided under the
//! registry lock); [`crate::rules::presence`] decides what friends are told.

use app::ids::UserId;
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
