//! Presence rules: friends see a user come online with their first connection and go
//! offline a grace period after their last one closed, so a page reload (close, then open
//! within a second) shows no flicker.
//!
//! One task handles every event in the order the hub decided them, and judges each against
//! the registry as it is when handled: "online" is announced only for a user who is
//! connected and not yet announced, "offline" only for one announced and still without a
//! connection once the grace period is over. So two sockets closing together announce one
//! "offline", and a late "offline" can never follow a newer "online".

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
}

/// Runs the presence service until the hub's event channel closes.
pub async fn run(
    mut events: Receiver,
    again: Sender,
    hub: Arc<Hub>,
    store: Store,
    grace: Duration,
    announced: Arc<Announced>,
) {
    while let Some(event) = events.recv().await {
        let status = match event {
            Event::Connected(user) => {
                let news = hub.is_online(user) && announced.lock().insert(user);
                news.then_some((user, "online"))
            }
            Event::Disconnected(user) => {
                let again = again.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(grace).await;
                    again.send(Event::Settle(user));
                });
                None
            }
            Event::Settle(user) => {
                let gone = !hub.is_online(user) && announced.lock().remove(&user);
                gone.then_some((user, "offline"))
            }
        };
        if let Some((user, status)) = status {
            tell_friends(&hub, &store, user, status).await;
        }
    }
}

/// Sends cmd 13 `{userid, content: status}` to every connection of `user`'s friends.
async fn tell_friends(hub: &Hub, store: &Store, user: UserId, status: &str) {
    match store.friend_ids(user).await {
        Ok(friends) => {
            let frame = Frame {
                cmd: Cmd::Presence.code(),
                userid: user.0,
                content: status.to_owned(),
                ..Frame::default()
            };
            hub.deliver(&friends, &frame, None);
        }
        Err(e) => tracing::warn!(error = %e, user = %user, "presence: cannot list friends"),
    }
}
