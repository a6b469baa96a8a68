//! A developer's (or administrator's) own changes to clients: edits, disabling,
//! scopes, secret rotation, deletion, and the client listing (registration: `registration`).

use std::collections::BTreeSet;

use sea_orm::DatabaseConnection;
use serde_json::json;

use super::access::{client_for, justification_text, locked_client, PortalAdmin, Who};
use super::changes::{diff, ChangeField, FieldChange, Gated};
use super::gated;
use super::governed::Governed;
use super::request::{Ask, Request};
use super::submit::submit;
use crate::audit::{self, EventType};
use crate::clients::authenticate::SecretCache;
use crate::clients::metadata::ClientPatch;
use crate::clients::model::Client;
use crate::clients::secrets::Overlap;
use crate::clients::sector;
use crate::platform::clock::Timestamp;
use crate::platform::fetch::Documents;
use crate::platform::page::Page;
use crate::platform::password::PasswordHasher;
use crate::platform::secret::SecretString;
use crate::portal::notify::{self, Message};
use crate::portal::review;
use crate::{DomainError, DomainResult};

/// An edit of a client, as a form or a request body sent it.
#[derive(Clone, Debug, Default)]
pub struct Edit {
    /// The directly editable metadata sent.
    pub patch: ClientPatch,
    /// The approval-gated settings, when sent (`None`: left as they are).
    pub gated: Option<Gated>,
    /// Why, for the administrator deciding the changes that need approval.
    pub justification: String,
    /// The version the editor saw (see [`update`]).
    pub expected_version: Option<i64>,
    /// What only administrators set (`None`: left as it is).
    pub governed: Option<Governed>,
}

/// The result of an edit: the client as it now is, and the request made for the
/// changes that need approval, if any.
#[derive(Clone, Debug)]
pub struct UpdateOutcome {
    pub client: Client,
    pub request: Option<Request>,
    /// The client now authenticates with a secret but has no working one (it was
    /// switched from `private_key_jwt`): rotating the secret issues one. Said to
    /// the editor rather than leaving the client silently unable to authenticate.
    pub needs_secret: bool,
}

/// Edits a client. Directly editable fields apply at once. Approval-gated ones
/// apply at once for administrators; for developers, changes that reduce privilege
/// apply at once and the rest become one change request (with `justification`).
/// A developer's edit that adds a grant type or a redirect origin nobody reviewed,
/// while the client holds an approval-gated scope, is such a request too (M7); an
/// administrator's edit records the client as reviewed.
///
/// `expected_version` is the version the editor saw (the form's, or the REST
/// API's `If-Match`): when the client changed since, the edit is refused as
/// [`crate::clients::store::STALE`] instead of overwriting the other change (M4). Without it the
/// fields given are applied to the row as it is now; fields not given, such as
/// `disabled`, are never written back from an older copy.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &DatabaseConnection,
    cache: &SecretCache,
    docs: &Documents,
    who: &Who,
    id: &str,
    edit: Edit,
    now: Timestamp,
) -> DomainResult<UpdateOutcome> {
    let Edit {
        patch,
        gated,
        justification,
        expected_version,
        governed,
    } = edit;
    let justification = justification.as_str();
    who.require_developer()?;
    justification_text(justification)?;
    if let Some(t) = gated.as_ref().and_then(|g| g.refresh_token_ttl_secs) {
        if !(3600..=365 * 86_400).contains(&t) {
            return Err(DomainError::invalid(
                "refresh_token_ttl_secs",
                "must be between 1 hour and 365 days",
            ));
        }
    }

    // A sector identifier document is fetched before the write transaction (a slow
    // site must not hold the database's write lock) and checked again inside it.
    let sector_doc = {
        let seen = client_for(db, who, id).await?;
        match patch.clone().edit(&seen.metadata) {
            Ok(m) => sector::fetch_if_needed(docs, Some(&seen.metadata), &m).await?,
            // The edit's own problem is reported below, from the locked row.
            Err(_) => None,
        }
    };
    let claims_asked = match gated.as_ref().and_then(|g| g.requestable_claims.as_deref()) {
        Some(list) => Some(crate::oauth::claims::requestable_list(list)?),
        None => None,
    };

    let txn = crate::platform::db::write_txn(db).await?;
    let current = locked_client(&txn, who, id).await?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(DomainError::Conflict(crate::clients::store::STALE.into()));
    }
    // The fields not in the patch are the row's as it is now, locked: an edit of
    // other fields made meanwhile stays.
    let mut next = current.clone();
    next.metadata = patch.edit(&current.metadata)?;
    sector::recheck(Some(&current.metadata), &next.metadata, sector_doc.as_ref())?;
    governed
        .unwrap_or_default()
        .apply(who, &current, &mut next)?;

    let mut asks = match gated {
        Some(g) => gated::changes(who, &current, &mut next, g, claims_asked)?,
        None => Vec::new(),
    };
    if who.is_admin() {
        next.mark_reviewed();
    } else {
        let wider = review::widening(&current, &next);
        if !wider.is_empty() && review::guarded(&txn, &current).await? {
            asks.extend(review::hold_back(&current, &mut next, &wider));
        }
    }
    if !asks.is_empty() && justification.trim().is_empty() {
        return Err(DomainError::invalid(
            "justification",
            "explain why: these changes need an administrator's approval",
        ));
    }

    let changed = diff(&current, &next);
    if changed.as_object().is_some_and(|m| !m.is_empty()) {
        crate::clients::store::save(&txn, &next, now).await?;
        // Switched to its keys: its secrets stop now, in the same transaction.
        let secrets_ended = if current.metadata.has_secret() && !next.metadata.has_secret() {
            crate::clients::secrets::end_all(&txn, id, now).await?
        } else {
            0
        };
        let mut data = json!({ "changes": changed });
        if secrets_ended > 0 {
            data["secrets_ended"] = json!(secrets_ended);
        }
        audit::record(
            &txn,
            now,
            who.event(EventType::ClientUpdated, id)
                .data(who.extra(data)),
        )
        .await?;
    }
    let request = if asks.is_empty() {
        None
    } else {
        Some(
            submit(
                &txn,
                who,
                &next,
                Ask::Change { changes: asks },
                justification,
                now,
            )
            .await?,
        )
    };
    txn.commit().await?;
    cache.invalidate_client(id);
    let client = crate::clients::store::find(db, id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let needs_secret = client.metadata.has_secret()
        && crate::clients::secrets::live_secrets(db, &cache.uses, id, now)
            .await?
            .is_empty();
    Ok(UpdateOutcome {
        client,
        request,
        needs_secret,
    })
}

