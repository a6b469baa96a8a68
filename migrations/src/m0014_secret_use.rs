//! Issue 13, defect 9: when each client secret was last used, and whether its owner
//! was warned that a secret still in use is about to stop working.
//!
//! A table of its own, not a column of `client_secrets`: that table is watched by
//! the change-feed triggers (m0010), and a use is not a change any cache must hear
//! about. Uses are noted in memory on the token path and written here at most once a
//! minute per process, so the hot path never writes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClientSecretUses {
    Table,
    SecretId,
    LastUsedAt,
    RemindedAt,
}

#[derive(DeriveIden)]
enum ClientSecrets {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ClientSecretUses::Table)
                .col(
                    ColumnDef::new(ClientSecretUses::SecretId)
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ClientSecretUses::LastUsedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ClientSecretUses::RemindedAt)
                        .big_integer()
                        .null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ClientSecretUses::Table, ClientSecretUses::SecretId)
                        .to(ClientSecrets::Table, ClientSecrets::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ClientSecretUses::Table).to_owned())
            .await
    }
}
