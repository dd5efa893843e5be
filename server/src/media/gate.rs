//! Who may start an upload now: at most `PARLEY_MAX_UPLOADS_PER_USER` in progress per user
//! and `PARLEY_MAX_UPLOADS` on the node, and `PARLEY_UPLOADS_PER_MINUTE` stored uploads per
//! user and minute.
//!
//! The per-minute budget counts files that were stored. An upload takes one from it when it
//! starts (so uploads running side by side cannot overshoot it) and gives it back when it is
//! refused (not an accepted type, too large, an unreadable picture, a stalled body) or
//! abandoned: a person whose file was refused can fix it and send another at once. What a
//! refused upload costs the server is bounded instead by the in-progress caps and the body
//! deadlines (`PARLEY_BODY_IDLE_SECS`, `PARLEY_BODY_TOTAL_SECS`).
//!
//! Node-local, like the upload budget before it: an upload is received by one node.

use app::ids::UserId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most users remembered before expired windows are swept (bounds memory).
const SWEEP_AT: usize = 10_000;

/// Why an upload may not start now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// This user already has as many uploads in progress as allowed.
    UserBusy(u32),
    /// The node already receives as many uploads as allowed.
    NodeBusy,
    /// The per-minute budget is spent; it renews after this wait.
    Throttled(Duration),
}

/// Stored (or reserved) uploads in a user's current window.
#[derive(Clone, Copy, Debug)]
struct Window {
    count: u32,
    since: Instant,
}

#[derive(Debug, Default)]
struct Counts {
    in_progress: HashMap<UserId, u32>,
    total: u32,
    windows: HashMap<UserId, Window>,
}

/// The upload caps and budget of this node. Shared; cheap to clone.
#[derive(Clone, Debug)]
pub struct UploadGate {
    per_user: u32,
    per_node: u32,
    per_window: u32,
    window: Duration,
    // A plain mutex: every critical section is a few map updates, never held across an await.
    counts: Arc<Mutex<Counts>>,
}

impl UploadGate {
    /// At most `per_user` uploads in progress per user and `per_node` in all, and
    /// `per_window` stored per user per `window`.
    pub fn new(per_user: u32, per_node: u32, per_window: u32, window: Duration) -> UploadGate {
        UploadGate {
            per_user,
            per_node,
            per_window,
            window,
            counts: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lets an upload of `user` start, or says why not. The ticket holds its place until it
    /// is dropped; [`Ticket::stored`] keeps its share of the budget.
    pub fn enter(&self, user: UserId) -> Result<Ticket, Refusal> {
        let now = Instant::now();
        let mut c = self.lock();
        let running = c.in_progress.get(&user).copied().unwrap_or(0);
        if running >= self.per_user {
            return Err(Refusal::UserBusy(self.per_user));
        }
        if c.total >= self.per_node {
            return Err(Refusal::NodeBusy);
        }
        if c.windows.len() >= SWEEP_AT {
            let window = self.window;
            c.windows
                .retain(|_, w| now.saturating_duration_since(w.since) < window);
        }
        let w = c.windows.entry(user).or_insert(Window {
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
            return Err(Refusal::Throttled(self.window - elapsed));
        }
        w.count += 1;
        let since = w.since;
        *c.in_progress.entry(user).or_insert(0) += 1;
        c.total += 1;
        Ok(Ticket {
            gate: self.clone(),
            user,
            since,
            stored: false,
        })
    }
}

/// One upload in progress. Dropped, it frees its place; unless [`Ticket::stored`] was called,
/// it also gives its share of the per-minute budget back.
#[derive(Debug)]
pub struct Ticket {
    gate: UploadGate,
    user: UserId,
    /// The window the budget was taken from (nothing to give back once it has renewed).
    since: Instant,
    stored: bool,
}

impl Ticket {
    /// The file was stored: it counts toward the per-minute budget.
    pub fn stored(mut self) {
        self.stored = true;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut c = self.gate.lock();
        if let Some(n) = c.in_progress.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.in_progress.remove(&self.user);
            }
        }
        c.total = c.total.saturating_sub(1);
        if !self.stored {
            if let Some(w) = c.windows.get_mut(&self.user) {
                if w.since == self.since {
                    w.count = w.count.saturating_sub(1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_count_uploads_in_progress_and_refusals_give_the_budget_back() {
        let gate = UploadGate::new(2, 3, 2, Duration::from_secs(60));
        let (a, b, c) = (UserId(1), UserId(2), UserId(3));
        let a1 = gate.enter(a).unwrap();
        let a2 = gate.enter(a).unwrap();
        assert_eq!(gate.enter(a).unwrap_err(), Refusal::UserBusy(2));
        let _b1 = gate.enter(b).unwrap();
        assert_eq!(gate.enter(c).unwrap_err(), Refusal::NodeBusy);
        // a1 refused: its place and its budget come back.
        drop(a1);
        let a3 = gate.enter(a).unwrap();
        a2.stored();
        a3.stored();
        // Two stored this minute: the budget is spent, though nothing is in progress.
        assert!(matches!(gate.enter(a), Err(Refusal::Throttled(_))));
        assert!(gate.enter(c).is_ok());
    }
}
