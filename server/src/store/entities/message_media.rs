//! `message_media`: which stored message (in which conversation) points at which upload, so
//! "may this user fetch this file" is an indexed lookup by key.
// The SeaORM derives generate public items (Column, ActiveModel...) that cannot carry docs.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_media")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub media_key: String,
    pub conv: String,
    pub message_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
