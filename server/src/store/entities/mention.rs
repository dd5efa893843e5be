//! `mentions`: who a message @mentions (user 0: everyone in the group), by (user, conv, seq),
//! so "was I mentioned after my read mark" is one index range per conversation.
// The SeaORM derives generate public items (Column, ActiveModel...) that cannot carry docs.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mentions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conv: String,
    pub seq: i64,
    pub user_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
