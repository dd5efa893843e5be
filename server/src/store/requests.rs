//! Friend requests and blocks: consent before a friendship, and a way to refuse someone
//! for good. Each change is one transaction with the notices it produces.

use super::entities::{block, friend_request, group_member, user};
use super::friends::{befriend, either_way, unfriend};
use super::notices::{notify, Event, NoticeKind, Noticed, Wording};
use super::{classify, refused, Store, StoreError};
use app::error::ErrorCode;
use app::ids::UserId;
use app::protocol::people::{FriendRequest, FriendRequests};
use app::protocol::User;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::collections::HashMap;

/// Most requests each list shows (newest first).
pub const LISTED_REQUESTS: u64 = 100;

/// What asking for a friendship did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asked {
    /// A new (or renewed) request now waits for the other side.
    Requested,
    /// The same request was already waiting; nothing changed and nobody was told.
    AlreadyPending,
    /// The other side had asked first: this made the friendship.
    Friends,
}

/// How a request is recorded.
#[derive(Clone, Debug)]
pub struct Ask {
    /// The verification note, already checked.
    pub note: String,
    /// When it lapses, ms since the epoch.
    pub expires_at: i64,
    /// Recorded as already declined and told to nobody but the asker: the asked person
    /// blocked the asker, who must not learn it.
    pub silent: bool,
}

/// A change between two people (`actor` did it to `peer`), told to `to`.
fn between<'a>(kind: NoticeKind, to: UserId, actor: &'a User, peer: &'a User) -> Event<'a> {
    Event {
        kind,
        to,
        actor,
        peer: Some(peer),
        group: None,
    }
}

fn pair(a: UserId, b: UserId) -> (i64, i64) {
    (a.0.min(b.0), a.0.max(b.0))
}

async fn pair_request(
    txn: &DatabaseTransaction,
    a: UserId,
    b: UserId,
) -> Result<Option<friend_request::Model>, StoreError> {
    let (low, high) = pair(a, b);
    Ok(friend_request::Entity::find()
        .filter(friend_request::Column::LowId.eq(low))
        .filter(friend_request::Column::HighId.eq(high))
        .one(txn)
        .await?)
}

async fn friends_in(txn: &DatabaseTransaction, a: UserId, b: UserId) -> Result<bool, StoreError> {
    Ok(super::entities::contact::Entity::find()
        .filter(super::entities::contact::Column::OwnerId.eq(a.0))
        .filter(super::entities::contact::Column::PeerId.eq(b.0))
        .one(txn)
        .await?
        .is_some())
}

