//! Issue 16, item 1: governed dynamic client registration (RFC 7591 + 7592).
//!
//! `dynamic_registrations`: one row per client registered at `/oauth/register`:
//! how (`open` or `token`, with the initial access token's id), from which address,
//! and the SHA-256 of its registration access token (256 random bits, so a plain
//! hash; looked up by hash, never compared in the clear). Deleted with its client.
//!
//! `initial_access_tokens`: minted by administrators for the `token` mode, stored
//! as SHA-256, with an expiry and a use count claimed by one conditional UPDATE.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DynamicRegistrations {
    Table,
    ClientId,
    TokenHash,
    Via,
    InitialTokenId,
    Ip,
    SoftwareId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InitialAccessTokens {
    Table,
    Id,
    TokenHash,
    Label,
    MaxUses,
    Uses,
    ExpiresAt,
    RevokedAt,
    CreatedBy,
    CreatedAt,
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
                .table(InitialAccessTokens::Table)
                .col(
                    ColumnDef::new(InitialAccessTokens::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(InitialAccessTokens::TokenHash)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(InitialAccessTokens::Label)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(InitialAccessTokens::MaxUses)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(InitialAccessTokens::Uses)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(InitialAccessTokens::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(InitialAccessTokens::RevokedAt)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(InitialAccessTokens::CreatedBy)
                        .string()
                        .null(),
                )
                .col(
                    ColumnDef::new(InitialAccessTokens::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DynamicRegistrations::Table)
                .col(
                    ColumnDef::new(DynamicRegistrations::ClientId)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(DynamicRegistrations::TokenHash)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(DynamicRegistrations::Via)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(DynamicRegistrations::InitialTokenId)
                        .string()
                        .null(),
                )
                .col(ColumnDef::new(DynamicRegistrations::Ip).string().null())
                .col(
                    ColumnDef::new(DynamicRegistrations::SoftwareId)
                        .string()
                        .null(),
                )
                .col(
                    ColumnDef::new(DynamicRegistrations::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_dynamic_registrations_client")
                        .from(DynamicRegistrations::Table, DynamicRegistrations::ClientId)
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DynamicRegistrations::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(InitialAccessTokens::Table).to_owned())
            .await
    }
}
