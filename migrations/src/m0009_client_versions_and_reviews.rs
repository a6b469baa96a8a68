//! Issue 11, M4, M6, M7 and L1:
//! - `clients.version`: bumped by every write to a client row; writes are
//!   conditional on the version they read (optimistic concurrency), so a routine
//!   edit can no longer overwrite a column another writer just changed.
//! - `clients.reviewed_grant_types` / `clients.reviewed_redirect_uris`: what an
//!   administrator (or an approving rule) has seen of the client. A developer's
//!   edit that goes beyond it while the client holds an approval-gated scope
//!   becomes a change request, and errors are redirected automatically only to
//!   reviewed origins (RFC 9700 §4.11.2). Clients the operator registered (no
//!   owner) count as reviewed as they are; developers' clients start unreviewed.
//! - `users.email_verified`: a domain restriction is satisfied only by a verified
//!   address. Accounts an administrator or the operator created count as verified;
//!   self sign-ups do not (their `user.created` event tells them apart).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    OwnerId,
    GrantTypes,
    RedirectUris,
    Version,
    ReviewedGrantTypes,
    ReviewedRedirectUris,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    EmailVerified,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    EventType,
    TargetKind,
    TargetId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for col in [
            ColumnDef::new(Clients::Version)
                .big_integer()
                .not_null()
                .default(1),
            ColumnDef::new(Clients::ReviewedGrantTypes)
                .text()
                .not_null()
                .default("[]"),
            ColumnDef::new(Clients::ReviewedRedirectUris)
                .text()
                .not_null()
                .default("[]"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(
                    ColumnDef::new(Users::EmailVerified)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await?;

        let db = m.get_connection();
        db.execute(
            &Query::update()
                .table(Clients::Table)
                .value(Clients::ReviewedGrantTypes, Expr::col(Clients::GrantTypes))
                .value(
                    Clients::ReviewedRedirectUris,
                    Expr::col(Clients::RedirectUris),
                )
                .and_where(Expr::col(Clients::OwnerId).is_null())
                .to_owned(),
        )
        .await?;
        db.execute(
            &Query::update()
                .table(Users::Table)
                .value(Users::EmailVerified, true)
                .and_where(
                    Expr::col(Users::Id).in_subquery(
                        Query::select()
                            .column(AuditEvents::TargetId)
                            .from(AuditEvents::Table)
                            .and_where(Expr::col(AuditEvents::EventType).eq("user.created"))
                            .and_where(Expr::col(AuditEvents::TargetKind).eq("user"))
                            .to_owned(),
                    ),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .drop_column(Users::EmailVerified)
                .to_owned(),
        )
        .await?;
        for col in [
            Clients::ReviewedRedirectUris,
            Clients::ReviewedGrantTypes,
            Clients::Version,
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
