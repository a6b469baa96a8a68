//! Issue 18: pushed authorization requests (RFC 9126).
//!
//! - `pushed_requests`: an authenticated client's authorization request, kept for a
//!   few minutes under the SHA-256 of its `request_uri`, used once (by the code it
//!   ends in, or the person's "Deny").
//! - `clients.require_pushed_authorization_requests` (RFC 9126 §6): this client's
//!   requests are accepted only when pushed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PushedRequests {
    Table,
    Id,
    ClientId,
    Params,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    RequirePushedAuthorizationRequests,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(
                    ColumnDef::new(Clients::RequirePushedAuthorizationRequests)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PushedRequests::Table)
                .col(
                    ColumnDef::new(PushedRequests::Id)
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(PushedRequests::ClientId).text().not_null())
                .col(ColumnDef::new(PushedRequests::Params).text().not_null())
                .col(
                    ColumnDef::new(PushedRequests::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PushedRequests::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(PushedRequests::UsedAt).big_integer().null())
                .foreign_key(
                    ForeignKey::create()
                        .from(PushedRequests::Table, PushedRequests::ClientId)
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_pushed_requests_expiry")
                .table(PushedRequests::Table)
                .col(PushedRequests::ExpiresAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PushedRequests::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .drop_column(Clients::RequirePushedAuthorizationRequests)
                .to_owned(),
        )
        .await
    }
}
