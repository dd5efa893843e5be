//! Throttles. Login throttling counts failed logins inside a window per (account, client
//! address), per client address, per account from unknown devices, and per known device.
//!
//! - A device that logged in to the account before (its device cookie, OWASP's "device
//!   cookies") is never slowed, so a stranger can never lock the owner out of a known
//!   device; its own failures are counted, and past `per_account_addr` it counts as
//!   unknown again (a stolen cookie does not buy unlimited guesses).
//! - Unknown devices share a per-account ceiling (`per_account`): past it, they are refused
//!   for that account before their password is checked. This bounds a guesser with many
//!   addresses, which the per-address counts alone do not.
//! - The per-address counts never refuse a correct password (many people may share an
//!   address behind NAT): past them, the password is still checked, a right one logs in,
//!   and a wrong one is answered late and with 429 instead of 401.
//!
//! With several nodes the counts and known devices are also kept in Redis, so the budget is
//! the cluster's, not each node's; while Redis is unreachable each node still enforces its
//! own counts.
//!
//! [`RateLimit`] is the plain kind: a budget of events per key and window (uploads per user
//! per minute), with the wait until the window ends when it is spent; [`RegisterThrottle`]
//! is a cluster-wide pair of them for account creation.

use crate::delivery::cluster::Cluster;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most keys remembered before expired ones are swept (bounds memory under a spray).
const SWEEP_AT: usize = 10_000;

/// How long a device cookie is honoured after the login that set it (each login on the
/// device renews it).
pub const DEVICE_TTL: Duration = Duration::from_secs(180 * 24 * 3600);

/// Most device cookies this process remembers by itself (beyond it, only Redis does).
const DEVICES_CAP: usize = 100_000;

/// Who is asking, as the throttles see it: the client address (the peer, or the one a
/// trusted proxy forwarded) and the device cookie it presented. Login leaves the device
/// token to set on the answer in it, where the routes' client layer picks it up.
#[derive(Clone, Default)]
pub struct Client {
    /// The client's address, if known.
    pub addr: Option<IpAddr>,
    /// The device cookie the request carried (the raw token).
    pub device: Option<String>,
    /// What the client says it is, in a few words ("Chrome on Linux"); empty when unknown.
    pub agent: String,
    issued: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for Client {
    // The device token is a credential of sorts: never in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("addr", &self.addr)
            .field("device", &self.device.as_ref().map(|_| "***"))
            .field("agent", &self.agent)
            .finish_non_exhaustive()
    }
}

impl From<Option<IpAddr>> for Client {
    fn from(addr: Option<IpAddr>) -> Client {
        Client::new(addr, None)
    }
}

impl Client {
    /// A client at `addr` presenting the device cookie `device`.
    pub fn new(addr: Option<IpAddr>, device: Option<String>) -> Client {
        Client {
            addr,
            device,
            agent: String::new(),
            issued: Arc::default(),
        }
    }

    /// The same client, described as `agent` (see [`Client::agent`]).
    pub fn with_agent(mut self, agent: String) -> Client {
        self.agent = agent;
        self
    }

    /// Asks for `token` to be set as this client's device cookie on the answer.
    pub fn issue_device(&self, token: String) {
        *self.issued.lock().unwrap_or_else(|p| p.into_inner()) = Some(token);
    }

