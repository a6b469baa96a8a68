//! Issue 13 (usage for developers): a client's page counts its token events per day
//! over the last 30 days — events whose actor is the client, in a time range. The
//! index on the actor alone made that read every event the client ever caused;
//! (actor, time) reads only the window, and still serves every lookup by actor
//! (the audit viewer's filter), so it replaces that index rather than adding a
//! second one for each token's event to maintain.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    ActorId,
    OccurredAt,
}

const OLD: &str = "idx_audit_events_actor";
const NEW: &str = "idx_audit_events_actor_time";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // IF NOT EXISTS: an operator with a large PostgreSQL audit table may build
        // it beforehand with CREATE INDEX CONCURRENTLY (docs/DEPLOYMENT.md), without
        // holding up writes while it builds.
        m.create_index(
            Index::create()
                .if_not_exists()
                .name(NEW)
                .table(AuditEvents::Table)
                .col(AuditEvents::ActorId)
                .col(AuditEvents::OccurredAt)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .if_exists()
                .name(OLD)
                .table(AuditEvents::Table)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(OLD)
                .table(AuditEvents::Table)
                .col(AuditEvents::ActorId)
                .to_owned(),
        )
        .await?;
        m.drop_index(Index::drop().name(NEW).table(AuditEvents::Table).to_owned())
            .await
    }
}
