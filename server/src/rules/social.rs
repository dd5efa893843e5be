//! Friend and group rules (docs/api.md, "Friends and groups"). REST handlers, server
//! functions and the seed dialect call these methods; the store enforces atomicity and caps, this layer
//! decides who may ask for what and validates input.

use crate::clock::now_ms;
use crate::delivery::Delivery;
use crate::error::AppError;
use crate::rules::throttle::{current_client, RateLimit};
use crate::store::groups::NewGroup;
use crate::store::notices::{Event, Notice, NoticeKind, Noticed};
use crate::store::Store;
use app::error::{ApiError, ErrorCode, Field};
use app::ids::{GroupId, UserId};
use app::protocol::frame::{Cmd, Frame};
use app::protocol::{
    normalize_group_name, normalize_icon, normalize_memo, CreateGroupRequest, Friend, Group,
    GroupRole, Member, MyGroup, User,
};
use std::net::IpAddr;
use std::sync::Arc;

/// The words of a notice, as the person told reads them.
pub fn word(e: &Event<'_>) -> String {
    let actor = &e.actor.nickname;
    let group = e.group.map_or("", |g| g.name.as_str());
    // In a friendship change, "the other person" depends on who reads it.
    let other = match e.peer {
        Some(p) if e.to == e.actor.id => p.nickname.as_str(),
        _ => actor.as_str(),
    };
    match e.kind {
        NoticeKind::FriendAdded if e.to == e.actor.id => {
            format!("You and {other} are now friends")
        }
        NoticeKind::FriendAdded => format!("{actor} added you as a friend"),
        NoticeKind::FriendRemoved => format!("You and {other} are no longer friends"),
        NoticeKind::MemberJoined => format!("{actor} joined {group}"),
        NoticeKind::MemberLeft => format!("{actor} left {group}"),
        NoticeKind::OwnerChanged => {
            let owner = e.peer.map_or(actor.as_str(), |p| p.nickname.as_str());
            format!("{owner} is now the owner of {group}")
        }
        NoticeKind::GroupDissolved => format!("{group} was dissolved by its owner"),
        NoticeKind::MembersMayPin => format!("{actor} let all members pin messages"),
        NoticeKind::OnlyOwnerPins => format!("Only {actor} can pin messages now"),
        NoticeKind::FriendRequest if e.to == e.actor.id => {
            format!("You asked {other} to be your friend")
        }
        NoticeKind::FriendRequest => format!("{actor} asked to be your friend"),
        NoticeKind::RequestDeclined => format!("You declined {other}'s friend request"),
        NoticeKind::RequestWithdrawn if e.to == e.actor.id => {
            format!("You withdrew your friend request to {other}")
        }
        NoticeKind::RequestWithdrawn => format!("{actor} withdrew their friend request"),
        NoticeKind::Blocked => format!("You blocked {other}"),
        NoticeKind::Unblocked => format!("You unblocked {other}"),
    }
}

/// A notice as its cmd 12 frame.
pub fn notice_frame(n: &Notice) -> Frame {
    Frame {
        cmd: Cmd::Notice.code(),
        id: n.id,
        content: n.content.clone(),
        memo: n.kind.as_str().to_owned(),
        conv: n.conv.clone().unwrap_or_default(),
        ts: n.ts,
        names: n.names.clone(),
        ..Frame::default()
    }
}

/// Most group search results returned at once.
pub const GROUP_SEARCH_LIMIT: u64 = 20;

/// Changes to a group's settings allowed per user, and per address, per minute: each one
/// tells every member, so a flapping switch must not flood them.
pub const SETTINGS_PER_MINUTE: u32 = 10;

/// The social graph service.
#[derive(Clone)]
pub struct Social {
    store: Store,
    delivery: Delivery,
    max_owned_groups: u32,
    max_group_members: u32,
    settings_per_user: Arc<RateLimit<UserId>>,
    settings_per_addr: Arc<RateLimit<IpAddr>>,
}

impl Social {
    /// Builds the service with the configured caps.
    pub fn new(
        store: Store,
        delivery: Delivery,
        max_owned_groups: u32,
        max_group_members: u32,
    ) -> Social {
        let minute = std::time::Duration::from_secs(60);
        Social {
            store,
            delivery,
            max_owned_groups,
            max_group_members,
            settings_per_user: Arc::new(RateLimit::new(SETTINGS_PER_MINUTE, minute)),
            settings_per_addr: Arc::new(RateLimit::new(SETTINGS_PER_MINUTE, minute)),
        }
    }

