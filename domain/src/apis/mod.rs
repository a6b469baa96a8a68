//! APIs (resource servers) and the scopes they offer; the built-in OpenID scopes.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::accounts::users::AdminCtx;
use crate::audit::{self, AuditEvent, EventType};
use crate::entities::{resource, resource_introspector as introspector, scope};
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

mod builtin;
pub mod openid;
pub use builtin::*;
use openid::{builtin_info, refuse_if_default, set_builtin_approval};

/// The OpenID Connect scopes every server offers, with consent-screen wording.
pub const BUILTIN_SCOPES: &[(&str, &str)] = &[
    ("openid", "Sign you in with your Portcullis account"),
    ("profile", "See your name and username"),
    ("email", "See your e-mail address"),
    (
        "offline_access",
        "Keep access when you are not using the app",
    ),
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeInfo {
    pub name: String,
    pub description: String,
    /// The audience (API identifier) this scope belongs to; None for OpenID scopes.
    pub audience: Option<String>,
    pub requires_approval: bool,
}

pub fn is_builtin(name: &str) -> bool {
    BUILTIN_SCOPES.iter().any(|(n, _)| *n == name)
}

fn valid_scope_name(name: &str) -> bool {
    // RFC 6749 §3.3 scope-token, narrowed to a readable set.
    !name.is_empty()
        && name.len() <= limits::SCOPE_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":._-/".contains(c))
}

/// A scope's consent-screen text: required, one line, bounded.
fn scope_description(d: &str) -> DomainResult<String> {
    let d = crate::platform::text::line("description", d, limits::SCOPE_DESCRIPTION)?;
    if d.is_empty() {
        return Err(DomainError::invalid(
            "description",
            "is required: it is shown to people on the consent page",
        ));
    }
    Ok(d)
}

pub async fn find_scope<C: ConnectionTrait>(
    conn: &C,
    name: &str,
) -> DomainResult<Option<ScopeInfo>> {
    if !crate::platform::text::could_exist(name) {
        return Ok(None);
    }
    let row = scope::Entity::find_by_id(name.to_owned()).one(conn).await?;
    if let Some(info) = builtin_info(name, row.as_ref()) {
        return Ok(Some(info));
    }
    let Some(s) = row else {
        return Ok(None);
    };
    let audience = match &s.resource_id {
        Some(rid) => resource::Entity::find_by_id(rid.clone())
            .one(conn)
            .await?
            .map(|r| r.audience),
        None => None,
    };
    Ok(Some(ScopeInfo {
        name: s.name,
        description: s.description,
        audience,
        requires_approval: s.requires_approval,
    }))
}

/// Every scope a client can hold: the OpenID scopes, then each API's scopes by name.
pub async fn catalogue<C: ConnectionTrait>(conn: &C) -> DomainResult<Vec<ScopeInfo>> {
    use sea_orm::QueryOrder;
    let rows = scope::Entity::find()
        .order_by_asc(scope::Column::Name)
        .all(conn)
        .await?;
    let mut out: Vec<ScopeInfo> = BUILTIN_SCOPES
        .iter()
        .filter_map(|(n, _)| builtin_info(n, rows.iter().find(|r| r.name == *n)))
        .collect();
    let apis: std::collections::HashMap<String, String> = resource::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.audience))
        .collect();
    // The built-in scopes' rows hold only whether they are gated (see `openid`).
    for s in rows.into_iter().filter(|s| !is_builtin(&s.name)) {
        out.push(ScopeInfo {
            audience: s.resource_id.as_ref().and_then(|r| apis.get(r).cloned()),
            name: s.name,
            description: s.description,
            requires_approval: s.requires_approval,
        });
    }
    Ok(out)
}

