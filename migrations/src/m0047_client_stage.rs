//! Issue 13, "lifecycle states": a client is in *development* (only its team may
//! sign in to it, short refresh lifetime, sandbox scopes without approval) or in
//! *production*. Every client registered before this migration is in production:
//! an upgrade changes nobody's access. New portal clients start in development
//! only when an administrator turns the runtime setting on.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    Stage,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(
                    ColumnDef::new(Clients::Stage)
                        .string_len(16)
                        .not_null()
                        .default("production"),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .drop_column(Clients::Stage)
                .to_owned(),
        )
        .await
    }
}
