//! People on their own terms (issue 21): friend requests that need consent, blocks, reports,
//! the privacy and profile settings of an account, and what a session list shows.
//!
//! - `friend_requests`: one row per *pair* of users (`low_id`, `high_id` unique), naming who
//!   asked. Two people asking each other at once collide on that key, so the second one
//!   finds the first request and accepts it: one friendship, never two pending requests.
//! - `blocks`: who blocked whom (one row per direction).
//! - `reports`: a user or a message reported to the site's admins, with a copy of the text.
//! - `users`: `discoverable`, `requests_from` (0 everyone, 1 people in my groups, 2 nobody),
//!   `status`, `read_receipts`, `last_seen_visible`, `last_seen_at`, `deleted_at`.
//! - `sessions`: `device`, `addr`, `last_used_at`, for the list of where I am signed in.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FriendRequests {
    Table,
    Id,
    LowId,
    HighId,
    FromId,
    ToId,
    Note,
    CreatedAt,
    ExpiresAt,
    Declined,
}

#[derive(DeriveIden)]
enum Blocks {
    Table,
    Id,
    OwnerId,
    BlockedId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    ReporterId,
    UserId,
    Conv,
    Seq,
    Reason,
    Excerpt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Discoverable,
    RequestsFrom,
    Status,
    ReadReceipts,
    LastSeenVisible,
    LastSeenAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Device,
    Addr,
    LastUsedAt,
}

fn id_col<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn big<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

/// Adds `column` to `table` unless it is there (MySQL commits DDL by itself, so a rerun
/// after a failure must not fail on what the first run did).
async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl Iden + 'static,
    table_name: &str,
    name: &str,
    column: ColumnDef,
) -> Result<(), DbErr> {
    if !manager.has_column(table_name, name).await? {
        manager
            .alter_table(Table::alter().table(table).add_column(column).to_owned())
            .await?;
    }
    Ok(())
}

/// Creates an index unless it exists (same reason as [`add_column`]).
async fn add_index(
    manager: &SchemaManager<'_>,
    table_name: &str,
    name: &str,
    index: &mut IndexCreateStatement,
) -> Result<(), DbErr> {
    if !manager.has_index(table_name, name).await? {
        manager.create_index(index.name(name).to_owned()).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FriendRequests::Table)
                    .if_not_exists()
                    .col(id_col(FriendRequests::Id))
                    .col(big(FriendRequests::LowId))
                    .col(big(FriendRequests::HighId))
                    .col(big(FriendRequests::FromId))
                    .col(big(FriendRequests::ToId))
                    .col(
                        ColumnDef::new(FriendRequests::Note)
                            .string_len(200)
                            .not_null()
                            .default(""),
                    )
                    .col(big(FriendRequests::CreatedAt))
                    .col(big(FriendRequests::ExpiresAt))
                    .col(
                        ColumnDef::new(FriendRequests::Declined)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        add_index(
            manager,
            "friend_requests",
            "ux_friend_requests_pair",
            Index::create()
                .table(FriendRequests::Table)
                .col(FriendRequests::LowId)
                .col(FriendRequests::HighId)
                .unique(),
        )
        .await?;
        add_index(
            manager,
            "friend_requests",
            "idx_friend_requests_to",
            Index::create()
                .table(FriendRequests::Table)
                .col(FriendRequests::ToId)
                .col(FriendRequests::ExpiresAt),
        )
        .await?;
        add_index(
            manager,
            "friend_requests",
            "idx_friend_requests_from",
            Index::create()
                .table(FriendRequests::Table)
                .col(FriendRequests::FromId)
                .col(FriendRequests::CreatedAt),
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Blocks::Table)
                    .if_not_exists()
                    .col(id_col(Blocks::Id))
                    .col(big(Blocks::OwnerId))
                    .col(big(Blocks::BlockedId))
                    .col(big(Blocks::CreatedAt))
                    .to_owned(),
            )
            .await?;
        add_index(
            manager,
            "blocks",
            "ux_blocks_owner_blocked",
            Index::create()
                .table(Blocks::Table)
                .col(Blocks::OwnerId)
                .col(Blocks::BlockedId)
                .unique(),
        )
        .await?;
        add_index(
            manager,
            "blocks",
            "idx_blocks_blocked",
            Index::create().table(Blocks::Table).col(Blocks::BlockedId),
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .if_not_exists()
                    .col(id_col(Reports::Id))
                    .col(big(Reports::ReporterId))
                    .col(big(Reports::UserId))
                    .col(
                        ColumnDef::new(Reports::Conv)
                            .string_len(64)
                            .not_null()
                            .default(""),
                    )
                    .col(big(Reports::Seq).default(0).to_owned())
                    .col(ColumnDef::new(Reports::Reason).string_len(500).not_null())
                    .col(
                        ColumnDef::new(Reports::Excerpt)
                            .string_len(1000)
                            .not_null()
                            .default(""),
                    )
                    .col(big(Reports::CreatedAt))
                    .to_owned(),
            )
            .await?;
        add_index(
            manager,
            "reports",
            "idx_reports_reporter_created",
            Index::create()
                .table(Reports::Table)
                .col(Reports::ReporterId)
                .col(Reports::CreatedAt),
        )
        .await?;

        let flag = |c: Users, on: bool| {
            ColumnDef::new(c)
                .boolean()
                .not_null()
                .default(on)
                .to_owned()
        };
        let users: Vec<(&str, ColumnDef)> = vec![
            ("discoverable", flag(Users::Discoverable, false)),
            (
                "requests_from",
                ColumnDef::new(Users::RequestsFrom)
                    .small_integer()
                    .not_null()
                    .default(0)
                    .to_owned(),
            ),
            (
                "status",
                ColumnDef::new(Users::Status)
                    .string_len(160)
                    .not_null()
                    .default("")
                    .to_owned(),
            ),
            ("read_receipts", flag(Users::ReadReceipts, true)),
            ("last_seen_visible", flag(Users::LastSeenVisible, true)),
            ("last_seen_at", big(Users::LastSeenAt).default(0).to_owned()),
            ("deleted_at", big(Users::DeletedAt).default(0).to_owned()),
        ];
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for (name, column) in users {
            add_column(manager, Users::Table, "users", name, column).await?;
        }
        let sessions: Vec<(&str, ColumnDef)> = vec![
            (
                "device",
                ColumnDef::new(Sessions::Device)
                    .string_len(128)
                    .not_null()
                    .default("")
                    .to_owned(),
            ),
            (
                "addr",
                ColumnDef::new(Sessions::Addr)
                    .string_len(64)
                    .not_null()
                    .default("")
                    .to_owned(),
            ),
            (
                "last_used_at",
                big(Sessions::LastUsedAt).default(0).to_owned(),
            ),
        ];
        for (name, column) in sessions {
            add_column(manager, Sessions::Table, "sessions", name, column).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["friend_requests", "blocks", "reports"] {
            manager
                .drop_table(
                    Table::drop()
                        .table(Alias::new(table))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            Users::Discoverable,
            Users::RequestsFrom,
            Users::Status,
            Users::ReadReceipts,
            Users::LastSeenVisible,
            Users::LastSeenAt,
            Users::DeletedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [Sessions::Device, Sessions::Addr, Sessions::LastUsedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
