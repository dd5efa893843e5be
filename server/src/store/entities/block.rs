//! `blocks`: who blocked whom; one row per direction.
// The SeaORM derives generate public items (Column, ActiveModel...) that cannot carry docs.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "blocks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Who blocked.
    pub owner_id: i64,
    /// Who is blocked.
    pub blocked_id: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::BlockedId",
        to = "super::user::Column::Id"
    )]
    Blocked,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Blocked.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
