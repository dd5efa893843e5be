//! `media.published`: set once a picture becomes its uploader's avatar or the icon of a
//! group they made, so any signed-in user may fetch it (a profile picture is shown to
//! everyone who sees the profile). Existing files read as unpublished, as they were served.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Media {
    Table,
    Published,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Skipped if present, since MySQL commits DDL by itself and a rerun must not fail.
        if !manager.has_column("media", "published").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table(Media::Table)
                        .add_column(
                            ColumnDef::new(Media::Published)
                                .boolean()
                                .not_null()
                                .default(false),
                        )
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Media::Table)
                    .drop_column(Media::Published)
                    .to_owned(),
            )
            .await
    }
}
