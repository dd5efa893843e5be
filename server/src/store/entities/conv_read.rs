//! `conv_reads`: how far each participant has read each conversation.
// The SeaORM derives generate public items (Column, ActiveModel...) that cannot carry docs.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conv_reads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conv: String,
    pub user_id: i64,
    pub read_seq: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
