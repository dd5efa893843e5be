//! Who is connected where: this node keeps its connection counts in Redis (the directory
//! deliveries are routed by, and the cluster-wide socket caps), decides presence with the
//! other nodes atomically, heartbeats, clears dead nodes and re-announces itself after
//! Redis came back.

use super::shared::{millis, ResyncRequest, Shared, PIPELINE};
use crate::delivery::cluster::SharedError;
use crate::delivery::hub::Census;
use crate::delivery::presence::Event;
use crate::delivery::registry::{Limits, Refusal};
use app::ids::UserId;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Checks the cluster-wide socket caps for one more connection of `user` from `addr`
/// (this node's own counts come from its registry, which then checks them again as it
/// admits). While Redis is down only this node's caps apply.
pub async fn admit(shared: &Shared, user: UserId, addr: Option<IpAddr>) -> Result<(), Refusal> {
    if !shared.is_up() {
        return Ok(());
    }
    let Limits {
        per_user, per_addr, ..
    } = shared.hub.limits();
    let (mine, from_addr) = shared.hub.counts(user, addr);
    let mut conn = shared.conn.clone();
    let verdict: Result<u8, _> = shared
        .scripts
        .admit
        .arg(&shared.prefix)
        .arg(&shared.node)
        .arg(user.0)
        .arg(addr.map(|a| a.to_string()).unwrap_or_default())
        .arg(mine)
        .arg(from_addr)
        .arg(per_user)
        .arg(per_addr)
        .invoke_async(&mut conn)
        .await;
    match verdict {
        Ok(1) => Err(Refusal::Cap("per user")),
        Ok(2) => Err(Refusal::Cap("per address")),
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, "cluster: cannot check socket caps; this node's apply");
            Ok(())
        }
    }
}

/// `user` has connections here: returns true when that made them online cluster-wide
/// (the caller tells the friends). `Err` when Redis cannot say.
pub async fn mark_online(shared: &Shared, user: UserId) -> Result<bool, SharedError> {
    shared.ready()?;
    let (here, _) = shared.hub.counts(user, None);
    let mut conn = shared.conn.clone();
    let news: u8 = shared
        .scripts
        .online
        .arg(&shared.prefix)
        .arg(&shared.node)
        .arg(user.0)
        .arg(here.max(1))
        .invoke_async(&mut conn)
        .await?;
    Ok(news == 1)
}

/// `user`'s grace period here is over without a connection: returns true when no
/// living node holds one, which made them offline (the caller tells the friends).
pub async fn mark_offline(shared: &Shared, user: UserId) -> Result<bool, SharedError> {
    shared.ready()?;
    let mut conn = shared.conn.clone();
    let gone: u8 = shared
        .scripts
        .offline
        .arg(&shared.prefix)
        .arg(&shared.node)
        .arg(user.0)
        .arg(millis(shared.node_ttl))
        .invoke_async(&mut conn)
        .await?;
    Ok(gone == 1)
}

/// Writes this node's registry to Redis as it is now (see scripts::RESYNC) and tells
/// the friends of users this made online. `census` is drained under the hub's lock, so
/// every count reported after the snapshot is newer than it.
async fn resync(
    shared: &Shared,
    census: &mut mpsc::UnboundedReceiver<Census>,
) -> Result<(), SharedError> {
    let (users, addrs) = shared
        .hub
        .census_then(|| while census.try_recv().is_ok() {});
    let mut conn = shared.conn.clone();
    let mut call = shared.scripts.resync.prepare_invoke();
    call.arg(&shared.prefix).arg(&shared.node).arg(users.len());
    for (u, n) in &users {
        call.arg(u.0).arg(*n);
    }
    for (a, n) in &addrs {
        call.arg(a.to_string()).arg(*n);
    }
    let (news, online): (Vec<i64>, Vec<i64>) = call.invoke_async(&mut conn).await?;
    let here: Vec<UserId> = users.iter().map(|(u, _)| *u).collect();
    let (left, joined) = shared
        .announced
        .replace(online.into_iter().map(UserId).chain(here));
    let news: HashSet<UserId> = news.into_iter().map(UserId).collect();
    for u in &news {
        shared.presence.send(Event::Told(*u, true));
    }
    // What changed while this node could not hear the others: its own friends may have
    // missed it (a user who became online here is told by `news` to everyone). Another
    // node's users may be re-announced after this, which corrects an early "offline".
    for u in left {
        shared.presence.send(Event::Corrected(u, false));
    }
    for u in joined.into_iter().filter(|u| !news.contains(u)) {
        shared.presence.send(Event::Corrected(u, true));
    }
    Ok(())
}

