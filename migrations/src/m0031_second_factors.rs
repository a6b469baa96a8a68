//! Issue 15 (second factors): a person's TOTP secret and recovery codes, and how a
//! session, an authorization code and a refresh token were authenticated (`amr`).
//!
//! - `totp_factors`: one row per person. The RFC 6238 secret is sealed with the
//!   key-encryption key (as signing keys are); `confirmed_at` is null until the
//!   first code proved the authenticator has it; `last_step` is the newest time
//!   step accepted, raised by a conditional update (`… WHERE last_step < ?`) so a
//!   code is accepted at most once, however many requests race.
//! - `recovery_codes`: only the SHA-256 of each code (bound to the person); using
//!   one deletes its row, the delete being the atomic check.
//! - `amr` (space-separated RFC 8176 values) on `sessions`, `authorization_codes`
//!   and `refresh_tokens`; null is a password sign-in (`pwd`), as every row before
//!   this migration was.
//!
//! The pending second step of a sign-in is an `account_tokens` row of purpose
//! `sign_in_second_factor` (no schema change).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TotpFactors {
    Table,
    UserId,
    SecretSealed,
    ConfirmedAt,
    LastStep,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    CodeHash,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
}
#[derive(DeriveIden, Clone, Copy)]
enum AuthorizationCodes {
    Table,
}
#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokens {
    Table,
}
#[derive(DeriveIden, Clone, Copy)]
enum Col {
    Amr,
}

fn amr_tables() -> [DynIden; 3] {
    [
        SeaRc::new(Sessions::Table),
        SeaRc::new(AuthorizationCodes::Table),
        SeaRc::new(RefreshTokens::Table),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TotpFactors::Table)
                .col(
                    ColumnDef::new(TotpFactors::UserId)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(TotpFactors::SecretSealed).text().not_null())
                .col(
                    ColumnDef::new(TotpFactors::ConfirmedAt)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(TotpFactors::LastStep)
                        .big_integer()
                        .not_null()
                        .default(-1),
                )
                .col(
                    ColumnDef::new(TotpFactors::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(TotpFactors::Table, TotpFactors::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RecoveryCodes::Table)
                .col(
                    ColumnDef::new(RecoveryCodes::CodeHash)
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(RecoveryCodes::UserId).string().not_null())
                .col(
                    ColumnDef::new(RecoveryCodes::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(RecoveryCodes::Table, RecoveryCodes::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_recovery_codes_user")
                .table(RecoveryCodes::Table)
                .col(RecoveryCodes::UserId)
                .to_owned(),
        )
        .await?;
        // One column per statement: SQLite alters one at a time.
        for t in amr_tables() {
            m.alter_table(
                Table::alter()
                    .table(t)
                    .add_column(ColumnDef::new(Col::Amr).string().null())
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in amr_tables() {
            m.alter_table(Table::alter().table(t).drop_column(Col::Amr).to_owned())
                .await?;
        }
        m.drop_table(Table::drop().table(RecoveryCodes::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(TotpFactors::Table).to_owned())
            .await
    }
}
