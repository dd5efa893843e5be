//! Friends (contacts), groups, memberships and the notices they produce.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    OwnedGroups,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    OwnerId,
    PeerId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ChatGroups {
    Table,
    Id,
    Name,
    Icon,
    Memo,
    OwnerId,
    MemberCount,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GroupMembers {
    Table,
    Id,
    GroupId,
    UserId,
    Role,
    JoinedAt,
}

#[derive(DeriveIden)]
enum Notices {
    Table,
    Id,
    UserId,
    Kind,
    Content,
    Conv,
    CreatedAt,
}

fn id_col<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn fk_user(
    name: &str,
    table: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        ColumnDef::new(Users::OwnedGroups)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .col(id_col(Contacts::Id))
                    .col(ColumnDef::new(Contacts::OwnerId).big_integer().not_null())
                    .col(ColumnDef::new(Contacts::PeerId).big_integer().not_null())
                    .col(ColumnDef::new(Contacts::CreatedAt).big_integer().not_null())
                    .foreign_key(&mut fk_user(
                        "fk_contacts_owner",
                        Contacts::Table,
                        Contacts::OwnerId,
                    ))
                    .foreign_key(&mut fk_user(
                        "fk_contacts_peer",
                        Contacts::Table,
                        Contacts::PeerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_contacts_owner_peer")
                    .table(Contacts::Table)
                    .col(Contacts::OwnerId)
                    .col(Contacts::PeerId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ChatGroups::Table)
                    .col(id_col(ChatGroups::Id))
                    .col(ColumnDef::new(ChatGroups::Name).string_len(256).not_null())
                    .col(ColumnDef::new(ChatGroups::Icon).string_len(512).not_null())
                    .col(ColumnDef::new(ChatGroups::Memo).string_len(2048).not_null())
                    .col(ColumnDef::new(ChatGroups::OwnerId).big_integer().not_null())
                    .col(ColumnDef::new(ChatGroups::MemberCount).integer().not_null())
                    .col(
                        ColumnDef::new(ChatGroups::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(&mut fk_user(
                        "fk_groups_owner",
                        ChatGroups::Table,
                        ChatGroups::OwnerId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(GroupMembers::Table)
                    .col(id_col(GroupMembers::Id))
                    .col(
                        ColumnDef::new(GroupMembers::GroupId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(GroupMembers::UserId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(GroupMembers::Role).string_len(16).not_null())
                    .col(
                        ColumnDef::new(GroupMembers::JoinedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_members_group")
                            .from(GroupMembers::Table, GroupMembers::GroupId)
                            .to(ChatGroups::Table, ChatGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut fk_user(
                        "fk_members_user",
                        GroupMembers::Table,
                        GroupMembers::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_members_group_user")
                    .table(GroupMembers::Table)
                    .col(GroupMembers::GroupId)
                    .col(GroupMembers::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_members_user")
                    .table(GroupMembers::Table)
                    .col(GroupMembers::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notices::Table)
                    .col(id_col(Notices::Id))
                    .col(ColumnDef::new(Notices::UserId).big_integer().not_null())
                    .col(ColumnDef::new(Notices::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Notices::Content).string_len(1024).not_null())
                    .col(ColumnDef::new(Notices::Conv).string_len(64).null())
                    .col(ColumnDef::new(Notices::CreatedAt).big_integer().not_null())
                    .foreign_key(&mut fk_user(
                        "fk_notices_user",
                        Notices::Table,
                        Notices::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notices_user")
                    .table(Notices::Table)
                    .col(Notices::UserId)
                    .col(Notices::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Notices::Table.into_iden(),
            GroupMembers::Table.into_iden(),
            ChatGroups::Table.into_iden(),
            Contacts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::OwnedGroups)
                    .to_owned(),
            )
            .await
    }
}
