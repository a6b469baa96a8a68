//! The audit log becomes a hash chain (issue 5): every event gets a gap-free `seq`
//! assigned by the appender, the hash of the event before it and its own hash (see
//! [`crate::audit_hash`]). Events recorded before this migration are chained here, in
//! id order, so the chain covers the whole log from the first event.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, TransactionTrait};

use crate::audit_hash::{row_hash, HashedFields, GENESIS};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    EventType,
    ActorKind,
    ActorId,
    TargetKind,
    TargetId,
    Ip,
    Data,
    Seq,
    PrevHash,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite allows no more. Nullable, because ADD COLUMN
        // cannot fill a NOT NULL column with per-row values; the appender always sets
        // them, and `audit verify` reports a row without a seq as inserted.
        for col in [
            ColumnDef::new(AuditEvents::Seq)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(AuditEvents::PrevHash)
                .string()
                .null()
                .to_owned(),
            ColumnDef::new(AuditEvents::Hash).string().null().to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_events_seq")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The viewer's filters.
        for (name, col) in [
            ("idx_audit_events_occurred_at", AuditEvents::OccurredAt),
            ("idx_audit_events_actor", AuditEvents::ActorId),
            ("idx_audit_events_target", AuditEvents::TargetId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditEvents::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        chain_existing(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "idx_audit_events_seq",
            "idx_audit_events_occurred_at",
            "idx_audit_events_actor",
            "idx_audit_events_target",
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(AuditEvents::Table)
                        .to_owned(),
                )
                .await?;
        }
        for col in [AuditEvents::Hash, AuditEvents::PrevHash, AuditEvents::Seq] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Hashes the events that predate the chain, oldest first, in batches.
async fn chain_existing(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let txn = db.begin().await?;
    let mut prev = GENESIS.to_owned();
    let mut seq = 0i64;
    let mut last_id = 0i64;
    loop {
        let select = Query::select()
            .columns([
                AuditEvents::Id,
                AuditEvents::OccurredAt,
                AuditEvents::EventType,
                AuditEvents::ActorKind,
                AuditEvents::ActorId,
                AuditEvents::TargetKind,
                AuditEvents::TargetId,
                AuditEvents::Ip,
                AuditEvents::Data,
            ])
            .from(AuditEvents::Table)
            .and_where(Expr::col(AuditEvents::Id).gt(last_id))
            .order_by(AuditEvents::Id, Order::Asc)
            .limit(500)
            .to_owned();
        let rows = txn.query_all(&select).await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let occurred_at: i64 = row.try_get("", "occurred_at")?;
            let event_type: String = row.try_get("", "event_type")?;
            let actor_kind: String = row.try_get("", "actor_kind")?;
            let actor_id: Option<String> = row.try_get("", "actor_id")?;
            let target_kind: Option<String> = row.try_get("", "target_kind")?;
            let target_id: Option<String> = row.try_get("", "target_id")?;
            let ip: Option<String> = row.try_get("", "ip")?;
            let data: String = row.try_get("", "data")?;
            seq += 1;
            let hash = row_hash(&HashedFields {
                seq,
                occurred_at,
                event_type: &event_type,
                actor_kind: &actor_kind,
                actor_id: actor_id.as_deref(),
                target_kind: target_kind.as_deref(),
                target_id: target_id.as_deref(),
                ip: ip.as_deref(),
                data: &data,
                prev_hash: &prev,
            });
            let update = Query::update()
                .table(AuditEvents::Table)
                .values([
                    (AuditEvents::Seq, seq.into()),
                    (AuditEvents::PrevHash, prev.clone().into()),
                    (AuditEvents::Hash, hash.clone().into()),
                ])
                .and_where(Expr::col(AuditEvents::Id).eq(id))
                .to_owned();
            txn.execute(&update).await?;
            prev = hash;
            last_id = id;
        }
    }
    txn.commit().await
}
