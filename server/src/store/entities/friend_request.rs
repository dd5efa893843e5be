//! `friend_requests`: at most one row per pair of users (`low_id` < `high_id`), naming who
//! asked whom; gone once accepted.
// The SeaORM derives generate public items (Column, ActiveModel...) that cannot carry docs.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "friend_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub low_id: i64,
    pub high_id: i64,
    /// Who asked.
    pub from_id: i64,
    /// Who is asked.
    pub to_id: i64,
    /// What the asker wrote ("verification note").
    pub note: String,
    pub created_at: i64,
    /// From this instant the request is void, ms since the epoch.
    pub expires_at: i64,
    /// Declined by `to_id`: gone from their list, still "pending" to the asker.
    pub declined: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
