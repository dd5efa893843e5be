//! Reports: a user, or one of their messages, reported to the site's admins.

use super::entities::report;
use super::{Store, StoreError};
use app::ids::UserId;
use app::protocol::people::Report;
use app::protocol::User;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

/// A report as the rules checked it.
#[derive(Clone, Debug)]
pub struct NewReport {
    /// Who reports.
    pub reporter: UserId,
    /// Who is reported.
    pub user: UserId,
    /// The message's conversation key, empty for a report about a user.
    pub conv: String,
    /// The message's seq, 0 for a report about a user.
    pub seq: i64,
    /// Why.
    pub reason: String,
    /// The message's text now.
    pub excerpt: String,
}

impl Store {
    /// Records a report; returns its id.
    pub async fn create_report(&self, new: NewReport, now_ms: i64) -> Result<i64, StoreError> {
        let row = report::ActiveModel {
            reporter_id: Set(new.reporter.0),
            user_id: Set(new.user.0),
            conv: Set(new.conv),
            seq: Set(new.seq),
            reason: Set(new.reason),
            excerpt: Set(new.excerpt),
            created_at: Set(now_ms),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(row.id)
    }

    /// The newest `limit` reports with an id below `before`, newest first, with both users.
    pub async fn reports(&self, before: i64, limit: u64) -> Result<Vec<Report>, StoreError> {
        let rows = report::Entity::find()
            .filter(report::Column::Id.lt(before))
            .order_by_desc(report::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let ids: Vec<UserId> = rows
            .iter()
            .flat_map(|r| [UserId(r.reporter_id), UserId(r.user_id)])
            .collect();
        let users: HashMap<UserId, User> = self
            .users(&ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let who = |id: i64| {
            users.get(&UserId(id)).cloned().unwrap_or(User {
                id: UserId(id),
                username: String::new(),
                nickname: String::new(),
                avatar: String::new(),
                status: String::new(),
            })
        };
        Ok(rows
            .into_iter()
            .map(|r| Report {
                id: r.id,
                reporter: who(r.reporter_id),
                user: who(r.user_id),
                conv: r.conv,
                seq: r.seq,
                reason: r.reason,
                excerpt: r.excerpt,
                created_at: r.created_at,
            })
            .collect())
    }
}
