//! Throttles. Login throttling counts failed logins per (account, client address) and per client
//! address inside a window, and refuses further attempts on a key that reached its limit
//! until the window since its first failure has passed.
//!
//! There is deliberately no lock per account alone: that would let any stranger lock the
//! owner out with a few wrong passwords. A guesser is bounded by the per-address budget on
//! each address it controls (and argon2's cost); the owner, from an address with no
//! failures, always gets in with the right password.
//!
//! With several nodes the counts are also kept in Redis ([`LoginThrottle::check_shared`]
//! and friends), so the budget is the cluster's, not each node's; while Redis is
//! unreachable each node still enforces its own counts.
//!
//! [`RateLimit`] is the plain kind: a budget of events per key and window (uploads per user
//! per minute), with the wait until the window ends when it is spent.

use crate::bus::redis::Cluster;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most keys remembered before expired ones are swept (bounds memory under a spray).
const SWEEP_AT: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// Failures for one account from one address (or from an unknown address).
    AccountFrom(String, Option<IpAddr>),
    /// Failures from one address, whatever the account.
    Addr(IpAddr),
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    since: Instant,
}

/// The failed-login counters of this process.
#[derive(Debug)]
pub struct LoginThrottle {
    per_account_addr: u32,
    per_addr: u32,
    window: Duration,
    // A plain mutex: every critical section is a map lookup, never held across an await.
    failures: Mutex<HashMap<Key, Failures>>,
}

impl LoginThrottle {
    /// A throttle allowing `per_account_addr` failures per account and address, and
    /// `per_addr` per address, per `window`.
    pub fn new(per_account_addr: u32, per_addr: u32, window: Duration) -> LoginThrottle {
        LoginThrottle {
            per_account_addr,
            per_addr,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, addr: Option<IpAddr>) -> impl Iterator<Item = Key> {
        std::iter::once(Key::AccountFrom(account.to_owned(), addr)).chain(addr.map(Key::Addr))
    }

    fn limit(&self, key: &Key) -> u32 {
        match key {
            Key::AccountFrom(..) => self.per_account_addr,
            Key::Addr(_) => self.per_addr,
        }
    }

    /// The Redis names and limits of the keys of one attempt.
    fn shared_keys(&self, account: &str, addr: Option<IpAddr>) -> Vec<(String, u32)> {
        Self::keys(account, addr)
            .map(|k| {
                let name = match &k {
                    Key::AccountFrom(a, from) => format!(
                        "l:{a}|{}",
                        from.map_or_else(|| "-".to_owned(), |x| x.to_string())
                    ),
                    Key::Addr(a) => format!("la:{a}"),
                };
                (name, self.limit(&k))
            })
            .collect()
    }

    /// [`LoginThrottle::check`], then the same against the cluster's counts.
    pub async fn check_shared(
        &self,
        cluster: Option<&Cluster>,
        account: &str,
        addr: Option<IpAddr>,
    ) -> Result<(), Duration> {
        self.check(account, addr)?;
        let Some(cluster) = cluster else {
            return Ok(());
        };
        let keys = self.shared_keys(account, addr);
        let names: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
        let Ok(counts) = cluster.failures(&names).await else {
            return Ok(());
        };
        let wait = keys
            .iter()
            .zip(counts)
            .filter(|((_, limit), (count, left))| count >= limit && !left.is_zero())
            .map(|(_, (_, left))| left)
            .max();
        wait.map_or(Ok(()), Err)
    }

    /// [`LoginThrottle::record_failure`], here and in the cluster.
    pub async fn record_failure_shared(
        &self,
        cluster: Option<&Cluster>,
        account: &str,
        addr: Option<IpAddr>,
    ) {
        self.record_failure(account, addr);
        if let Some(cluster) = cluster {
            let names: Vec<String> = self
                .shared_keys(account, addr)
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            if let Err(e) = cluster.record_failure(&names, self.window).await {
                tracing::debug!(error = %e, "throttle: failure counted on this node only");
            }
        }
    }

    /// [`LoginThrottle::record_success`], here and in the cluster.
    pub async fn record_success_shared(
        &self,
        cluster: Option<&Cluster>,
        account: &str,
        addr: Option<IpAddr>,
    ) {
        self.record_success(account, addr);
        if let Some(cluster) = cluster {
            if let Some((name, _)) = self.shared_keys(account, addr).into_iter().next() {
                if let Err(e) = cluster.forget(&name).await {
                    tracing::debug!(error = %e, "throttle: success recorded on this node only");
                }
            }
        }
    }

    /// `Err(wait)` when this address must wait before trying this account (or any) again.
    pub fn check(&self, account: &str, addr: Option<IpAddr>) -> Result<(), Duration> {
        let now = Instant::now();
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let wait = Self::keys(account, addr)
            .filter_map(|k| {
                let f = map.get(&k)?;
                let elapsed = now.saturating_duration_since(f.since);
                (f.count >= self.limit(&k) && elapsed < self.window).then(|| self.window - elapsed)
            })
            .max();
        wait.map_or(Ok(()), Err)
    }

    /// Counts a failed attempt against the account and the address.
    pub fn record_failure(&self, account: &str, addr: Option<IpAddr>) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            map.retain(|_, f| now.saturating_duration_since(f.since) < self.window);
        }
        for key in Self::keys(account, addr) {
            let f = map.entry(key).or_insert(Failures {
                count: 0,
                since: now,
            });
            if now.saturating_duration_since(f.since) >= self.window {
                *f = Failures {
                    count: 0,
                    since: now,
                };
            }
            f.count = f.count.saturating_add(1);
        }
    }

    /// Forgets this address's failures for the account after a successful login (the
    /// address keeps its own count: one success must not launder a spray across many
    /// accounts).
    pub fn record_success(&self, account: &str, addr: Option<IpAddr>) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&Key::AccountFrom(account.to_owned(), addr));
    }
}

