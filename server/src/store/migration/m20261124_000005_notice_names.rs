//! `notices.names`: who and what each notice names (JSON of `NoticeNames`), so a browser can
//! word a notice in its reader's language instead of showing the server's English `content`.
//! Notices recorded before this keep `NULL` and show their stored words.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Notices {
    Table,
    Names,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // MySQL commits DDL by itself, so a rerun after a crash must find the column there.
        if manager.has_column("notices", "names").await? {
            return Ok(());
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Notices::Table)
                    .add_column(ColumnDef::new(Notices::Names).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Notices::Table)
                    .drop_column(Notices::Names)
                    .to_owned(),
            )
            .await
    }
}
