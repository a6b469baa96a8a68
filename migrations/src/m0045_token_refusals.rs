//! Issue 13, "usage for developers": token requests a client made that were
//! refused, per client, UTC day and OAuth error code (`invalid_client` for a wrong
//! or old secret, `invalid_grant` for a used or expired code, …), so that its
//! developer sees a spike. Counted in memory on the token path and added here in
//! batches (`n = n + excluded.n`, so several processes add up); not watched by the
//! change-feed triggers, since no cache holds it. Goes with its client.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClientTokenRefusals {
    Table,
    ClientId,
    Day,
    Code,
    N,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ClientTokenRefusals::Table)
                .col(
                    ColumnDef::new(ClientTokenRefusals::ClientId)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ClientTokenRefusals::Day)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ClientTokenRefusals::Code)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ClientTokenRefusals::N)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(ClientTokenRefusals::ClientId)
                        .col(ClientTokenRefusals::Day)
                        .col(ClientTokenRefusals::Code),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_client_token_refusals_client")
                        .from(ClientTokenRefusals::Table, ClientTokenRefusals::ClientId)
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ClientTokenRefusals::Table).to_owned())
            .await
    }
}
