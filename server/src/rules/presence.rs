//! Presence rules: friends see a user come online with their first connection and go
//! offline a grace period after their last one closed, so a page reload (close, then open
//! within a second) shows no flicker.
//!
//! One task handles every event in the order the hub decided them, and judges each against
//! the registry as it is when handled: "online" is announced only for a user who is
//! connected and not yet announced, "offline" only for one announced and still without a
//! connection once the grace period is over. So two sockets closing together announce one
//! "offline", and a late "offline" can never follow a newer "online".
//!
//! With several nodes "connected" means on any living node: the same two decisions are
//! taken atomically by the cluster ([`Cluster::mark_online`](crate::delivery::cluster::Cluster::mark_online)), so of the nodes a user is on,
//! one announces. A single node, or one whose Redis is unreachable, decides from its own
//! connections.

use crate::delivery::presence::{Event, Receiver, Sender};
use crate::delivery::Delivery;
use crate::store::Store;
use app::ids::UserId;
use app::protocol::frame::{Cmd, Frame};
use std::time::Duration;

/// What the presence service works with.
pub struct Presence {
    /// Connections here, the cluster's decisions, and where cmd 13 goes.
    pub delivery: Delivery,
    /// Friends lists.
    pub store: Store,
    /// How long after the last connection closed "offline" is decided.
    pub grace: Duration,
}

/// Runs the presence service until the hub's event channel closes.
pub async fn run(mut events: Receiver, again: Sender, p: Presence) {
    while let Some(event) = events.recv().await {
        let status = match event {
            Event::Connected(user) => {
                let news = p.delivery.hub().is_online(user) && p.online(user).await;
                news.then_some((user, "online"))
            }
            Event::Disconnected(user) => {
                let again = again.clone();
                let grace = p.grace;
                tokio::spawn(async move {
                    tokio::time::sleep(grace).await;
                    again.send(Event::Settle(user));
                });
                None
            }
            Event::Settle(user) => {
                let gone = !p.delivery.hub().is_online(user) && p.offline(user).await;
                if gone {
                    if let Err(e) = p.store.set_last_seen(user, crate::clock::now_ms()).await {
                        tracing::warn!(error = %e, user = %user, "presence: cannot note last seen");
                    }
                }
                gone.then_some((user, "offline"))
            }
            Event::Told(user, online) => Some((user, if online { "online" } else { "offline" })),
            Event::Corrected(user, online) => {
                let status = if online { "online" } else { "offline" };
                tell_friends(&p.delivery, &p.store, user, status, Reach::HereOnly).await;
                None
            }
        };
        if let Some((user, status)) = status {
            tell_friends(&p.delivery, &p.store, user, status, Reach::Everywhere).await;
        }
    }
}

impl Presence {
    /// Marks `user` online; true when friends must be told.
    async fn online(&self, user: UserId) -> bool {
        let announced = self.delivery.announced();
        match self.delivery.cluster().mark_online(user).await {
            Ok(news) => {
                announced.insert(user);
                return news;
            }
            Err(e) => tracing::debug!(error = %e, "presence: deciding on this node alone"),
        }
        announced.insert(user)
    }

    /// Marks `user` offline if no connection is left; true when friends must be told.
    async fn offline(&self, user: UserId) -> bool {
        let announced = self.delivery.announced();
        match self.delivery.cluster().mark_offline(user).await {
            Ok(gone) => {
                if gone {
                    announced.remove(user);
                }
                return gone;
            }
            Err(e) => tracing::debug!(error = %e, "presence: deciding on this node alone"),
        }
        announced.remove(user)
    }
}

/// Which friends' connections a presence change goes to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// On every node.
    Everywhere,
    /// On this node only (what it saw while it could not hear the others).
    HereOnly,
}

/// Sends cmd 13 `{userid, content: status}` to every connection of `user`'s friends.
async fn tell_friends(
    delivery: &Delivery,
    store: &Store,
    user: UserId,
    status: &str,
    reach: Reach,
) {
    match store.friend_ids(user).await {
        Ok(friends) => {
            // "Offline" says since when, to friends, if the user lets them see it.
            let seen = if status == "offline" {
                store
                    .last_seen(&[user])
                    .await
                    .ok()
                    .and_then(|m| m.get(&user).copied())
                    .unwrap_or(0)
            } else {
                0
            };
            let frame = Frame {
                cmd: Cmd::Presence.code(),
                userid: user.0,
                content: status.to_owned(),
                ts: seen,
                ..Frame::default()
            };
            match reach {
                Reach::Everywhere => delivery.publish(&friends, &frame, None),
                Reach::HereOnly => delivery.publish_here(&friends, &frame),
            }
        }
        Err(e) => tracing::warn!(error = %e, user = %user, "presence: cannot list friends"),
    }
}
