//! Issue 16, item 1: the admission rule — the CEL rule deciding whether a client
//! that registered itself (RFC 7591), or came by a metadata document from a host
//! not trusted at once, is admitted. It decides no scope, so it cannot live in
//! `approval_rules` (whose rows are keyed by, and reference, a scope): one row
//! here, in the same shape. At most one rule is in force; the domain writes it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AdmissionRules {
    Table,
    RuleId,
    ApproveIf,
    RejectIf,
    RejectReason,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AdmissionRules::Table)
                .col(
                    ColumnDef::new(AdmissionRules::RuleId)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(AdmissionRules::ApproveIf).text().null())
                .col(ColumnDef::new(AdmissionRules::RejectIf).text().null())
                .col(ColumnDef::new(AdmissionRules::RejectReason).text().null())
                .col(
                    ColumnDef::new(AdmissionRules::UpdatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(AdmissionRules::UpdatedBy).string().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AdmissionRules::Table).to_owned())
            .await
    }
}
