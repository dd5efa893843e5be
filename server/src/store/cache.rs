//! The parts of the social graph every send is authorised against (a user's friends, a
//! group's members), kept in memory so a message costs no query for them.
//!
//! Coherence: the store methods that change friendships or memberships invalidate the
//! entries they touch *after* their transaction commits, and bump a generation counter.
//! A miss loads from the database and keeps the result only if no invalidation happened
//! while it loaded, so a load that raced a change can never leave the old answer cached.
//! With several nodes each change is also announced ([`Store::on_social_change`]) so the
//! other nodes forget the same entries; one that arrives late can only delay a removal
//! (a left member receives for a moment longer), because a send the cache refuses is
//! checked again against the database before it is refused (see `rules::chat`).

use app::ids::{GroupId, UserId};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// Entries kept per map before it is emptied and refilled on demand: a bound on memory, not
/// a tuning knob (each entry is one user's friends or one group's members).
const MAX_ENTRIES: usize = 100_000;

/// A group's members, sorted by id (membership is a binary search).
pub type Members = Arc<[UserId]>;

/// One map of the cache.
#[derive(Debug)]
struct Map<K, V>(RwLock<HashMap<K, V>>);

impl<K: Eq + Hash + Copy, V: Clone> Map<K, V> {
    fn get(&self, k: K) -> Option<V> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&k)
            .cloned()
    }

    fn put(&self, k: K, v: V) {
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(k, v);
    }

    fn forget(&self, keys: &[K]) {
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        for k in keys {
            map.remove(k);
        }
    }
}

impl<K, V> Default for Map<K, V> {
    fn default() -> Self {
        Map(RwLock::new(HashMap::new()))
    }
}

/// A committed change of the social graph, as other nodes must hear of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SocialChange {
    /// These users' friend lists changed.
    Friends(Vec<UserId>),
    /// This group's members changed.
    Members(GroupId),
}

/// Who hears of committed changes (the Redis bus).
pub type ChangeListener = Arc<dyn Fn(&SocialChange) + Send + Sync>;

/// Friends per user and members per group.
#[derive(Default)]
pub(crate) struct SocialCache {
    generation: AtomicU64,
    friends: Map<UserId, Arc<HashSet<UserId>>>,
    members: Map<GroupId, Members>,
    listener: OnceLock<ChangeListener>,
}

impl std::fmt::Debug for SocialCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocialCache")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl SocialCache {
    /// Forgets the friends of `users` (call after the change committed) and tells the
    /// listener.
    pub(crate) fn friends_changed(&self, users: &[UserId]) {
        self.forget_friends(users);
        if let Some(l) = self.listener.get() {
            l(&SocialChange::Friends(users.to_vec()));
        }
    }

    /// Forgets the members of `group` (call after the change committed) and tells the
    /// listener.
    pub(crate) fn members_changed(&self, group: GroupId) {
        self.forget_members(group);
        if let Some(l) = self.listener.get() {
            l(&SocialChange::Members(group));
        }
    }

    /// Forgets cached friend lists (changed here or by another node).
    pub(crate) fn forget_friends(&self, users: &[UserId]) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.friends.forget(users);
    }

    /// Forgets a cached member list (changed here or by another node).
    pub(crate) fn forget_members(&self, group: GroupId) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.members.forget(&[group]);
    }

    /// Forgets everything cached (changes may have been missed).
    pub(crate) fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.friends
            .0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.members
            .0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}

impl SocialCache {
    /// Sets the listener told of every committed change (the first one set stays).
    pub(crate) fn listen(&self, listener: ChangeListener) {
        let _ = self.listener.set(listener);
    }

    /// The ids of `me`'s friends, from the cache, or from `load` on a miss (kept unless a
    /// change came in meanwhile).
    pub(crate) async fn friends<E>(
        &self,
        me: UserId,
        load: impl std::future::Future<Output = Result<Vec<UserId>, E>>,
    ) -> Result<Arc<HashSet<UserId>>, E> {
        if let Some(hit) = self.friends.get(me) {
            return Ok(hit);
        }
        let before = self.generation();
        let set: Arc<HashSet<UserId>> = Arc::new(load.await?.into_iter().collect());
        if self.generation() == before {
            self.friends.put(me, set.clone());
        }
        Ok(set)
    }

    /// The members of group `g`, sorted, from the cache, or from `load` on a miss (kept
    /// unless a change came in meanwhile).
    pub(crate) async fn members<E>(
        &self,
        g: GroupId,
        load: impl std::future::Future<Output = Result<Vec<UserId>, E>>,
    ) -> Result<Members, E> {
        if let Some(hit) = self.members.get(g) {
            return Ok(hit);
        }
        let before = self.generation();
        let mut ids = load.await?;
        ids.sort_unstable();
        let members: Members = ids.into();
        if self.generation() == before {
            self.members.put(g, members.clone());
        }
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_forgets_entries_and_moves_the_generation() {
        let cache = SocialCache::default();
        cache
            .friends
            .put(UserId(1), Arc::new(HashSet::from([UserId(2)])));
        cache.members.put(GroupId(7), Arc::from(vec![UserId(1)]));
        let g0 = cache.generation();
        cache.friends_changed(&[UserId(1), UserId(2)]);
        assert!(cache.friends.get(UserId(1)).is_none());
        assert!(cache.members.get(GroupId(7)).is_some());
        cache.members_changed(GroupId(7));
        assert!(cache.members.get(GroupId(7)).is_none());
        assert_eq!(cache.generation(), g0 + 2);
    }

    #[test]
    fn the_map_stays_bounded() {
        let map: Map<u64, u64> = Map::default();
        for i in 0..(MAX_ENTRIES as u64 + 10) {
            map.put(i, i);
        }
        assert!(map.0.read().unwrap().len() <= MAX_ENTRIES);
        assert_eq!(
            map.get(MAX_ENTRIES as u64 + 9),
            Some(MAX_ENTRIES as u64 + 9)
        );
    }
}
