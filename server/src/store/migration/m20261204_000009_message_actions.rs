//! Message actions (issue 20): an action is a row of `messages` with its own seq and a
//! `kind` (0 is a message) naming its `target_seq`; a message keeps its current state in
//! its own row (`reply_seq`, `forwarded`, `mentions`, `edited_at`, `recalled_by`,
//! `pinned_at`/`pinned_by`). Reactions, mentions by user and "deleted for me" get tables of
//! their own, indexed the way they are read. `conversations.last_msg_seq` is the newest
//! *message* (events take seqs too, but the conversation list shows and counts messages);
//! existing rows are all messages, so it starts at `last_seq`. `chat_groups.members_can_pin`
//! lets a group's members pin (off: only the owner).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Kind,
    TargetSeq,
    ReplySeq,
    Forwarded,
    Mentions,
    EditedAt,
    RecalledBy,
    PinnedAt,
    PinnedBy,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    LastSeq,
    LastMsgSeq,
}

#[derive(DeriveIden)]
enum ChatGroups {
    Table,
    MembersCanPin,
}

#[derive(DeriveIden)]
enum Reactions {
    Table,
    Id,
    MessageId,
    Conv,
    UserId,
    Emoji,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Mentions {
    Table,
    Id,
    Conv,
    Seq,
    UserId,
}

#[derive(DeriveIden)]
enum HiddenMessages {
    Table,
    Id,
    UserId,
    MessageId,
    Conv,
    Seq,
}

/// Adds `column` to `table` unless it is there (MySQL commits DDL by itself, so a rerun
/// after a failure must not fail on what the first run did).
async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl Iden + 'static,
    name: &str,
    table_name: &str,
    column: &mut ColumnDef,
) -> Result<(), DbErr> {
    if !manager.has_column(table_name, name).await? {
        manager
            .alter_table(
                Table::alter()
                    .table(table)
                    .add_column(column.to_owned())
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// The emoji of a reaction, compared byte for byte: MySQL's default utf8mb4 collations weigh
/// every character outside the BMP the same, so 👍 would equal 🙈 (in the unique key, in
/// `DISTINCT`, in an unreact's `WHERE`).
fn emoji_column(manager: &SchemaManager) -> ColumnDef {
    let mut column = ColumnDef::new(Reactions::Emoji);
    if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::MySql {
        column.custom(Alias::new(
            "VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        ));
    } else {
        column.string_len(64);
    }
    column.not_null();
    column
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let int = |c: Messages| ColumnDef::new(c).integer().not_null().default(0).to_owned();
        let big = |c: Messages| {
            ColumnDef::new(c)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned()
        };
        let columns: Vec<(&str, ColumnDef)> = vec![
            ("kind", int(Messages::Kind)),
            ("target_seq", big(Messages::TargetSeq)),
            ("reply_seq", big(Messages::ReplySeq)),
            (
                "forwarded",
                ColumnDef::new(Messages::Forwarded)
                    .boolean()
                    .not_null()
                    .default(false)
                    .to_owned(),
            ),
            (
                // Comma-separated user ids (0: everyone); at most 50, so a bounded string
                // (MySQL allows no default on TEXT).
                "mentions",
                ColumnDef::new(Messages::Mentions)
                    .string_len(1024)
                    .not_null()
                    .default("")
                    .to_owned(),
            ),
            ("edited_at", big(Messages::EditedAt)),
            ("recalled_by", big(Messages::RecalledBy)),
            ("pinned_at", big(Messages::PinnedAt)),
            ("pinned_by", big(Messages::PinnedBy)),
        ];
        for (name, mut column) in columns {
            add_column(manager, Messages::Table, name, "messages", &mut column).await?;
        }
        // The pins of a conversation are read by it.
        if !manager
            .has_index("messages", "idx_messages_conv_pinned")
            .await?
        {
            manager
                .create_index(
                    Index::create()
                        .name("idx_messages_conv_pinned")
                        .table(Messages::Table)
                        .col(Alias::new("conv"))
                        .col(Messages::PinnedAt)
                        .to_owned(),
                )
                .await?;
        }

        if !manager.has_column("conversations", "last_msg_seq").await? {
            add_column(
                manager,
                Conversations::Table,
                "last_msg_seq",
                "conversations",
                ColumnDef::new(Conversations::LastMsgSeq)
                    .big_integer()
                    .not_null()
                    .default(0),
            )
            .await?;
            manager
                .exec_stmt(
                    Query::update()
                        .table(Conversations::Table)
                        .value(Conversations::LastMsgSeq, Expr::col(Conversations::LastSeq))
                        .to_owned(),
                )
                .await?;
        }
        add_column(
            manager,
            ChatGroups::Table,
            "members_can_pin",
            "chat_groups",
            ColumnDef::new(ChatGroups::MembersCanPin)
                .boolean()
                .not_null()
                .default(false),
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Reactions::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Reactions::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Reactions::MessageId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Reactions::Conv).string_len(64).not_null())
                    .col(ColumnDef::new(Reactions::UserId).big_integer().not_null())
                    .col(emoji_column(manager))
                    .col(
                        ColumnDef::new(Reactions::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        if !manager
            .has_index("reactions", "idx_reactions_message_user_emoji")
            .await?
        {
            // Also the index a page's reactions are read by (message_id IN ...).
            manager
                .create_index(
                    Index::create()
                        .name("idx_reactions_message_user_emoji")
                        .table(Reactions::Table)
                        .col(Reactions::MessageId)
                        .col(Reactions::UserId)
                        .col(Reactions::Emoji)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Mentions::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Mentions::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Mentions::Conv).string_len(64).not_null())
                    .col(ColumnDef::new(Mentions::Seq).big_integer().not_null())
                    .col(ColumnDef::new(Mentions::UserId).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        if !manager
            .has_index("mentions", "idx_mentions_user_conv_seq")
            .await?
        {
            // "Was I mentioned after my read mark": (user, conv, seq > mark).
            manager
                .create_index(
                    Index::create()
                        .name("idx_mentions_user_conv_seq")
                        .table(Mentions::Table)
                        .col(Mentions::UserId)
                        .col(Mentions::Conv)
                        .col(Mentions::Seq)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(HiddenMessages::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(HiddenMessages::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(HiddenMessages::UserId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HiddenMessages::MessageId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HiddenMessages::Conv)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(HiddenMessages::Seq).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        if !manager
            .has_index("hidden_messages", "idx_hidden_user_conv_seq")
            .await?
        {
            manager
                .create_index(
                    Index::create()
                        .name("idx_hidden_user_conv_seq")
                        .table(HiddenMessages::Table)
                        .col(HiddenMessages::UserId)
                        .col(HiddenMessages::Conv)
                        .col(HiddenMessages::Seq)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["hidden_messages", "mentions", "reactions"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ChatGroups::Table)
                    .drop_column(ChatGroups::MembersCanPin)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .drop_column(Conversations::LastMsgSeq)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_messages_conv_pinned")
                    .table(Messages::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Messages::Kind,
            Messages::TargetSeq,
            Messages::ReplySeq,
            Messages::Forwarded,
            Messages::Mentions,
            Messages::EditedAt,
            Messages::RecalledBy,
            Messages::PinnedAt,
            Messages::PinnedBy,
        ] {
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