/// Disables or re-enables a client. Disabling applies at once (owner or admin).
/// Re-enabling is immediate for administrators and a change request for owners.
/// Returns the request when one was made.
pub async fn set_enabled(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    enabled: bool,
    justification: &str,
    now: Timestamp,
) -> DomainResult<Option<Request>> {
    who.require_developer()?;
    justification_text(justification)?;
    let txn = crate::platform::db::write_txn(db).await?;
    let current = locked_client(&txn, who, id).await?;
    if current.disabled != enabled {
        return Err(DomainError::Conflict(format!(
            "the client is already {}",
            if enabled { "enabled" } else { "disabled" }
        )));
    }
    let request = if enabled && !who.is_admin() {
        if justification.trim().is_empty() {
            return Err(DomainError::invalid(
                "justification",
                "explain why the client should be enabled again",
            ));
        }
        Some(
            submit(
                &txn,
                who,
                &current,
                Ask::Change {
                    changes: vec![FieldChange {
                        field: ChangeField::Enabled,
                        before: json!(false),
                        after: json!(true),
                    }],
                },
                justification,
                now,
            )
            .await?,
        )
    } else {
        let mut next = current.clone();
        next.disabled = !enabled;
        crate::clients::store::save(&txn, &next, now).await?;
        if enabled {
            super::admission::settle(&txn, id, &who.actor(), who.ip.clone(), now).await?;
        }
        let event = if enabled {
            EventType::ClientEnabled
        } else {
            EventType::ClientDisabled
        };
        audit::record(
            &txn,
            now,
            who.event(event, id).data(who.extra(json!({
                "before": { "disabled": current.disabled },
                "after": { "disabled": next.disabled },
                "reason": Some(justification.trim()).filter(|s| !s.is_empty()),
            }))),
        )
        .await?;
        if !enabled && current.owner_id.as_deref() != Some(who.user.id.as_str()) {
            let why = Some(justification.trim())
                .filter(|s| !s.is_empty())
                .map(|r| format!(" Reason: {r}"))
                .unwrap_or_default();
            notify::notify_team(
                &txn,
                &current.id,
                current.owner_id.as_deref(),
                &Message {
                    kind: "client.disabled",
                    title: format!("\"{}\" was disabled", current.metadata.name),
                    body: format!(
                        "An administrator disabled your client \"{}\" ({}). It gets no tokens until it is enabled again.{why}",
                        current.metadata.name, current.id
                    ),
                    link: Some(format!("/developer/clients/{}", current.id)),
                },
                now,
            )
            .await?;
        }
        None
    };
    txn.commit().await?;
    cache.invalidate_client(id);
    Ok(request)
}

