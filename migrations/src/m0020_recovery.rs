//! Issue 15 (recovery and verification): `account_tokens` holds the one-time links
//! mailed for a password reset or an e-mail verification — only the SHA-256 of each
//! token (the primary key), the person, what it is for, the address it was sent to,
//! and when it expires. Using a token deletes its row: the delete is the atomic
//! check, so of two uses at once exactly one finds it.
//!
//! `outbox_emails.scrub_after_send` marks a mail that carries such a link: once
//! delivered, its body is replaced, so the link does not stay readable in the
//! database (docs/SECURITY.md, "Recovery links in the outbox").

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    TokenHash,
    UserId,
    Purpose,
    Email,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum OutboxEmails {
    Table,
    ScrubAfterSend,
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
                .table(AccountTokens::Table)
                .col(
                    ColumnDef::new(AccountTokens::TokenHash)
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(AccountTokens::UserId).string().not_null())
                .col(ColumnDef::new(AccountTokens::Purpose).text().not_null())
                .col(ColumnDef::new(AccountTokens::Email).text().not_null())
                .col(
                    ColumnDef::new(AccountTokens::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AccountTokens::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(AccountTokens::Table, AccountTokens::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_account_tokens_user_purpose")
                .table(AccountTokens::Table)
                .col(AccountTokens::UserId)
                .col(AccountTokens::Purpose)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_account_tokens_expiry")
                .table(AccountTokens::Table)
                .col(AccountTokens::ExpiresAt)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(OutboxEmails::Table)
                .add_column(
                    ColumnDef::new(OutboxEmails::ScrubAfterSend)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(OutboxEmails::Table)
                .drop_column(OutboxEmails::ScrubAfterSend)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(AccountTokens::Table).to_owned())
            .await
    }
}
