//! Approval rules in the database: saved and deleted by administrators with an
//! audit event. A rule is the rows of `approval_rules` sharing a `rule_id`, one per
//! scope it decides (m0028), always written together here. The admission rule
//! decides no scope: it is the one row of `admission_rules` (m0035), shown as a
//! rule deciding [`ADMISSION_TARGET`].

use std::collections::BTreeSet;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::cel::compile_for;
use super::model::{Rule, RuleInput, ADMISSION_TARGET};
use crate::accounts::users::AdminCtx;
use crate::audit::{self, AuditEvent, EventType};
use crate::entities::{admission_rule, approval_rule};
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

/// The admission rule (m0035), as a rule deciding [`ADMISSION_TARGET`].
async fn admission<C: ConnectionTrait>(conn: &C) -> DomainResult<Option<Rule>> {
    Ok(admission_rule::Entity::find()
        .one(conn)
        .await?
        .map(|m| Rule {
            id: m.rule_id,
            scopes: vec![ADMISSION_TARGET.to_owned()],
            approve_if: m.approve_if,
            reject_if: m.reject_if,
            reject_reason: m.reject_reason,
            updated_at: m.updated_at,
            updated_by: m.updated_by,
        }))
}

/// The rule in force for a scope (or [`ADMISSION_TARGET`]), with every scope it
/// decides.
pub async fn find<C: ConnectionTrait>(conn: &C, scope: &str) -> DomainResult<Option<Rule>> {
    if scope == ADMISSION_TARGET {
        return admission(conn).await;
    }
    if !crate::platform::text::could_exist(scope) {
        return Ok(None);
    }
    match approval_rule::Entity::find_by_id(scope.to_owned())
        .one(conn)
        .await?
    {
        Some(row) => get(conn, &row.rule_id).await,
        None => Ok(None),
    }
}

/// A rule by its id.
pub async fn get<C: ConnectionTrait>(conn: &C, id: &str) -> DomainResult<Option<Rule>> {
    if !crate::platform::text::could_exist(id) {
        return Ok(None);
    }
    let rows = approval_rule::Entity::find()
        .filter(approval_rule::Column::RuleId.eq(id))
        .order_by_asc(approval_rule::Column::Scope)
        .all(conn)
        .await?;
    match Rule::from_rows(rows).into_iter().next() {
        Some(r) => Ok(Some(r)),
        None => Ok(admission(conn).await?.filter(|r| r.id == id)),
    }
}

/// Every rule: the admission rule first, then in the order of their first scope.
pub async fn list(db: &DatabaseConnection) -> DomainResult<Vec<Rule>> {
    let rows = approval_rule::Entity::find()
        .order_by_asc(approval_rule::Column::Scope)
        .all(db)
        .await?;
    let mut rules: Vec<Rule> = admission(db).await?.into_iter().collect();
    rules.extend(Rule::from_rows(rows));
    Ok(rules)
}

/// What an administrator submits for a rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDraft {
    /// The rule being edited; `None` for a new one (or, when its scopes are exactly
    /// one rule's, that rule: how a one-scope rule was always replaced).
    pub id: Option<String>,
    /// The scopes the rule decides.
    pub scopes: Vec<String>,
    pub approve_if: String,
    pub reject_if: String,
    pub reject_reason: String,
}

