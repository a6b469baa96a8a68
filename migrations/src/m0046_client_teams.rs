//! Issue 13, teams: a client belongs to its owner and the co-owners the owner
//! adds (`client_members`), and ownership passes to another developer only when
//! that developer accepts an offer (`client_transfers`, at most one waiting per
//! client). Both go with the client; a member's or recipient's rows go with
//! their account.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClientMembers {
    Table,
    ClientId,
    UserId,
    Role,
    AddedAt,
    AddedBy,
}

#[derive(DeriveIden)]
enum ClientTransfers {
    Table,
    ClientId,
    ToUserId,
    OfferedBy,
    OfferedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ClientMembers::Table)
                .col(ColumnDef::new(ClientMembers::ClientId).string().not_null())
                .col(ColumnDef::new(ClientMembers::UserId).string().not_null())
                .col(ColumnDef::new(ClientMembers::Role).string().not_null())
                .col(
                    ColumnDef::new(ClientMembers::AddedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(ClientMembers::AddedBy).string().null())
                .primary_key(
                    Index::create()
                        .col(ClientMembers::ClientId)
                        .col(ClientMembers::UserId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_client_members_client")
                        .from(ClientMembers::Table, ClientMembers::ClientId)
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_client_members_user")
                        .from(ClientMembers::Table, ClientMembers::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_client_members_added_by")
                        .from(ClientMembers::Table, ClientMembers::AddedBy)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        // "The clients I co-own" reads by person.
        m.create_index(
            Index::create()
                .name("idx_client_members_user")
                .table(ClientMembers::Table)
                .col(ClientMembers::UserId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ClientTransfers::Table)
                .col(
                    ColumnDef::new(ClientTransfers::ClientId)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ClientTransfers::ToUserId)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(ClientTransfers::OfferedBy).string().null())
                .col(
                    ColumnDef::new(ClientTransfers::OfferedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ClientTransfers::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_client_transfers_client")
                        .from(ClientTransfers::Table, ClientTransfers::ClientId)
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_client_transfers_to")
                        .from(ClientTransfers::Table, ClientTransfers::ToUserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_client_transfers_by")
                        .from(ClientTransfers::Table, ClientTransfers::OfferedBy)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_client_transfers_to")
                .table(ClientTransfers::Table)
                .col(ClientTransfers::ToUserId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ClientTransfers::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ClientMembers::Table).to_owned())
            .await
    }
}
