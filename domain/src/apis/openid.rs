//! Which built-in OpenID Connect scopes need an administrator's approval (issue 17,
//! seed 001: a developer asks for `profile`, an administrator decides).
//!
//! Their wording is fixed (it is the code's); whether they are gated is a row in
//! `scopes` without an API, written when an administrator first changes it. No row
//! means free. `openid` is always free: it is what makes a client an OpenID
//! Connect client at all, every new client starts with it, and it releases only
//! the subject identifier (see docs/SECURITY.md). Being a row of `scopes`, the
//! change reaches every process's catalogue through the change feed.

use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use serde_json::json;

use super::{find_scope, ScopeInfo, BUILTIN_SCOPES};
use crate::accounts::users::AdminCtx;
use crate::audit::{self, AuditEvent, EventType};
use crate::entities::{scope, server_setting};
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

/// The one OpenID scope that never needs approval.
pub const OPENID: &str = "openid";

/// Whether administrators may make `name` need approval: API scopes, the role
/// scope and the built-in OpenID scopes except `openid`.
pub fn gateable(name: &str) -> bool {
    name != OPENID
}

/// The catalogue entry of a built-in scope (`None` when `name` is not one), gated
/// as its row says.
pub(super) fn builtin_info(name: &str, row: Option<&scope::Model>) -> Option<ScopeInfo> {
    let (n, d) = BUILTIN_SCOPES.iter().find(|(n, _)| *n == name)?;
    Some(ScopeInfo {
        name: (*n).into(),
        description: (*d).into(),
        audience: None,
        requires_approval: gateable(n) && row.is_some_and(|r| r.requires_approval),
    })
}

/// An administrator makes a built-in OpenID scope need approval, or need none
/// again. Clients that hold it keep it; from now on a developer's request for it
/// waits for an administrator (or its rule). The description may be left empty or
/// sent as it is: the wording is fixed.
pub(super) async fn set_builtin_approval(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    name: &str,
    description: &str,
    requires_approval: bool,
    now: Timestamp,
) -> DomainResult<ScopeInfo> {
    let Some(&(name, fixed)) = BUILTIN_SCOPES.iter().find(|(n, _)| *n == name) else {
        return Err(DomainError::NotFound);
    };
    if !gateable(name) {
        return Err(DomainError::Conflict(format!(
            "'{name}' is a built-in OpenID Connect scope that never needs approval: every client that signs people in needs it"
        )));
    }
    let d = description.trim();
    if !d.is_empty() && d != fixed {
        return Err(DomainError::invalid(
            "description",
            "the wording of the built-in OpenID Connect scopes is fixed",
        ));
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let current = scope::Entity::find_by_id(name.to_owned()).one(&txn).await?;
    let before = current.as_ref().is_some_and(|r| r.requires_approval);
    if before == requires_approval {
        txn.rollback().await?;
        return find_scope(db, name).await?.ok_or(DomainError::NotFound);
    }
    if requires_approval {
        refuse_if_default(&txn, name).await?;
    }
    match current {
        Some(row) => {
            let mut am: scope::ActiveModel = row.into();
            am.requires_approval = Set(requires_approval);
            am.update(&txn).await?;
        }
        None => {
            scope::ActiveModel {
                name: Set(name.to_owned()),
                resource_id: Set(None),
                description: Set(fixed.to_owned()),
                requires_approval: Set(requires_approval),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::ScopeUpdated, ctx.actor().clone())
            .target("scope", name)
            .data(json!({
                "before": { "requires_approval": before },
                "after": { "requires_approval": requires_approval },
            })),
    )
    .await?;
    txn.commit().await?;
    find_scope(db, name).await?.ok_or(DomainError::NotFound)
}

/// A scope every new client starts with cannot need approval: new clients would
/// get it without one. Read as a row (the settings stand on the catalogue, not the
/// other way round); the key and the default are `settings::DEFAULT_CLIENT_SCOPES`'s.
pub(super) async fn refuse_if_default<C: ConnectionTrait>(
    conn: &C,
    name: &str,
) -> DomainResult<()> {
    let defaults = server_setting::Entity::find_by_id("default_client_scopes".to_owned())
        .one(conn)
        .await?
        .map(|r| r.value)
        .unwrap_or_else(|| OPENID.to_owned());
    if defaults.split_whitespace().any(|s| s == name) {
        return Err(DomainError::invalid(
            "requires_approval",
            format!(
                "'{name}' is one of the scopes every new client starts with: take it out of the default client scopes (Settings) first, or new clients would get it without approval"
            ),
        ));
    }
    Ok(())
}