/// Checks a draft: each scope exists and needs approval (an API scope may have a
/// rule before it is gated), each expression compiles, and a reject condition
/// comes with a reason for the developer.
pub async fn validate<C: ConnectionTrait>(conn: &C, d: &RuleDraft) -> DomainResult<Rule> {
    crate::platform::text::check_items("scopes", &d.scopes, limits::SCOPES)?;
    let names: BTreeSet<&str> = d
        .scopes
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if names.is_empty() {
        return Err(DomainError::invalid(
            "scopes",
            "choose at least one scope for the rule",
        ));
    }
    let admission = names.contains(ADMISSION_TARGET);
    if admission && names.len() > 1 {
        return Err(DomainError::invalid(
            "scopes",
            "the rule for new registrations decides admissions only: give scopes a rule of their own",
        ));
    }
    let mut scopes = Vec::new();
    for name in names {
        if name == ADMISSION_TARGET {
            scopes.push(name.to_owned());
            continue;
        }
        let scope = crate::apis::find_scope(conn, name)
            .await?
            .ok_or_else(|| DomainError::invalid("scopes", format!("unknown scope '{name}'")))?;
        if scope.audience.is_none() && !scope.requires_approval {
            return Err(DomainError::invalid(
                "scopes",
                if crate::apis::openid::gateable(name) {
                    format!("'{name}' needs no approval, so no rule would ever decide it: make it need approval (APIs and scopes) first")
                } else {
                    format!("'{name}' never needs approval, so no rule decides it")
                },
            ));
        }
        scopes.push(scope.name);
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
    let sample = RuleInput::sample_for(&scopes);
    if let Some(s) = &approve_if {
        compile_for("approve_if", s, &sample)?;
    }
    if let Some(s) = &reject_if {
        compile_for("reject_if", s, &sample)?;
        if reject_reason.is_none() {
            return Err(DomainError::invalid(
                "reject_reason",
                "is required with a reject condition: the developer is told why",
            ));
        }
    }
    Ok(Rule {
        id: d.id.clone().unwrap_or_default(),
        scopes,
        approve_if,
        reject_if,
        reject_reason,
        updated_at: 0,
        updated_by: None,
    })
}

/// Saves a rule: a new one, or the rule `draft.id` with its scopes and conditions
/// replaced (scopes taken out of it are left without a rule). A scope that has
/// another rule is refused: a scope has one rule in force.
pub async fn save(
    db: &DatabaseConnection,
    admin: &AdminCtx,
    draft: &RuleDraft,
    now: Timestamp,
) -> DomainResult<Rule> {
    let mut rule = validate(db, draft).await?;
    if rule.scopes == [ADMISSION_TARGET] {
        return save_admission(db, admin, draft, rule, now).await;
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let held = approval_rule::Entity::find()
        .filter(approval_rule::Column::Scope.is_in(rule.scopes.clone()))
        .all(&txn)
        .await?;
    let asked = draft.id.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let before = match asked {
        Some(id) => Some(get(&txn, id).await?.ok_or(DomainError::NotFound)?),
        None => {
            let ids: BTreeSet<&str> = held.iter().map(|r| r.rule_id.as_str()).collect();
            match ids.into_iter().collect::<Vec<_>>().as_slice() {
                [only] => get(&txn, only).await?.filter(|r| r.scopes == rule.scopes),
                _ => None,
            }
        }
    };
    if before
        .as_ref()
        .is_some_and(|r| r.scopes == [ADMISSION_TARGET])
    {
        return Err(not_interchangeable());
    }
    rule.id = match &before {
        Some(r) => r.id.clone(),
        None => uuid::Uuid::now_v7().to_string(),
    };
    if let Some(other) = held.iter().find(|r| r.rule_id != rule.id) {
        let theirs = get(&txn, &other.rule_id)
            .await?
            .map(|r| r.scopes.join(", "))
            .unwrap_or_default();
        return Err(DomainError::invalid(
            "scopes",
            format!(
                "'{}' already has a rule (the rule for {theirs}): edit that rule, or take the scope out of it first",
                other.scope
            ),
        ));
    }
    stamp(&mut rule, admin, now);
    approval_rule::Entity::delete_many()
        .filter(approval_rule::Column::RuleId.eq(rule.id.clone()))
        .exec(&txn)
        .await?;
    approval_rule::Entity::insert_many(rule.scopes.iter().map(|s| approval_rule::ActiveModel {
        scope: Set(s.clone()),
        rule_id: Set(rule.id.clone()),
        approve_if: Set(rule.approve_if.clone()),
        reject_if: Set(rule.reject_if.clone()),
        reject_reason: Set(rule.reject_reason.clone()),
        updated_at: Set(now),
        updated_by: Set(rule.updated_by.clone()),
    }))
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::RuleSaved, admin.actor().clone())
            .target("scope", rule.scopes.join(" "))
            .data(json!({ "before": before, "after": rule })),
    )
    .await?;
    txn.commit().await?;
    Ok(rule)
}

/// When and by whom a rule was saved.
fn stamp(rule: &mut Rule, admin: &AdminCtx, now: Timestamp) {
    rule.updated_at = now;
    rule.updated_by = match admin.actor() {
        audit::Actor::User(id) => Some(id.clone()),
        _ => None,
    };
}

fn not_interchangeable() -> DomainError {
    DomainError::invalid(
        "scopes",
        "a scope rule and the rule for new registrations read different variables: write a new rule instead",
    )
}

/// Saves the admission rule: the one in force is replaced (there is one).
async fn save_admission(
    db: &DatabaseConnection,
    admin: &AdminCtx,
    draft: &RuleDraft,
    mut rule: Rule,
    now: Timestamp,
) -> DomainResult<Rule> {
    let txn = crate::platform::db::write_txn(db).await?;
    let before = admission(&txn).await?;
    if let Some(id) = draft.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if before.as_ref().is_none_or(|b| b.id != id) {
            return Err(match get(&txn, id).await? {
                Some(_) => not_interchangeable(),
                None => DomainError::NotFound,
            });
        }
    }
    rule.id = match &before {
        Some(r) => r.id.clone(),
        None => uuid::Uuid::now_v7().to_string(),
    };
    stamp(&mut rule, admin, now);
    admission_rule::Entity::delete_many().exec(&txn).await?;
    admission_rule::ActiveModel {
        rule_id: Set(rule.id.clone()),
        approve_if: Set(rule.approve_if.clone()),
        reject_if: Set(rule.reject_if.clone()),
        reject_reason: Set(rule.reject_reason.clone()),
        updated_at: Set(now),
        updated_by: Set(rule.updated_by.clone()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::RuleSaved, admin.actor().clone())
            .target("scope", ADMISSION_TARGET)
            .data(json!({ "before": before, "after": rule })),
    )
    .await?;
    txn.commit().await?;
    Ok(rule)
}

/// Deletes a rule: every scope it decided waits for a person again.
pub async fn delete(
    db: &DatabaseConnection,
    admin: &AdminCtx,
    id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::platform::db::write_txn(db).await?;
    let before = get(&txn, id).await?.ok_or(DomainError::NotFound)?;
    approval_rule::Entity::delete_many()
        .filter(approval_rule::Column::RuleId.eq(id))
        .exec(&txn)
        .await?;
    admission_rule::Entity::delete_many()
        .filter(admission_rule::Column::RuleId.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::RuleDeleted, admin.actor().clone())
            .target("scope", before.scopes.join(" "))
            .data(json!({ "before": before })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