    /// The device token to set on the answer, if a login issued one.
    pub fn take_issued_device(&self) -> Option<String> {
        self.issued.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

tokio::task_local! {
    /// The client of the request this task serves, set by the routes' client layer, so
    /// every way into registration (REST, forms, server functions, the seed dialect) is
    /// counted against its address without each route passing it along.
    static CURRENT: Client;
}

/// Runs `work` (a request's handling) with `client` as [`current_client`].
pub async fn with_client<F: std::future::Future>(client: Client, work: F) -> F::Output {
    CURRENT.scope(client, work).await
}

/// The client of the request being served (an unknown one outside a request).
pub fn current_client() -> Client {
    CURRENT.try_with(Client::clone).unwrap_or_default()
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// Failures for one account from one address (or from an unknown address).
    AccountFrom(String, Option<IpAddr>),
    /// Failures from one address, whatever the account.
    Addr(IpAddr),
    /// Failures for one account from unknown devices, whatever the address.
    Account(String),
    /// Failures on one known device (its cookie's hash).
    Device(String),
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    since: Instant,
}

/// What the throttle says about a login attempt before its password is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A device the account logged in on: never slowed.
    Known,
    /// An unknown device within every budget.
    Allowed,
    /// An unknown device past a per-address budget: a wrong password is answered late with
    /// 429 and this wait; a right one still logs in.
    Slowed(Duration),
}

/// The failed-login counters and known devices of this process.
#[derive(Debug)]
pub struct LoginThrottle {
    per_account_addr: u32,
    per_addr: u32,
    per_account: u32,
    window: Duration,
    // Plain mutexes: every critical section is a map lookup, never held across an await.
    failures: Mutex<HashMap<Key, Failures>>,
    /// Device cookie hash -> (account, until when it is honoured).
    devices: Mutex<HashMap<String, (String, Instant)>>,
}

impl LoginThrottle {
    /// A throttle allowing, per `window`, `per_account_addr` failures per account and
    /// address (and per known device), `per_addr` per address, and `per_account` per
    /// account from unknown devices.
    pub fn new(
        per_account_addr: u32,
        per_addr: u32,
        per_account: u32,
        window: Duration,
    ) -> LoginThrottle {
        LoginThrottle {
            per_account_addr,
            per_addr,
            per_account,
            window,
            failures: Mutex::new(HashMap::new()),
            devices: Mutex::new(HashMap::new()),
        }
    }

    fn limit(&self, key: &Key) -> u32 {
        match key {
            Key::AccountFrom(..) | Key::Device(_) => self.per_account_addr,
            Key::Addr(_) => self.per_addr,
            Key::Account(_) => self.per_account,
        }
    }

    /// The Redis name of a key.
    fn shared_name(key: &Key) -> String {
        match key {
            Key::AccountFrom(a, from) => format!(
                "l:{a}|{}",
                from.map_or_else(|| "-".to_owned(), |x| x.to_string())
            ),
            Key::Addr(a) => format!("la:{a}"),
            Key::Account(a) => format!("lu:{a}"),
            Key::Device(d) => format!("ld:{d}"),
        }
    }

    /// The per-address keys of an attempt from an unknown device.
    fn addr_keys(account: &str, addr: Option<IpAddr>) -> Vec<Key> {
        std::iter::once(Key::AccountFrom(account.to_owned(), addr))
            .chain(addr.map(Key::Addr))
            .collect()
    }

    /// The longest wait among `keys` that reached their limit, here or in the cluster.
    async fn over(&self, cluster: &dyn Cluster, keys: &[Key]) -> Option<Duration> {
        let local = self.over_local(keys);
        let names: Vec<String> = keys.iter().map(Self::shared_name).collect();
        let shared = match cluster.failures(&names).await {
            Ok(counts) => keys
                .iter()
                .zip(counts)
                .filter(|(k, (count, left))| *count >= self.limit(k) && !left.is_zero())
                .map(|(_, (_, left))| left)
                .max(),
            Err(_) => None,
        };
        local.max(shared)
    }

    fn over_local(&self, keys: &[Key]) -> Option<Duration> {
        let now = Instant::now();
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        keys.iter()
            .filter_map(|k| {
                let f = map.get(k)?;
                let elapsed = now.saturating_duration_since(f.since);
                (f.count >= self.limit(k) && elapsed < self.window).then(|| self.window - elapsed)
            })
            .max()
    }

    /// Counts a failure against each of `keys`, here and in the cluster.
    async fn count(&self, cluster: &dyn Cluster, keys: &[Key]) {
        self.count_local(keys);
        let names: Vec<String> = keys.iter().map(Self::shared_name).collect();
        if let Err(e) = cluster.record_failure(&names, self.window).await {
            tracing::debug!(error = %e, "throttle: failure counted on this node only");
        }
    }

