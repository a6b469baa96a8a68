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
use crate::clients::model::{ApplicationType, Stage};
use crate::platform::clock::{format_date, Timestamp};
use crate::portal::rules::{self, RuleInput, Verdict};
use crate::{DomainError, DomainResult};

/// Scopes that cannot be asked for by a client of this type.
pub(crate) fn scope_fits(app: ApplicationType, scope: &str) -> bool {
    // Service clients act for nobody: OpenID scopes mean nothing to them.
    !(app == ApplicationType::Service && crate::apis::is_builtin(scope))
}

/// What a scope request did.
#[derive(Clone, Debug)]
pub struct Requested {
    /// The request for the scopes that need approval (waiting for an
    /// administrator, or decided by their rules) or, when none of the scopes asked
    /// needs approval, the request that added them.
    pub request: Request,
    /// When scopes that need no approval were asked together with gated ones: the
    /// request, approved by policy, that added them at once.
    pub at_once: Option<Request>,
}

/// Requests more scopes for a client (issue 13, defect 2). A scope that needs no
/// approval is the developer's to add: it is added at once, as a request approved
/// by policy (so the history and the audit log show it), and waits for nothing
/// else asked with it. The scopes that need approval become one request, judged
/// at once where their CEL rules can (a rule rejection rejects that request with
/// the rule's reason; when every rule approves, the scopes apply at once); the
/// rest wait for an administrator. The justification is required only when some
/// scope needs approval: it is written for the administrator (and the rules).
pub async fn request_scopes(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    client_id: &str,
    scopes: &[String],
    justification: &str,
    now: Timestamp,
) -> DomainResult<Requested> {
    who.require_developer()?;
    crate::platform::text::check_items("scopes", scopes, limits::SCOPES)?;
    let justification = justification_text(justification)?;
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
    let mut free = Vec::new();
    let mut gated = Vec::new();
    let mut sandboxed = Vec::new();
    // A client in development adds the sandbox scopes at once: its team alone
    // signs in to it, and its promotion is reviewed with every scope it holds.
    let sandbox = match client.stage {
        Stage::Development => crate::settings::sandbox_scopes(db).await?,
        Stage::Production => Vec::new(),
    };
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
        if !info.requires_approval {
            free.push(info.name);
        } else if sandbox.contains(&info.name) {
            sandboxed.push(info.name.clone());
            free.push(info.name);
        } else {
            gated.push(info.name);
        }
    }
    if !gated.is_empty() && justification.is_empty() {
        return Err(DomainError::invalid(
            "justification",
            format!(
                "explain what the client needs {} for: an administrator reads it",
                gated.join(", ")
            ),
        ));
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

    // Judge each gated scope by its rule, if it has one.
    let gated_id = uuid::Uuid::now_v7().to_string();
    let mut evaluations = Vec::new();
    for scope in &gated {
        let (by, verdict) = if let Some(rule) = rules::find(db, scope).await? {
            let input = RuleInput::new(
                &gated_id,
                scope,
                &gated,
                &justification,
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
            scope: scope.clone(),
            by,
            verdict,
        });
    }

    let txn = crate::platform::db::write_txn(db).await?;
    // Lock the client before the requests' audit events (see `locked_client`).
    let client = locked_client(&txn, who, client_id).await?;
    let at_once = if free.is_empty() {
        None
    } else {
        let id = uuid::Uuid::now_v7().to_string();
        let payload = Payload {
            ask: Some(Ask::Scopes {
                scopes: free.clone(),
            }),
            evaluations: free
                .iter()
                .map(|s| Evaluation {
                    scope: s.clone(),
                    by: Some(
                        if sandboxed.contains(s) {
                            "sandbox"
                        } else {
                            "policy"
                        }
                        .into(),
                    ),
                    verdict: Verdict::Approve,
                })
                .collect(),
        };
        let row = insert_request(&txn, &id, who, &client, &payload, &justification, now).await?;
        // `Actor::System`: granted by the catalogue's policy (the audit event's
        // `decided_by` is `policy`), no person or rule looked at it.
        let approve = Decision::Approve {
            scopes: Some(free),
            note: None,
        };
        decide(
            &txn,
            &row,
            &client,
            Actor::System,
            approve,
            who.ip.clone(),
            now,
        )
        .await?;
        Some(id)
    };
    let gated_id = if gated.is_empty() {
        None
    } else {
        let payload = Payload {
            ask: Some(Ask::Scopes { scopes: gated }),
            evaluations,
        };
        let row =
            insert_request(&txn, &gated_id, who, &client, &payload, &justification, now).await?;
        judge(&txn, &row, who, &client, payload, now).await?;
        Some(gated_id)
    };
    txn.commit().await?;
    cache.invalidate_client(client_id);
    let at_once = match at_once {
        Some(id) => Some(find_request_unchecked(db, &id).await?),
        None => None,
    };
    match (gated_id, at_once) {
        (Some(id), at_once) => Ok(Requested {
            request: find_request_unchecked(db, &id).await?,
            at_once,
        }),
        (None, Some(request)) => Ok(Requested {
            request,
            at_once: None,
        }),
        (None, None) => Err(DomainError::Internal(
            "a scope request without scopes".into(),
        )),
    }
}

/// Applies the rules' verdicts on a request for gated scopes (in the caller's
/// transaction): one rejection rejects it, approval by every rule grants it, and
/// otherwise it waits for an administrator, who is told.
async fn judge<C: sea_orm::ConnectionTrait>(
    txn: &C,
    row: &crate::entities::change_request::Model,
    who: &Who,
    client: &crate::clients::model::Client,
    payload: Payload,
    now: Timestamp,
) -> DomainResult<()> {
    let evaluations = payload.evaluations;
    let rejected = evaluations.iter().find_map(|e| match &e.verdict {
        Verdict::Reject { reason } => Some((e.scope.clone(), reason.clone())),
        _ => None,
    });
    if let Some((scope, reason)) = rejected {
        let reject = Decision::Reject {
            reason: format!("{scope}: {reason}"),
        };
        return decide(
            txn,
            row,
            client,
            Actor::Rule(scope),
            reject,
            who.ip.clone(),
            now,
        )
        .await;
    }
    if evaluations
        .iter()
        .all(|e| matches!(e.verdict, Verdict::Approve))
    {
        // Every scope here needs approval, so some rule approved it: the rule of
        // the first scope is named as the decider.
        let scope = evaluations
            .first()
            .map(|e| e.scope.clone())
            .unwrap_or_default();
        let approve = Decision::Approve {
            scopes: None,
            note: None,
        };
        return decide(
            txn,
            row,
            client,
            Actor::Rule(scope),
            approve,
            who.ip.clone(),
            now,
        )
        .await;
    }
    match &payload.ask {
        Some(ask) => notify_pending(txn, client, ask, &row.id, now).await,
        None => Err(DomainError::Internal(
            "a request must ask for something".into(),
        )),
    }
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
