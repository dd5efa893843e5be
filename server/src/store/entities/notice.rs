//! `notices`: social events recorded for a user in the same transaction as the change, so
//! the hub can deliver them as cmd 12 system notices (now, or when the user next connects).
// The SeaORM derives generate public items (Column, ActiveModel...) that cannot carry docs.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Who is told.
    pub user_id: i64,
    /// What happened: `friend_added`, `friend_removed`, `member_joined`, `member_left`,
    /// `owner_changed`, `group_dissolved`.
    pub kind: String,
    /// Human-readable text (cmd 12 `content`).
    pub content: String,
    /// The conversation it concerns (`p:a:b` or `g:id`), if any (cmd 12 `conv`).
    pub conv: Option<String>,
    pub created_at: i64,
    /// Who and what it names (JSON of `app::protocol::NoticeNames`, cmd 12 `names`); `NULL`
    /// on notices recorded before names were kept.
    #[sea_orm(column_type = "Text", nullable)]
    pub names: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
