//! Uploads: `media` (one row per stored file or thumbnail: key, uploader, sniffed type,
//! size, SHA-256, picture size) and `message_media` (which message in which conversation
//! points at which key), indexed by key so serving a file checks access without a scan.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Media {
    Table,
    Key,
    OwnerId,
    Mime,
    Size,
    Sha256,
    Width,
    Height,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MessageMedia {
    Table,
    Id,
    MediaKey,
    Conv,
    MessageId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
}

const BY_KEY: &str = "ux_message_media_key_conv_message";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Media::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Media::Key)
                            .string_len(128)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Media::OwnerId).big_integer().not_null())
                    .col(ColumnDef::new(Media::Mime).string_len(64).not_null())
                    .col(ColumnDef::new(Media::Size).big_integer().not_null())
                    .col(ColumnDef::new(Media::Sha256).string_len(64).not_null())
                    .col(ColumnDef::new(Media::Width).integer().not_null().default(0))
                    .col(
                        ColumnDef::new(Media::Height)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(Media::CreatedAt).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_media_owner")
                            .from(Media::Table, Media::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MessageMedia::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(MessageMedia::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(MessageMedia::MediaKey)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(ColumnDef::new(MessageMedia::Conv).string_len(64).not_null())
                    .col(
                        ColumnDef::new(MessageMedia::MessageId)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_message_media_message")
                            .from(MessageMedia::Table, MessageMedia::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        if !manager.has_index("message_media", BY_KEY).await? {
            // Serves the access check (a prefix lookup on the key) and keeps one row per
            // (key, message).
            manager
                .create_index(
                    Index::create()
                        .name(BY_KEY)
                        .table(MessageMedia::Table)
                        .col(MessageMedia::MediaKey)
                        .col(MessageMedia::Conv)
                        .col(MessageMedia::MessageId)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [MessageMedia::Table.into_iden(), Media::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
