//! Issue 16, part 3: device authorization requests (RFC 8628).
//!
//! One row per request from `/oauth/device_authorization`. Both codes are stored only
//! as SHA-256 (the device code is 256 random bits; the user code is short, so what
//! protects it is its lifetime and the throttle: see docs/SECURITY.md). The row is
//! pending until a person approves or denies it on `/device`, and is consumed by one
//! conditional UPDATE when the device's poll receives the tokens.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DeviceCodes {
    Table,
    DeviceCodeHash,
    UserCodeHash,
    ClientId,
    Scopes,
    Resource,
    /// pending, approved, denied, used.
    Status,
    UserId,
    GrantId,
    AuthTime,
    IntervalSecs,
    LastPolledAt,
    CreatedAt,
    ExpiresAt,
    DecidedAt,
    IssuedJti,
    IssuedJtiExp,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let big = |c: DeviceCodes| ColumnDef::new(c).big_integer().not_null().to_owned();
        let big_null = |c: DeviceCodes| ColumnDef::new(c).big_integer().null().to_owned();
        m.create_table(
            Table::create()
                .table(DeviceCodes::Table)
                .col(
                    ColumnDef::new(DeviceCodes::DeviceCodeHash)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(DeviceCodes::UserCodeHash)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(DeviceCodes::ClientId).string().not_null())
                .col(ColumnDef::new(DeviceCodes::Scopes).text().not_null())
                .col(ColumnDef::new(DeviceCodes::Resource).text().null())
                .col(ColumnDef::new(DeviceCodes::Status).string().not_null())
                .col(ColumnDef::new(DeviceCodes::UserId).string().null())
                .col(ColumnDef::new(DeviceCodes::GrantId).string().null())
                .col(big_null(DeviceCodes::AuthTime))
                .col(big(DeviceCodes::IntervalSecs))
                .col(big_null(DeviceCodes::LastPolledAt))
                .col(big(DeviceCodes::CreatedAt))
                .col(big(DeviceCodes::ExpiresAt))
                .col(big_null(DeviceCodes::DecidedAt))
                .col(ColumnDef::new(DeviceCodes::IssuedJti).string().null())
                .col(big_null(DeviceCodes::IssuedJtiExp))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_device_codes_client")
                        .from(DeviceCodes::Table, DeviceCodes::ClientId)
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_device_codes_user")
                        .from(DeviceCodes::Table, DeviceCodes::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // A user code names one request while it lives: the unique index makes a
        // (vanishingly rare) collision at issuance an error to retry, never two rows
        // one code could approve.
        m.create_index(
            Index::create()
                .name("idx_device_codes_user_code")
                .table(DeviceCodes::Table)
                .col(DeviceCodes::UserCodeHash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_device_codes_expires")
                .table(DeviceCodes::Table)
                .col(DeviceCodes::ExpiresAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_device_codes_grant")
                .table(DeviceCodes::Table)
                .col(DeviceCodes::GrantId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DeviceCodes::Table).to_owned())
            .await
    }
}
