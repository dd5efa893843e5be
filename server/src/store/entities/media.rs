//! `media`: every stored upload (and thumbnail), by its random key, with who uploaded it.
// The SeaORM derives generate public items (Column, ActiveModel...) that cannot carry docs.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub owner_id: i64,
    pub mime: String,
    pub size: i64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// Pixel size of an image (orientation applied); 0 for other kinds.
    pub width: i32,
    pub height: i32,
    pub created_at: i64,
    /// Set once the picture is its uploader's avatar or a group's icon: any signed-in user
    /// may then fetch it. Never cleared (see `store::media`).
    pub published: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
