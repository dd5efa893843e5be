//! `reports`: a user, or one of their messages, reported to the site's admins.
// The SeaORM derives generate public items (Column, ActiveModel...) that cannot carry docs.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Who reported.
    pub reporter_id: i64,
    /// Who is reported (the message's sender for a message).
    pub user_id: i64,
    /// The message's conversation key, empty for a report about a user.
    pub conv: String,
    /// The message's seq, 0 for a report about a user.
    pub seq: i64,
    pub reason: String,
    /// The reported message's text when it was reported (it may be edited or recalled).
    pub excerpt: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
