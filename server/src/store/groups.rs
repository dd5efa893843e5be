//! Groups and memberships, with the notices each change produces.
//!
//! Every change is one transaction whose first statement is a write (a conditional update or
//! an insert): on SQLite that takes the write lock before anything is read, so concurrent
//! writers queue instead of failing on a stale snapshot; on PostgreSQL the row lock makes
//! the conditional update re-check its condition. Caps are enforced by those conditional
//! updates (`owned_groups < max`, `member_count < max`), never by a read-then-write.

use super::entities::group_member::Role;
use super::entities::{group, group_member, user};
use super::notices::{notify, Event, Notice, NoticeKind, Noticed, Wording};
use super::{classify, refused, Store, StoreError};
use app::error::ErrorCode;
use app::ids::{GroupId, UserId};
use app::protocol::{Conv, Group, GroupRole, Member, MyGroup, User};
use sea_orm::sea_query::{Expr, Func, LikeExpr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityName,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

/// A new group, validated.
#[derive(Clone, Debug)]
pub struct NewGroup {
    /// Display name.
    pub name: String,
    /// Icon URL or empty.
    pub icon: String,
    /// Description or empty.
    pub memo: String,
}

impl From<group::Model> for Group {
    fn from(m: group::Model) -> Group {
        Group {
            id: GroupId(m.id),
            name: m.name,
            icon: m.icon,
            memo: m.memo,
            owner_id: UserId(m.owner_id),
            member_count: u32::try_from(m.member_count).unwrap_or(0),
            created_at: m.created_at,
            members_can_pin: m.members_can_pin,
        }
    }
}

async fn member_ids(conn: &impl ConnectionTrait, g: GroupId) -> Result<Vec<UserId>, StoreError> {
    let ids: Vec<i64> = group_member::Entity::find()
        .select_only()
        .column(group_member::Column::UserId)
        .filter(group_member::Column::GroupId.eq(g.0))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().map(UserId).collect())
}

async fn role_of(
    conn: &impl ConnectionTrait,
    g: GroupId,
    who: UserId,
) -> Result<Option<GroupRole>, StoreError> {
    let row = group_member::Entity::find()
        .filter(group_member::Column::GroupId.eq(g.0))
        .filter(group_member::Column::UserId.eq(who.0))
        .one(conn)
        .await?;
    Ok(row.map(|m| m.role.into()))
}

async fn group_in(conn: &impl ConnectionTrait, g: GroupId) -> Result<Option<Group>, StoreError> {
    Ok(group::Entity::find_by_id(g.0)
        .one(conn)
        .await?
        .map(Group::from))
}

/// Adds `delta` to a user's owned-group count; with `max`, only while it stays within it.
async fn bump_owned(
    txn: &DatabaseTransaction,
    who: UserId,
    delta: i32,
    max: Option<u32>,
) -> Result<bool, StoreError> {
    let mut q = user::Entity::update_many()
        .col_expr(
            user::Column::OwnedGroups,
            Expr::col(user::Column::OwnedGroups).add(delta),
        )
        .filter(user::Column::Id.eq(who.0));
    if let Some(max) = max {
        q = q.filter(user::Column::OwnedGroups.lt(i32::try_from(max).unwrap_or(i32::MAX)));
    }
    Ok(q.exec(txn).await?.rows_affected == 1)
}

/// Records a group event for `users` (the conversation is the group's).
#[allow(clippy::too_many_arguments)]
async fn tell_members(
    txn: &DatabaseTransaction,
    users: Vec<UserId>,
    kind: NoticeKind,
    actor: &User,
    peer: Option<&User>,
    group: &Group,
    word: Wording,
    now_ms: i64,
) -> Result<Vec<Notice>, StoreError> {
    let event = Event {
        kind,
        to: actor.id,
        actor,
        peer,
        group: Some(group),
    };
    let conv = Some(Conv::group(group.id).key());
    notify(txn, users, event, word, conv, now_ms).await
}

