//! Users: accounts, credentials, profiles and search.

use super::entities::user;
use super::{on_duplicate, Store, StoreError};
use app::error::ErrorCode;
use app::ids::UserId;
use app::protocol::people::{Privacy, PrivacyChange, RequestsFrom};
use app::protocol::User;
use sea_orm::sea_query::{Expr, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

/// A new account, already validated and with its password hashed.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Login name as typed.
    pub username: String,
    /// Display name.
    pub nickname: String,
    /// argon2 PHC string.
    pub password_hash: String,
    /// Creation time, ms since the epoch.
    pub now_ms: i64,
}

/// A user with the stored password hash, for checking a login.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The account.
    pub user: User,
    /// argon2 PHC string.
    pub password_hash: String,
}

/// Lower-cases a username so lookups and uniqueness ignore letter case.
pub fn username_key(username: &str) -> String {
    username.to_lowercase()
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> User {
        User {
            id: UserId(m.id),
            username: m.username,
            nickname: m.nickname,
            avatar: m.avatar,
            status: m.status,
        }
    }
}

impl Store {
    /// Inserts an account; refused with `username_taken` when the username exists in any
    /// letter case.
    pub async fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        let model = user::ActiveModel {
            username_key: Set(username_key(&new.username)),
            username: Set(new.username),
            nickname: Set(new.nickname),
            avatar: Set(String::new()),
            password_hash: Set(new.password_hash),
            created_at: Set(new.now_ms),
            owned_groups: Set(0),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(on_duplicate(ErrorCode::UsernameTaken))?;
        Ok(model.into())
    }