impl Store {
    /// `from` asks `to` to be friends. If `to` has a live request to `from`, this accepts it
    /// (one friendship, however the two calls interleave: both write the pair's one row, so
    /// the second waits for the first and then finds its request). Refused with
    /// `already_friends` when they are.
    pub async fn ask_friend(
        &self,
        from: &User,
        to: &User,
        ask: Ask,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<Asked>, StoreError> {
        // A duplicate key means the other side's request was written meanwhile: once more
        // reads it and accepts it.
        for _ in 0..2 {
            match self.try_ask(from, to, &ask, word, now_ms).await {
                Err(StoreError::Duplicate) => continue,
                done => return done,
            }
        }
        Err(StoreError::Inconsistent(format!(
            "friend request {} -> {} kept colliding",
            from.id, to.id
        )))
    }

    async fn try_ask(
        &self,
        from: &User,
        to: &User,
        ask: &Ask,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<Asked>, StoreError> {
        let txn = self.db.begin().await?;
        let existing = pair_request(&txn, from.id, to.id).await?;
        let live = existing.as_ref().filter(|r| r.expires_at > now_ms);
        let outcome = match live {
            Some(r) if r.from_id == to.id.0 => {
                // They asked me first: my asking is my yes.
                friend_request::Entity::delete_by_id(r.id)
                    .exec(&txn)
                    .await?;
                let notices = befriend(&txn, from, to, word, now_ms).await?;
                txn.commit().await?;
                self.cache.friends_changed(&[from.id, to.id]);
                return Ok(Noticed {
                    value: Asked::Friends,
                    notices,
                });
            }
            Some(_) => Asked::AlreadyPending,
            None => {
                if friends_in(&txn, from.id, to.id).await? {
                    return Err(refused(ErrorCode::AlreadyFriends));
                }
                let (low, high) = pair(from.id, to.id);
                let mut row = friend_request::ActiveModel {
                    low_id: Set(low),
                    high_id: Set(high),
                    from_id: Set(from.id.0),
                    to_id: Set(to.id.0),
                    note: Set(ask.note.clone()),
                    created_at: Set(now_ms),
                    expires_at: Set(ask.expires_at),
                    declined: Set(ask.silent),
                    ..Default::default()
                };
                match existing {
                    // A lapsed request (either way) makes room for this one.
                    Some(old) => {
                        row.id = Set(old.id);
                        row.update(&txn).await?;
                    }
                    None => {
                        row.insert(&txn).await.map_err(classify)?;
                    }
                }
                Asked::Requested
            }
        };
        let mut notices = Vec::new();
        if outcome == Asked::Requested {
            let told: &[UserId] = if ask.silent {
                &[from.id]
            } else {
                &[to.id, from.id]
            };
            let event = between(NoticeKind::FriendRequest, to.id, from, to);
            notices = notify(&txn, told.iter().copied(), event, word, None, now_ms).await?;
        }
        txn.commit().await?;
        Ok(Noticed {
            value: outcome,
            notices,
        })
    }

    /// `me` accepts `asker`'s live request: the friendship, both notices. Accepting twice
    /// (two tabs, a retry) answers the same: `Ok` once they are friends. `not_found` when
    /// there is no such request and no friendship.
    pub async fn accept_request(
        &self,
        me: &User,
        asker: &User,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<()>, StoreError> {
        let txn = self.db.begin().await?;
        let (low, high) = pair(me.id, asker.id);
        let gone = friend_request::Entity::delete_many()
            .filter(friend_request::Column::LowId.eq(low))
            .filter(friend_request::Column::HighId.eq(high))
            .filter(friend_request::Column::FromId.eq(asker.id.0))
            .filter(friend_request::Column::ExpiresAt.gt(now_ms))
            .exec(&txn)
            .await?;
        if gone.rows_affected == 0 {
            return if friends_in(&txn, me.id, asker.id).await? {
                Ok(Noticed {
                    value: (),
                    notices: Vec::new(),
                })
            } else {
                Err(refused(ErrorCode::NotFound))
            };
        }
        let notices = befriend(&txn, me, asker, word, now_ms).await?;
        txn.commit().await?;
        self.cache.friends_changed(&[me.id, asker.id]);
        Ok(Noticed { value: (), notices })
    }

    /// `me` declines `asker`'s request: it leaves my list, and the asker still reads
    /// "pending" until it lapses. Declining what is not there changes nothing.
    pub async fn decline_request(
        &self,
        me: &User,
        asker: &User,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<()>, StoreError> {
        let txn = self.db.begin().await?;
        let (low, high) = pair(me.id, asker.id);
        let changed = friend_request::Entity::update_many()
            .col_expr(
                friend_request::Column::Declined,
                sea_orm::sea_query::Expr::value(true),
            )
            .filter(friend_request::Column::LowId.eq(low))
            .filter(friend_request::Column::HighId.eq(high))
            .filter(friend_request::Column::FromId.eq(asker.id.0))
            .filter(friend_request::Column::Declined.eq(false))
            .exec(&txn)
            .await?;
        let mut notices = Vec::new();
        if changed.rows_affected > 0 {
            let event = between(NoticeKind::RequestDeclined, me.id, me, asker);
            notices = notify(&txn, [me.id], event, word, None, now_ms).await?;
        }
        txn.commit().await?;
        Ok(Noticed { value: (), notices })
    }

    /// `me` takes back my request to `to`; the asked person's list loses it (if they still
    /// had it). Withdrawing what is not there changes nothing.
    pub async fn withdraw_request(
        &self,
        me: &User,
        to: &User,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<()>, StoreError> {
        let txn = self.db.begin().await?;
        let Some(row) = pair_request(&txn, me.id, to.id)
            .await?
            .filter(|r| r.from_id == me.id.0)
        else {
            return Ok(Noticed {
                value: (),
                notices: Vec::new(),
            });
        };
        friend_request::Entity::delete_by_id(row.id)
            .exec(&txn)
            .await?;
        let told: &[UserId] = if row.declined || row.expires_at <= now_ms {
            &[me.id]
        } else {
            &[to.id, me.id]
        };
        let event = between(NoticeKind::RequestWithdrawn, to.id, me, to);
        let notices = notify(&txn, told.iter().copied(), event, word, None, now_ms).await?;
        txn.commit().await?;
        Ok(Noticed { value: (), notices })
    }

    /// The live requests waiting for `me` (not declined) and those `me` made (declined or
    /// not: the asker sees "pending" either way), newest first.
    pub async fn friend_requests(
        &self,
        me: UserId,
        now_ms: i64,
    ) -> Result<FriendRequests, StoreError> {
        let incoming = friend_request::Entity::find()
            .filter(friend_request::Column::ToId.eq(me.0))
            .filter(friend_request::Column::Declined.eq(false))
            .filter(friend_request::Column::ExpiresAt.gt(now_ms))
            .order_by_desc(friend_request::Column::CreatedAt)
            .limit(LISTED_REQUESTS)
            .all(&self.db)
            .await?;
        let outgoing = friend_request::Entity::find()
            .filter(friend_request::Column::FromId.eq(me.0))
            .filter(friend_request::Column::ExpiresAt.gt(now_ms))
            .order_by_desc(friend_request::Column::CreatedAt)
            .limit(LISTED_REQUESTS)
            .all(&self.db)
            .await?;
        let ids: Vec<UserId> = incoming
            .iter()
            .map(|r| UserId(r.from_id))
            .chain(outgoing.iter().map(|r| UserId(r.to_id)))
            .collect();
        let users: HashMap<UserId, User> = self
            .users(&ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let view = |r: friend_request::Model, other: i64| {
            users.get(&UserId(other)).map(|u| FriendRequest {
                user: u.clone(),
                note: r.note,
                created_at: r.created_at,
                expires_at: r.expires_at,
            })
        };
        Ok(FriendRequests {
            incoming: incoming
                .into_iter()
                .filter_map(|r| {
                    let other = r.from_id;
                    view(r, other)
                })
                .collect(),
            outgoing: outgoing
                .into_iter()
                .filter_map(|r| {
                    let other = r.to_id;
                    view(r, other)
                })
                .collect(),
        })
    }

    /// Deletes requests that lapsed before `now_ms`; returns how many.
    pub async fn prune_requests(&self, now_ms: i64) -> Result<u64, StoreError> {
        let res = friend_request::Entity::delete_many()
            .filter(friend_request::Column::ExpiresAt.lte(now_ms))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }

    /// `me` blocks `other`: any friendship ends (both told, as an ordinary removal), any
    /// request between them goes, and my devices learn of the block. Blocking twice
    /// changes nothing.
    pub async fn block(
        &self,
        me: &User,
        other: &User,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<()>, StoreError> {
        let txn = self.db.begin().await?;
        let inserted = block::ActiveModel {
            owner_id: Set(me.id.0),
            blocked_id: Set(other.id.0),
            created_at: Set(now_ms),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(classify);
        match inserted {
            Ok(_) => {}
            Err(StoreError::Duplicate) => {
                return Ok(Noticed {
                    value: (),
                    notices: Vec::new(),
                })
            }
            Err(e) => return Err(e),
        }
        let (low, high) = pair(me.id, other.id);
        friend_request::Entity::delete_many()
            .filter(friend_request::Column::LowId.eq(low))
            .filter(friend_request::Column::HighId.eq(high))
            .exec(&txn)
            .await?;
        let mut notices = Vec::new();
        if unfriend(&txn, me.id, other.id).await? > 0 {
            let conv = app::protocol::Conv::private(me.id, other.id).map(|c| c.key());
            let event = between(NoticeKind::FriendRemoved, other.id, me, other);
            notices = notify(&txn, [other.id, me.id], event, word, conv, now_ms).await?;
        }
        let event = between(NoticeKind::Blocked, me.id, me, other);
        notices.extend(notify(&txn, [me.id], event, word, None, now_ms).await?);
        txn.commit().await?;
        self.cache.friends_changed(&[me.id, other.id]);
        Ok(Noticed { value: (), notices })
    }

    /// `me` unblocks `other` (nothing else comes back: not the friendship, not requests).
    pub async fn unblock(
        &self,
        me: &User,
        other: &User,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<()>, StoreError> {
        let txn = self.db.begin().await?;
        let gone = block::Entity::delete_many()
            .filter(block::Column::OwnerId.eq(me.id.0))
            .filter(block::Column::BlockedId.eq(other.id.0))
            .exec(&txn)
            .await?;
        let mut notices = Vec::new();
        if gone.rows_affected > 0 {
            let event = between(NoticeKind::Unblocked, me.id, me, other);
            notices = notify(&txn, [me.id], event, word, None, now_ms).await?;
        }
        txn.commit().await?;
        Ok(Noticed { value: (), notices })
    }

    /// The people `me` blocked, by nickname.
    pub async fn blocked_users(&self, me: UserId) -> Result<Vec<User>, StoreError> {
        let rows = block::Entity::find()
            .filter(block::Column::OwnerId.eq(me.0))
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

    /// Whether `a` blocked `b`, and whether `b` blocked `a`.
    pub async fn blocks_between(&self, a: UserId, b: UserId) -> Result<(bool, bool), StoreError> {
        let rows: Vec<(i64, i64)> = block::Entity::find()
            .select_only()
            .column(block::Column::OwnerId)
            .column(block::Column::BlockedId)
            .filter(either_way(
                block::Column::OwnerId,
                block::Column::BlockedId,
                a,
                b,
            ))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok((
            rows.iter().any(|&(o, _)| o == a.0),
            rows.iter().any(|&(o, _)| o == b.0),
        ))
    }

    /// Everyone on either side of a block with `me`: whom I blocked and who blocked me.
    pub async fn block_partners(&self, me: UserId) -> Result<Vec<UserId>, StoreError> {
        let rows: Vec<(i64, i64)> = block::Entity::find()
            .select_only()
            .column(block::Column::OwnerId)
            .column(block::Column::BlockedId)
            .filter(
                Condition::any()
                    .add(block::Column::OwnerId.eq(me.0))
                    .add(block::Column::BlockedId.eq(me.0)),
            )
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut ids: Vec<UserId> = rows
            .into_iter()
            .map(|(o, b)| UserId(if o == me.0 { b } else { o }))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Whether `a` and `b` are members of at least one group together.
    pub async fn share_a_group(&self, a: UserId, b: UserId) -> Result<bool, StoreError> {
        self.share_a_group_inner(a, b).await
    }

    /// Everyone who sees `me`'s name and picture: `me` (other devices), my friends, and
    /// everyone in a group of mine. Each once.
    pub async fn profile_audience(&self, me: UserId) -> Result<Vec<UserId>, StoreError> {
        let mut all = self.friend_ids(me).await?;
        all.push(me);
        let mine: Vec<i64> = group_member::Entity::find()
            .select_only()
            .column(group_member::Column::GroupId)
            .filter(group_member::Column::UserId.eq(me.0))
            .into_tuple()
            .all(&self.db)
            .await?;
        if !mine.is_empty() {
            let mates: Vec<i64> = group_member::Entity::find()
                .select_only()
                .column(group_member::Column::UserId)
                .distinct()
                .filter(group_member::Column::GroupId.is_in(mine))
                .into_tuple()
                .all(&self.db)
                .await?;
            all.extend(mates.into_iter().map(UserId));
        }
        all.sort_unstable_by_key(|u| u.0);
        all.dedup();
        Ok(all)
    }

    async fn share_a_group_inner(&self, a: UserId, b: UserId) -> Result<bool, StoreError> {
        let mine: Vec<i64> = group_member::Entity::find()
            .select_only()
            .column(group_member::Column::GroupId)
            .filter(group_member::Column::UserId.eq(a.0))
            .into_tuple()
            .all(&self.db)
            .await?;
        if mine.is_empty() {
            return Ok(false);
        }
        let shared = group_member::Entity::find()
            .filter(group_member::Column::UserId.eq(b.0))
            .filter(group_member::Column::GroupId.is_in(mine))
            .one(&self.db)
            .await?;
        Ok(shared.is_some())
    }
}