impl Store {
    /// Creates a group owned by `owner` (who becomes its first member), unless they already
    /// own `max_owned` groups (`Refused(OwnedGroupsLimit)`).
    pub async fn create_group(
        &self,
        owner: &User,
        new: NewGroup,
        max_owned: u32,
        now_ms: i64,
    ) -> Result<Group, StoreError> {
        let txn = self.db.begin().await?;
        if !bump_owned(&txn, owner.id, 1, Some(max_owned)).await? {
            return Err(refused(ErrorCode::OwnedGroupsLimit));
        }
        let created = group::ActiveModel {
            name: Set(new.name),
            icon: Set(new.icon),
            memo: Set(new.memo),
            owner_id: Set(owner.id.0),
            member_count: Set(1),
            created_at: Set(now_ms),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        group_member::ActiveModel {
            group_id: Set(created.id),
            user_id: Set(owner.id.0),
            role: Set(Role::Owner),
            joined_at: Set(now_ms),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        self.cache.members_changed(GroupId(created.id));
        Ok(created.into())
    }

    /// The ids of a group's members.
    pub async fn group_member_ids(&self, g: GroupId) -> Result<Vec<UserId>, StoreError> {
        member_ids(&self.db, g).await
    }

    /// The group with this id.
    pub async fn group(&self, g: GroupId) -> Result<Option<Group>, StoreError> {
        group_in(&self.db, g).await
    }

    /// `who`'s role in the group, `None` when not a member.
    pub async fn membership(
        &self,
        g: GroupId,
        who: UserId,
    ) -> Result<Option<GroupRole>, StoreError> {
        role_of(&self.db, g, who).await
    }

    /// Groups whose name contains `q` (ignoring case) or whose id is `q`; exact id first.
    pub async fn search_groups(&self, q: &str, limit: u64) -> Result<Vec<Group>, StoreError> {
        let escaped = q
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let mut cond = Condition::any().add(
            Expr::expr(Func::lower(Expr::col(group::Column::Name)))
                .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
        if let Ok(id) = q.parse::<i64>() {
            cond = cond.add(group::Column::Id.eq(id));
        }
        let rows = group::Entity::find()
            .filter(cond)
            .order_by_desc(group::Column::MemberCount)
            .order_by_asc(group::Column::Id)
            .limit(limit.saturating_add(1))
            .all(&self.db)
            .await?;
        let mut groups: Vec<Group> = rows.into_iter().map(Group::from).collect();
        groups.sort_by_key(|g| g.id.to_string() != q);
        groups.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(groups)
    }

    /// The groups `me` belongs to, by name, with `me`'s role.
    pub async fn my_groups(&self, me: UserId) -> Result<Vec<MyGroup>, StoreError> {
        let rows = group_member::Entity::find()
            .filter(group_member::Column::UserId.eq(me.0))
            .find_also_related(group::Entity)
            .all(&self.db)
            .await?;
        let mut groups: Vec<MyGroup> = rows
            .into_iter()
            .filter_map(|(m, g)| {
                g.map(|g| MyGroup {
                    group: g.into(),
                    role: m.role.into(),
                })
            })
            .collect();
        groups.sort_by_cached_key(|g| (g.group.name.to_lowercase(), g.group.id));
        Ok(groups)
    }

    /// Members of a group: the owner first, then by join time.
    pub async fn members(&self, g: GroupId) -> Result<Vec<Member>, StoreError> {
        let rows = group_member::Entity::find()
            .filter(group_member::Column::GroupId.eq(g.0))
            .order_by_asc(group_member::Column::JoinedAt)
            .order_by_asc(group_member::Column::Id)
            .find_also_related(user::Entity)
            .all(&self.db)
            .await?;
        let mut members: Vec<Member> = rows
            .into_iter()
            .filter_map(|(m, u)| {
                u.map(|u| Member {
                    user: u.into(),
                    role: m.role.into(),
                    joined_at: m.joined_at,
                })
            })
            .collect();
        members.sort_by_key(|m| m.role != GroupRole::Owner);
        Ok(members)
    }

    /// Adds `who` to the group while it has fewer than `max_members`; notifies every member.
    /// Refused with `NotFound`, `AlreadyMember` or `GroupFull`.
    pub async fn join_group(
        &self,
        g: GroupId,
        who: &User,
        max_members: u32,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<MyGroup>, StoreError> {
        let txn = self.db.begin().await?;
        let grown = group::Entity::update_many()
            .col_expr(
                group::Column::MemberCount,
                Expr::col(group::Column::MemberCount).add(1),
            )
            .filter(group::Column::Id.eq(g.0))
            .filter(group::Column::MemberCount.lt(i32::try_from(max_members).unwrap_or(i32::MAX)))
            .exec(&txn)
            .await?;
        if grown.rows_affected == 0 {
            return Err(
                match (group_in(&txn, g).await?, role_of(&txn, g, who.id).await?) {
                    (None, _) => refused(ErrorCode::NotFound),
                    (Some(_), Some(_)) => refused(ErrorCode::AlreadyMember),
                    (Some(_), None) => refused(ErrorCode::GroupFull),
                },
            );
        }
        let inserted = group_member::ActiveModel {
            group_id: Set(g.0),
            user_id: Set(who.id.0),
            role: Set(Role::Member),
            joined_at: Set(now_ms),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(classify);
        match inserted {
            Ok(_) => {}
            Err(StoreError::Duplicate) => return Err(refused(ErrorCode::AlreadyMember)),
            Err(e) => return Err(e),
        }
        let group = group_in(&txn, g)
            .await?
            .ok_or(refused(ErrorCode::NotFound))?;
        let everyone = member_ids(&txn, g).await?;
        let notices = tell_members(
            &txn,
            everyone,
            NoticeKind::MemberJoined,
            who,
            None,
            &group,
            word,
            now_ms,
        )
        .await?;
        txn.commit().await?;
        self.cache.members_changed(g);
        Ok(Noticed {
            value: MyGroup {
                group,
                role: GroupRole::Member,
            },
            notices,
        })
    }

    /// Removes `who` from the group; notifies the remaining members and `who`.
    /// Refused with `NotFound`, `NotMember` or `OwnerCannotLeave`.
    pub async fn leave_group(
        &self,
        g: GroupId,
        who: &User,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<()>, StoreError> {
        let txn = self.db.begin().await?;
        let gone = group_member::Entity::delete_many()
            .filter(group_member::Column::GroupId.eq(g.0))
            .filter(group_member::Column::UserId.eq(who.id.0))
            .filter(group_member::Column::Role.eq(Role::Member))
            .exec(&txn)
            .await?;
        if gone.rows_affected == 0 {
            return Err(
                match (group_in(&txn, g).await?, role_of(&txn, g, who.id).await?) {
                    (None, _) => refused(ErrorCode::NotFound),
                    (Some(_), Some(GroupRole::Owner)) => refused(ErrorCode::OwnerCannotLeave),
                    (Some(_), _) => refused(ErrorCode::NotMember),
                },
            );
        }
        group::Entity::update_many()
            .col_expr(
                group::Column::MemberCount,
                Expr::col(group::Column::MemberCount).sub(1),
            )
            .filter(group::Column::Id.eq(g.0))
            .exec(&txn)
            .await?;
        let group = group_in(&txn, g)
            .await?
            .ok_or(refused(ErrorCode::NotFound))?;
        let mut told = member_ids(&txn, g).await?;
        told.push(who.id);
        let notices = tell_members(
            &txn,
            told,
            NoticeKind::MemberLeft,
            who,
            None,
            &group,
            word,
            now_ms,
        )
        .await?;
        txn.commit().await?;
        self.cache.members_changed(g);
        Ok(Noticed { value: (), notices })
    }

    /// Hands the group from its owner `from` to the member `to`, who must stay within
    /// `max_owned`. Refused with `NotFound`, `NotOwner`, `NotMember` or `OwnedGroupsLimit`.
    pub async fn transfer_group(
        &self,
        g: GroupId,
        from: &User,
        to: &User,
        max_owned: u32,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<Group>, StoreError> {
        let txn = self.db.begin().await?;
        let moved = group::Entity::update_many()
            .col_expr(group::Column::OwnerId, Expr::value(to.id.0))
            .filter(group::Column::Id.eq(g.0))
            .filter(group::Column::OwnerId.eq(from.id.0))
            .exec(&txn)
            .await?;
        if moved.rows_affected == 0 {
            return Err(match group_in(&txn, g).await? {
                None => refused(ErrorCode::NotFound),
                Some(_) => refused(ErrorCode::NotOwner),
            });
        }
        let promoted = group_member::Entity::update_many()
            .col_expr(group_member::Column::Role, Expr::value(Role::Owner))
            .filter(group_member::Column::GroupId.eq(g.0))
            .filter(group_member::Column::UserId.eq(to.id.0))
            .exec(&txn)
            .await?;
        if promoted.rows_affected == 0 {
            return Err(refused(ErrorCode::NotMember));
        }
        if !bump_owned(&txn, to.id, 1, Some(max_owned)).await? {
            return Err(refused(ErrorCode::OwnedGroupsLimit));
        }
        group_member::Entity::update_many()
            .col_expr(group_member::Column::Role, Expr::value(Role::Member))
            .filter(group_member::Column::GroupId.eq(g.0))
            .filter(group_member::Column::UserId.eq(from.id.0))
            .exec(&txn)
            .await?;
        bump_owned(&txn, from.id, -1, None).await?;
        let group = group_in(&txn, g)
            .await?
            .ok_or(refused(ErrorCode::NotFound))?;
        let everyone = member_ids(&txn, g).await?;
        let notices = tell_members(
            &txn,
            everyone,
            NoticeKind::OwnerChanged,
            from,
            Some(to),
            &group,
            word,
            now_ms,
        )
        .await?;
        txn.commit().await?;
        Ok(Noticed {
            value: group,
            notices,
        })
    }

    /// Lets group `g`'s members pin messages, or only its owner (the owner's call: `NotOwner`
    /// otherwise, `NotFound` for no such group). A change tells every member (the setting
    /// shows as a line in the conversation and changes their Pin item); setting what is
    /// already set changes nothing and tells nobody.
    pub async fn set_members_can_pin(
        &self,
        g: GroupId,
        owner: &User,
        allowed: bool,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<Group>, StoreError> {
        let txn = self.db.begin().await?;
        let changed = group::Entity::update_many()
            .col_expr(group::Column::MembersCanPin, Expr::value(allowed))
            .filter(group::Column::Id.eq(g.0))
            .filter(group::Column::OwnerId.eq(owner.id.0))
            .filter(group::Column::MembersCanPin.ne(allowed))
            .exec(&txn)
            .await?
            .rows_affected;
        let group = group_in(&txn, g)
            .await?
            .ok_or(refused(ErrorCode::NotFound))?;
        if group.owner_id != owner.id {
            return Err(refused(ErrorCode::NotOwner));
        }
        let notices = if changed == 0 {
            Vec::new()
        } else {
            let kind = if allowed {
                NoticeKind::MembersMayPin
            } else {
                NoticeKind::OnlyOwnerPins
            };
            let everyone = member_ids(&txn, g).await?;
            tell_members(&txn, everyone, kind, owner, None, &group, word, now_ms).await?
        };
        txn.commit().await?;
        Ok(Noticed {
            value: group,
            notices,
        })
    }

    /// Deletes the group and its memberships (owner only) and notifies every former member.
    /// Refused with `NotFound` or `NotOwner`.
    pub async fn dissolve_group(
        &self,
        g: GroupId,
        owner: &User,
        word: Wording,
        now_ms: i64,
    ) -> Result<Noticed<()>, StoreError> {
        let txn = self.db.begin().await?;
        // Releasing the owner's quota is the first write, and only happens if they own it.
        let owns = Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(group::Entity.table_ref())
                .and_where(group::Column::Id.eq(g.0))
                .and_where(group::Column::OwnerId.eq(owner.id.0))
                .to_owned(),
        );
        let released = user::Entity::update_many()
            .col_expr(
                user::Column::OwnedGroups,
                Expr::col(user::Column::OwnedGroups).sub(1),
            )
            .filter(user::Column::Id.eq(owner.id.0))
            .filter(owns)
            .exec(&txn)
            .await?;
        if released.rows_affected == 0 {
            return Err(match group_in(&txn, g).await? {
                None => refused(ErrorCode::NotFound),
                Some(_) => refused(ErrorCode::NotOwner),
            });
        }
        let group = group_in(&txn, g)
            .await?
            .ok_or(refused(ErrorCode::NotFound))?;
        let everyone = member_ids(&txn, g).await?;
        group_member::Entity::delete_many()
            .filter(group_member::Column::GroupId.eq(g.0))
            .exec(&txn)
            .await?;
        group::Entity::delete_by_id(g.0).exec(&txn).await?;
        let notices = tell_members(
            &txn,
            everyone,
            NoticeKind::GroupDissolved,
            owner,
            None,
            &group,
            word,
            now_ms,
        )
        .await?;
        txn.commit().await?;
        self.cache.members_changed(g);
        Ok(Noticed { value: (), notices })
    }
}