    /// Delivers a change's notices to whoever is online (cmd 12, `memo` = the kind, `id`
    /// = the catch-up cursor); they stay recorded for clients that were not.
    fn announce<T>(&self, change: Noticed<T>) -> T {
        for n in &change.notices {
            self.delivery.publish(&[n.user], &notice_frame(n), None);
        }
        change.value
    }

    /// `me`'s notices after the cursor `after`, as cmd 12 frames (catch-up after a
    /// reconnect).
    pub async fn notices(
        &self,
        me: UserId,
        after: i64,
        limit: u64,
    ) -> Result<Vec<Frame>, AppError> {
        let rows = self.store.notices(me, after, limit).await?;
        Ok(rows.iter().map(notice_frame).collect())
    }

    /// Deletes notices older than `ttl` (run periodically).
    pub async fn prune_notices(&self, ttl: std::time::Duration) -> Result<u64, AppError> {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        Ok(self
            .store
            .prune_notices(now_ms().saturating_sub(ttl_ms))
            .await?)
    }

    async fn user(&self, id: UserId) -> Result<User, AppError> {
        self.store.user(id).await?.ok_or_else(|| {
            AppError::Rejected(ApiError::with_msg(ErrorCode::NotFound, "No such user."))
        })
    }

    async fn existing_group(&self, g: GroupId) -> Result<Group, AppError> {
        self.store.group(g).await?.ok_or_else(|| {
            AppError::Rejected(ApiError::with_msg(ErrorCode::NotFound, "No such group."))
        })
    }

    /// Connected, or still within the grace period friends were told about.
    fn is_online(&self, user: UserId) -> bool {
        self.delivery.is_online(user)
    }

    /// My friends, with whether each is online (on any node).
    pub async fn friends(&self, me: UserId) -> Result<Vec<Friend>, AppError> {
        let users = self.store.friends(me).await?;
        let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
        let seen = self.store.last_seen(&ids).await?;
        Ok(users
            .into_iter()
            .map(|user| {
                let online = self.is_online(user.id);
                Friend {
                    online,
                    last_seen: if online {
                        0
                    } else {
                        seen.get(&user.id).copied().unwrap_or(0)
                    },
                    user,
                }
            })
            .collect())
    }

    /// Befriends `peer`: 400 for oneself, 404 for an unknown user, 409 when already friends.
    pub async fn add_friend(&self, me: &User, peer: UserId) -> Result<Friend, AppError> {
        if me.id == peer {
            return Err(AppError::code(ErrorCode::CannotFriendSelf));
        }
        let other = self.user(peer).await?;
        let change = self
            .store
            .add_friendship(me, &other, word, now_ms())
            .await?;
        self.announce(change);
        tracing::info!(user = %me.id, friend = %peer, "friend added");
        Ok(Friend {
            online: self.is_online(other.id),
            last_seen: 0,
            user: other,
        })
    }

    /// Ends the friendship on both sides: 404 `not_friends` when there is none.
    pub async fn remove_friend(&self, me: &User, peer: UserId) -> Result<(), AppError> {
        let other = self.user(peer).await?;
        let change = self
            .store
            .remove_friendship(me, &other, word, now_ms())
            .await?;
        self.announce(change);
        tracing::info!(user = %me.id, friend = %peer, "friend removed");
        Ok(())
    }

    /// Creates a group owned by `me`; 422 `owned_groups_limit` past the cap. An uploaded
    /// icon must be my own picture, and is then published (see [`super::pictures`]).
    pub async fn create_group(
        &self,
        me: &User,
        req: CreateGroupRequest,
    ) -> Result<MyGroup, AppError> {
        let new = NewGroup {
            name: normalize_group_name(&req.name)?,
            icon: normalize_icon(req.icon.as_deref().unwrap_or(""))?,
            memo: normalize_memo(req.memo.as_deref().unwrap_or(""))?,
        };
        super::pictures::publish_own(&self.store, &new.icon, me.id, Field::Icon).await?;
        let group = self
            .store
            .create_group(me, new, self.max_owned_groups, now_ms())
            .await?;
        tracing::info!(user = %me.id, group = %group.id, "group created");
        Ok(MyGroup {
            group,
            role: app::protocol::GroupRole::Owner,
        })
    }

    /// The groups I belong to.
    pub async fn my_groups(&self, me: UserId) -> Result<Vec<MyGroup>, AppError> {
        Ok(self.store.my_groups(me).await?)
    }

    /// Finds groups by id or name.
    pub async fn search_groups(&self, q: &str) -> Result<Vec<Group>, AppError> {
        let q = q.trim();
        if q.is_empty() || q.chars().count() > 64 {
            return Err(ApiError::invalid(Field::Q).into());
        }
        Ok(self.store.search_groups(q, GROUP_SEARCH_LIMIT).await?)
    }

