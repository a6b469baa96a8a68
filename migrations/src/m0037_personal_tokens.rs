//! Issue 15: personal access tokens — a person's own bearer tokens for the REST
//! API (seed 002's scoped, short-lived session token). Only the SHA-256 of each
//! token is kept; a token dies with its account (cascade).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PersonalTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    Name,
    Scope,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
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
                .table(PersonalTokens::Table)
                .col(
                    ColumnDef::new(PersonalTokens::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(PersonalTokens::UserId).string().not_null())
                .col(
                    ColumnDef::new(PersonalTokens::TokenHash)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(PersonalTokens::Name).string().not_null())
                .col(ColumnDef::new(PersonalTokens::Scope).string().not_null())
                .col(
                    ColumnDef::new(PersonalTokens::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PersonalTokens::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PersonalTokens::LastUsedAt)
                        .big_integer()
                        .null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(PersonalTokens::Table, PersonalTokens::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_personal_tokens_user")
                .table(PersonalTokens::Table)
                .col(PersonalTokens::UserId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PersonalTokens::Table).to_owned())
            .await
    }
}
