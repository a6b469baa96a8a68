//! `/api/v1/users/{id}/authorizations`: administrators see the apps a person
//! allowed (with the agents acting for them through each) and revoke one for
//! them — the REST side of /admin/users/{id}/apps (issue 16, item 5).

use axum::extract::State;
use axum::Json;
use http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::{ApiPath, ApiState};

/// An agent acting for the person through an app (RFC 8693 token exchange).
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentView {
    pub client_id: String,
    pub name: String,
    /// When it last got a token for the person (Unix seconds).
    pub last_used_at: i64,
    /// Its live tokens for the person.
    pub live_tokens: usize,
    /// 1: it acts directly for the app; more: through other agents.
    pub depth: i32,
}

/// One app the person allowed.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizationView {
    /// The grant: what `DELETE …/authorizations/{grant_id}` revokes.
    pub grant_id: String,
    pub client_id: String,
    pub client_name: String,
    /// The developer who owns the client, if any.
    pub owner: Option<String>,
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub authorized_at: i64,
    pub last_used_at: Option<i64>,
    pub agents: Vec<AgentView>,
    /// Who may act for the person through the app (RFC 8693 `may_act`), as they
    /// said: `"any"`, or the client ids of the only agents allowed (`[]`: none).
    #[schema(value_type = Object)]
    pub may_act: serde_json::Value,
}

/// Administrators: the apps a person allowed, most recently first.
#[utoipa::path(get, path = "/api/v1/users/{id}/authorizations", tag = "users",
    params(("id" = String, Path, description = "The person's user id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = [AuthorizationView]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(user_id): ApiPath<String>,
) -> ApiResult<Json<Vec<AuthorizationView>>> {
    who.as_admin()?;
    let app = &st.oauth.services;
    if !domain::platform::text::could_exist(&user_id)
        || domain::accounts::find_by_id(&app.db, &user_id)
            .await?
            .is_none()
    {
        return Err(ApiError::from(domain::DomainError::NotFound));
    }
    let agents = domain::oauth::agents::agents_of(&app.db, &user_id, app.now()).await?;
    let apps = domain::oauth::consents::connected_apps(&app.db, &user_id).await?;
    Ok(Json(
        apps.into_iter()
            .map(|a| AuthorizationView {
                agents: agents
                    .iter()
                    .filter(|g| g.origin_client_id == a.grant.client_id)
                    .map(|g| AgentView {
                        client_id: g.client_id.clone(),
                        name: g.client_name.clone(),
                        last_used_at: g.last_used,
                        live_tokens: g.live_tokens,
                        depth: g.depth,
                    })
                    .collect(),
                may_act: a.grant.may_act.to_json(),
                grant_id: a.grant.id,
                client_id: a.grant.client_id,
                client_name: a.client_name,
                owner: a.owner,
                scopes: a.scopes.into_iter().map(|s| s.name).collect(),
                authorized_at: a.grant.created_at,
                last_used_at: a.grant.last_used_at,
            })
            .collect(),
    ))
}

/// Administrators: revokes one of a person's authorizations as the person would:
/// the grant, its refresh tokens and every token derived from them stop at once
/// (audited as `grant.revoked` by the administrator).
#[utoipa::path(delete, path = "/api/v1/users/{id}/authorizations/{grant_id}", tag = "users",
    params(("id" = String, Path, description = "The person's user id"),
        ("grant_id" = String, Path, description = "The grant, from the list")),
    security(("bearer" = ["portal"])),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath((user_id, grant_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let admin = who.as_admin()?;
    let app = &st.oauth.services;
    domain::oauth::consents::revoke_as_admin(
        &app.db,
        &app.revocations,
        admin.ctx(),
        &user_id,
        &grant_id,
        who.ip.clone(),
        app.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
