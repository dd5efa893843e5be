//! Notices: the record of a social change for each user it concerns, written in the
//! change's own transaction and read back for catch-up (`GET /api/notices`).

use super::entities::notice;
use super::{Store, StoreError};
use app::ids::UserId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// A recorded social event for one user (delivered later as a cmd 12 notice).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Increasing id (delivery cursor).
    pub id: i64,
    /// Who is told.
    pub user: UserId,
    /// Event kind, e.g. `friend_added`.
    pub kind: String,
    /// Human-readable text.
    pub content: String,
    /// The conversation concerned, if any.
    pub conv: Option<String>,
    /// When it happened, ms since the epoch.
    pub ts: i64,
}

/// The result of a change plus the notices it recorded, for the caller to deliver live
/// once the transaction has committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Noticed<T> {
    /// What the change returns.
    pub value: T,
    /// Who must be told what.
    pub notices: Vec<Notice>,
}

/// Records the same notice for each of `users`; returns them with their ids (the catch-up
/// cursor a client keeps).
pub(super) async fn notify(
    txn: &DatabaseTransaction,
    users: impl IntoIterator<Item = UserId>,
    kind: &str,
    content: &str,
    conv: Option<String>,
    now_ms: i64,
) -> Result<Vec<Notice>, StoreError> {
    let mut told = Vec::new();
    // One insert per row: a multi-row insert does not report every id on every backend.
    for user in users {
        let row = notice::ActiveModel {
            user_id: Set(user.0),
            kind: Set(kind.to_owned()),
            content: Set(content.to_owned()),
            conv: Set(conv.clone()),
            created_at: Set(now_ms),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        told.push(Notice::from(row));
    }
    Ok(told)
}

impl From<notice::Model> for Notice {
    fn from(n: notice::Model) -> Notice {
        Notice {
            id: n.id,
            user: UserId(n.user_id),
            kind: n.kind,
            content: n.content,
            conv: n.conv,
            ts: n.created_at,
        }
    }
}

impl Store {
    /// `user`'s notices with an id above `after`, oldest first, at most `limit`.
    pub async fn notices(
        &self,
        user: UserId,
        after: i64,
        limit: u64,
    ) -> Result<Vec<Notice>, StoreError> {
        let rows = notice::Entity::find()
            .filter(notice::Column::UserId.eq(user.0))
            .filter(notice::Column::Id.gt(after))
            .order_by_asc(notice::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(Notice::from).collect())
    }

    /// Deletes notices recorded before `before_ms`; returns how many.
    pub async fn prune_notices(&self, before_ms: i64) -> Result<u64, StoreError> {
        let res = notice::Entity::delete_many()
            .filter(notice::Column::CreatedAt.lt(before_ms))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }
}
