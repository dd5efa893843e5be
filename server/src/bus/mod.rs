//! Where delivery goes after a message is stored. The in-process [`LocalBus`] hands it to
//! this node's hub; a Redis implementation will also publish it to the other nodes, which
//! is why delivery names users (shared state lives in the database) and never connections
//! of another node.

use crate::hub::{ConnId, Hub};
use app::ids::UserId;
use app::protocol::frame::Frame;
use std::sync::Arc;

/// Fans a frame out to every connection of some users, wherever they are connected.
pub trait Bus: Send + Sync + 'static {
    /// Delivers `frame` to all connections of `users`, except the originating `skip`.
    fn publish(&self, users: &[UserId], frame: &Frame, skip: Option<ConnId>);
}

/// Single-node delivery: straight to the local hub.
#[derive(Clone, Debug)]
pub struct LocalBus {
    hub: Arc<Hub>,
}

impl LocalBus {
    /// A bus over this node's hub.
    pub fn new(hub: Arc<Hub>) -> LocalBus {
        LocalBus { hub }
    }
}

impl Bus for LocalBus {
    fn publish(&self, users: &[UserId], frame: &Frame, skip: Option<ConnId>) {
        self.hub.deliver(users, frame, skip);
    }
}
