//! Login sessions, stored under the SHA-256 of their token.

use super::entities::{session, user};
use super::{classify, Store, StoreError};
use app::ids::UserId;
use app::protocol::User;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};

impl Store {
    /// Records a new session under the token's hash.
    pub async fn create_session(
        &self,
        user: UserId,
        token_hash: String,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<(), StoreError> {
        session::ActiveModel {
            user_id: Set(user.0),
            token_hash: Set(token_hash),
            created_at: Set(now_ms),
            expires_at: Set(expires_at_ms),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(classify)?;
        Ok(())
    }

    /// The user of a live (unexpired) session and when the session expires (ms).
    pub async fn session_user(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<(User, i64)>, StoreError> {
        let found = session::Entity::find()
            .filter(session::Column::TokenHash.eq(token_hash))
            .filter(session::Column::ExpiresAt.gt(now_ms))
            .find_also_related(user::Entity)
            .one(&self.db)
            .await?;
        Ok(found.and_then(|(s, u)| u.map(|u| (User::from(u), s.expires_at))))
    }

    /// Ends a session; true if there was one.
    pub async fn delete_session(&self, token_hash: &str) -> Result<bool, StoreError> {
        let res = session::Entity::delete_many()
            .filter(session::Column::TokenHash.eq(token_hash))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected > 0)
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
