//! Who takes part in each conversation, as rows the conversation list can join: the two
//! sides of every 1:1 (`conv_members`) and the group of every group conversation
//! (`conversations.group_id`). Existing conversations are backfilled from their keys.
//!
//! Before this, the list found a user's 1:1s with a `LIKE` scan of every key and looked up
//! each peer with a query of its own.

use app::protocol::Conv;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, TransactionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConvMembers {
    Table,
    Id,
    Conv,
    UserId,
    PeerId,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Conv,
    GroupId,
}

const MEMBERS_INDEX: &str = "ux_conv_members_user_conv";
const GROUP_INDEX: &str = "ux_conversations_group";

/// Keys read per backfill round: memory stays bounded whatever the table's size, and an
/// insert carries at most 2 x 500 rows x 3 values, far below every backend's bind limit.
const PAGE: usize = 500;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One transaction: DDL is transactional on SQLite and PostgreSQL (where the
        // migrator's own transaction makes this a savepoint), so a crash mid-backfill leaves
        // nothing half-built. MySQL commits each DDL statement by itself, which is why every
        // step below also accepts having run before.
        let txn = manager.get_connection().begin().await?;
        let m = SchemaManager::new(&txn);
        if !m.has_table("conv_members").await? {
            // No foreign keys, like the conversation keys themselves: a key may name a user
            // that does not exist (store tests write such keys), and the list's join on
            // `users` drops those rows, as it always did.
            m.create_table(
                Table::create()
                    .table(ConvMembers::Table)
                    .col(
                        ColumnDef::new(ConvMembers::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ConvMembers::Conv).string_len(64).not_null())
                    .col(ColumnDef::new(ConvMembers::UserId).big_integer().not_null())
                    .col(ColumnDef::new(ConvMembers::PeerId).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        }
        if !m.has_index("conv_members", MEMBERS_INDEX).await? {
            // Serves "my 1:1s" (a prefix lookup on user_id) and keeps one row per side.
            m.create_index(
                Index::create()
                    .name(MEMBERS_INDEX)
                    .table(ConvMembers::Table)
                    .col(ConvMembers::UserId)
                    .col(ConvMembers::Conv)
                    .unique()
                    .to_owned(),
            )
            .await?;
        }
        if !m.has_column("conversations", "group_id").await? {
            m.alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(ColumnDef::new(Conversations::GroupId).big_integer().null())
                    .to_owned(),
            )
            .await?;
        }
        if !m.has_index("conversations", GROUP_INDEX).await? {
            // A group has one conversation, so the join from `group_members` yields one row
            // per group; NULLs (the 1:1s) do not collide on any backend.
            m.create_index(
                Index::create()
                    .name(GROUP_INDEX)
                    .table(Conversations::Table)
                    .col(Conversations::GroupId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        }
        backfill(&txn).await?;
        txn.commit().await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite refuses to drop an indexed column, so the index goes first.
        manager
            .drop_index(
                Index::drop()
                    .name(GROUP_INDEX)
                    .table(Conversations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .drop_column(Conversations::GroupId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ConvMembers::Table).to_owned())
            .await
    }
}

/// Derives the new rows from the existing conversation keys, a page of keys at a time:
/// two `conv_members` rows per 1:1, `group_id` for each group conversation. Keys that do
/// not parse were never listed and stay unlisted.
async fn backfill(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let mut after: Option<String> = None;
    loop {
        let mut page = Query::select();
        page.column(Conversations::Conv)
            .from(Conversations::Table)
            .order_by(Conversations::Conv, Order::Asc)
            .limit(PAGE as u64);
        if let Some(after) = &after {
            page.and_where(Expr::col(Conversations::Conv).gt(after.as_str()));
        }
        let keys = db
            .query_all(backend.build(&page))
            .await?
            .iter()
            .map(|row| row.try_get::<String>("", "conv"))
            .collect::<Result<Vec<String>, DbErr>>()?;

        let mut members = Query::insert();
        members.into_table(ConvMembers::Table).columns([
            ConvMembers::Conv,
            ConvMembers::UserId,
            ConvMembers::PeerId,
        ]);
        let mut any_member = false;
        for key in &keys {
            match Conv::parse(key) {
                Some(Conv::Private { low, high }) => {
                    for (user, peer) in [(low, high), (high, low)] {
                        members
                            .values([key.as_str().into(), user.0.into(), peer.0.into()])
                            .map_err(|e| DbErr::Custom(e.to_string()))?;
                    }
                    any_member = true;
                }
                Some(Conv::Group(g)) => {
                    let set = Query::update()
                        .table(Conversations::Table)
                        .value(Conversations::GroupId, g.0)
                        .and_where(Expr::col(Conversations::Conv).eq(key.as_str()))
                        .to_owned();
                    db.execute(backend.build(&set)).await?;
                }
                None => {}
            }
        }
        if any_member {
            // Rows a previous, interrupted run (MySQL) already wrote are kept as they are.
            members.on_conflict(
                OnConflict::columns([ConvMembers::UserId, ConvMembers::Conv])
                    .do_nothing_on([ConvMembers::UserId])
                    .to_owned(),
            );
            db.execute(backend.build(&members)).await?;
        }
        if keys.len() < PAGE {
            return Ok(());
        }
        after = keys.last().cloned();
    }
}
