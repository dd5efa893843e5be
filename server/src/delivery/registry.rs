//! Who is connected on this node: user -> their connections, and counts per client
//! address, within the socket caps. Pure and synchronous: it knows outlets and ids, nothing
//! of its callers; the hub holds it behind one mutex taken only for map operations, so a cap
//! is decided atomically with the registration it allows, and of several connections closing
//! at once exactly one is a user's last.

use super::outlet::{ConnId, Outlet};
use app::error::{ApiError, ErrorCode};
use app::ids::UserId;
use std::collections::HashMap;
use std::net::IpAddr;

/// Every user and every client address with connections on this node, with their counts.
pub type Snapshot = (Vec<(UserId, usize)>, Vec<(IpAddr, usize)>);

/// Socket caps (settings `PARLEY_MAX_SOCKETS_PER_USER`, `..._PER_ADDR`, `PARLEY_MAX_SOCKETS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most sockets one user may hold open on this node.
    pub per_user: usize,
    /// Most sockets from one client address.
    pub per_addr: usize,
    /// Most sockets in all.
    pub total: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_user: 16,
            per_addr: 1024,
            total: 20_000,
        }
    }
}

/// Who is connected here: user -> their connections, and counts per address.
#[derive(Debug, Default)]
pub struct Registry {
    by_user: HashMap<UserId, Vec<Outlet>>,
    by_addr: HashMap<IpAddr, usize>,
    total: usize,
}

/// Why a connection was not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A cap is reached; which one is in the message.
    Cap(&'static str),
    /// The node is shutting down.
    ShuttingDown,
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> ApiError {
        match r {
            Refusal::Cap(which) => ApiError::with_msg(
                ErrorCode::TooManyConnections,
                format!("Too many open connections ({which}). Close another tab or device and try again."),
            ),
            Refusal::ShuttingDown => ApiError::new(ErrorCode::Unavailable),
        }
    }
}

impl Registry {
    /// Adds a connection within `limits`; returns true if it is the user's first here.
    pub fn add(
        &mut self,
        user: UserId,
        addr: Option<IpAddr>,
        outlet: Outlet,
        limits: Limits,
    ) -> Result<bool, Refusal> {
        if self.total >= limits.total {
            return Err(Refusal::Cap("server"));
        }
        if self.outlets(user).len() >= limits.per_user {
            return Err(Refusal::Cap("per user"));
        }
        if let Some(a) = addr {
            if self.by_addr.get(&a).copied().unwrap_or(0) >= limits.per_addr {
                return Err(Refusal::Cap("per address"));
            }
            *self.by_addr.entry(a).or_default() += 1;
        }
        self.total += 1;
        let conns = self.by_user.entry(user).or_default();
        conns.push(outlet);
        Ok(conns.len() == 1)
    }

    /// Removes a connection; returns true if it was the user's last here. Decided under the
    /// same lock as the removal, so of several connections closing at once exactly one is
    /// the last.
    pub fn remove(&mut self, user: UserId, addr: Option<IpAddr>, id: ConnId) -> bool {
        let Some(conns) = self.by_user.get_mut(&user) else {
            return false;
        };
        let before = conns.len();
        conns.retain(|o| o.id != id);
        if conns.len() == before {
            return false;
        }
        self.total -= 1;
        if let Some(a) = addr {
            if let Some(n) = self.by_addr.get_mut(&a) {
                *n -= 1;
                if *n == 0 {
                    self.by_addr.remove(&a);
                }
            }
        }
        if conns.is_empty() {
            self.by_user.remove(&user);
            true
        } else {
            false
        }
    }

    /// The connections of `user`.
    pub fn outlets(&self, user: UserId) -> &[Outlet] {
        self.by_user.get(&user).map_or(&[], Vec::as_slice)
    }

    /// True while `user` has a connection here.
    pub fn is_online(&self, user: UserId) -> bool {
        self.by_user.contains_key(&user)
    }

    /// Total connections.
    pub fn connections(&self) -> usize {
        self.total
    }

    /// Connections from `addr`.
    pub fn from_addr(&self, addr: IpAddr) -> usize {
        self.by_addr.get(&addr).copied().unwrap_or(0)
    }

    /// Every user and every client address with connections, with their counts.
    pub fn snapshot(&self) -> Snapshot {
        (
            self.by_user.iter().map(|(u, c)| (*u, c.len())).collect(),
            self.by_addr.iter().map(|(a, n)| (*a, *n)).collect(),
        )
    }

    /// Every connection (to close them all).
    pub fn all(&self) -> impl Iterator<Item = &Outlet> {
        self.by_user.values().flatten()
    }

    /// Panics if the structure is inconsistent (tests only): no empty entries, no
    /// connection listed twice, counts that add up.
    pub fn check_invariants(&self) {
        let mut seen = std::collections::HashSet::new();
        for conns in self.by_user.values() {
            assert!(!conns.is_empty(), "empty connection list kept");
            for o in conns {
                assert!(seen.insert(o.id), "connection {} listed twice", o.id);
            }
        }
        assert_eq!(seen.len(), self.total, "total count");
        assert!(
            self.by_addr.values().all(|n| *n > 0),
            "zero address count kept"
        );
        assert!(self.by_addr.values().sum::<usize>() <= self.total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::outlet::{ConnId, Json};
    use std::sync::Arc;

    fn outlet(id: u64) -> Outlet {
        let (queue, _rx) = flume::bounded(1);
        Outlet::new(ConnId(id), queue, "s", Arc::new(Json))
    }

    #[test]
    fn counts_stay_consistent_through_adds_refusals_and_removals() {
        let limits = Limits {
            per_user: 2,
            per_addr: 2,
            total: 3,
        };
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let mut reg = Registry::default();
        assert_eq!(reg.add(UserId(1), Some(ip), outlet(1), limits), Ok(true));
        assert_eq!(reg.add(UserId(1), None, outlet(2), limits), Ok(false));
        assert_eq!(
            reg.add(UserId(1), None, outlet(3), limits),
            Err(Refusal::Cap("per user"))
        );
        assert_eq!(reg.add(UserId(2), Some(ip), outlet(4), limits), Ok(true));
        assert_eq!(
            reg.add(UserId(3), Some(ip), outlet(5), limits),
            Err(Refusal::Cap("server"))
        );
        reg.check_invariants();
        assert_eq!((reg.connections(), reg.from_addr(ip)), (3, 2));
        // Removing an unknown connection changes nothing; the last one of a user says so.
        assert!(!reg.remove(UserId(2), Some(ip), ConnId(99)));
        assert!(!reg.remove(UserId(1), Some(ip), ConnId(1)));
        assert!(reg.remove(UserId(1), None, ConnId(2)));
        assert!(!reg.is_online(UserId(1)));
        reg.check_invariants();
        let (users, addrs) = reg.snapshot();
        assert_eq!(users, vec![(UserId(2), 1)]);
        assert_eq!(addrs, vec![(ip, 1)]);
    }
}
