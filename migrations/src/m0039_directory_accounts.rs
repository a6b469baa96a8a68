//! Issue 15 (seeds 001 and 004): accounts whose password lives in an LDAP
//! directory. A row here marks an account as the directory's: it has no local
//! password, signs in by a bind as `dn`, and takes its names, address and (when
//! group mapping is configured) role from the directory at every sign-in. The
//! row dies with its account (cascade).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DirectoryAccounts {
    Table,
    UserId,
    Dn,
    ProvisionedAt,
    SyncedAt,
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
                .table(DirectoryAccounts::Table)
                .col(
                    ColumnDef::new(DirectoryAccounts::UserId)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(DirectoryAccounts::Dn)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(DirectoryAccounts::ProvisionedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(DirectoryAccounts::SyncedAt)
                        .big_integer()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(DirectoryAccounts::Table, DirectoryAccounts::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DirectoryAccounts::Table).to_owned())
            .await
    }
}
