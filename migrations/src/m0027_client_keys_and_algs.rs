//! Issue 17: a client's keys given inline (RFC 7591 §2 `jwks`, a JSON Web Key Set)
//! and the algorithms it commits to for its client assertions and request objects
//! (OIDC Registration §2 `token_endpoint_auth_signing_alg`,
//! `request_object_signing_alg`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    Jwks,
    TokenEndpointAuthSigningAlg,
    RequestObjectSigningAlg,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for col in [
            ColumnDef::new(Clients::Jwks).text().null().to_owned(),
            ColumnDef::new(Clients::TokenEndpointAuthSigningAlg)
                .string()
                .null()
                .to_owned(),
            ColumnDef::new(Clients::RequestObjectSigningAlg)
                .string()
                .null()
                .to_owned(),
        ] {
            let mut col = col;
            m.alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            Clients::RequestObjectSigningAlg,
            Clients::TokenEndpointAuthSigningAlg,
            Clients::Jwks,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
