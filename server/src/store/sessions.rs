//! Login sessions, stored under the SHA-256 of their token.

use super::entities::{session, user};
use super::{classify, Store, StoreError};
use app::ids::UserId;
use app::protocol::User;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// A session about to be stored.
#[derive(Clone, Debug)]
pub struct NewSessionRow {
    /// Whose it is.
    pub user: UserId,
    /// Hex SHA-256 of its token.
    pub token_hash: String,
    /// When it opens, ms since the epoch.
    pub now_ms: i64,
    /// When it dies, ms since the epoch.
    pub expires_at_ms: i64,
    /// What the client said it is ("Chrome on Linux"), at most 64 characters.
    pub device: String,
    /// The client's address, empty when unknown.
    pub addr: String,
}

impl Store {
    /// Records a new session under the token's hash, with what the client said it is and
    /// where it came from (shown in the account's list of sessions).
    pub async fn create_session(&self, new: NewSessionRow) -> Result<(), StoreError> {
        session::ActiveModel {
            user_id: Set(new.user.0),
            token_hash: Set(new.token_hash),
            created_at: Set(new.now_ms),
            expires_at: Set(new.expires_at_ms),
            device: Set(new.device),
            addr: Set(new.addr),
            last_used_at: Set(new.now_ms),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(classify)?;
        Ok(())
    }

    /// The user of a live (unexpired) session and the session's row.
    pub async fn session_user(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<(User, session::Model)>, StoreError> {
        let found = session::Entity::find()
            .filter(session::Column::TokenHash.eq(token_hash))
            .filter(session::Column::ExpiresAt.gt(now_ms))
            .find_also_related(user::Entity)
            .one(&self.db)
            .await?;
        Ok(found.and_then(|(s, u)| u.map(|u| (User::from(u), s))))
    }

    /// Notes that session `id` was used at `now_ms` (callers do so at most once a minute).
    pub async fn touch_session(&self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        session::Entity::update_many()
            .col_expr(session::Column::LastUsedAt, Expr::value(now_ms))
            .filter(session::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The live sessions of `user`, most recently used first.
    pub async fn sessions_of(
        &self,
        user: UserId,
        now_ms: i64,
    ) -> Result<Vec<session::Model>, StoreError> {
        Ok(session::Entity::find()
            .filter(session::Column::UserId.eq(user.0))
            .filter(session::Column::ExpiresAt.gt(now_ms))
            .order_by_desc(session::Column::LastUsedAt)
            .order_by_desc(session::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// Ends `user`'s session `id`; returns its token hash (its sockets must close), `None`
    /// when `user` has no such session.
    pub async fn end_session_of(
        &self,
        user: UserId,
        id: i64,
    ) -> Result<Option<String>, StoreError> {
        let Some(found) = session::Entity::find_by_id(id)
            .filter(session::Column::UserId.eq(user.0))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        session::Entity::delete_by_id(id).exec(&self.db).await?;
        Ok(Some(found.token_hash))
    }

    /// Ends a session; returns whose it was (`None`: there was none).
    pub async fn delete_session(&self, token_hash: &str) -> Result<Option<UserId>, StoreError> {
        let Some(row) = session::Entity::find()
            .filter(session::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let res = session::Entity::delete_by_id(row.id).exec(&self.db).await?;
        Ok((res.rows_affected > 0).then_some(UserId(row.user_id)))
    }

    /// Ends every session of `user` but the one stored under `keep`; returns the token
    /// hashes it ended (their sockets must close too).
    pub async fn end_other_sessions(
        &self,
        user: UserId,
        keep: &str,
    ) -> Result<Vec<String>, StoreError> {
        let others: Vec<String> = session::Entity::find()
            .select_only()
            .column(session::Column::TokenHash)
            .filter(session::Column::UserId.eq(user.0))
            .filter(session::Column::TokenHash.ne(keep))
            .into_tuple()
            .all(&self.db)
            .await?;
        if !others.is_empty() {
            session::Entity::delete_many()
                .filter(session::Column::TokenHash.is_in(others.clone()))
                .exec(&self.db)
                .await?;
        }
        Ok(others)
    }

    /// Removes sessions that expired before `now_ms`; returns how many.
    pub async fn purge_expired_sessions(&self, now_ms: i64) -> Result<u64, StoreError> {
        let res = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now_ms))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }
}
