//! The developer portal: the client fields of seed 001's table that the OAuth core
//! did not need yet, change requests (scopes, expiry extensions, approval-gated
//! field changes) with their decisions, per-scope auto-approval rules, in-app
//! notifications, the e-mail outbox, and the record of expiry reminders sent.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    LogoUri,
    ClientUri,
    PolicyUri,
    TosUri,
    JwksUri,
    PostLogoutRedirectUris,
    Contacts,
    RefreshTokenTtlSecs,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Scopes {
    Table,
    Name,
}

#[derive(DeriveIden)]
enum ChangeRequests {
    Table,
    Id,
    ClientId,
    RequesterId,
    /// scopes | extension | change
    Kind,
    /// pending | approved | rejected
    Status,
    /// What is asked (JSON): scopes, the new expiry, or field before/after pairs.
    Payload,
    Justification,
    CreatedAt,
    DecidedAt,
    /// user | rule | policy
    DeciderKind,
    DeciderId,
    Reason,
    /// What was applied on approval (JSON), e.g. the subset of scopes approved.
    Granted,
}

#[derive(DeriveIden)]
enum ApprovalRules {
    Table,
    Scope,
    ApproveIf,
    RejectIf,
    RejectReason,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    Link,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum OutboxEmails {
    Table,
    Id,
    ToAddr,
    Subject,
    Body,
    CreatedAt,
    SentAt,
    Attempts,
    NextAttemptAt,
    LastError,
}

#[derive(DeriveIden)]
enum ExpiryReminders {
    Table,
    ClientId,
    ExpiresAt,
    Days,
    SentAt,
}

fn add_column(col: &mut ColumnDef) -> TableAlterStatement {
    Table::alter()
        .table(Clients::Table)
        .add_column(col)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for col in [
            ColumnDef::new(Clients::LogoUri).string().null(),
            ColumnDef::new(Clients::ClientUri).string().null(),
            ColumnDef::new(Clients::PolicyUri).string().null(),
            ColumnDef::new(Clients::TosUri).string().null(),
            ColumnDef::new(Clients::JwksUri).string().null(),
            ColumnDef::new(Clients::PostLogoutRedirectUris)
                .text()
                .not_null()
                .default("[]"),
            ColumnDef::new(Clients::Contacts)
                .text()
                .not_null()
                .default("[]"),
            ColumnDef::new(Clients::RefreshTokenTtlSecs)
                .big_integer()
                .null(),
        ]
        .iter_mut()
        {
            m.alter_table(add_column(col)).await?;
        }

        m.create_table(
            Table::create()
                .table(ChangeRequests::Table)
                .col(
                    ColumnDef::new(ChangeRequests::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(ChangeRequests::ClientId).string().not_null())
                .col(ColumnDef::new(ChangeRequests::RequesterId).string().null())
                .col(ColumnDef::new(ChangeRequests::Kind).string().not_null())
                .col(ColumnDef::new(ChangeRequests::Status).string().not_null())
                .col(ColumnDef::new(ChangeRequests::Payload).text().not_null())
                .col(
                    ColumnDef::new(ChangeRequests::Justification)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChangeRequests::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChangeRequests::DecidedAt)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(ChangeRequests::DeciderKind).string().null())
                .col(ColumnDef::new(ChangeRequests::DeciderId).string().null())
                .col(ColumnDef::new(ChangeRequests::Reason).text().null())
                .col(ColumnDef::new(ChangeRequests::Granted).text().null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_change_requests_client")
                        .from(ChangeRequests::Table, ChangeRequests::ClientId)
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_change_requests_requester")
                        .from(ChangeRequests::Table, ChangeRequests::RequesterId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            (
                "idx_change_requests_status",
                vec![ChangeRequests::Status, ChangeRequests::CreatedAt],
            ),
            (
                "idx_change_requests_client",
                vec![ChangeRequests::ClientId, ChangeRequests::CreatedAt],
            ),
            (
                "idx_change_requests_requester",
                vec![ChangeRequests::RequesterId, ChangeRequests::CreatedAt],
            ),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(ChangeRequests::Table);
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx.to_owned()).await?;
        }

        m.create_table(
            Table::create()
                .table(ApprovalRules::Table)
                .col(
                    ColumnDef::new(ApprovalRules::Scope)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(ApprovalRules::ApproveIf).text().null())
                .col(ColumnDef::new(ApprovalRules::RejectIf).text().null())
                .col(ColumnDef::new(ApprovalRules::RejectReason).text().null())
                .col(
                    ColumnDef::new(ApprovalRules::UpdatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(ApprovalRules::UpdatedBy).string().null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_approval_rules_scope")
                        .from(ApprovalRules::Table, ApprovalRules::Scope)
                        .to(Scopes::Table, Scopes::Name)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .col(
                    ColumnDef::new(Notifications::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Notifications::UserId).string().not_null())
                .col(ColumnDef::new(Notifications::Kind).string().not_null())
                .col(ColumnDef::new(Notifications::Title).string().not_null())
                .col(ColumnDef::new(Notifications::Body).text().not_null())
                .col(ColumnDef::new(Notifications::Link).string().null())
                .col(
                    ColumnDef::new(Notifications::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Notifications::ReadAt).big_integer().null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_notifications_user")
                        .from(Notifications::Table, Notifications::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_notifications_user")
                .table(Notifications::Table)
                .col(Notifications::UserId)
                .col(Notifications::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OutboxEmails::Table)
                .col(
                    ColumnDef::new(OutboxEmails::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(OutboxEmails::ToAddr).string().not_null())
                .col(ColumnDef::new(OutboxEmails::Subject).string().not_null())
                .col(ColumnDef::new(OutboxEmails::Body).text().not_null())
                .col(
                    ColumnDef::new(OutboxEmails::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(OutboxEmails::SentAt).big_integer().null())
                .col(
                    ColumnDef::new(OutboxEmails::Attempts)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(OutboxEmails::NextAttemptAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(OutboxEmails::LastError).text().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_pending")
                .table(OutboxEmails::Table)
                .col(OutboxEmails::SentAt)
                .col(OutboxEmails::NextAttemptAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ExpiryReminders::Table)
                .col(
                    ColumnDef::new(ExpiryReminders::ClientId)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ExpiryReminders::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ExpiryReminders::Days)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ExpiryReminders::SentAt)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(ExpiryReminders::ClientId)
                        .col(ExpiryReminders::ExpiresAt)
                        .col(ExpiryReminders::Days),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_expiry_reminders_client")
                        .from(ExpiryReminders::Table, ExpiryReminders::ClientId)
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ExpiryReminders::Table.into_iden(),
            OutboxEmails::Table.into_iden(),
            Notifications::Table.into_iden(),
            ApprovalRules::Table.into_iden(),
            ChangeRequests::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        for c in [
            Clients::LogoUri.into_iden(),
            Clients::ClientUri.into_iden(),
            Clients::PolicyUri.into_iden(),
            Clients::TosUri.into_iden(),
            Clients::JwksUri.into_iden(),
            Clients::PostLogoutRedirectUris.into_iden(),
            Clients::Contacts.into_iden(),
            Clients::RefreshTokenTtlSecs.into_iden(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