    fn count_local(&self, keys: &[Key]) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            map.retain(|_, f| now.saturating_duration_since(f.since) < self.window);
        }
        for key in keys {
            let f = map.entry(key.clone()).or_insert(Failures {
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

    /// Forgets `key`'s failures, here and in the cluster.
    async fn forget(&self, cluster: &dyn Cluster, key: &Key) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
        if let Err(e) = cluster.forget(&Self::shared_name(key)).await {
            tracing::debug!(error = %e, "throttle: success recorded on this node only");
        }
    }

    /// True when `device` (a cookie's hash) was set at a login to `account` and has not
    /// failed too often since.
    async fn known(&self, cluster: &dyn Cluster, account: &str, device: &str) -> bool {
        let here = {
            let now = Instant::now();
            let devices = self.devices.lock().unwrap_or_else(|p| p.into_inner());
            devices
                .get(device)
                .is_some_and(|(a, until)| a == account && *until > now)
        };
        let known = here
            || cluster
                .device_account(device)
                .await
                .is_ok_and(|a| a.as_deref() == Some(account));
        known
            && self
                .over(cluster, &[Key::Device(device.to_owned())])
                .await
                .is_none()
    }

    /// Judges a login attempt for `account` from `addr` with the device cookie hash
    /// `device`, before its password is checked; `Err(wait)`: refuse it now (an unknown
    /// device past the account's ceiling).
    pub async fn before(
        &self,
        cluster: &dyn Cluster,
        account: &str,
        addr: Option<IpAddr>,
        device: Option<&str>,
    ) -> Result<Verdict, Duration> {
        if let Some(device) = device {
            if self.known(cluster, account, device).await {
                return Ok(Verdict::Known);
            }
        }
        if let Some(wait) = self
            .over(cluster, &[Key::Account(account.to_owned())])
            .await
        {
            return Err(wait);
        }
        Ok(
            match self.over(cluster, &Self::addr_keys(account, addr)).await {
                Some(wait) => Verdict::Slowed(wait),
                None => Verdict::Allowed,
            },
        )
    }

    /// Counts a wrong password: on the device if it is a known one, else against the
    /// account and address, the address, and the account's unknown devices.
    pub async fn failed(
        &self,
        cluster: &dyn Cluster,
        account: &str,
        addr: Option<IpAddr>,
        device: Option<&str>,
        verdict: Verdict,
    ) {
        let keys = match (verdict, device) {
            (Verdict::Known, Some(d)) => vec![Key::Device(d.to_owned())],
            _ => {
                let mut keys = Self::addr_keys(account, addr);
                keys.push(Key::Account(account.to_owned()));
                keys
            }
        };
        self.count(cluster, &keys).await;
    }

    /// After a right password: forgets this address's (or device's) failures for the
    /// account (the address keeps its own count, so one success does not launder a spray
    /// across many accounts), and remembers `new_device` (a cookie hash) as the account's
    /// for [`DEVICE_TTL`].
    pub async fn succeeded(
        &self,
        cluster: &dyn Cluster,
        account: &str,
        addr: Option<IpAddr>,
        new_device: &str,
    ) {
        self.forget(cluster, &Key::AccountFrom(account.to_owned(), addr))
            .await;
        self.forget(cluster, &Key::Device(new_device.to_owned()))
            .await;
        {
            let now = Instant::now();
            let mut devices = self.devices.lock().unwrap_or_else(|p| p.into_inner());
            if devices.len() >= DEVICES_CAP {
                devices.retain(|_, (_, until)| *until > now);
            }
            if let Some(until) = now.checked_add(DEVICE_TTL) {
                if devices.len() < DEVICES_CAP {
                    devices.insert(new_device.to_owned(), (account.to_owned(), until));
                }
            }
        }
        if let Err(e) = cluster
            .remember_device(new_device, account, DEVICE_TTL)
            .await
        {
            tracing::debug!(error = %e, "throttle: device remembered on this node only");
        }
    }
}

/// Account creation budgets: per client address and in all, per hour, cluster-wide with
/// Redis (and per node while it is unreachable).
#[derive(Debug)]
pub struct RegisterThrottle {
    per_addr: u32,
    total: u32,
    window: Duration,
    // A plain mutex: every critical section is a map lookup, never held across an await.
    windows: Mutex<HashMap<Option<IpAddr>, Window>>,
}

impl RegisterThrottle {
    /// `per_addr` accounts per address and `total` in all per `window`.
    pub fn new(per_addr: u32, total: u32, window: Duration) -> RegisterThrottle {
        RegisterThrottle {
            per_addr,
            total,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one account creation from `addr`; `Err(wait)` (and nothing counted) when the
    /// address's or everyone's budget is spent.
    pub async fn hit(&self, cluster: &dyn Cluster, addr: Option<IpAddr>) -> Result<(), Duration> {
        // The key None is everyone's budget; an unknown address has only that one.
        let keys: Vec<(Option<IpAddr>, u32)> = std::iter::once((None, self.total))
            .chain(addr.map(|a| (Some(a), self.per_addr)))
            .collect();
        {
            let now = Instant::now();
            let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
            if map.len() >= SWEEP_AT {
                map.retain(|_, w| now.saturating_duration_since(w.since) < self.window);
            }
            let mut wait = None;
            for (key, limit) in &keys {
                if let Some(w) = map.get_mut(key) {
                    let elapsed = now.saturating_duration_since(w.since);
                    if elapsed >= self.window {
                        *w = Window {
                            count: 0,
                            since: now,
                        };
                    } else if w.count >= *limit {
                        wait = wait.max(Some(self.window - elapsed));
                    }
                }
            }
            if let Some(wait) = wait {
                return Err(wait);
            }
            for (key, _) in &keys {
                let w = map.entry(*key).or_insert(Window {
                    count: 0,
                    since: now,
                });
                w.count = w.count.saturating_add(1);
            }
        }
        let names: Vec<(String, u32)> = keys
            .iter()
            .map(|(k, limit)| {
                let name = k.map_or_else(|| "r:*".to_owned(), |a| format!("r:{a}"));
                (name, *limit)
            })
            .collect();
        match cluster.hit(&names, self.window).await {
            Ok(Some(wait)) => return Err(wait),
            Ok(None) => {}
            Err(e) => {
                tracing::debug!(error = %e, "throttle: registration counted on this node only")
            }
        }
        Ok(())
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
    use crate::delivery::cluster::SingleNode;

    #[tokio::test]
    async fn slows_the_guessing_address_and_refuses_unknown_devices_past_the_ceiling() {
        let t = LoginThrottle::new(3, 5, 6, Duration::from_secs(60));
        let stranger: IpAddr = "10.0.0.1".parse().unwrap();
        let owner: IpAddr = "10.0.0.9".parse().unwrap();
        for _ in 0..3 {
            let v = t
                .before(&SingleNode, "bob", Some(stranger), None)
                .await
                .unwrap();
            assert_eq!(v, Verdict::Allowed);
            t.failed(&SingleNode, "bob", Some(stranger), None, v).await;
        }
        let Ok(Verdict::Slowed(wait)) = t.before(&SingleNode, "bob", Some(stranger), None).await
        else {
            panic!("the guessing address is slowed");
        };
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(50));
        // The owner, from an address with no failures, is not slowed.
        assert_eq!(
            t.before(&SingleNode, "bob", Some(owner), None).await,
            Ok(Verdict::Allowed)
        );
        // Three more failures from other addresses reach bob's ceiling for unknown devices...
        for i in 2..5 {
            let addr: IpAddr = format!("10.0.1.{i}").parse().unwrap();
            t.failed(&SingleNode, "bob", Some(addr), None, Verdict::Allowed)
                .await;
        }
        assert!(t
            .before(&SingleNode, "bob", Some(owner), None)
            .await
            .is_err());
        // ...but a device bob logged in on is never slowed.
        t.succeeded(&SingleNode, "bob", Some(owner), "dev1").await;
        assert_eq!(
            t.before(&SingleNode, "bob", Some(stranger), Some("dev1"))
                .await,
            Ok(Verdict::Known)
        );
        // A device cookie of bob's is not one of carol's.
        assert!(
            t.before(&SingleNode, "carol", Some(owner), Some("dev1"))
                .await
                != Ok(Verdict::Known)
        );
    }

    #[tokio::test]
    async fn a_known_device_that_keeps_failing_is_unknown_again() {
        let t = LoginThrottle::new(2, 100, 100, Duration::from_secs(60));
        t.succeeded(&SingleNode, "bob", None, "dev").await;
        for _ in 0..2 {
            let v = t
                .before(&SingleNode, "bob", None, Some("dev"))
                .await
                .unwrap();
            assert_eq!(v, Verdict::Known);
            t.failed(&SingleNode, "bob", None, Some("dev"), v).await;
        }
        assert_eq!(
            t.before(&SingleNode, "bob", None, Some("dev")).await,
            Ok(Verdict::Allowed)
        );
    }

    #[tokio::test]
    async fn registrations_count_per_address_and_in_all() {
        let r = RegisterThrottle::new(2, 3, Duration::from_secs(3600));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(
            r.hit(&SingleNode, Some(a)).await.is_ok() && r.hit(&SingleNode, Some(a)).await.is_ok()
        );
        assert!(
            r.hit(&SingleNode, Some(a)).await.is_err(),
            "a's budget is spent"
        );
        assert!(
            r.hit(&SingleNode, Some(b)).await.is_ok(),
            "a's refusals used up no one's budget"
        );
        assert!(
            r.hit(&SingleNode, Some(b)).await.is_err(),
            "everyone's budget is spent"
        );
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
