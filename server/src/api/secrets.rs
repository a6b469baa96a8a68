//! `/api/v1/clients/{id}/secrets`: which secrets of a client work, when each was
//! last used, and revoking one early (issue 13, defect 9). Rotation stays
//! `POST …/rotate-secret`.

use axum::extract::State;
use axum::Json;
use domain::portal;
use http::StatusCode;

use super::auth::Caller;
use super::error::{ApiResult, ErrorBody};
use super::schemas::clients::{SecretList, SecretView};
use super::{ApiPath, ApiState};

/// The client's working secrets with when each was created, when it stops working
/// and when it was last used.
#[utoipa::path(get, path = "/api/v1/clients/{id}/secrets", tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = SecretList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SecretList>> {
    let app = &st.oauth.services;
    let secrets = portal::list_secrets(&app.db, &app.clients, &who, &id, app.now())
        .await?
        .into_iter()
        .map(|s| SecretView {
            id: s.id,
            created_at: s.created_at,
            expires_at: s.expires_at,
            last_used_at: s.last_used_at,
        })
        .collect();
    Ok(Json(SecretList {
        client_id: id,
        secrets,
    }))
}

/// Ends one secret now (e.g. the old one once every deployment has the new one).
/// The client's only working secret cannot be revoked (409): rotate it instead.
#[utoipa::path(delete, path = "/api/v1/clients/{id}/secrets/{secret_id}", tag = "clients",
    params(("id" = String, Path, description = "The client id"),
        ("secret_id" = String, Path, description = "The secret's id, from the list")),
    security(("bearer" = ["portal"])),
    responses((status = 204, description = "Revoked: it stops working at once"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath((id, secret_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let app = &st.oauth.services;
    portal::revoke_secret(&app.db, &app.clients, &who, &id, &secret_id, app.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