pub async fn create_resource(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    name: &str,
    audience: &str,
    now: Timestamp,
) -> DomainResult<resource::Model> {
    let name = crate::platform::text::line("name", name, limits::API_NAME)?;
    let name = name.as_str();
    if name.is_empty() {
        return Err(DomainError::invalid("name", "is required"));
    }
    crate::platform::text::check_len("audience", audience.trim(), limits::URI)?;
    crate::platform::text::check_chars("audience", audience.trim(), false)?;
    let aud = url::Url::parse(audience.trim()).map_err(|_| {
        DomainError::invalid(
            "audience",
            "must be an absolute URI, e.g. https://api.example.edu",
        )
    })?;
    if aud.fragment().is_some() {
        return Err(DomainError::invalid(
            "audience",
            "must not contain a fragment",
        ));
    }
    let audience = audience.trim().to_owned();
    if resource::Entity::find()
        .filter(resource::Column::Audience.eq(&audience))
        .one(db)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict(format!(
            "an API with the identifier {audience} already exists"
        )));
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let model = resource::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        name: Set(name.to_owned()),
        audience: Set(audience.clone()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        taken(e, || {
            format!("an API with the identifier {audience} already exists")
        })
    })?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::ResourceCreated, ctx.actor().clone())
            .target("resource", &model.id)
            .data(json!({ "after": { "name": name, "audience": audience } })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// An insert that lost a race with an equal one (checked first, created in
/// between) is the same conflict the check reports, not our failure.
fn taken(e: sea_orm::DbErr, message: impl FnOnce() -> String) -> DomainError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DomainError::Conflict(message()),
        _ => e.into(),
    }
}

pub async fn add_scope(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    resource_id: &str,
    name: &str,
    description: &str,
    requires_approval: bool,
    now: Timestamp,
) -> DomainResult<ScopeInfo> {
    let name = name.trim();
    if !valid_scope_name(name) {
        return Err(DomainError::invalid(
            "name",
            "may contain only letters, digits and : . _ - /",
        ));
    }
    if is_builtin(name)
        || scope::Entity::find_by_id(name.to_owned())
            .one(db)
            .await?
            .is_some()
    {
        return Err(DomainError::Conflict(format!(
            "the scope '{name}' already exists"
        )));
    }
    let description = scope_description(description)?;
    let description = description.as_str();
    if !crate::platform::text::could_exist(resource_id) {
        return Err(DomainError::NotFound);
    }
    let res = resource::Entity::find_by_id(resource_id.to_owned())
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let txn = crate::platform::db::write_txn(db).await?;
    scope::ActiveModel {
        name: Set(name.to_owned()),
        resource_id: Set(Some(res.id.clone())),
        description: Set(description.trim().to_owned()),
        requires_approval: Set(requires_approval),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| taken(e, || format!("the scope '{name}' already exists")))?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::ScopeCreated, ctx.actor().clone())
            .target("scope", name)
            .data(json!({ "after": { "resource": res.audience, "description": description.trim(), "requires_approval": requires_approval } })),
    )
    .await?;
    txn.commit().await?;
    Ok(ScopeInfo {
        name: name.to_owned(),
        description: description.trim().to_owned(),
        audience: Some(res.audience),
        requires_approval,
    })
}

pub async fn find_resource_by_audience<C: ConnectionTrait>(
    conn: &C,
    audience: &str,
) -> DomainResult<Option<resource::Model>> {
    Ok(resource::Entity::find()
        .filter(resource::Column::Audience.eq(audience))
        .one(conn)
        .await?)
}

/// An API with its scopes, for the administrators' catalogue page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Api {
    pub id: String,
    pub name: String,
    pub audience: String,
    pub scopes: Vec<ScopeInfo>,
    /// The clients (its resource servers) that may introspect its tokens.
    pub introspectors: Vec<String>,
}

/// An API as token issuance and introspection need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiInfo {
    pub id: String,
    pub name: String,
    pub audience: String,
    /// Clients allowed to introspect tokens issued for this API (its resource
    /// servers), besides each token's own client.
    pub introspectors: Vec<String>,
}

