//! Issue 14, stateless nodes: a new or rotated client secret waits for the one page
//! view that shows it in the database, not in the memory of the process that made
//! it, so the page may be served by another node. Sealed with a key derived from the
//! person's session token, which the database does not hold (only its hash), so the
//! rows are useless without the cookie; deleted after five minutes at the latest.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ShownOnce {
    Table,
    SessionHash,
    ClientId,
    Sealed,
    ExpiresAt,
    TakenBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ShownOnce::Table)
                .col(ColumnDef::new(ShownOnce::SessionHash).text().not_null())
                .col(ColumnDef::new(ShownOnce::ClientId).text().not_null())
                .col(ColumnDef::new(ShownOnce::Sealed).text().not_null())
                .col(
                    ColumnDef::new(ShownOnce::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(ShownOnce::TakenBy).text().null())
                .primary_key(
                    Index::create()
                        .col(ShownOnce::SessionHash)
                        .col(ShownOnce::ClientId),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ShownOnce::Table).to_owned())
            .await
    }
}
