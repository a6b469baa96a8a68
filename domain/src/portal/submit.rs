//! Putting a request in the queue: stored, audited and announced to administrators
//! in the caller's transaction.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::json;

use super::access::{justification_text, Who};
use super::request::{to_requests, Ask, Payload, Request, Status};
use crate::audit::{self, AuditEvent, EventType};
use crate::clients::model::Client;
use crate::entities::change_request;
use crate::platform::clock::Timestamp;
use crate::portal::notify::{self, Message};
use crate::{DomainError, DomainResult};

/// Inserts a pending request and tells the administrators (inside `conn`'s
/// transaction).
pub(crate) async fn submit<C: ConnectionTrait>(
    conn: &C,
    who: &Who,
    client: &Client,
    ask: Ask,
    justification: &str,
    now: Timestamp,
) -> DomainResult<Request> {
    let id = uuid::Uuid::now_v7().to_string();
    let payload = Payload {
        ask: Some(ask.clone()),
        evaluations: Vec::new(),
    };
    let row = insert_request(conn, &id, who, client, &payload, justification, now).await?;
    notify_pending(conn, client, &ask, &row.id, now).await?;
    Ok(to_requests(conn, vec![row]).await?.remove(0))
}

/// Writes a pending request with what it asks (and, for scopes, how each was
/// judged on submission).
pub(crate) async fn insert_request<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    who: &Who,
    client: &Client,
    payload: &Payload,
    justification: &str,
    now: Timestamp,
) -> DomainResult<change_request::Model> {
    let justification = justification_text(justification)?;
    let justification = justification.as_str();
    let row = pending_row(
        id,
        &client.id,
        Some(who.user.id.clone()),
        payload,
        justification,
        now,
    )?
    .insert(conn)
    .await?;
    let ask = payload
        .ask
        .as_ref()
        .ok_or_else(|| DomainError::Internal("a request must ask for something".into()))?;
    audit::record(
        conn,
        now,
        AuditEvent::new(EventType::RequestSubmitted, who.actor())
            .target("request", id)
            .ip(who.ip.clone())
            .data(who.extra(json!({
                "client_id": client.id,
                "ask": ask,
                "justification": justification,
            }))),
    )
    .await?;
    Ok(row)
}

/// A pending request's row: by a developer (`requester_id`), or by nobody (an
/// admission, which a client asks for by registering).
pub(crate) fn pending_row(
    id: &str,
    client_id: &str,
    requester_id: Option<String>,
    payload: &Payload,
    justification: &str,
    now: Timestamp,
) -> DomainResult<change_request::ActiveModel> {
    let ask = payload
        .ask
        .as_ref()
        .ok_or_else(|| DomainError::Internal("a request must ask for something".into()))?;
    let stored = serde_json::to_string(payload)
        .map_err(|e| DomainError::Internal(format!("request payload: {e}")))?;
    Ok(change_request::ActiveModel {
        id: Set(id.to_owned()),
        client_id: Set(client_id.to_owned()),
        requester_id: Set(requester_id),
        kind: Set(ask.kind().into()),
        status: Set(Status::Pending.as_str().into()),
        payload: Set(stored),
        justification: Set(justification.to_owned()),
        created_at: Set(now),
        decided_at: Set(None),
        decider_kind: Set(None),
        decider_id: Set(None),
        reason: Set(None),
        granted: Set(None),
    })
}

pub(crate) async fn notify_pending<C: ConnectionTrait>(
    conn: &C,
    client: &Client,
    ask: &Ask,
    request_id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    notify::notify_admins(
        conn,
        &Message {
            kind: "request.pending",
            title: format!("New request for \"{}\": {}", client.metadata.name, ask.summary()),
            body: format!(
                "A developer asks for {} on the client \"{}\" ({}). Review it in the approval queue.",
                ask.summary(),
                client.metadata.name,
                client.id
            ),
            link: Some(format!("/admin/requests#{request_id}")),
        },
        now,
    )
    .await
}
