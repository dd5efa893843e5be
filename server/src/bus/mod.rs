//! Where delivery goes after a message is stored. The in-process [`LocalBus`] hands it to
//! this node's hub; the Redis bus ([`redis::Cluster`], chosen by `REDIS_URL`) also
//! publishes it to the other nodes that hold recipients. Delivery names users (shared state
//! lives in the database), never another node's connections.

pub mod redis;
mod scripts;

use crate::hub::{ConnId, Hub};
use app::ids::UserId;
use app::protocol::frame::Frame;
use std::sync::Arc;

/// Fans a frame out to every connection of some users, wherever they are connected.
pub trait Bus: Send + Sync + 'static {
    /// Delivers `frame` to all connections of `users`, except the originating `skip`.
    fn publish(&self, users: &[UserId], frame: &Frame, skip: Option<ConnId>);

    /// Closes every socket opened with the login session `token_hash`, on every node.
    fn close_session(&self, token_hash: &str);
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

    fn close_session(&self, token_hash: &str) {
        self.hub.close_session(token_hash);
    }
}
