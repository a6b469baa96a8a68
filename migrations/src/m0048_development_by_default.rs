//! Issue 13: "a client starts in development". From this version on, new portal
//! clients start in development unless the operator's settings file or an
//! administrator says otherwise (`new_clients_in_development`, on by default).
//! A database that already holds clients was running with the old default (off):
//! this migration writes that down as an explicit setting, so an upgrade changes
//! nobody's way of working. A fresh database gets no row and follows the file.
//! An administrator's own choice (a row already there) is left as it is.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The database's clock: migrations have no `Clock` of their own.
        let now = match m.get_database_backend() {
            DbBackend::Postgres => "EXTRACT(EPOCH FROM now())::bigint",
            _ => "CAST(strftime('%s', 'now') AS INTEGER)",
        };
        // Both databases take the same words otherwise (ON CONFLICT: SQLite 3.24+,
        // PostgreSQL 9.5+).
        m.get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO server_settings (key, value, updated_at)
                 SELECT 'new_clients_in_development', 'false', {now}
                 WHERE EXISTS (SELECT 1 FROM clients)
                 ON CONFLICT (key) DO NOTHING"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // The row is a setting like any other from here on; it stays.
        Ok(())
    }
}