    /// The account and password hash for a login name, in any letter case.
    pub async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        let found = user::Entity::find()
            .filter(user::Column::UsernameKey.eq(username_key(username)))
            .one(&self.db)
            .await?;
        Ok(found.map(|m| Credentials {
            password_hash: m.password_hash.clone(),
            user: m.into(),
        }))
    }

    /// The stored password hash of `id`, if the account exists.
    pub async fn password_hash(&self, id: UserId) -> Result<Option<String>, StoreError> {
        Ok(user::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .map(|m| m.password_hash))
    }

    /// Replaces the password hash of `id`.
    pub async fn set_password_hash(&self, id: UserId, phc: String) -> Result<(), StoreError> {
        user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(phc))
            .filter(user::Column::Id.eq(id.0))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The users with these ids (those that exist), in one query.
    pub async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(user::Entity::find()
            .filter(user::Column::Id.is_in(ids.iter().map(|u| u.0)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(User::from)
            .collect())
    }

    /// The user with this id.
    pub async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(user::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .map(User::from))
    }

    /// Notes that `user` went offline at `now_ms` ("last seen").
    pub async fn set_last_seen(&self, user: UserId, now_ms: i64) -> Result<(), StoreError> {
        user::Entity::update_many()
            .col_expr(user::Column::LastSeenAt, Expr::value(now_ms))
            .filter(user::Column::Id.eq(user.0))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// When each of `users` was last seen, for those who let friends see it and were seen
    /// at all.
    pub async fn last_seen(
        &self,
        users: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, i64>, StoreError> {
        if users.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let rows: Vec<(i64, i64)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::LastSeenAt)
            .filter(user::Column::Id.is_in(users.iter().map(|u| u.0)))
            .filter(user::Column::LastSeenVisible.eq(true))
            .filter(user::Column::LastSeenAt.gt(0))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|(id, at)| (UserId(id), at)).collect())
    }

    /// Those of `users` who turned read receipts off (they neither send nor see them).
    pub async fn receipts_off(&self, users: &[UserId]) -> Result<Vec<UserId>, StoreError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::Id.is_in(users.iter().map(|u| u.0)))
            .filter(user::Column::ReadReceipts.eq(false))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    /// The user with id `id` unless there is none or the account was deleted: whom one may
    /// still write to, ask or block.
    pub async fn live_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(user::Entity::find_by_id(id.0)
            .filter(user::Column::DeletedAt.eq(0))
            .one(&self.db)
            .await?
            .map(User::from))
    }

    /// Changes nickname and/or avatar; `None` leaves a field alone. Returns the updated user,
    /// or `None` if the account no longer exists.
    pub async fn update_profile(
        &self,
        id: UserId,
        nickname: Option<String>,
        avatar: Option<String>,
        status: Option<String>,
    ) -> Result<Option<User>, StoreError> {
        let mut model = user::ActiveModel {
            id: Set(id.0),
            ..Default::default()
        };
        if let Some(n) = nickname {
            model.nickname = Set(n);
        }
        if let Some(a) = avatar {
            model.avatar = Set(a);
        }
        if let Some(s) = status {
            model.status = Set(s);
        }
        if model.is_changed() {
            user::Entity::update_many()
                .set(model)
                .filter(user::Column::Id.eq(id.0))
                .exec(&self.db)
                .await?;
        }
        self.user(id).await
    }

    /// Whom `q` finds: the user whose username is exactly `q` (any letter case), and users
    /// who chose to be discoverable whose username or nickname contains it. Never anyone in
    /// `hidden` (both sides of `me`'s blocks) or a deleted account; at most `limit`, the
    /// exact match first.
    pub async fn search_users(
        &self,
        q: &str,
        hidden: &[UserId],
        limit: u64,
    ) -> Result<Vec<User>, StoreError> {
        let needle = q.to_lowercase();
        let escaped = needle
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let fragment = Condition::all()
            .add(user::Column::Discoverable.eq(true))
            .add(
                Condition::any()
                    .add(
                        user::Column::UsernameKey.like(LikeExpr::new(pattern.clone()).escape('\\')),
                    )
                    .add(
                        Expr::expr(Func::lower(Expr::col(user::Column::Nickname)))
                            .like(LikeExpr::new(pattern).escape('\\')),
                    ),
            );
        let visible = Condition::all()
            .add(user::Column::DeletedAt.eq(0))
            .add(user::Column::Id.is_not_in(hidden.iter().map(|u| u.0)));
        let exact = user::Entity::find()
            .filter(user::Column::UsernameKey.eq(needle.clone()))
            .filter(visible.clone())
            .one(&self.db)
            .await?;
        let mut rows = user::Entity::find()
            .filter(fragment)
            .filter(visible)
            .filter(user::Column::UsernameKey.ne(needle))
            .order_by_asc(user::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        // The exact username first: that is what someone typing one wants.
        rows.splice(0..0, exact);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(rows.into_iter().map(User::from).collect())
    }

    /// `me`'s privacy settings (the defaults for an account that no longer exists).
    pub async fn privacy(&self, me: UserId) -> Result<Privacy, StoreError> {
        Ok(user::Entity::find_by_id(me.0)
            .one(&self.db)
            .await?
            .map(|m| privacy_of(&m))
            .unwrap_or_default())
    }

    /// Changes the privacy settings given; returns them all as stored.
    pub async fn set_privacy(
        &self,
        me: UserId,
        change: PrivacyChange,
    ) -> Result<Privacy, StoreError> {
        let mut model = user::ActiveModel {
            id: Set(me.0),
            ..Default::default()
        };
        if let Some(r) = change.requests_from {
            model.requests_from = Set(r.code());
        }
        if let Some(d) = change.discoverable {
            model.discoverable = Set(d);
        }
        if let Some(r) = change.read_receipts {
            model.read_receipts = Set(r);
        }
        if let Some(l) = change.last_seen_visible {
            model.last_seen_visible = Set(l);
        }
        if model.is_changed() {
            user::Entity::update_many()
                .set(model)
                .filter(user::Column::Id.eq(me.0))
                .exec(&self.db)
                .await?;
        }
        self.privacy(me).await
    }
}

/// The privacy settings a user row holds.
fn privacy_of(m: &user::Model) -> Privacy {
    Privacy {
        requests_from: RequestsFrom::from_code(m.requests_from),
        discoverable: m.discoverable,
        read_receipts: m.read_receipts,
        last_seen_visible: m.last_seen_visible,
    }
}