/// The API with this audience, with who may introspect its tokens.
pub async fn find_api_info<C: ConnectionTrait>(
    conn: &C,
    audience: &str,
) -> DomainResult<Option<ApiInfo>> {
    let Some(r) = find_resource_by_audience(conn, audience).await? else {
        return Ok(None);
    };
    let introspectors = introspector::Entity::find()
        .filter(introspector::Column::ResourceId.eq(&r.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|i| i.client_id)
        .collect();
    Ok(Some(ApiInfo {
        id: r.id,
        name: r.name,
        audience: r.audience,
        introspectors,
    }))
}

/// Names the clients that may introspect tokens issued for an API (RFC 7662 §4:
/// its resource servers). Replaces the list; each must be a confidential client.
pub async fn set_introspectors(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    resource_id: &str,
    client_ids: &[String],
    now: Timestamp,
) -> DomainResult<Vec<String>> {
    let mut wanted: Vec<String> = client_ids
        .iter()
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    wanted.sort();
    wanted.dedup();
    if wanted.len() > 20 {
        return Err(DomainError::invalid(
            "introspectors",
            "at most 20 clients may introspect one API's tokens",
        ));
    }
    let txn = crate::platform::db::write_txn(db).await?;
    resource::Entity::find_by_id(resource_id.to_owned())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    for id in &wanted {
        // The row, not a `clients::Client`: clients stand on the API catalogue (their
        // scopes are checked against it), not the other way round.
        let row = crate::entities::client::Entity::find_by_id(id.clone())
            .one(&txn)
            .await?;
        match row {
            Some(c) if c.token_endpoint_auth_method != "none" => {}
            Some(_) => {
                return Err(DomainError::invalid(
                    "introspectors",
                    format!("{id} is a public client: it cannot authenticate to introspect"),
                ))
            }
            None => {
                return Err(DomainError::invalid(
                    "introspectors",
                    format!("there is no client {id}"),
                ))
            }
        }
    }
    let before: Vec<String> = introspector::Entity::find()
        .filter(introspector::Column::ResourceId.eq(resource_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|i| i.client_id)
        .collect();
    if before == wanted {
        txn.rollback().await?;
        return Ok(wanted);
    }
    introspector::Entity::delete_many()
        .filter(introspector::Column::ResourceId.eq(resource_id))
        .exec(&txn)
        .await?;
    for id in &wanted {
        introspector::ActiveModel {
            resource_id: Set(resource_id.to_owned()),
            client_id: Set(id.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::ResourceIntrospectorsChanged, ctx.actor().clone())
            .target("resource", resource_id)
            .data(json!({ "before": before, "after": wanted })),
    )
    .await?;
    txn.commit().await?;
    Ok(wanted)
}

/// Every API by name, each with its scopes by name.
pub async fn list_apis<C: ConnectionTrait>(conn: &C) -> DomainResult<Vec<Api>> {
    use sea_orm::QueryOrder;
    let scopes = scope::Entity::find()
        .order_by_asc(scope::Column::Name)
        .all(conn)
        .await?;
    let introspectors = introspector::Entity::find()
        .order_by_asc(introspector::Column::ClientId)
        .all(conn)
        .await?;
    Ok(resource::Entity::find()
        .order_by_asc(resource::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| Api {
            scopes: scopes
                .iter()
                .filter(|s| s.resource_id.as_deref() == Some(r.id.as_str()))
                .map(|s| ScopeInfo {
                    name: s.name.clone(),
                    description: s.description.clone(),
                    audience: Some(r.audience.clone()),
                    requires_approval: s.requires_approval,
                })
                .collect(),
            introspectors: introspectors
                .iter()
                .filter(|i| i.resource_id == r.id)
                .map(|i| i.client_id.clone())
                .collect(),
            id: r.id,
            name: r.name,
            audience: r.audience,
        })
        .collect())
}

/// An administrator rewords a scope (its consent-screen text) or changes whether
/// clients need approval to get it. The built-in OpenID scopes keep their wording;
/// all but `openid` may be gated (`openid::set_builtin_approval`).
pub async fn update_scope(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    name: &str,
    description: &str,
    requires_approval: bool,
    now: Timestamp,
) -> DomainResult<ScopeInfo> {
    if is_builtin(name) {
        return set_builtin_approval(db, ctx, name, description, requires_approval, now).await;
    }
    let description = scope_description(description)?;
    let description = description.as_str();
    if !crate::platform::text::could_exist(name) {
        return Err(DomainError::NotFound);
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let current = scope::Entity::find_by_id(name.to_owned())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if current.description == description && current.requires_approval == requires_approval {
        txn.rollback().await?;
    } else {
        if requires_approval && !current.requires_approval {
            refuse_if_default(&txn, name).await?;
        }
        let before = json!({ "description": current.description, "requires_approval": current.requires_approval });
        let mut am: scope::ActiveModel = current.into();
        am.description = Set(description.to_owned());
        am.requires_approval = Set(requires_approval);
        am.update(&txn).await?;
        audit::record(
            &txn,
            now,
            AuditEvent::new(EventType::ScopeUpdated, ctx.actor().clone())
                .target("scope", name)
                .data(json!({
                    "before": before,
                    "after": { "description": description, "requires_approval": requires_approval },
                })),
        )
        .await?;
        txn.commit().await?;
    }
    find_scope(db, name).await?.ok_or(DomainError::NotFound)
}
