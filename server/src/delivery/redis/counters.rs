//! The throttles' shared counters (login failures, registrations, device cookies) in Redis,
//! so a limit is the cluster's, not each node's. Keys `<prefix>t:<key>` (see scripts).

use super::shared::{millis, Shared};
use crate::delivery::cluster::SharedError;
use std::time::Duration;

/// Failures recorded for each throttle key in its current window, with the time left
/// in that window (keys without failures answer 0).
pub async fn failures(
    shared: &Shared,
    keys: &[String],
) -> Result<Vec<(u32, Duration)>, SharedError> {
    shared.ready()?;
    let mut pipe = redis::pipe();
    for k in keys {
        pipe.cmd("GET").arg(key(shared, k));
        pipe.cmd("PTTL").arg(key(shared, k));
    }
    let mut conn = shared.conn.clone();
    let answers: Vec<Option<i64>> = pipe.query_async(&mut conn).await?;
    Ok(answers
        .chunks(2)
        .map(|pair| {
            let count = pair.first().copied().flatten().unwrap_or(0);
            let left = pair.get(1).copied().flatten().unwrap_or(0);
            (
                u32::try_from(count).unwrap_or(0),
                Duration::from_millis(u64::try_from(left).unwrap_or(0)),
            )
        })
        .collect())
}

/// Counts a failure against each throttle key (each key's window starts at its first
/// failure).
pub async fn record_failure(
    shared: &Shared,
    keys: &[String],
    window: Duration,
) -> Result<(), SharedError> {
    shared.ready()?;
    let mut conn = shared.conn.clone();
    for k in keys {
        let _: (i64, i64) = shared
            .scripts
            .fail
            .arg(key(shared, k))
            .arg(millis(window))
            .invoke_async(&mut conn)
            .await?;
    }
    Ok(())
}

/// Forgets a throttle key's failures.
pub async fn forget(shared: &Shared, name: &str) -> Result<(), SharedError> {
    shared.ready()?;
    let mut conn = shared.conn.clone();
    let _: i64 = redis::cmd("DEL")
        .arg(key(shared, name))
        .query_async(&mut conn)
        .await?;
    Ok(())
}

/// Counts one event against every budget of `keys` (name, limit) within `window`,
/// unless one is spent: then nothing is counted and the wait until it renews comes back.
pub async fn hit(
    shared: &Shared,
    keys: &[(String, u32)],
    window: Duration,
) -> Result<Option<Duration>, SharedError> {
    shared.ready()?;
    let mut conn = shared.conn.clone();
    let mut call = shared.scripts.hit.prepare_invoke();
    call.arg(millis(window));
    for (k, limit) in keys {
        call.arg(key(shared, k)).arg(*limit);
    }
    let wait: i64 = call.invoke_async(&mut conn).await?;
    Ok((wait > 0).then(|| Duration::from_millis(u64::try_from(wait).unwrap_or(0))))
}

/// Remembers a device cookie (its hash) as one `account` logged in on, for `ttl`.
pub async fn remember_device(
    shared: &Shared,
    device: &str,
    account: &str,
    ttl: Duration,
) -> Result<(), SharedError> {
    shared.ready()?;
    let mut conn = shared.conn.clone();
    let _: () = redis::cmd("SET")
        .arg(key(shared, &format!("d:{device}")))
        .arg(account)
        .arg("PX")
        .arg(millis(ttl))
        .query_async(&mut conn)
        .await?;
    Ok(())
}

/// The account a device cookie (its hash) was set for, if it is remembered.
pub async fn device_account(shared: &Shared, device: &str) -> Result<Option<String>, SharedError> {
    shared.ready()?;
    let mut conn = shared.conn.clone();
    Ok(redis::cmd("GET")
        .arg(key(shared, &format!("d:{device}")))
        .query_async(&mut conn)
        .await?)
}

fn key(shared: &Shared, key: &str) -> String {
    format!("{}t:{key}", shared.prefix)
}
