//! Issue 15: upstream OpenID providers that administrators add on a page (beside
//! the settings file's `[[upstream]]` sections). `upstream_providers` holds each
//! one's settings as JSON and its client secret sealed with the key-encryption
//! key (none for `private_key_jwt`). Every change appends an `upstream` row to
//! the change feed (m0010's trigger), so every process reloads its providers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UpstreamProviders {
    Table,
    Id,
    Config,
    SecretSealed,
    CreatedAt,
    UpdatedAt,
}

const OPS: [&str; 3] = ["INSERT", "UPDATE", "DELETE"];

/// SQLite's current time in Unix milliseconds (as m0013's triggers write it).
const SQLITE_NOW_MS: &str = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(UpstreamProviders::Table)
                .col(
                    ColumnDef::new(UpstreamProviders::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(UpstreamProviders::Config).text().not_null())
                .col(
                    ColumnDef::new(UpstreamProviders::SecretSealed)
                        .text()
                        .null(),
                )
                .col(
                    ColumnDef::new(UpstreamProviders::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(UpstreamProviders::UpdatedAt)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE TRIGGER cache_change AFTER INSERT OR UPDATE OR DELETE ON upstream_providers
                     FOR EACH ROW EXECUTE FUNCTION portcullis_cache_change('upstream', 'id')",
                )
                .await?;
            }
            _ => {
                for op in OPS {
                    let row = if op == "DELETE" { "OLD" } else { "NEW" };
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER cache_change_upstream_providers_{op} AFTER {op} ON upstream_providers
                         BEGIN INSERT INTO cache_changes (topic, key, at_ms) VALUES ('upstream', {row}.id, {SQLITE_NOW_MS}); END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The table's triggers go with it.
        m.drop_table(Table::drop().table(UpstreamProviders::Table).to_owned())
            .await
    }
}
