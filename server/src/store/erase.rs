//! Deleting an account: what is left of it is a tombstone that keeps its id, so the messages
//! it wrote stay readable to the others under "Deleted user"; everything that was its own
//! (sessions, requests, blocks, uploads, profile) goes in one transaction. Friendships and
//! memberships are ended before this by the rules, which tell the people concerned.

use super::entities::{block, friend_request, media, message_media, session, user};
use super::{Store, StoreError};
use app::ids::UserId;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, TransactionTrait};

pub use app::protocol::DELETED_NAME;

/// What erasing an account left for the caller to finish outside the database.
#[derive(Clone, Debug, Default)]
pub struct Erased {
    /// Token hashes of the sessions that ended: their sockets must close.
    pub sessions: Vec<String>,
    /// Keys of the uploads whose rows went: their files must go too.
    pub media: Vec<String>,
}

impl Store {
    /// Turns `me` into a tombstone at `now_ms`: username `deleted-<id>` (the old one is free
    /// again), nickname [`DELETED_NAME`], no picture, status or password; its sessions,
    /// friend requests, blocks and uploads are deleted. `None` if there is no such live
    /// account.
    pub async fn erase_account(
        &self,
        me: UserId,
        now_ms: i64,
    ) -> Result<Option<Erased>, StoreError> {
        let txn = self.db.begin().await?;
        let tombstone = format!("deleted-{}", me.0);
        let changed = user::Entity::update_many()
            .col_expr(user::Column::Username, Expr::value(tombstone.clone()))
            .col_expr(user::Column::UsernameKey, Expr::value(tombstone))
            .col_expr(user::Column::Nickname, Expr::value(DELETED_NAME))
            .col_expr(user::Column::Avatar, Expr::value(""))
            .col_expr(user::Column::Status, Expr::value(""))
            // No PHC string parses from this, so no password ever matches it.
            .col_expr(user::Column::PasswordHash, Expr::value("!"))
            .col_expr(user::Column::Discoverable, Expr::value(false))
            .col_expr(user::Column::DeletedAt, Expr::value(now_ms))
            .filter(user::Column::Id.eq(me.0))
            .filter(user::Column::DeletedAt.eq(0))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 0 {
            return Ok(None);
        }
        let sessions: Vec<String> = session::Entity::find()
            .select_only()
            .column(session::Column::TokenHash)
            .filter(session::Column::UserId.eq(me.0))
            .into_tuple()
            .all(&txn)
            .await?;
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(me.0))
            .exec(&txn)
            .await?;
        friend_request::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(friend_request::Column::LowId.eq(me.0))
                    .add(friend_request::Column::HighId.eq(me.0)),
            )
            .exec(&txn)
            .await?;
        block::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(block::Column::OwnerId.eq(me.0))
                    .add(block::Column::BlockedId.eq(me.0)),
            )
            .exec(&txn)
            .await?;
        let keys: Vec<String> = media::Entity::find()
            .select_only()
            .column(media::Column::Key)
            .filter(media::Column::OwnerId.eq(me.0))
            .into_tuple()
            .all(&txn)
            .await?;
        // In slices, so no statement carries more parameters than a backend takes.
        for chunk in keys.chunks(500) {
            message_media::Entity::delete_many()
                .filter(message_media::Column::MediaKey.is_in(chunk.to_vec()))
                .exec(&txn)
                .await?;
        }
        media::Entity::delete_many()
            .filter(media::Column::OwnerId.eq(me.0))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(Some(Erased {
            sessions,
            media: keys,
        }))
    }
}
