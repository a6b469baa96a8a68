//! Issue 17: individually requested claims (OpenID Connect Core §5.5).
//!
//! - `clients.requestable_claims`: JSON array of the claim names a client may ask
//!   for one by one beyond what its scopes release (approval-gated);
//!   `clients.include_claims_in_id_token`: whether scope-released claims go into
//!   the ID token too, or only to userinfo (§5.4). Default true: today's behaviour.
//! - `authorization_codes.claims_request`, `refresh_tokens.claims_request`: the
//!   request's `claims` parameter (normalised JSON), kept with the code and carried
//!   along the refresh family, so what is released never depends on the client
//!   sending it again.
//! - Indexes on the access token a code or refresh token issued, so userinfo finds
//!   the request behind an access token in one indexed look-up.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    RequestableClaims,
    IncludeClaimsInIdToken,
}

#[derive(DeriveIden)]
enum AuthorizationCodes {
    Table,
    ClaimsRequest,
    IssuedJti,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    ClaimsRequest,
    AccessJti,
}

const CODE_JTI_INDEX: &str = "idx_authorization_codes_issued_jti";
const REFRESH_JTI_INDEX: &str = "idx_refresh_tokens_access_jti";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(
                    ColumnDef::new(Clients::RequestableClaims)
                        .text()
                        .not_null()
                        .default("[]"),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(
                    ColumnDef::new(Clients::IncludeClaimsInIdToken)
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AuthorizationCodes::Table)
                .add_column(
                    ColumnDef::new(AuthorizationCodes::ClaimsRequest)
                        .text()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(RefreshTokens::Table)
                .add_column(ColumnDef::new(RefreshTokens::ClaimsRequest).text().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(CODE_JTI_INDEX)
                .table(AuthorizationCodes::Table)
                .col(AuthorizationCodes::IssuedJti)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(REFRESH_JTI_INDEX)
                .table(RefreshTokens::Table)
                .col(RefreshTokens::AccessJti)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(REFRESH_JTI_INDEX).to_owned())
            .await?;
        m.drop_index(Index::drop().name(CODE_JTI_INDEX).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(RefreshTokens::Table)
                .drop_column(RefreshTokens::ClaimsRequest)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AuthorizationCodes::Table)
                .drop_column(AuthorizationCodes::ClaimsRequest)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .drop_column(Clients::IncludeClaimsInIdToken)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .drop_column(Clients::RequestableClaims)
                .to_owned(),
        )
        .await
    }
}
