//! Issue 17: Authorized JavaScript Origins (seed 001). `clients.allowed_origins`:
//! a JSON array of exact origins (`scheme://host[:port]`) whose web pages may call
//! the token, revocation and userinfo endpoints from the browser (CORS).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    AllowedOrigins,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(
                    ColumnDef::new(Clients::AllowedOrigins)
                        .text()
                        .not_null()
                        .default("[]"),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .drop_column(Clients::AllowedOrigins)
                .to_owned(),
        )
        .await
    }
}
