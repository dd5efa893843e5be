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
//! With several nodes ([`Cluster`]) "connected" means on any living node: the same two
//! decisions are taken atomically in Redis, so of the nodes a user is on, one announces.
//! While Redis is unreachable a node decides from its own connections, as a single node does.

use crate::bus::redis::Cluster;
use crate::bus::Bus;
use crate::hub::presence::{Event, Receiver, Sender};
use crate::hub::Hub;
use crate::store::Store;
use app::ids::UserId;
use app::protocol::frame::{Cmd, Frame};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Who friends have been told is online. Shared so friend lists agree with what cmd 13 said.
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

/// What the presence service works with.
pub struct Presence {
    /// This node's connections.
    pub hub: Arc<Hub>,
    /// Where cmd 13 goes (to friends on every node).
    pub bus: Arc<dyn Bus>,
    /// Friends lists.
    pub store: Store,
    /// How long after the last connection closed "offline" is decided.
    pub grace: Duration,
    /// Who friends were told is online.
    pub announced: Arc<Announced>,
    /// The other nodes, if any.
    pub cluster: Option<Cluster>,
}

/// Runs the presence service until the hub's event channel closes.
pub async fn run(mut events: Receiver, again: Sender, p: Presence) {
    while let Some(event) = events.recv().await {
        let status = match event {
            Event::Connected(user) => {
                let news = p.hub.is_online(user) && p.online(user).await;
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
                let gone = !p.hub.is_online(user) && p.offline(user).await;
                gone.then_some((user, "offline"))
            }
            Event::Told(user, online) => Some((user, if online { "online" } else { "offline" })),
            Event::Corrected(user, online) => {
                let here = crate::bus::LocalBus::new(p.hub.clone());
                let status = if online { "online" } else { "offline" };
                tell_friends(&here, &p.store, user, status).await;
                None
            }
        };
        if let Some((user, status)) = status {
            tell_friends(&*p.bus, &p.store, user, status).await;
        }
    }
}

impl Presence {
    /// Marks `user` online; true when friends must be told.
    async fn online(&self, user: UserId) -> bool {
        if let Some(cluster) = &self.cluster {
            match cluster.mark_online(user).await {
                Ok(news) => {
                    self.announced.insert(user);
                    return news;
                }
                Err(e) => tracing::debug!(error = %e, "presence: deciding on this node alone"),
            }
        }
        self.announced.insert(user)
    }

    /// Marks `user` offline if no connection is left; true when friends must be told.
    async fn offline(&self, user: UserId) -> bool {
        if let Some(cluster) = &self.cluster {
            match cluster.mark_offline(user).await {
                Ok(gone) => {
                    if gone {
                        self.announced.remove(user);
                    }
                    return gone;
                }
                Err(e) => tracing::debug!(error = %e, "presence: deciding on this node alone"),
            }
        }
        self.announced.remove(user)
    }
}

/// Sends cmd 13 `{userid, content: status}` to every connection of `user`'s friends.
async fn tell_friends(bus: &dyn Bus, store: &Store, user: UserId, status: &str) {
    match store.friend_ids(user).await {
        Ok(friends) => {
            let frame = Frame {
                cmd: Cmd::Presence.code(),
                userid: user.0,
                content: status.to_owned(),
                ..Frame::default()
            };
            bus.publish(&friends, &frame, None);
        }
        Err(e) => tracing::warn!(error = %e, user = %user, "presence: cannot list friends"),
    }
}
