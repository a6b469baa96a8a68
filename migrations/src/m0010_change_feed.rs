//! Issue 14: one truth across processes. Every change to a row that a process
//! caches (clients and their secrets, the scope catalogue, run-time settings,
//! revocations, signing keys) appends a row to `cache_changes` in the same
//! transaction, written by a trigger, so no writer can forget it: the server, the
//! CLI, another node, or an operator at the SQL prompt. Each process reads the feed
//! every few milliseconds (and, on PostgreSQL, is woken by `NOTIFY
//! portcullis_changes`, sent at commit) and drops what it holds for that row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CacheChanges {
    Table,
    Seq,
    Topic,
    Key,
}

/// (table, topic, the column naming the cached thing, or "" for the whole topic)
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CacheChanges::Table)
                .col(
                    ColumnDef::new(CacheChanges::Seq)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(CacheChanges::Topic).text().not_null())
                .col(ColumnDef::new(CacheChanges::Key).text().not_null())
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION portcullis_cache_change() RETURNS trigger LANGUAGE plpgsql AS $$
                     DECLARE r jsonb;
                     BEGIN
                       IF TG_OP = 'DELETE' THEN r := to_jsonb(OLD); ELSE r := to_jsonb(NEW); END IF;
                       INSERT INTO cache_changes (topic, key)
                         VALUES (TG_ARGV[0], COALESCE(r ->> TG_ARGV[1], ''));
                       PERFORM pg_notify('portcullis_changes', '');
                       RETURN NULL;
                     END $$",
                )
                .await?;
                for (table, topic, column) in WATCHED {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER cache_change AFTER INSERT OR UPDATE OR DELETE ON {table}
                         FOR EACH ROW EXECUTE FUNCTION portcullis_cache_change('{topic}', '{column}')"
                    ))
                    .await?;
                }
            }
            _ => {
                for (table, topic, column) in WATCHED {
                    for op in OPS {
                        let row = if op == "DELETE" { "OLD" } else { "NEW" };
                        let key = if column.is_empty() {
                            "''".to_owned()
                        } else {
                            format!("{row}.{column}")
                        };
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER cache_change_{table}_{op} AFTER {op} ON {table}
                             BEGIN INSERT INTO cache_changes (topic, key) VALUES ('{topic}', {key}); END"
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Postgres => {
                for (table, _, _) in WATCHED {
                    db.execute_unprepared(&format!("DROP TRIGGER cache_change ON {table}"))
                        .await?;
                }
                db.execute_unprepared("DROP FUNCTION portcullis_cache_change()")
                    .await?;
            }
            _ => {
                for (table, _, _) in WATCHED {
                    for op in OPS {
                        db.execute_unprepared(&format!("DROP TRIGGER cache_change_{table}_{op}"))
                            .await?;
                    }
                }
            }
        }
        m.drop_table(Table::drop().table(CacheChanges::Table).to_owned())
            .await
    }
}
