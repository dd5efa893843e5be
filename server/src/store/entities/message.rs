//! `messages`: every stored message, unique on (conv, seq) and on (sender_id, cid).
// The SeaORM derives generate public items (Column, ActiveModel...) that cannot carry docs.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conv: String,
    pub seq: i64,
    pub sender_id: i64,
    pub cid: String,
    pub media: i32,
    pub content: String,
    pub pic: String,
    pub url: String,
    pub memo: String,
    pub amount: i64,
    pub created_at: i64,
    /// Pixel size of an image or a video's poster (0 when unknown or another kind).
    pub width: i32,
    pub height: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
