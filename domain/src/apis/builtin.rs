//! What the server itself makes at start-up, once for every process sharing the
//! database: the portal's own API with its `portal` scope, and the scope that
//! releases a person's role (`role_scope`).

use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use serde_json::json;

use super::{find_resource_by_audience, is_builtin, valid_scope_name};
use crate::audit::{self, AuditEvent, EventType};
use crate::entities::{resource, scope};
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

/// The scope that lets an access token use the developer portal's REST API.
pub const PORTAL_SCOPE: &str = "portal";
/// The name of the portal's own API (resource server).
pub const PORTAL_API_NAME: &str = "Portcullis portal API";

/// The portal's REST API's audience for an issuer.
pub fn portal_audience(issuer: &str) -> String {
    format!("{}/api/v1", issuer.trim_end_matches('/'))
}

/// Makes sure the portal's own API and its `portal` scope exist (at start-up). The
/// scope needs approval: a token with it can do whatever its user can do in the
/// portal. Several processes may start at once: whichever loses the race to insert
/// fails on a unique key, and the second pass finds what the winner wrote.
/// Seed 001: the scope that releases a person's portal role (named by the
/// operator's `role_scope`) exists as an OpenID scope — no API, approval-gated when
/// first made (which apps may learn who is an administrator is an administrator's
/// call). An existing scope is left as administrators set it.
pub async fn ensure_role_scope(
    db: &DatabaseConnection,
    name: &str,
    now: Timestamp,
) -> DomainResult<()> {
    if is_builtin(name) || name == PORTAL_SCOPE || !valid_scope_name(name) {
        return Err(DomainError::invalid(
            "role_scope",
            format!("'{name}' cannot name the role scope: use letters, digits and : . _ - /, not a built-in scope"),
        ));
    }
    if let Some(s) = scope::Entity::find_by_id(name.to_owned()).one(db).await? {
        if s.resource_id.is_some() {
            tracing::warn!("the role scope '{name}' belongs to an API: it releases the role claim all the same");
        }
        return Ok(());
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let inserted = scope::Entity::insert(scope::ActiveModel {
        name: Set(name.to_owned()),
        resource_id: Set(None),
        description: Set("Know your role here (user, developer or administrator)".into()),
        requires_approval: Set(true),
        created_at: Set(now),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::column(scope::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted > 0 {
        audit::record(
            &txn,
            now,
            AuditEvent::new(EventType::ScopeCreated, audit::Actor::Operator)
                .target("scope", name)
                .data(json!({ "requires_approval": true, "role_scope": true })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

pub async fn ensure_portal_api(
    db: &DatabaseConnection,
    issuer: &str,
    now: Timestamp,
) -> DomainResult<()> {
    match try_ensure_portal_api(db, issuer, now).await {
        Ok(()) => Ok(()),
        Err(e) => {
            tracing::debug!(error = %e, "creating the portal API raced another process; looking again");
            try_ensure_portal_api(db, issuer, now).await
        }
    }
}

async fn try_ensure_portal_api(
    db: &DatabaseConnection,
    issuer: &str,
    now: Timestamp,
) -> DomainResult<()> {
    let audience = portal_audience(issuer);
    let existing = find_resource_by_audience(db, &audience).await?;
    let have_scope = scope::Entity::find_by_id(PORTAL_SCOPE.to_owned())
        .one(db)
        .await?;
    if let (Some(r), Some(s)) = (&existing, &have_scope) {
        if s.resource_id.as_deref() != Some(r.id.as_str()) {
            tracing::warn!(
                "the scope '{PORTAL_SCOPE}' belongs to another API: tokens with it cannot use the portal's REST API"
            );
        }
        return Ok(());
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let res = match existing {
        Some(r) => r,
        None => {
            let r = resource::ActiveModel {
                id: Set(uuid::Uuid::now_v7().to_string()),
                name: Set(PORTAL_API_NAME.to_owned()),
                audience: Set(audience.clone()),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
            audit::record(
                &txn,
                now,
                AuditEvent::new(EventType::ResourceCreated, crate::audit::Actor::System)
                    .target("resource", &r.id)
                    .data(json!({ "after": { "name": PORTAL_API_NAME, "audience": audience } })),
            )
            .await?;
            r
        }
    };
    if have_scope.is_none() {
        let description = "Manage your OAuth clients and requests in the developer portal";
        scope::ActiveModel {
            name: Set(PORTAL_SCOPE.to_owned()),
            resource_id: Set(Some(res.id.clone())),
            description: Set(description.to_owned()),
            requires_approval: Set(true),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            now,
            AuditEvent::new(EventType::ScopeCreated, crate::audit::Actor::System)
                .target("scope", PORTAL_SCOPE)
                .data(json!({ "after": { "resource": res.audience, "description": description, "requires_approval": true } })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
