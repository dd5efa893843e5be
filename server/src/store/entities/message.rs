//! `messages`: every stored message and every action on one (an event of the conversation,
//! `kind` > 0), unique on (conv, seq) and on (sender_id, cid).
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
    /// 0 for a message; an action's kind otherwise (`app::protocol::action::Act::kind`).
    pub kind: i32,
    /// The seq of the message an action is done to (0 for a message).
    pub target_seq: i64,
    /// The seq of the message this one replies to (0: none).
    pub reply_seq: i64,
    pub forwarded: bool,
    /// Comma-separated user ids this message @mentions (0: everyone).
    pub mentions: String,
    /// When the text was last edited (0: never).
    pub edited_at: i64,
    /// Who recalled it (0: not recalled); its content columns are then empty.
    pub recalled_by: i64,
    /// When it was pinned (0: not pinned), and by whom.
    pub pinned_at: i64,
    pub pinned_by: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
