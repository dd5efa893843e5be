//! The link itself: the publisher (deliveries for other nodes and notices, pipelined), and
//! the subscriber to this node's channel and the notices channel, which resubscribes with
//! backoff and re-announces the node whenever the link was lost.

use super::notices::{parse_users, Notice};
use super::shared::{Out, Shared, MAX_BACKOFF, PIPELINE};
use crate::delivery::cluster::{CacheNote, SharedError};
use axum::extract::ws::Utf8Bytes;
use futures_util::StreamExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Sends queued deliveries and notices in order, as many per round trip as are waiting.
pub async fn publish_loop(shared: Arc<Shared>, mut rx: mpsc::Receiver<Out>) {
    let mut batch = Vec::with_capacity(PIPELINE);
    let mut conn = shared.conn.clone();
    let deliver_hash = shared.scripts.deliver.get_hash().to_owned();
    while rx.recv_many(&mut batch, PIPELINE).await > 0 {
        let n = batch.len() as u64;
        let mut pipe = redis::pipe();
        for out in &batch {
            match out {
                Out::Deliver { users, payload } => {
                    pipe.cmd("EVALSHA")
                        .arg(&deliver_hash)
                        .arg(0)
                        .arg(&shared.prefix)
                        .arg(&shared.node)
                        .arg(payload.as_str())
                        .arg(users)
                        .ignore();
                }
                Out::Broadcast(notice) => {
                    pipe.cmd("PUBLISH")
                        .arg(&shared.all)
                        .arg(notice.encode())
                        .ignore();
                }
            }
        }
        let mut result: Result<(), redis::RedisError> = pipe.query_async(&mut conn).await;
        if matches!(&result, Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript))
        {
            // Redis restarted and forgot the script since this node loaded it (on
            // subscribing): load it and send the batch again. Its notices are sent twice
            // (acting on one twice changes nothing); should another node have loaded the
            // script midway, a delivery may arrive twice, which clients drop by its seq.
            result = match shared.scripts.deliver.load_async(&mut conn).await {
                Ok(_) => pipe.query_async(&mut conn).await,
                Err(e) => Err(e),
            };
        }
        match result {
            Ok(()) => {
                shared.counters.publishes.fetch_add(n, Ordering::Relaxed);
            }
            Err(e) => {
                shared
                    .counters
                    .publish_failures
                    .fetch_add(n, Ordering::Relaxed);
                tracing::warn!(error = %e, lost = n, "cluster: publish failed; recipients on other nodes resync");
            }
        }
        batch.clear();
    }
}

/// Acts on one message from Redis: a notice for every node, or a delivery for this one
/// (`<user ids>\n<frame JSON>`).
fn receive(shared: &Shared, channel: &str, payload: &str) {
    shared.counters.receipts.fetch_add(1, Ordering::Relaxed);
    if channel == shared.all {
        match Notice::parse(payload) {
            Some(Notice::Online(users)) => users.into_iter().for_each(|u| {
                shared.announced.insert(u);
            }),
            Some(Notice::Offline(users)) => users.into_iter().for_each(|u| {
                shared.announced.remove(u);
            }),
            Some(Notice::CloseSession(hash)) => shared.hub.close_session(&hash),
            Some(Notice::FriendsChanged(users)) => (shared.forget)(&CacheNote::Friends(users)),
            Some(Notice::MembersChanged(g)) => (shared.forget)(&CacheNote::Members(g)),
            None => tracing::debug!("cluster: unknown notice ignored"),
        }
        return;
    }
    let Some((ids, frame)) = payload.split_once('\n') else {
        tracing::warn!("cluster: malformed delivery ignored");
        return;
    };
    let Some(users) = parse_users(ids) else {
        tracing::warn!("cluster: malformed delivery ignored");
        return;
    };
    shared
        .hub
        .deliver_encoded(&users, &Utf8Bytes::from(frame), None, None);
}

/// Holds the subscription to this node's channel and the notices channel, resubscribing
/// (and re-announcing the node) with backoff whenever it is lost.
pub async fn listen_loop(shared: Arc<Shared>) {
    let mut backoff = Duration::from_millis(100);
    let mut connected_before = false;
    loop {
        match subscribe(&shared).await {
            Ok(mut pubsub) => {
                if connected_before {
                    shared.counters.reconnects.fetch_add(1, Ordering::Relaxed);
                    tracing::info!("cluster: reconnected to Redis");
                } else {
                    tracing::info!("cluster: connected to Redis");
                }
                connected_before = true;
                backoff = Duration::from_millis(100);
                let mut stream = pubsub.on_message();
                while let Some(msg) = stream.next().await {
                    let payload: String = match msg.get_payload() {
                        Ok(p) => p,
                        Err(_) => continue,
                    };
                    receive(&shared, msg.get_channel_name(), &payload);
                }
                shared.up.store(false, Ordering::Release);
                tracing::warn!("cluster: lost Redis; this node works alone until it is back");
            }
            Err(e) => {
                tracing::warn!(error = %e, "cluster: cannot reach Redis; retrying");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Subscribes, then re-announces the node; marks it up only once both are done, so no
/// delivery is routed here before the subscription can receive it.
async fn subscribe(shared: &Arc<Shared>) -> Result<redis::aio::PubSub, SharedError> {
    let mut pubsub = shared.client.get_async_pubsub().await?;
    pubsub
        .subscribe(&[shared.channel(), shared.all.clone()])
        .await?;
    // Invalidations sent while we were away are lost: start the caches over.
    (shared.forget)(&CacheNote::Everything);
    // A restarted Redis has forgotten the scripts: load the pipelined one before any
    // delivery needs it (the others load themselves on their first call).
    let mut conn = shared.conn.clone();
    shared.scripts.deliver.load_async(&mut conn).await?;
    let (done, answer) = oneshot::channel();
    shared
        .resync
        .send(done)
        .await
        .map_err(|_| SharedError::Stopped)?;
    answer.await.map_err(|_| SharedError::Stopped)??;
    shared.up.store(true, Ordering::Release);
    Ok(pubsub)
}
