//! Issue 14, scale: the audit viewer's client filter finds events by the client,
//! about it, or naming it in their data. The last part was `data LIKE
//! '%"client_id":"…"%'`, which reads every event: seconds at 10 million. The client
//! an event's data names (`client_id`, else `client`, at its top level, as a string)
//! is now a column of its own, indexed, written with the event by the appender
//! (`domain::audit::chain`). Not part of the hash chain: it is derived from `data`,
//! which is.
//!
//! The existing events are filled in here, in SQL: a one-time pass over the table
//! (only rows whose data mentions a client are written).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    DataClient,
}

const INDEX: &str = "idx_audit_events_data_client";

const FILL_SQLITE: &str = "UPDATE audit_events SET data_client = CASE
    WHEN json_valid(data) THEN CASE
        WHEN json_type(data, '$.client_id') = 'text' THEN json_extract(data, '$.client_id')
        WHEN json_type(data, '$.client') = 'text' THEN json_extract(data, '$.client')
    END
END
WHERE data LIKE '%\"client%'";

const FILL_POSTGRES: &str = "UPDATE audit_events SET data_client = CASE
    WHEN jsonb_typeof(data::jsonb -> 'client_id') = 'string' THEN data::jsonb ->> 'client_id'
    WHEN jsonb_typeof(data::jsonb -> 'client') = 'string' THEN data::jsonb ->> 'client'
END
WHERE data LIKE '%\"client%'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AuditEvents::Table)
                .add_column(ColumnDef::new(AuditEvents::DataClient).text().null())
                .to_owned(),
        )
        .await?;
        let fill = match m.get_database_backend() {
            DbBackend::Postgres => FILL_POSTGRES,
            _ => FILL_SQLITE,
        };
        m.get_connection().execute_unprepared(fill).await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name(INDEX)
                .table(AuditEvents::Table)
                .col(AuditEvents::DataClient)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name(INDEX)
                .table(AuditEvents::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AuditEvents::Table)
                .drop_column(AuditEvents::DataClient)
                .to_owned(),
        )
        .await
    }
}
