//! Issue 13: "a client starts in development". From this version on, new portal
//! clients start in development unless the operator's settings file or an
//! administrator says otherwise (`new_clients_in_development`, on by default).
//! A database that already holds clients was running with the old default (off):
//! this migration writes that down as an explicit setting, so an upgrade changes
//! nobody's way of working. A fresh database gets no row and follows the file.
//! An administrator's own choice (a row already there) is left as it is.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        // Both databases take the same words (ON CONFLICT: SQLite 3.24+, PostgreSQL 9.5+).
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
