//! `conversations`: one row per conversation key, holding its seq counter. The counter is
//! advanced by an UPDATE inside the message's transaction, so the row lock serialises
//! concurrent senders and seqs stay gap-free. A group conversation also names its group in
//! `group_id` (unique; NULL for 1:1s), so a member's group conversations are a join from
//! `group_members`.
// The SeaORM derives generate public items (Column, ActiveModel...) that cannot carry docs.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub conv: String,
    pub last_seq: i64,
    /// The seq of the newest message (not action): what the conversation list shows.
    pub last_msg_seq: i64,
    pub updated_at: i64,
    /// The group of a `g:<id>` conversation; `None` for a 1:1.
    pub group_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
