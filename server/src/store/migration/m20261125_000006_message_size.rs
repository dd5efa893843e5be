//! The pixel size of an image or a video's poster on each message (`width`, `height`), so a
//! bubble keeps its size while the picture loads. Existing messages read as 0 (unknown).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Width,
    Height,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement (SQLite's ALTER TABLE adds one at a time), each skipped
        // if present, since MySQL commits DDL by itself and a rerun must not fail.
        for (name, column) in [("width", Messages::Width), ("height", Messages::Height)] {
            if !manager.has_column("messages", name).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Messages::Table)
                            .add_column(ColumnDef::new(column).integer().not_null().default(0))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Messages::Width, Messages::Height] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Messages::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
