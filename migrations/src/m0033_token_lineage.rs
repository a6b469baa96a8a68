//! Issue 16, item 4: token exchange (RFC 8693) with cascade revocation.
//!
//! `token_lineage`: one row per access token issued by a token exchange, naming
//! the token it was derived from (`parent_jti`). Revoking a token walks this table
//! down and revokes every descendant in the same transaction; rows can be dropped
//! once `expires_at` passes (a derived token never outlives its parent).
//! `origin_client_id` is the app the person allowed, at the root of the chain
//! (My apps lists the agents acting through it).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TokenLineage {
    Table,
    Jti,
    ParentJti,
    Depth,
    ClientId,
    OriginClientId,
    UserId,
    ExpiresAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TokenLineage::Table)
                .col(
                    ColumnDef::new(TokenLineage::Jti)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(TokenLineage::ParentJti).string().not_null())
                .col(ColumnDef::new(TokenLineage::Depth).integer().not_null())
                .col(ColumnDef::new(TokenLineage::ClientId).string().not_null())
                .col(
                    ColumnDef::new(TokenLineage::OriginClientId)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(TokenLineage::UserId).string().null())
                .col(
                    ColumnDef::new(TokenLineage::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(TokenLineage::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_token_lineage_parent")
                .table(TokenLineage::Table)
                .col(TokenLineage::ParentJti)
                .to_owned(),
        )
        .await?;
        // My apps: the agents acting for a person.
        m.create_index(
            Index::create()
                .name("idx_token_lineage_user")
                .table(TokenLineage::Table)
                .col(TokenLineage::UserId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TokenLineage::Table).to_owned())
            .await
    }
}
