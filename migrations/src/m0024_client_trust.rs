//! Issue 17: seed 001's "Pre-Authorization" and "Persist Client Authorizations".
//! `clients.pre_authorized`: an administrator trusts the client, so people are not
//! asked to consent (the consent is recorded for them, audited as such).
//! `clients.persist_consent`: false asks for consent on every authorization.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    PreAuthorized,
    PersistConsent,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for (col, default) in [
            (Clients::PreAuthorized, false),
            (Clients::PersistConsent, true),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(ColumnDef::new(col).boolean().not_null().default(default))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [Clients::PreAuthorized, Clients::PersistConsent] {
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
