//! The authorization-code flow: consents (grants), authorization codes and
//! refresh tokens (both stored only as SHA-256 of the token), and the per-client
//! choice of ID-token and userinfo signing algorithms.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Grants {
    Table,
    Id,
    UserId,
    ClientId,
    Scopes,
    CreatedAt,
    UpdatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum AuthorizationCodes {
    Table,
    CodeHash,
    ClientId,
    UserId,
    GrantId,
    RedirectUri,
    RedirectUriGiven,
    Scopes,
    Nonce,
    CodeChallenge,
    Resource,
    AuthTime,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    /// The access token issued from this code, revoked if the code is replayed.
    IssuedJti,
    IssuedJtiExp,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TokenHash,
    FamilyId,
    ClientId,
    UserId,
    GrantId,
    Scopes,
    Resource,
    AuthTime,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    /// The access token issued alongside, revoked with the family.
    AccessJti,
    AccessExp,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    IdTokenSignedResponseAlg,
    UserinfoSignedResponseAlg,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Grants::Table)
                .col(ColumnDef::new(Grants::Id).string().not_null().primary_key())
                .col(ColumnDef::new(Grants::UserId).string().not_null())
                .col(ColumnDef::new(Grants::ClientId).string().not_null())
                .col(ColumnDef::new(Grants::Scopes).text().not_null())
                .col(ColumnDef::new(Grants::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(Grants::UpdatedAt).big_integer().not_null())
                .col(ColumnDef::new(Grants::LastUsedAt).big_integer().null())
                .foreign_key(&mut fk(
                    "fk_grants_user",
                    (Grants::Table, Grants::UserId),
                    (Users::Table, Users::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_grants_client",
                    (Grants::Table, Grants::ClientId),
                    (Clients::Table, Clients::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_grants_user_client")
                .table(Grants::Table)
                .col(Grants::UserId)
                .col(Grants::ClientId)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuthorizationCodes::Table)
                .col(
                    ColumnDef::new(AuthorizationCodes::CodeHash)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AuthorizationCodes::ClientId)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AuthorizationCodes::UserId)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AuthorizationCodes::GrantId)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AuthorizationCodes::RedirectUri)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AuthorizationCodes::RedirectUriGiven)
                        .boolean()
                        .not_null(),
                )
                .col(ColumnDef::new(AuthorizationCodes::Scopes).text().not_null())
                .col(ColumnDef::new(AuthorizationCodes::Nonce).text().null())
                .col(
                    ColumnDef::new(AuthorizationCodes::CodeChallenge)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(AuthorizationCodes::Resource).text().null())
                .col(
                    ColumnDef::new(AuthorizationCodes::AuthTime)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AuthorizationCodes::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AuthorizationCodes::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AuthorizationCodes::UsedAt)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(AuthorizationCodes::IssuedJti)
                        .string()
                        .null(),
                )
                .col(
                    ColumnDef::new(AuthorizationCodes::IssuedJtiExp)
                        .big_integer()
                        .null(),
                )
                .foreign_key(&mut fk(
                    "fk_codes_client",
                    (AuthorizationCodes::Table, AuthorizationCodes::ClientId),
                    (Clients::Table, Clients::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_codes_user",
                    (AuthorizationCodes::Table, AuthorizationCodes::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(
                    ColumnDef::new(RefreshTokens::TokenHash)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(RefreshTokens::FamilyId).string().not_null())
                .col(ColumnDef::new(RefreshTokens::ClientId).string().not_null())
                .col(ColumnDef::new(RefreshTokens::UserId).string().not_null())
                .col(ColumnDef::new(RefreshTokens::GrantId).string().not_null())
                .col(ColumnDef::new(RefreshTokens::Scopes).text().not_null())
                .col(ColumnDef::new(RefreshTokens::Resource).text().null())
                .col(
                    ColumnDef::new(RefreshTokens::AuthTime)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RefreshTokens::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RefreshTokens::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(RefreshTokens::UsedAt).big_integer().null())
                .col(
                    ColumnDef::new(RefreshTokens::RevokedAt)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(RefreshTokens::AccessJti).string().null())
                .col(
                    ColumnDef::new(RefreshTokens::AccessExp)
                        .big_integer()
                        .null(),
                )
                .foreign_key(&mut fk(
                    "fk_refresh_client",
                    (RefreshTokens::Table, RefreshTokens::ClientId),
                    (Clients::Table, Clients::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_refresh_user",
                    (RefreshTokens::Table, RefreshTokens::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_refresh_family", RefreshTokens::FamilyId),
            ("idx_refresh_grant", RefreshTokens::GrantId),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(RefreshTokens::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }

        // SQLite allows one column per ALTER TABLE.
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(
                    ColumnDef::new(Clients::IdTokenSignedResponseAlg)
                        .string()
                        .not_null()
                        .default("RS256"),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(
                    ColumnDef::new(Clients::UserinfoSignedResponseAlg)
                        .string()
                        .null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            Clients::UserinfoSignedResponseAlg,
            Clients::IdTokenSignedResponseAlg,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table(RefreshTokens::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(AuthorizationCodes::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Grants::Table).to_owned())
            .await
    }
}
