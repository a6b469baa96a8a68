//! Issue 18: sender-constrained tokens (DPoP, RFC 9449).
//!
//! - `clients.dpop_bound_access_tokens` (RFC 9449 §5.2): this client's token
//!   requests must carry a DPoP proof.
//! - `refresh_tokens.dpop_jkt`: the thumbprint of the key a public client's refresh
//!   token is bound to (§5); rotation requires a proof with that key.
//! - `dpop_proof_jtis`: each proof's `jti` under its key, kept while the proof could
//!   still be accepted (§11.1), so a replay is refused on every process (the
//!   primary key is the atomic check).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    DpopBoundAccessTokens,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    DpopJkt,
}

#[derive(DeriveIden)]
enum DpopProofJtis {
    Table,
    Jkt,
    JtiHash,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(
                    ColumnDef::new(Clients::DpopBoundAccessTokens)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(RefreshTokens::Table)
                .add_column(ColumnDef::new(RefreshTokens::DpopJkt).text().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DpopProofJtis::Table)
                .col(ColumnDef::new(DpopProofJtis::Jkt).text().not_null())
                .col(ColumnDef::new(DpopProofJtis::JtiHash).text().not_null())
                .col(
                    ColumnDef::new(DpopProofJtis::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(DpopProofJtis::Jkt)
                        .col(DpopProofJtis::JtiHash),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_dpop_proof_jtis_expiry")
                .table(DpopProofJtis::Table)
                .col(DpopProofJtis::ExpiresAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DpopProofJtis::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(RefreshTokens::Table)
                .drop_column(RefreshTokens::DpopJkt)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .drop_column(Clients::DpopBoundAccessTokens)
                .to_owned(),
        )
        .await
    }
}
