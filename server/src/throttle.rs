//! Login throttling: counts failed logins per account and per client address inside a
//! window, and refuses further attempts on a key that reached its limit until the window
//! since its first failure has passed.
//!
//! Node-local on purpose: it bounds guessing speed per process, which is what it is for; a
//! cluster multiplies the budget by its node count, noted in the README.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most keys remembered before expired ones are swept (bounds memory under a spray).
const SWEEP_AT: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
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
    per_account: u32,
    per_addr: u32,
    window: Duration,
    // A plain mutex: every critical section is a map lookup, never held across an await.
    failures: Mutex<HashMap<Key, Failures>>,
}

impl LoginThrottle {
    /// A throttle allowing `per_account` and `per_addr` failures per `window`.
    pub fn new(per_account: u32, per_addr: u32, window: Duration) -> LoginThrottle {
        LoginThrottle {
            per_account,
            per_addr,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, addr: Option<IpAddr>) -> impl Iterator<Item = Key> {
        std::iter::once(Key::Account(account.to_owned())).chain(addr.map(Key::Addr))
    }

    fn limit(&self, key: &Key) -> u32 {
        match key {
            Key::Account(_) => self.per_account,
            Key::Addr(_) => self.per_addr,
        }
    }

    /// `Err(wait)` when the account or the address must wait before trying again.
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

    /// Forgets the account's failures after a successful login (the address keeps its
    /// count: one success must not launder a spray across many accounts).
    pub fn record_success(&self, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&Key::Account(account.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_limit_per_account_and_per_addr() {
        let t = LoginThrottle::new(3, 5, Duration::from_secs(60));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(t.check("bob", Some(ip)).is_ok());
            t.record_failure("bob", Some(ip));
        }
        let wait = t.check("bob", Some(ip)).unwrap_err();
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(50));
        // Another account from the same address still has attempts left...
        assert!(t.check("carol", Some(ip)).is_ok());
        t.record_failure("carol", Some(ip));
        t.record_failure("carol", Some(ip));
        // ...until the address itself reaches its limit (5 failures in all).
        assert!(t.check("dave", Some(ip)).is_err());
        assert!(t.check("dave", Some("10.0.0.2".parse().unwrap())).is_ok());
    }

    #[test]
    fn success_clears_the_account_and_window_expires() {
        let t = LoginThrottle::new(2, 100, Duration::from_millis(50));
        t.record_failure("bob", None);
        t.record_success("bob");
        t.record_failure("bob", None);
        assert!(t.check("bob", None).is_ok());
        t.record_failure("bob", None);
        assert!(t.check("bob", None).is_err());
        std::thread::sleep(Duration::from_millis(60));
        assert!(t.check("bob", None).is_ok());
    }
}
