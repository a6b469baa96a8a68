//! Lifecycle states (issue 13): a client in development is for its team alone
//! (see [`Stage`]); it asks for production through the approval queue, and an
//! administrator's approval (or direct change) promotes it. Approving a promotion
//! reviews the client as it is, the sandbox scopes it added without approval
//! included: from then on, anyone may sign in to it.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;

use super::access::{justification_text, locked_client, PortalAdmin, Who};
use super::changes::{ChangeField, FieldChange};
use super::queue::pending_requests;
use super::request::{Ask, Request};
use super::submit::submit;
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::clients::authenticate::SecretCache;
use crate::clients::model::{Client, Stage};
use crate::platform::clock::Timestamp;
use crate::portal::notify::{self, Message};
use crate::{DomainError, DomainResult};

/// What a person outside the team is told (as `access_denied`) when they try to
/// sign in to a client in development.
pub const DEVELOPMENT_ONLY: &str =
    "this application is still in development: only its developers can sign in to it";

/// Why `user_id` may not sign in to `client`, if they may not: a client in
/// development admits its owner and co-owners alone. Production clients cost no
/// query.
pub async fn refuses_user<C: ConnectionTrait>(
    conn: &C,
    client: &Client,
    user_id: &str,
) -> DomainResult<Option<&'static str>> {
    if client.stage == Stage::Production || client.owner_id.as_deref() == Some(user_id) {
        return Ok(None);
    }
    if super::team::is_co_owner(conn, &client.id, user_id).await? {
        return Ok(None);
    }
    Ok(Some(DEVELOPMENT_ONLY))
}

/// Why this person may not get tokens from `client`, if they may not: its e-mail
/// domains (seed 003, [`Client::refuses_account`]), then its stage. Every path
/// that signs a person in to a client asks this.
pub async fn refuses<C: ConnectionTrait>(
    conn: &C,
    client: &Client,
    user: &crate::accounts::users::User,
) -> DomainResult<Option<&'static str>> {
    if let Some(why) = client.refuses_account(&user.email, user.email_verified) {
        return Ok(Some(why));
    }
    refuses_user(conn, client, &user.id).await
}

/// Whether a promotion of this client waits for a decision.
pub async fn promotion_pending<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
) -> DomainResult<Option<Request>> {
    Ok(pending_requests(conn, client_id)
        .await?
        .into_iter()
        .find(is_promotion))
}

fn is_promotion(r: &Request) -> bool {
    matches!(&r.ask, Ask::Change { changes } if changes.iter().any(|c| c.field == ChangeField::Stage))
}

/// A member of the client's team asks for production (a request in the queue,
/// with a justification the administrators read).
pub async fn request_promotion(
    db: &DatabaseConnection,
    who: &Who,
    id: &str,
    justification: &str,
    now: Timestamp,
) -> DomainResult<Request> {
    who.require_developer()?;
    let justification = justification_text(justification)?;
    let txn = crate::platform::db::write_txn(db).await?;
    let current = locked_client(&txn, who, id).await?;
    if current.stage == Stage::Production {
        return Err(DomainError::Conflict(
            "the client is already in production".into(),
        ));
    }
    if promotion_pending(&txn, id).await?.is_some() {
        return Err(DomainError::Conflict(
            "a request to promote this client is already waiting for a decision".into(),
        ));
    }
    if justification.is_empty() {
        return Err(DomainError::invalid(
            "justification",
            "tell the administrators what the application does and who will use it",
        ));
    }
    let request = submit(
        &txn,
        who,
        &current,
        Ask::Change {
            changes: vec![FieldChange {
                field: ChangeField::Stage,
                before: json!(Stage::Development),
                after: json!(Stage::Production),
            }],
        },
        &justification,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(request)
}

/// Administrators: moves a client to `stage` at once. Promoting is a review of
/// the client as it is (its grant types and redirect origins count as reviewed);
/// moving it back to development shuts everyone outside its team out at their
/// next sign-in or refresh. The team is told either way.
pub async fn set_stage(
    db: &DatabaseConnection,
    cache: &SecretCache,
    admin: &PortalAdmin<'_>,
    id: &str,
    stage: Stage,
    reason: &str,
    now: Timestamp,
) -> DomainResult<Client> {
    let who = admin.who;
    let reason = justification_text(reason)?;
    let txn = crate::platform::db::write_txn(db).await?;
    let current = locked_client(&txn, who, id).await?;
    let event = |data| {
        who.event(EventType::ClientStageChanged, id)
            .data(who.extra(data))
    };
    let next = change(
        &txn,
        current,
        stage,
        &reason,
        "An administrator",
        event,
        now,
    )
    .await?;
    txn.commit().await?;
    cache.invalidate_client(id);
    Ok(next)
}

/// The operator (`portcullis client stage`): as [`set_stage`], audited as the
/// operator's. Every server learns of it from the change feed.
pub async fn set_stage_as_operator(
    db: &DatabaseConnection,
    id: &str,
    stage: Stage,
    reason: &str,
    now: Timestamp,
) -> DomainResult<Client> {
    let reason = justification_text(reason)?;
    let txn = crate::platform::db::write_txn(db).await?;
    let current = crate::clients::store::find_for_update(&txn, id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let event = |data| {
        AuditEvent::new(EventType::ClientStageChanged, Actor::Operator)
            .target("client", id)
            .data(data)
    };
    let next = change(&txn, current, stage, &reason, "The operator", event, now).await?;
    txn.commit().await?;
    Ok(next)
}

/// Moves `current` to `stage` in `txn`: saved, audited by `event` (given the
/// event's data), the team told what `by` did.
async fn change<C: ConnectionTrait>(
    txn: &C,
    current: Client,
    stage: Stage,
    reason: &str,
    by: &str,
    event: impl FnOnce(serde_json::Value) -> AuditEvent,
    now: Timestamp,
) -> DomainResult<Client> {
    if current.stage == stage {
        return Err(DomainError::Conflict(format!(
            "the client is already in {}",
            stage.as_str()
        )));
    }
    if current.owner_id.is_none() && stage == Stage::Development {
        return Err(DomainError::invalid(
            "stage",
            "the client has no owner: in development nobody could sign in to it",
        ));
    }
    let mut next = current.clone();
    next.stage = stage;
    if stage == Stage::Production {
        next.mark_reviewed();
    }
    crate::clients::store::save(txn, &next, now).await?;
    audit::record(
        txn,
        now,
        event(json!({
            "before": { "stage": current.stage },
            "after": { "stage": stage },
            "reason": Some(reason).filter(|s| !s.is_empty()),
        })),
    )
    .await?;
    let why = Some(reason)
        .filter(|s| !s.is_empty())
        .map(|r| format!(" Reason: {r}"))
        .unwrap_or_default();
    let (title, body) = match stage {
        Stage::Production => (
            format!("\"{}\" is in production", current.metadata.name),
            format!(
                "{by} promoted your client \"{}\" ({}) to production: anyone may sign in to it now.{why}",
                current.metadata.name, current.id
            ),
        ),
        Stage::Development => (
            format!("\"{}\" is back in development", current.metadata.name),
            format!(
                "{by} moved your client \"{}\" ({}) back to development: only its team may sign in to it until it is promoted again.{why}",
                current.metadata.name, current.id
            ),
        ),
    };
    notify::notify_team(
        txn,
        &current.id,
        current.owner_id.as_deref(),
        &Message {
            kind: "client.stage_changed",
            title,
            body,
            link: Some(format!("/developer/clients/{}", current.id)),
        },
        now,
    )
    .await?;
    Ok(next)
}
