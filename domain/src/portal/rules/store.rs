//! Approval rules in the database: one per scope, saved and deleted by
//! administrators with an audit event.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::cel::compile;
use super::model::Rule;
use crate::accounts::users::AdminCtx;
use crate::audit::{self, AuditEvent, EventType};
use crate::entities::approval_rule;
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

pub async fn find<C: ConnectionTrait>(conn: &C, scope: &str) -> DomainResult<Option<Rule>> {
    if !crate::platform::text::could_exist(scope) {
        return Ok(None);
    }
    Ok(approval_rule::Entity::find_by_id(scope.to_owned())
        .one(conn)
        .await?
        .map(Rule::from))
}

pub async fn list(db: &DatabaseConnection) -> DomainResult<Vec<Rule>> {
    Ok(approval_rule::Entity::find()
        .order_by_asc(approval_rule::Column::Scope)
        .all(db)
        .await?
        .into_iter()
        .map(Rule::from)
        .collect())
}

/// What an administrator submits for a scope's rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDraft {
    pub scope: String,
    pub approve_if: String,
    pub reject_if: String,
    pub reject_reason: String,
}

/// Checks a draft: the scope is an API scope, each expression compiles, and a reject
/// condition comes with a reason for the developer.
pub async fn validate<C: ConnectionTrait>(conn: &C, d: &RuleDraft) -> DomainResult<Rule> {
    let scope = crate::apis::find_scope(conn, d.scope.trim())
        .await?
        .ok_or_else(|| DomainError::invalid("scope", "unknown scope"))?;
    if scope.audience.is_none() {
        return Err(DomainError::invalid(
            "scope",
            "rules apply to API scopes; OpenID scopes never need approval",
        ));
    }
    let approve_if = Some(d.approve_if.trim().to_owned()).filter(|s| !s.is_empty());
    let reject_if = Some(d.reject_if.trim().to_owned()).filter(|s| !s.is_empty());
    let reject_reason = Some(crate::platform::text::line(
        "reject_reason",
        &d.reject_reason,
        limits::RULE_REASON,
    )?)
    .filter(|s| !s.is_empty());
    if approve_if.is_none() && reject_if.is_none() {
        return Err(DomainError::invalid(
            "approve_if",
            "write at least one condition (approve if, or reject if)",
        ));
    }
    if let Some(s) = &approve_if {
        compile("approve_if", s)?;
    }
    if let Some(s) = &reject_if {
        compile("reject_if", s)?;
        if reject_reason.is_none() {
            return Err(DomainError::invalid(
                "reject_reason",
                "is required with a reject condition: the developer is told why",
            ));
        }
    }
    Ok(Rule {
        scope: scope.name,
        approve_if,
        reject_if,
        reject_reason,
        updated_at: 0,
        updated_by: None,
    })
}

/// Saves (creates or replaces) a scope's rule.
pub async fn save(
    db: &DatabaseConnection,
    admin: &AdminCtx,
    draft: &RuleDraft,
    now: Timestamp,
) -> DomainResult<Rule> {
    let mut rule = validate(db, draft).await?;
    let txn = crate::platform::db::write_txn(db).await?;
    let before = find(&txn, &rule.scope).await?;
    rule.updated_at = now;
    rule.updated_by = match admin.actor() {
        audit::Actor::User(id) => Some(id.clone()),
        _ => None,
    };
    approval_rule::Entity::insert(approval_rule::ActiveModel {
        scope: Set(rule.scope.clone()),
        approve_if: Set(rule.approve_if.clone()),
        reject_if: Set(rule.reject_if.clone()),
        reject_reason: Set(rule.reject_reason.clone()),
        updated_at: Set(now),
        updated_by: Set(rule.updated_by.clone()),
    })
    .on_conflict(
        OnConflict::column(approval_rule::Column::Scope)
            .update_columns([
                approval_rule::Column::ApproveIf,
                approval_rule::Column::RejectIf,
                approval_rule::Column::RejectReason,
                approval_rule::Column::UpdatedAt,
                approval_rule::Column::UpdatedBy,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::RuleSaved, admin.actor().clone())
            .target("scope", &rule.scope)
            .data(json!({ "before": before, "after": rule })),
    )
    .await?;
    txn.commit().await?;
    Ok(rule)
}

pub async fn delete(
    db: &DatabaseConnection,
    admin: &AdminCtx,
    scope: &str,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::platform::db::write_txn(db).await?;
    let before = find(&txn, scope).await?.ok_or(DomainError::NotFound)?;
    approval_rule::Entity::delete_by_id(scope.to_owned())
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::RuleDeleted, admin.actor().clone())
            .target("scope", scope)
            .data(json!({ "before": before })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
