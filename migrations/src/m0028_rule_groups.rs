//! Issue 17 (seed 001: "custom script per scope (group of scopes)"): one approval
//! rule may decide several scopes. `approval_rules` stays keyed by scope — a scope
//! has at most one rule in force — and `rule_id` names the rule each row belongs
//! to: the rows sharing a `rule_id` are one rule, with the same expressions, written
//! and deleted together (only by `domain::portal::rules::store`, in one
//! transaction). A rule saved before this change becomes a rule of its own scope
//! alone, named after it.
//!
//! The built-in OpenID scopes (`profile`, `email`, `offline_access`) that
//! administrators gate get a row in `scopes` (no API) holding `requires_approval`,
//! written when first gated: no schema change, and the change feed's trigger on
//! `scopes` tells every process.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApprovalRules {
    Table,
    RuleId,
}

const INDEX: &str = "idx_approval_rules_rule_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ApprovalRules::Table)
                .add_column(
                    ColumnDef::new(ApprovalRules::RuleId)
                        .string()
                        .not_null()
                        .default(""),
                )
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared("UPDATE approval_rules SET rule_id = scope")
            .await?;
        m.create_index(
            Index::create()
                .name(INDEX)
                .table(ApprovalRules::Table)
                .col(ApprovalRules::RuleId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name(INDEX)
                .table(ApprovalRules::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApprovalRules::Table)
                .drop_column(ApprovalRules::RuleId)
                .to_owned(),
        )
        .await
    }
}
