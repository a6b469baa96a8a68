//! Issue 18: client authentication with signed JWTs (`private_key_jwt`, RFC 7523).
//! `client_assertion_jtis` remembers each assertion's `jti` until it expires, so a
//! replayed assertion is refused on every process (the primary key is the atomic
//! check: two presentations at once cannot both insert it).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClientAssertionJtis {
    Table,
    ClientId,
    JtiHash,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ClientAssertionJtis::Table)
                .col(
                    ColumnDef::new(ClientAssertionJtis::ClientId)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ClientAssertionJtis::JtiHash)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ClientAssertionJtis::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(ClientAssertionJtis::ClientId)
                        .col(ClientAssertionJtis::JtiHash),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_client_assertion_jtis_expiry")
                .table(ClientAssertionJtis::Table)
                .col(ClientAssertionJtis::ExpiresAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ClientAssertionJtis::Table).to_owned())
            .await
    }
}
