//! Messages, their conversations (with the seq counter) and read marks.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Conv,
    LastSeq,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ConvReads {
    Table,
    Id,
    Conv,
    UserId,
    ReadSeq,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    Conv,
    Seq,
    SenderId,
    Cid,
    Media,
    Content,
    Pic,
    Url,
    Memo,
    Amount,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .col(
                        ColumnDef::new(Conversations::Conv)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Conversations::LastSeq)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Conversations::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConvReads::Table)
                    .col(
                        ColumnDef::new(ConvReads::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ConvReads::Conv).string_len(64).not_null())
                    .col(ColumnDef::new(ConvReads::UserId).big_integer().not_null())
                    .col(ColumnDef::new(ConvReads::ReadSeq).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reads_user")
                            .from(ConvReads::Table, ConvReads::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_reads_conv_user")
                    .table(ConvReads::Table)
                    .col(ConvReads::Conv)
                    .col(ConvReads::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(
                        ColumnDef::new(Messages::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Messages::Conv).string_len(64).not_null())
                    .col(ColumnDef::new(Messages::Seq).big_integer().not_null())
                    .col(ColumnDef::new(Messages::SenderId).big_integer().not_null())
                    .col(ColumnDef::new(Messages::Cid).string_len(64).not_null())
                    .col(ColumnDef::new(Messages::Media).integer().not_null())
                    .col(ColumnDef::new(Messages::Content).text().not_null())
                    .col(ColumnDef::new(Messages::Pic).string_len(2048).not_null())
                    .col(ColumnDef::new(Messages::Url).string_len(2048).not_null())
                    .col(ColumnDef::new(Messages::Memo).text().not_null())
                    .col(ColumnDef::new(Messages::Amount).big_integer().not_null())
                    .col(ColumnDef::new(Messages::CreatedAt).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_sender")
                            .from(Messages::Table, Messages::SenderId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The two invariants of delivery: gap-free unique seq per conversation, and one
        // stored message per (sender, cid) however often it is resent.
        manager
            .create_index(
                Index::create()
                    .name("ux_messages_conv_seq")
                    .table(Messages::Table)
                    .col(Messages::Conv)
                    .col(Messages::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_messages_sender_cid")
                    .table(Messages::Table)
                    .col(Messages::SenderId)
                    .col(Messages::Cid)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Messages::Table.into_iden(),
            ConvReads::Table.into_iden(),
            Conversations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
