//! Issue 17: two OpenID Connect Registration §2 fields of a client —
//! `default_max_age` (seconds; a person signed in longer ago must sign in again
//! before the client gets a code) and `require_auth_time`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    DefaultMaxAge,
    RequireAuthTime,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(ColumnDef::new(Clients::DefaultMaxAge).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(
                    ColumnDef::new(Clients::RequireAuthTime)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [Clients::DefaultMaxAge, Clients::RequireAuthTime] {
            m.alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
