//! Friendships: two contact rows per friendship, written (and removed) in one transaction
//! with the notices they produce.

use super::entities::{contact, user};
use super::notices::{notify, Event, Notice, NoticeKind, Noticed, Wording};
use super::{on_duplicate, refused, Store, StoreError};
use app::error::ErrorCode;
use app::ids::UserId;
use app::protocol::{Conv, User};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect, Set, TransactionTrait,
};

/// Rows whose (`x`, `y`) is (`a`, `b`) or (`b`, `a`): a relation between two people in
/// either direction.
pub(super) fn either_way<C: ColumnTrait>(x: C, y: C, a: UserId, b: UserId) -> Condition {
    Condition::any()
        .add(Condition::all().add(x.eq(a.0)).add(y.eq(b.0)))
        .add(Condition::all().add(x.eq(b.0)).add(y.eq(a.0)))
}

/// Writes both contact rows of a new friendship (`a` made it: `a` asked without consent, or
/// accepted `b`'s request) and tells both, inside the caller's transaction.
pub(super) async fn befriend(
    txn: &DatabaseTransaction,
    a: &User,
    b: &User,
    word: Wording,
    now_ms: i64,
) -> Result<Vec<Notice>, StoreError> {
    for (owner, peer) in [(a.id, b.id), (b.id, a.id)] {
        contact::ActiveModel {
            owner_id: Set(owner.0),
            peer_id: Set(peer.0),
            created_at: Set(now_ms),
            ..Default::default()
        }
        .insert(txn)
        .await
        .map_err(on_duplicate(ErrorCode::AlreadyFriends))?;
    }
    let conv = Conv::private(a.id, b.id).map(|c| c.key());
    let event = Event {
        kind: NoticeKind::FriendAdded,
        to: b.id,
        actor: a,
        peer: Some(b),
        group: None,
    };
    notify(txn, [b.id, a.id], event, word, conv, now_ms).await
}

/// Removes the friendship of `a` and `b` in both directions; the number of rows removed (0
/// when they were not friends).
pub(super) async fn unfriend<C: ConnectionTrait>(
    db: &C,
    a: UserId,
    b: UserId,
) -> Result<u64, StoreError> {
    let gone = contact::Entity::delete_many()
        .filter(either_way(
            contact::Column::OwnerId,
            contact::Column::PeerId,
            a,
            b,
        ))
        .exec(db)
        .await?;
    Ok(gone.rows_affected)
}

impl Store {
    /// Makes `a` and `b` friends: both contact rows and both notices, or nothing.
    /// Refused with `already_friends` if either direction already exists. Only the seed
    /// dialect's `PARLEY_FRIENDS_WITHOUT_CONSENT` calls this; everyone else asks
    /// ([`Store::ask_friend`]).
    pub async fn add_friendship(
        &self,
        a: &User,
        b: &User,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<()>, StoreError> {
        let txn = self.db.begin().await?;
        let notices = befriend(&txn, a, b, word, now_ms).await?;
        txn.commit().await?;
        self.cache.friends_changed(&[a.id, b.id]);
        Ok(Noticed { value: (), notices })
    }

    /// Ends the friendship on both sides; `Refused(NotFriends)` if there was none.
    pub async fn remove_friendship(
        &self,
        a: &User,
        b: &User,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<()>, StoreError> {
        let txn = self.db.begin().await?;
        let gone = unfriend(&txn, a.id, b.id).await?;
        if gone == 0 {
            return Err(refused(ErrorCode::NotFriends));
        }
        let conv = Conv::private(a.id, b.id).map(|c| c.key());
        let event = Event {
            kind: NoticeKind::FriendRemoved,
            to: b.id,
            actor: a,
            peer: Some(b),
            group: None,
        };
        let notices = notify(&txn, [b.id, a.id], event, word, conv, now_ms).await?;
        txn.commit().await?;
        self.cache.friends_changed(&[a.id, b.id]);
        Ok(Noticed { value: (), notices })
    }

    /// True when `a` has `b` as a friend.
    pub async fn are_friends(&self, a: UserId, b: UserId) -> Result<bool, StoreError> {
        let found = contact::Entity::find()
            .filter(contact::Column::OwnerId.eq(a.0))
            .filter(contact::Column::PeerId.eq(b.0))
            .one(&self.db)
            .await?;
        Ok(found.is_some())
    }

    /// The ids of `me`'s friends.
    pub async fn friend_ids(&self, me: UserId) -> Result<Vec<UserId>, StoreError> {
        let ids: Vec<i64> = contact::Entity::find()
            .select_only()
            .column(contact::Column::PeerId)
            .filter(contact::Column::OwnerId.eq(me.0))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    /// `me`'s friends, by nickname.
    pub async fn friends(&self, me: UserId) -> Result<Vec<User>, StoreError> {
        let rows = contact::Entity::find()
            .filter(contact::Column::OwnerId.eq(me.0))
            .find_also_related(user::Entity)
            .all(&self.db)
            .await?;
        let mut users: Vec<User> = rows
            .into_iter()
            .filter_map(|(_, u)| u.map(User::from))
            .collect();
        users.sort_by_cached_key(|u| (u.nickname.to_lowercase(), u.id));
        Ok(users)
    }
}
