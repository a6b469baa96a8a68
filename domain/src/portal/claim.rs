//! A developer claims a client that registered itself (issue 16, item 1): the
//! proof is its registration access token (RFC 7592), which only whoever ran the
//! registration holds. The client then belongs to the developer — listed in
//! their portal, edited, rotated and governed like one they registered there —
//! and it keeps its admission state: claiming admits nothing. The software keeps
//! its registration access token (it may still read or update itself by RFC 7592).

use serde_json::json;

use super::access::Who;
use crate::audit::{self, EventType};
use crate::clients::authenticate::SecretCache;
use crate::clients::dynamic::{self, Refused};
use crate::clients::model::Client;
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

/// Makes the developer `who` the owner of the self-registered client `client_id`,
/// proven by its registration access token. A wrong token, an unknown client and a
/// client that did not register itself are one answer: not found. A client that
/// already has an owner is a conflict.
pub async fn claim(
    db: &sea_orm::DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    client_id: &str,
    registration_access_token: &str,
    now: Timestamp,
) -> DomainResult<Client> {
    who.require_developer()?;
    let client_id = client_id.trim();
    let token = registration_access_token.trim();
    for (field, value, bound) in [
        ("client_id", client_id, limits::URI),
        (
            "registration_access_token",
            token,
            limits::REGISTRATION_ACCESS_TOKEN,
        ),
    ] {
        if value.is_empty() {
            return Err(DomainError::invalid(field, "is required"));
        }
        crate::platform::text::check_len(field, value, bound)?;
    }
    match dynamic::authorize(db, client_id, Some(token)).await {
        Ok(_) => {}
        Err(Refused::Domain(e)) => return Err(e),
        Err(_) => return Err(DomainError::NotFound),
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let current = crate::clients::store::find_for_update(&txn, client_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    if current.owner_id.is_some() {
        return Err(DomainError::Conflict(
            "this client already belongs to a developer".into(),
        ));
    }
    let mut next = current.clone();
    next.owner_id = Some(who.user.id.clone());
    crate::clients::store::save(&txn, &next, now).await?;
    audit::record(
        &txn,
        now,
        who.event(EventType::ClientClaimed, client_id)
            .data(who.extra(json!({
                "before": { "owner_id": null },
                "after": { "owner_id": who.user.id },
            }))),
    )
    .await?;
    txn.commit().await?;
    cache.invalidate_client(client_id);
    crate::clients::store::find(db, client_id)
        .await?
        .ok_or(DomainError::NotFound)
}
