//! Issue 15 (seeds 002 and 004): people sign in through an upstream OpenID
//! provider. `upstream_logins` holds a sign-in sent to a provider and not yet back:
//! the SHA-256 of its `state` and of the browser's binding cookie (from which the
//! PKCE verifier and nonce derive, so nothing secret is stored), the provider,
//! what it is for and where to go after. `upstream_links` ties a provider's subject
//! to an account; a link dies with its account (cascade).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UpstreamLogins {
    Table,
    StateHash,
    BindingHash,
    Provider,
    UserId,
    ReturnTo,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum UpstreamLinks {
    Table,
    Provider,
    Subject,
    UserId,
    Email,
    LinkedAt,
    LastSignInAt,
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
                .table(UpstreamLogins::Table)
                .col(
                    ColumnDef::new(UpstreamLogins::StateHash)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(UpstreamLogins::BindingHash)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(UpstreamLogins::Provider).string().not_null())
                // Set when a signed-in person links a provider to their account.
                .col(ColumnDef::new(UpstreamLogins::UserId).string().null())
                .col(ColumnDef::new(UpstreamLogins::ReturnTo).string().not_null())
                .col(
                    ColumnDef::new(UpstreamLogins::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(UpstreamLogins::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_upstream_logins_expires")
                .table(UpstreamLogins::Table)
                .col(UpstreamLogins::ExpiresAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(UpstreamLinks::Table)
                .col(ColumnDef::new(UpstreamLinks::Provider).string().not_null())
                .col(ColumnDef::new(UpstreamLinks::Subject).string().not_null())
                .col(ColumnDef::new(UpstreamLinks::UserId).string().not_null())
                .col(ColumnDef::new(UpstreamLinks::Email).string().null())
                .col(
                    ColumnDef::new(UpstreamLinks::LinkedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(UpstreamLinks::LastSignInAt)
                        .big_integer()
                        .null(),
                )
                .primary_key(
                    Index::create()
                        .col(UpstreamLinks::Provider)
                        .col(UpstreamLinks::Subject),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(UpstreamLinks::Table, UpstreamLinks::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // One identity per provider and account.
        m.create_index(
            Index::create()
                .name("idx_upstream_links_user_provider")
                .table(UpstreamLinks::Table)
                .col(UpstreamLinks::UserId)
                .col(UpstreamLinks::Provider)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(UpstreamLinks::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(UpstreamLogins::Table).to_owned())
            .await
    }
}