    /// Joins a group: 404 unknown, 409 `already_member` or `group_full`.
    pub async fn join_group(&self, me: &User, g: GroupId) -> Result<MyGroup, AppError> {
        let joined = self.announce(
            self.store
                .join_group(g, me, self.max_group_members, word, now_ms())
                .await?,
        );
        tracing::info!(user = %me.id, group = %g, "joined group");
        Ok(joined)
    }

    /// Leaves a group: 409 `owner_cannot_leave` for its owner, 403 `not_member`.
    pub async fn leave_group(&self, me: &User, g: GroupId) -> Result<(), AppError> {
        let change = self.store.leave_group(g, me, word, now_ms()).await?;
        self.announce(change);
        tracing::info!(user = %me.id, group = %g, "left group");
        Ok(())
    }

    /// A group's members; only members may look (403 `not_member`).
    pub async fn members(&self, me: UserId, g: GroupId) -> Result<Vec<Member>, AppError> {
        self.existing_group(g).await?;
        if self.store.membership(g, me).await?.is_none() {
            return Err(AppError::code(ErrorCode::NotMember));
        }
        Ok(self.store.members(g).await?)
    }

    /// Hands the group to the member `to` (owner only).
    pub async fn transfer_group(
        &self,
        me: &User,
        g: GroupId,
        to: UserId,
    ) -> Result<MyGroup, AppError> {
        if me.id == to {
            // Only the owner is told they own it already; anyone else is told what the
            // store would tell them for any other member named.
            if self.existing_group(g).await?.owner_id != me.id {
                return Err(AppError::code(ErrorCode::NotOwner));
            }
            return Err(
                ApiError::with_msg(ErrorCode::InvalidField, "You already own this group.")
                    .with_field(Field::UserId)
                    .into(),
            );
        }
        let new_owner = self.user(to).await?;
        let group = self.announce(
            self.store
                .transfer_group(g, me, &new_owner, self.max_owned_groups, word, now_ms())
                .await?,
        );
        tracing::info!(user = %me.id, group = %g, to = %to, "ownership transferred");
        Ok(MyGroup {
            group,
            role: app::protocol::GroupRole::Member,
        })
    }

    /// Lets the group's members pin messages, or only its owner (the owner's call); every
    /// member's devices hear of a change at once.
    pub async fn set_members_can_pin(
        &self,
        me: &User,
        g: GroupId,
        allowed: bool,
    ) -> Result<Group, AppError> {
        let addr = current_client().addr;
        if self.settings_per_user.hit(me.id).is_err()
            || addr.is_some_and(|a| self.settings_per_addr.hit(a).is_err())
        {
            return Err(AppError::code(ErrorCode::TooManyActions));
        }
        let group = self.announce(
            self.store
                .set_members_can_pin(g, me, allowed, word, now_ms())
                .await?,
        );
        tracing::info!(user = %me.id, group = %g, allowed, "pin rights changed");
        Ok(group)
    }

    /// Ends every friendship and membership of `me` (an account being deleted), telling
    /// each friend and group as if `me` had done it. A group `me` owns passes to its
    /// longest-standing member who may own one more, and is dissolved when nobody can take
    /// it (or nobody else is in it).
    pub async fn depart(&self, me: &User) -> Result<(), AppError> {
        for peer in self.store.friend_ids(me.id).await? {
            if let Some(other) = self.store.user(peer).await? {
                let change = self
                    .store
                    .remove_friendship(me, &other, word, now_ms())
                    .await?;
                self.announce(change);
            }
        }
        for mine in self.store.my_groups(me.id).await? {
            let g = mine.group.id;
            if mine.role == GroupRole::Owner {
                let mut heirs = self.store.members(g).await?;
                heirs.retain(|m| m.user.id != me.id);
                heirs.sort_by_key(|m| (m.joined_at, m.user.id.0));
                let mut handed = false;
                for heir in heirs {
                    let to = self
                        .store
                        .transfer_group(g, me, &heir.user, self.max_owned_groups, word, now_ms())
                        .await;
                    if let Ok(change) = to {
                        self.announce(change);
                        handed = true;
                        break;
                    }
                }
                if !handed {
                    self.announce(self.store.dissolve_group(g, me, word, now_ms()).await?);
                    continue;
                }
            }
            self.announce(self.store.leave_group(g, me, word, now_ms()).await?);
        }
        Ok(())
    }

    /// Deletes the group for everyone (owner only).
    pub async fn dissolve_group(&self, me: &User, g: GroupId) -> Result<(), AppError> {
        let change = self.store.dissolve_group(g, me, word, now_ms()).await?;
        self.announce(change);
        tracing::info!(user = %me.id, group = %g, "group dissolved");
        Ok(())
    }
}
