//! Asking for more: scope and extension requests, judged at once by policy and CEL
//! rules where they can be, queued for a person otherwise.

use std::collections::BTreeSet;

use sea_orm::DatabaseConnection;

use super::access::{client_for, justification_text, locked_client, Who, MAX_EXTENSION_DAYS};
use super::decisions::decide;
use super::queue::{find_request_unchecked, pending_requests, pending_scope_requests};
use super::request::{Ask, Decision, Evaluation, Payload, Request};
use super::submit::{insert_request, notify_pending, submit};
use crate::audit::Actor;
use crate::clients::authenticate::SecretCache;
use crate::clients::model::ApplicationType;
use crate::platform::clock::{format_date, Timestamp};
use crate::portal::rules::{self, RuleInput, Verdict};
use crate::{DomainError, DomainResult};

/// Scopes that cannot be asked for by a client of this type.
pub(crate) fn scope_fits(app: ApplicationType, scope: &str) -> bool {
    // Service clients act for nobody: OpenID scopes mean nothing to them.
    !(app == ApplicationType::Service && crate::apis::is_builtin(scope))
}

/// Requests more scopes for a client. Each scope is judged at once: a scope that
/// needs no approval is approved by policy; otherwise its CEL rule (if any) may
/// approve or reject it; the rest wait for an administrator. A rule rejection
/// rejects the request (with the rule's reason); when every scope is approved, the
/// request is approved and the scopes apply at once.
pub async fn request_scopes(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    client_id: &str,
    scopes: &[String],
    justification: &str,
    now: Timestamp,
) -> DomainResult<Request> {
    who.require_developer()?;
    crate::platform::text::check_items("scopes", scopes, limits::SCOPES)?;
    justification_text(justification)?;
    let client = client_for(db, who, client_id).await?;
    let asked: Vec<String> = scopes
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if asked.is_empty() {
        return Err(DomainError::invalid("scopes", "choose at least one scope"));
    }
    if justification.trim().is_empty() {
        return Err(DomainError::invalid(
            "justification",
            "explain what the client needs the scopes for",
        ));
    }
    let mut infos = Vec::new();
    for s in &asked {
        let info = crate::apis::find_scope(db, s)
            .await?
            .ok_or_else(|| DomainError::invalid("scopes", format!("unknown scope '{s}'")))?;
        if client.scopes.contains(s) {
            return Err(DomainError::invalid(
                "scopes",
                format!("the client already has '{s}'"),
            ));
        }
        if !scope_fits(client.metadata.application_type, s) {
            return Err(DomainError::invalid(
                "scopes",
                format!(
                    "'{s}' is an OpenID scope: service clients act for nobody and cannot use it"
                ),
            ));
        }
        infos.push(info);
    }
    for pending in pending_scope_requests(db, client_id).await? {
        if let Ask::Scopes { scopes } = &pending.ask {
            if let Some(dup) = scopes.iter().find(|s| asked.contains(s)) {
                return Err(DomainError::Conflict(format!(
                    "a request for '{dup}' is already waiting for a decision"
                )));
            }
        }
    }

    // Judge each scope.
    let request_id = uuid::Uuid::now_v7().to_string();
    let mut evaluations = Vec::new();
    for info in &infos {
        let (by, verdict) = if !info.requires_approval {
            (Some("policy".to_owned()), Verdict::Approve)
        } else if let Some(rule) = rules::find(db, &info.name).await? {
            let input = RuleInput::new(
                &request_id,
                &info.name,
                &asked,
                justification.trim(),
                now,
                &client,
                &who.user,
            );
            match rules::evaluate(&rule, &input) {
                v @ (Verdict::Approve | Verdict::Reject { .. }) => (Some("rule".to_owned()), v),
                v => (None, v),
            }
        } else {
            (
                None,
                Verdict::Human {
                    why: "no auto-approval rule for this scope".into(),
                },
            )
        };
        evaluations.push(Evaluation {
            scope: info.name.clone(),
            by,
            verdict,
        });
    }

    let ask = Ask::Scopes {
        scopes: asked.clone(),
    };
    let txn = crate::platform::db::write_txn(db).await?;
    // Lock the client before the request's audit event (see `locked_client`).
    let client = locked_client(&txn, who, client_id).await?;
    let payload = Payload {
        ask: Some(ask.clone()),
        evaluations,
    };
    let row = insert_request(
        &txn,
        &request_id,
        who,
        &client,
        &payload,
        justification,
        now,
    )
    .await?;
    let evaluations = payload.evaluations;
    let rejected = evaluations.iter().find_map(|e| match &e.verdict {
        Verdict::Reject { reason } => Some((e.scope.clone(), reason.clone())),
        _ => None,
    });
    let all_approved = evaluations
        .iter()
        .all(|e| matches!(e.verdict, Verdict::Approve));
    if let Some((scope, reason)) = rejected {
        decide(
            &txn,
            &row,
            &client,
            Actor::Rule(scope.clone()),
            Decision::Reject {
                reason: format!("{scope}: {reason}"),
            },
            who.ip.clone(),
            now,
        )
        .await?;
    } else if all_approved {
        let by_rule = evaluations
            .iter()
            .find(|e| e.by.as_deref() == Some("rule"))
            .map(|e| e.scope.clone());
        let actor = match by_rule {
            Some(scope) => Actor::Rule(scope),
            None => Actor::System,
        };
        decide(
            &txn,
            &row,
            &client,
            actor,
            Decision::Approve {
                scopes: Some(asked.clone()),
                note: None,
            },
            who.ip.clone(),
            now,
        )
        .await?;
    } else {
        notify_pending(&txn, &client, &ask, &row.id, now).await?;
    }
    txn.commit().await?;
    cache.invalidate_client(client_id);
    find_request_unchecked(db, &request_id).await
}

/// Requests a later registration expiry (always decided by a person).
pub async fn request_extension(
    db: &DatabaseConnection,
    who: &Who,
    client_id: &str,
    expires_at: Timestamp,
    justification: &str,
    now: Timestamp,
) -> DomainResult<Request> {
    who.require_developer()?;
    justification_text(justification)?;
    let client = client_for(db, who, client_id).await?;
    if justification.trim().is_empty() {
        return Err(DomainError::invalid(
            "justification",
            "explain why the client needs more time",
        ));
    }
    let Some(current) = client.expires_at else {
        return Err(DomainError::invalid(
            "expires_at",
            "this registration never expires",
        ));
    };
    if expires_at <= std::cmp::max(current, now) {
        return Err(DomainError::invalid(
            "expires_at",
            format!(
                "must be later than the current expiry ({})",
                format_date(current)
            ),
        ));
    }
    if expires_at > now + MAX_EXTENSION_DAYS * 86_400 {
        return Err(DomainError::invalid(
            "expires_at",
            format!("may be at most {MAX_EXTENSION_DAYS} days from today"),
        ));
    }
    if pending_requests(db, client_id)
        .await?
        .iter()
        .any(|r| matches!(r.ask, Ask::Extension { .. }))
    {
        return Err(DomainError::Conflict(
            "an extension request for this client is already waiting for a decision".into(),
        ));
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let req = submit(
        &txn,
        who,
        &client,
        Ask::Extension {
            expires_at,
            previous: Some(current),
        },
        justification,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(req)
}
