//! Issue 15: WebAuthn passkeys. `passkeys` holds each person's credentials — the
//! id the authenticator chose, the public key (JSON: the algorithm and its
//! numbers), the signature counter — never anything secret.
//! `webauthn_challenges` holds the SHA-256 of each challenge handed out, for
//! whom (registration) or for anyone (sign-in), until used once or expired.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Passkeys {
    Table,
    CredentialId,
    UserId,
    Name,
    PublicKey,
    SignCount,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum WebauthnChallenges {
    Table,
    ChallengeHash,
    Purpose,
    UserId,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Passkeys::Table)
                .col(
                    ColumnDef::new(Passkeys::CredentialId)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Passkeys::UserId).string().not_null())
                .col(ColumnDef::new(Passkeys::Name).string().not_null())
                .col(ColumnDef::new(Passkeys::PublicKey).text().not_null())
                .col(ColumnDef::new(Passkeys::SignCount).big_integer().not_null())
                .col(ColumnDef::new(Passkeys::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(Passkeys::LastUsedAt).big_integer().null())
                .foreign_key(
                    ForeignKey::create()
                        .from(Passkeys::Table, Passkeys::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_passkeys_user")
                .table(Passkeys::Table)
                .col(Passkeys::UserId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebauthnChallenges::Table)
                .col(
                    ColumnDef::new(WebauthnChallenges::ChallengeHash)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(WebauthnChallenges::Purpose)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(WebauthnChallenges::UserId).string().null())
                .col(
                    ColumnDef::new(WebauthnChallenges::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WebauthnChallenges::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Passkeys::Table).to_owned())
            .await
    }
}
