//! An administrator's (or a rule's) decision on a request, applied in the same
//! transaction.

use std::collections::BTreeSet;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use super::access::PortalAdmin;
use super::changes::{diff, set_grant, ChangeField};
use super::queue::find_request_unchecked;
use super::request::{Ask, Decider, Decision, Payload, Request, Status};
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::clients::authenticate::SecretCache;
use crate::clients::model::{Client, GrantType};
use crate::entities::change_request;
use crate::platform::clock::Timestamp;
use crate::portal::notify::{self, Message};
use crate::portal::review;
use crate::{DomainError, DomainResult};

/// Records a decision and applies an approval, inside `conn`'s transaction. The
/// status update is conditional on the request still being pending, so two
/// administrators deciding at once cannot both succeed.
///
/// Who decided is the audit actor: a person (`Actor::User`), an auto-approval rule
/// (`Actor::Rule`, named by its scope) or the scope policy (`Actor::System`: the
/// scopes need no approval).
pub(crate) async fn decide<C: ConnectionTrait>(
    conn: &C,
    row: &change_request::Model,
    client: &Client,
    actor: Actor,
    decision: Decision,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<()> {
    let decider = Decider::of(&actor)?;
    let payload: Payload = serde_json::from_str(&row.payload).unwrap_or_default();
    let ask = payload
        .ask
        .ok_or_else(|| DomainError::Internal(format!("request {} has no ask", row.id)))?;
    let (status, reason, granted) = match &decision {
        Decision::Approve { scopes, note } => {
            let granted = match (&ask, scopes) {
                (Ask::Scopes { scopes: asked }, Some(pick)) => {
                    let pick: Vec<String> = pick
                        .iter()
                        .filter(|s| asked.contains(s))
                        .cloned()
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    if pick.is_empty() {
                        return Err(DomainError::invalid(
                            "scopes",
                            "approve at least one of the requested scopes, or reject the request",
                        ));
                    }
                    Some(pick)
                }
                (Ask::Scopes { scopes: asked }, None) => Some(asked.clone()),
                _ => None,
            };
            (Status::Approved, note.clone(), granted)
        }
        Decision::Reject { reason } => (Status::Rejected, Some(reason.clone()), None),
    };
    let res = change_request::Entity::update_many()
        .col_expr(change_request::Column::Status, Expr::value(status.as_str()))
        .col_expr(change_request::Column::DecidedAt, Expr::value(now))
        .col_expr(
            change_request::Column::DeciderKind,
            Expr::value(decider.kind.clone()),
        )
        .col_expr(
            change_request::Column::DeciderId,
            Expr::value(decider.id.clone()),
        )
        .col_expr(change_request::Column::Reason, Expr::value(reason.clone()))
        .col_expr(
            change_request::Column::Granted,
            Expr::value(granted.as_ref().map(|g| json!(g).to_string())),
        )
        .filter(change_request::Column::Id.eq(row.id.clone()))
        .filter(change_request::Column::Status.eq(Status::Pending.as_str()))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(DomainError::Conflict(
            "this request has already been decided".into(),
        ));
    }

    let mut changes = Value::Null;
    if status == Status::Approved {
        // Apply to the client as it is now, not as it was when the request was read.
        let client = &crate::clients::store::find_for_update(conn, &client.id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let mut next = client.clone();
        match &ask {
            Ask::Scopes { .. } => {
                for s in granted.iter().flatten() {
                    if !next.scopes.contains(s) {
                        next.scopes.push(s.clone());
                    }
                }
            }
            Ask::Extension { expires_at, .. } => next.expires_at = Some(*expires_at),
            // Admitted: it gets tokens from now on.
            Ask::Admission(_) => next.disabled = false,
            Ask::Change { changes } => {
                for ch in changes {
                    if review::apply_approved(&mut next, ch)? {
                        continue;
                    }
                    match ch.field {
                        ChangeField::PasswordGrant => {
                            set_grant(&mut next, GrantType::Password, ch.after == json!(true))
                        }
                        ChangeField::RefreshTokenTtlSecs => {
                            next.refresh_token_ttl_secs = ch.after.as_i64()
                        }
                        ChangeField::SubjectType => {
                            next.metadata.subject_type = serde_json::from_value(ch.after.clone())
                                .map_err(|_| {
                                DomainError::Internal("bad subject type in a request".into())
                            })?;
                            // The client may have changed since the request: a
                            // pairwise client must still have a sector.
                            if let Some(e) = crate::clients::sector::problem(
                                Some(&client.metadata),
                                &next.metadata,
                            ) {
                                return Err(e);
                            }
                        }
                        ChangeField::Enabled => next.disabled = ch.after != json!(true),
                        ChangeField::Stage => {
                            next.stage = serde_json::from_value(ch.after.clone()).map_err(|_| {
                                DomainError::Internal("bad stage in a request".into())
                            })?
                        }
                        ChangeField::ExpiresAt => next.expires_at = ch.after.as_i64(),
                        // Applied by `review::apply_approved` above.
                        ChangeField::GrantTypes
                        | ChangeField::RedirectUris
                        | ChangeField::RequestableClaims => {}
                    }
                }
            }
        }
        // What an administrator or a rule approved here, they approved for the
        // client as it is: its grant types and redirect origins count as reviewed
        // (M7). An automatic approval by policy (no approval needed) is no review.
        let reviewed = match &ask {
            Ask::Scopes { .. } => decider.kind == "user" || decider.kind == "rule",
            Ask::Change { .. } | Ask::Admission(_) => true,
            Ask::Extension { .. } => false,
        };
        if reviewed {
            next.mark_reviewed();
        }
        changes = diff(client, &next);
        crate::clients::store::save(conn, &next, now).await?;
        // A promotion approved in the queue is a stage change like one made on the
        // client page: whoever reads the client's history by that event finds both.
        if next.stage != client.stage {
            audit::record(
                conn,
                now,
                AuditEvent::new(EventType::ClientStageChanged, actor.clone())
                    .target("client", &client.id)
                    .ip(ip.clone())
                    .data(json!({
                        "before": { "stage": client.stage },
                        "after": { "stage": next.stage },
                        "request_id": row.id,
                    })),
            )
            .await?;
        }
    }

    let event = match status {
        Status::Approved => EventType::RequestApproved,
        _ => EventType::RequestRejected,
    };
    audit::record(
        conn,
        now,
        AuditEvent::new(event, actor)
            .target("request", &row.id)
            .ip(ip)
            .data(json!({
                "client_id": client.id,
                "ask": ask,
                "decided_by": decider.kind,
                "rule": (decider.kind == "rule").then_some(&decider.id),
                "granted": granted,
                "reason": reason,
                "changes": changes,
            })),
    )
    .await?;

    let (title, body) = match status {
        Status::Approved => (
            format!(
                "Approved: {} for \"{}\"",
                ask.summary(),
                client.metadata.name
            ),
            format!(
                "Your request for {} on \"{}\" was approved{}.{}",
                match &granted {
                    Some(g) => format!("the scopes {}", g.join(", ")),
                    None => ask.summary(),
                },
                client.metadata.name,
                match decider.kind.as_str() {
                    "rule" => " automatically by an approval rule",
                    "policy" => " automatically",
                    _ => "",
                },
                reason
                    .as_ref()
                    .map(|r| format!(" Note: {r}"))
                    .unwrap_or_default()
            ),
        ),
        _ => (
            format!(
                "Rejected: {} for \"{}\"",
                ask.summary(),
                client.metadata.name
            ),
            format!(
                "Your request for {} on \"{}\" was rejected. Reason: {}",
                ask.summary(),
                client.metadata.name,
                reason.clone().unwrap_or_default()
            ),
        ),
    };
    let msg = Message {
        kind: if status == Status::Approved {
            "request.approved"
        } else {
            "request.rejected"
        },
        title,
        body,
        link: Some(format!("/developer/requests#{}", row.id)),
    };
    notify::notify_owner(conn, row.requester_id.as_deref(), &msg, now).await?;
    Ok(())
}

/// Administrators: approves a pending request, optionally only some of its scopes.
pub async fn approve(
    db: &DatabaseConnection,
    cache: &SecretCache,
    admin: &PortalAdmin<'_>,
    request_id: &str,
    scopes: Option<Vec<String>>,
    note: Option<String>,
    now: Timestamp,
) -> DomainResult<Request> {
    if let Some(s) = &scopes {
        crate::platform::text::check_items("scopes", s, limits::SCOPES)?;
    }
    let note = match note {
        Some(n) => Some(crate::platform::text::paragraph(
            "note",
            &n,
            limits::REASON,
        )?),
        None => None,
    };
    decide_by_admin(
        db,
        cache,
        admin,
        request_id,
        Decision::Approve {
            scopes,
            note: note.filter(|n| !n.is_empty()),
        },
        now,
    )
    .await
}

/// Administrators: rejects a pending request. The reason is required and is sent
/// to the developer.
pub async fn reject(
    db: &DatabaseConnection,
    cache: &SecretCache,
    admin: &PortalAdmin<'_>,
    request_id: &str,
    reason: &str,
    now: Timestamp,
) -> DomainResult<Request> {
    let reason = crate::platform::text::paragraph("reason", reason, limits::REASON)?;
    if reason.is_empty() {
        return Err(DomainError::invalid(
            "reason",
            "is required: the developer is told why",
        ));
    }
    decide_by_admin(
        db,
        cache,
        admin,
        request_id,
        Decision::Reject { reason },
        now,
    )
    .await
}

pub(crate) async fn decide_by_admin(
    db: &DatabaseConnection,
    cache: &SecretCache,
    admin: &PortalAdmin<'_>,
    request_id: &str,
    decision: Decision,
    now: Timestamp,
) -> DomainResult<Request> {
    let who = admin.who;
    if !crate::platform::text::could_exist(request_id) {
        return Err(DomainError::NotFound);
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let row = change_request::Entity::find_by_id(request_id.to_owned())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if row.status != Status::Pending.as_str() {
        return Err(DomainError::Conflict(
            "this request has already been decided".into(),
        ));
    }
    let client = crate::clients::store::find_for_update(&txn, &row.client_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    decide(
        &txn,
        &row,
        &client,
        who.actor(),
        decision,
        who.ip.clone(),
        now,
    )
    .await?;
    txn.commit().await?;
    cache.invalidate_client(&row.client_id);
    find_request_unchecked(db, request_id).await
}
