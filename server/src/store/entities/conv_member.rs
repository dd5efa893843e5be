//! `conv_members`: who takes part in each 1:1 conversation, two rows per conversation (one
//! per side, each naming the other), written in the transaction that stores the
//! conversation's first message. "My 1:1 conversations, with the peer" is then one indexed
//! lookup on `(user_id, conv)` instead of a `LIKE` scan of every key plus a user query per
//! peer. Group conversations need no rows here: `conversations.group_id` joins them to
//! `group_members`.
// The SeaORM derives generate public items (Column, ActiveModel...) that cannot carry docs.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conv_members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The conversation key, `p:<low>:<high>`.
    pub conv: String,
    /// The participant this row lists the conversation for.
    pub user_id: i64,
    /// The other participant.
    pub peer_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
