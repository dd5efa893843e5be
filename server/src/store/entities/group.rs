//! `chat_groups` (not `groups`: a reserved word in MySQL 8). `member_count` is kept in step
//! with `group_members` inside every join/leave transaction; the conditional update on it is
//! what enforces the size cap under concurrency.
// The SeaORM derives generate public items (Column, ActiveModel...) that cannot carry docs.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_groups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub icon: String,
    pub memo: String,
    pub owner_id: i64,
    pub member_count: i32,
    pub created_at: i64,
    /// Whether members (not only the owner) may pin messages.
    pub members_can_pin: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::group_member::Entity")]
    Member,
}

impl Related<super::group_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Member.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
