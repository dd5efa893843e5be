//! Delivery: getting what the rules decided to the connections of the users concerned, on
//! this node and on every other, and knowing who is connected.
//!
//! - [`outlet`]: one connection as delivery sees it (queue, close switch and reason, the
//!   [`Encoder`](outlet::Encoder) that writes deliveries in its dialect's shape).
//! - [`registry`]: who is connected here, within the socket caps; pure and synchronous.
//! - [`hub`]: this node's fan-out (encode once per kind, `try_send` to bounded queues, cut
//!   slow consumers), the registration guard, shutdown, counters.
//! - [`presence`]: the events of who comes and goes, and who friends were told is online.
//! - [`cluster`]: one trait for what differs between one node and many, with the single
//!   node's implementation; [`redis`] is the one for several nodes.
//!
//! [`Delivery`] is the handle the rules use. Delivery knows ids, frames and connections; it
//! never names the store, the rules or the routes (its callers).

pub mod cluster;
pub mod hub;
pub mod outlet;
pub mod presence;
pub mod redis;
pub mod registry;

use app::ids::UserId;
use app::protocol::frame::Frame;
use axum::extract::ws::Message;
use cluster::Cluster;
use hub::{Hub, Registration};
use outlet::{ConnId, Encoder};
use presence::Announced;
use registry::Refusal;
use std::net::IpAddr;
use std::sync::Arc;

/// The handle the rules deliver through; cheap to clone.
#[derive(Clone)]
pub struct Delivery {
    hub: Arc<Hub>,
    cluster: Arc<dyn Cluster>,
    announced: Arc<Announced>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("connections", &self.hub.connections())
            .field("shared", &self.cluster.status().is_some())
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// Delivery over this node's `hub` and the `cluster` it belongs to (a
    /// [`cluster::SingleNode`] when alone); `announced` is who friends were told is online.
    pub fn new(hub: Arc<Hub>, cluster: Arc<dyn Cluster>, announced: Arc<Announced>) -> Delivery {
        Delivery {
            hub,
            cluster,
            announced,
        }
    }

    /// Delivers `frame` to every connection of `users`, here and on every other node, except
    /// the originating connection `skip`. Encoded once for all of them; never waits.
    pub fn publish(&self, users: &[UserId], frame: &Frame, skip: Option<ConnId>) {
        let Some(json) = outlet::encode_json(frame) else {
            return;
        };
        self.hub.deliver_encoded(users, &json, Some(frame), skip);
        self.cluster.publish(users, &json);
    }

    /// Delivers `frame` to the connections of `users` on this node only.
    pub fn publish_here(&self, users: &[UserId], frame: &Frame) {
        self.hub.deliver(users, frame, None);
    }

    /// Closes every socket opened with the login session `token_hash`, on every node.
    pub fn close_session(&self, token_hash: &str) {
        self.hub.close_session(token_hash);
        self.cluster.close_session(token_hash);
    }

    /// Connected here, or told online to friends (connected elsewhere, or within the grace
    /// period after the last socket closed): what lists and conversations show.
    pub fn is_online(&self, user: UserId) -> bool {
        self.hub.is_online(user) || self.announced.contains(user)
    }

    /// Admits a socket of `user` from `addr` (login session `token_hash`) within the caps of
    /// the cluster and of this node, sent deliveries through `encoder`.
    pub async fn connect(
        &self,
        user: UserId,
        addr: Option<IpAddr>,
        token_hash: &str,
        encoder: Arc<dyn Encoder>,
    ) -> Result<(Registration, flume::Receiver<Message>), Refusal> {
        self.cluster.admit(user, addr).await?;
        self.hub.connect(user, addr, token_hash, encoder)
    }

    /// This node's connections.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// What is shared with the other nodes (throttle counts, presence decisions, health).
    pub fn cluster(&self) -> &dyn Cluster {
        &*self.cluster
    }

    /// Who friends were told is online.
    pub fn announced(&self) -> &Announced {
        &self.announced
    }
}