/// Administrators: sets (or clears) a registration's expiry directly.
pub async fn set_expiry(
    db: &DatabaseConnection,
    cache: &SecretCache,
    admin: &PortalAdmin<'_>,
    id: &str,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> DomainResult<Client> {
    let who = admin.who;
    let txn = crate::platform::db::write_txn(db).await?;
    let current = locked_client(&txn, who, id).await?;
    let mut next = current.clone();
    next.expires_at = expires_at;
    crate::clients::store::save(&txn, &next, now).await?;
    audit::record(
        &txn,
        now,
        who.event(EventType::ClientExpiryChanged, id)
            .data(who.extra(json!({ "before": current.expires_at, "after": expires_at }))),
    )
    .await?;
    txn.commit().await?;
    cache.invalidate_client(id);
    Ok(next)
}

/// Administrators: sets a client's scopes directly (e.g. to remove one).
pub async fn set_scopes(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    scopes: Vec<String>,
    now: Timestamp,
) -> DomainResult<Client> {
    crate::platform::text::check_items("scopes", &scopes, limits::SCOPES)?;
    change_scopes(db, cache, who, id, |_| scopes, now).await
}

/// Removes one scope from a client (owners and administrators: least privilege
/// needs no approval). The scope is removed from the client as it is when the
/// change is written, so a scope approved meanwhile stays (M4).
pub async fn remove_scope(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    scope: &str,
    now: Timestamp,
) -> DomainResult<Client> {
    change_scopes(
        db,
        cache,
        who,
        id,
        |c| c.scopes.iter().filter(|s| *s != scope).cloned().collect(),
        now,
    )
    .await
}

pub(crate) async fn change_scopes(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    scopes: impl FnOnce(&Client) -> Vec<String>,
    now: Timestamp,
) -> DomainResult<Client> {
    let txn = crate::platform::db::write_txn(db).await?;
    let current = locked_client(&txn, who, id).await?;
    let scopes: Vec<String> = scopes(&current)
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Owners may only remove scopes; adding one is a request.
    if !who.is_admin() && scopes.iter().any(|s| !current.scopes.contains(s)) {
        return Err(DomainError::invalid(
            "scopes",
            "adding a scope needs approval: use a scope request",
        ));
    }
    for s in &scopes {
        crate::apis::find_scope(&txn, s)
            .await?
            .ok_or_else(|| DomainError::invalid("scopes", format!("unknown scope '{s}'")))?;
    }
    let mut next = current.clone();
    next.scopes = scopes;
    crate::clients::store::save(&txn, &next, now).await?;
    // Taking a scope away bounds every consent, refresh token and live token of the
    // client at once (refreshes and token checks also bound by the client's scopes).
    let narrowed = crate::oauth::consents::narrow_to_client(&txn, id, &next.scopes, now).await?;
    audit::record(
        &txn,
        now,
        who.event(EventType::ClientUpdated, id).data(
            who.extra(json!({ "changes": diff(&current, &next), "consents_narrowed": narrowed })),
        ),
    )
    .await?;
    txn.commit().await?;
    cache.invalidate_client(id);
    Ok(next)
}

/// Rotates a client's secret; the old one keeps working for `overlap`.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    overlap: Overlap,
    now: Timestamp,
) -> DomainResult<SecretString> {
    who.require_developer()?;
    client_for(db, who, id).await?;
    let s = crate::clients::secrets::rotate_secret(
        db,
        hasher,
        who.actor(),
        who.ip.clone(),
        id,
        overlap,
        now,
        |d| who.extra(d),
    )
    .await?;
    cache.invalidate_client(id);
    Ok(s)
}

/// The client's working secrets with their last use (owner or administrator).
pub async fn list_secrets(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    now: Timestamp,
) -> DomainResult<Vec<crate::clients::secrets::SecretInfo>> {
    client_for(db, who, id).await?;
    crate::clients::secrets::live_secrets(db, &cache.uses, id, now).await
}

/// Ends one of the client's secrets now (not its only working one).
pub async fn revoke_secret(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    secret_id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    who.require_developer()?;
    client_for(db, who, id).await?;
    crate::clients::secrets::revoke_secret(
        db,
        who.actor(),
        who.ip.clone(),
        id,
        secret_id,
        now,
        |d| who.extra(d),
    )
    .await?;
    cache.invalidate_client(id);
    Ok(())
}

/// Deletes a client: its refresh tokens, codes and grants go with it, and its
/// access tokens are reported inactive at once.
pub async fn delete(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    who.require_developer()?;
    let c = client_for(db, who, id).await?;
    // Co-owners change a client; only its owner (or an administrator) ends it.
    super::team::require_owner(who, &c)?;
    crate::clients::store::delete(db, who.actor(), id, now).await?;
    cache.invalidate_client(id);
    Ok(())
}

/// The caller's clients (administrators may pass `all` to see everyone's).
pub async fn list_clients(
    db: &DatabaseConnection,
    who: &Who,
    all: bool,
    search: &str,
    sort: crate::clients::store::Sort,
    page: u64,
    per_page: u64,
) -> DomainResult<Page<Client>> {
    if all && !who.is_admin() {
        return Err(DomainError::Forbidden);
    }
    let owner = (!all).then_some(who.user.id.as_str());
    crate::clients::store::list(db, owner, search, sort, page, per_page).await
}
