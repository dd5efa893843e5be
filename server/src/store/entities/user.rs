//! `users`: one row per account.
// The SeaORM derives generate public items (Column, ActiveModel...) that cannot carry docs.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The login name as the user typed it.
    pub username: String,
    /// The login name lower-cased: unique, so `Bob` and `bob` are one account.
    #[sea_orm(unique)]
    pub username_key: String,
    pub nickname: String,
    pub avatar: String,
    /// argon2 PHC string.
    pub password_hash: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// How many groups this user owns; the conditional update on it enforces the cap.
    pub owned_groups: i32,
    /// Whether a nickname fragment finds this user (otherwise only the exact username).
    pub discoverable: bool,
    /// Who may send a friend request: 0 everyone, 1 people in my groups, 2 nobody.
    pub requests_from: i16,
    /// A short status line shown on the profile.
    pub status: String,
    /// Whether others see "Read" under the messages this user has read.
    pub read_receipts: bool,
    /// Whether friends see when this user was last online.
    pub last_seen_visible: bool,
    /// When this user's last connection ended, ms since the epoch (0: never).
    pub last_seen_at: i64,
    /// When the account was deleted, ms since the epoch (0: it is not).
    pub deleted_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