/// Events counted in a key's current window.
#[derive(Clone, Copy, Debug)]
struct Window {
    count: u32,
    since: Instant,
}

/// A budget of events per key and window (uploads per user per minute): the window starts
/// at a key's first event, and once the budget is spent further events wait for its end.
/// Node-local, like [`LoginThrottle`].
#[derive(Debug)]
pub struct RateLimit<K> {
    per_window: u32,
    window: Duration,
    // A plain mutex: every critical section is a map lookup, never held across an await.
    windows: Mutex<HashMap<K, Window>>,
}

impl<K: std::hash::Hash + Eq> RateLimit<K> {
    /// A limit of `per_window` events per key per `window`.
    pub fn new(per_window: u32, window: Duration) -> RateLimit<K> {
        RateLimit {
            per_window,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an event for `key`; `Err(wait)` (and not counted) when its budget is spent.
    pub fn hit(&self, key: K) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            map.retain(|_, w| now.saturating_duration_since(w.since) < self.window);
        }
        let w = map.entry(key).or_insert(Window {
            count: 0,
            since: now,
        });
        let elapsed = now.saturating_duration_since(w.since);
        if elapsed >= self.window {
            *w = Window {
                count: 0,
                since: now,
            };
        } else if w.count >= self.per_window {
            return Err(self.window - elapsed);
        }
        w.count = w.count.saturating_add(1);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_the_guessing_address_not_the_account() {
        let t = LoginThrottle::new(3, 5, Duration::from_secs(60));
        let stranger: IpAddr = "10.0.0.1".parse().unwrap();
        let owner: IpAddr = "10.0.0.9".parse().unwrap();
        for _ in 0..3 {
            assert!(t.check("bob", Some(stranger)).is_ok());
            t.record_failure("bob", Some(stranger));
        }
        let wait = t.check("bob", Some(stranger)).unwrap_err();
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(50));
        // The owner, from an address with no failures, is not locked out.
        assert!(t.check("bob", Some(owner)).is_ok());
        // Another account from the stranger's address still has attempts left...
        assert!(t.check("carol", Some(stranger)).is_ok());
        t.record_failure("carol", Some(stranger));
        t.record_failure("carol", Some(stranger));
        // ...until the address itself reaches its limit (5 failures in all).
        assert!(t.check("dave", Some(stranger)).is_err());
        assert!(t.check("dave", Some(owner)).is_ok());
    }

    #[test]
    fn success_clears_that_address_and_window_expires() {
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let t = LoginThrottle::new(2, 100, Duration::from_millis(50));
        t.record_failure("bob", Some(ip));
        t.record_success("bob", Some(ip));
        t.record_failure("bob", Some(ip));
        assert!(t.check("bob", Some(ip)).is_ok());
        t.record_failure("bob", Some(ip));
        assert!(t.check("bob", Some(ip)).is_err());
        std::thread::sleep(Duration::from_millis(60));
        assert!(t.check("bob", Some(ip)).is_ok());
    }

    #[test]
    fn a_rate_limit_counts_per_key_and_window() {
        let r = RateLimit::new(2, Duration::from_millis(50));
        assert!(r.hit(1).is_ok() && r.hit(1).is_ok());
        let wait = r.hit(1).unwrap_err();
        assert!(wait <= Duration::from_millis(50));
        assert!(r.hit(2).is_ok(), "another key has its own budget");
        std::thread::sleep(Duration::from_millis(60));
        assert!(r.hit(1).is_ok());
    }
}