/// Keeps this node's connection counts in Redis: each report is the count after a change,
/// so only the last per user or address in a batch is written. Also runs the resync the
/// subscriber asks for, in the same task, so a snapshot and the reports around it are
/// written in order.
pub async fn census_loop(
    shared: Arc<Shared>,
    mut census: mpsc::UnboundedReceiver<Census>,
    mut resyncs: mpsc::Receiver<ResyncRequest>,
) {
    let mut batch = Vec::with_capacity(PIPELINE);
    let mut conn = shared.conn.clone();
    loop {
        tokio::select! {
            Some(done) = resyncs.recv() => {
                let _ = done.send(resync(&shared, &mut census).await);
                continue;
            }
            got = census.recv_many(&mut batch, PIPELINE) => if got == 0 { return },
        }
        if !shared.up.load(Ordering::Acquire) {
            // The resync after reconnecting writes the whole registry.
            batch.clear();
            continue;
        }
        let mut users = HashMap::new();
        let mut addrs = HashMap::new();
        for c in batch.drain(..) {
            users.insert(c.user, c.user_conns);
            if let Some((a, n)) = c.addr {
                addrs.insert(a, n);
            }
        }
        let mut pipe = redis::pipe();
        let (uset, aset) = (
            format!("{}n:{}:u", shared.prefix, shared.node),
            format!("{}n:{}:a", shared.prefix, shared.node),
        );
        for (u, n) in users {
            let key = format!("{}u:{}", shared.prefix, u.0);
            if n > 0 {
                pipe.hset(&key, &shared.node, n).ignore();
                pipe.sadd(&uset, u.0).ignore();
            } else {
                pipe.hdel(&key, &shared.node).ignore();
                pipe.srem(&uset, u.0).ignore();
            }
        }
        for (a, n) in addrs {
            let key = format!("{}a:{a}", shared.prefix);
            if n > 0 {
                pipe.hset(&key, &shared.node, n).ignore();
                pipe.sadd(&aset, a.to_string()).ignore();
            } else {
                pipe.hdel(&key, &shared.node).ignore();
                pipe.srem(&aset, a.to_string()).ignore();
            }
        }
        if let Err(e) = pipe.query_async::<()>(&mut conn).await {
            tracing::warn!(error = %e, "cluster: cannot record connection counts");
        }
    }
}

/// Heartbeats this node and clears dead ones, telling friends of their users.
pub async fn beat_loop(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(shared.node_ttl / 4);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut conn = shared.conn.clone();
    loop {
        tick.tick().await;
        if !shared.up.load(Ordering::Acquire) {
            continue;
        }
        let beat: Result<(u8, Vec<i64>), _> = shared
            .scripts
            .beat
            .arg(&shared.prefix)
            .arg(&shared.node)
            .arg(millis(shared.node_ttl))
            .invoke_async(&mut conn)
            .await;
        match beat {
            Ok((added, gone)) => {
                for u in gone {
                    shared.announced.remove(UserId(u));
                    shared.presence.send(Event::Told(UserId(u), false));
                }
                if added == 1 {
                    tracing::warn!(
                        "cluster: this node had been dropped as dead; announcing it again"
                    );
                    let (done, answer) = oneshot::channel();
                    if shared.resync.send(done).await.is_ok() {
                        if let Ok(Err(e)) = answer.await {
                            tracing::warn!(error = %e, "cluster: resync failed");
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cluster: heartbeat failed"),
        }
    }
}
