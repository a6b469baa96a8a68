//! When each change-feed row was written, in milliseconds on the database's clock,
//! so that a process applying it can report the invalidation lag (issue 14,
//! `portcullis_invalidation_lag_seconds`) against the same clock — the nodes' own
//! clocks never enter the measurement.
//!
//! PostgreSQL takes a column default (`clock_timestamp()`, the time of the insert,
//! not of the transaction's start). SQLite cannot add a column with a non-constant
//! default, so its triggers (m0010) are recreated to write the time themselves.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// m0010's list, frozen here as it was when this migration was written.
const WATCHED: &[(&str, &str, &str)] = &[
    ("clients", "client", "id"),
    ("client_secrets", "client", "client_id"),
    ("scopes", "catalogue", ""),
    ("resources", "catalogue", ""),
    ("resource_introspectors", "catalogue", ""),
    ("server_settings", "settings", ""),
    ("revoked_tokens", "revocation", "jti"),
    ("signing_keys", "keys", ""),
];

const OPS: [&str; 3] = ["INSERT", "UPDATE", "DELETE"];

/// SQLite's current time in Unix milliseconds (`julianday('now')` carries them).
const SQLITE_NOW_MS: &str = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
/// PostgreSQL's current time in Unix milliseconds, at the moment of evaluation.
const POSTGRES_NOW_MS: &str = "(floor(extract(epoch from clock_timestamp()) * 1000))::bigint";

fn sqlite_triggers(with_time: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (table, topic, column) in WATCHED {
        for op in OPS {
            let row = if op == "DELETE" { "OLD" } else { "NEW" };
            let key = if column.is_empty() {
                "''".to_owned()
            } else {
                format!("{row}.{column}")
            };
            let (cols, time) = if with_time {
                (", at_ms", format!(", {SQLITE_NOW_MS}"))
            } else {
                ("", String::new())
            };
            out.push(format!("DROP TRIGGER cache_change_{table}_{op}"));
            out.push(format!(
                "CREATE TRIGGER cache_change_{table}_{op} AFTER {op} ON {table}
                 BEGIN INSERT INTO cache_changes (topic, key{cols}) VALUES ('{topic}', {key}{time}); END"
            ));
        }
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "ALTER TABLE cache_changes ADD COLUMN at_ms BIGINT DEFAULT {POSTGRES_NOW_MS}"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared("ALTER TABLE cache_changes ADD COLUMN at_ms BIGINT")
                    .await?;
                for sql in sqlite_triggers(true) {
                    db.execute_unprepared(&sql).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() != DatabaseBackend::Postgres {
            for sql in sqlite_triggers(false) {
                db.execute_unprepared(&sql).await?;
            }
        }
        db.execute_unprepared("ALTER TABLE cache_changes DROP COLUMN at_ms")
            .await?;
        Ok(())
    }
}
