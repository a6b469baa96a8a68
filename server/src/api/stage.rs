//! A client's lifecycle stage (issue 13, lifecycle states):
//! `POST /api/v1/clients/{id}/promotion`, a team member's request for production
//! (into the approval queue), and `PUT /api/v1/clients/{id}/stage`, an
//! administrator's change at once. The rules are `domain::portal::stage`'s.

use axum::extract::State;
use axum::response::Response;
use axum::Json;
use domain::portal::{self, stage};
use domain::DomainError;
use http::StatusCode;

use super::auth::Caller;
use super::clients::with_etag;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::schemas::clients::ClientView;
use super::schemas::requests::RequestView;
use super::schemas::stage::{Promotion, StageChange};
use super::{ApiJson, ApiPath, ApiState};

/// Asks for a client in development to be promoted to production: a change
/// request (kind `change`, field `stage`) waits in the approval queue, and its
/// approval (`POST /api/v1/requests/{id}/approve`) promotes the client. The
/// client's team (owner and co-owners) and administrators; 409 when the client is
/// already in production or a promotion already waits.
#[utoipa::path(post, path = "/api/v1/clients/{id}/promotion", tag = "clients",
    request_body = Promotion,
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 202, body = RequestView,
            description = "The request, pending an administrator's decision",
            headers(("Location" = String, description = "The request, under /api/v1/requests"))),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody,
            description = "Already in production, or a promotion already waits")))]
pub async fn promote(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<Promotion>,
) -> ApiResult<Response> {
    let app = &st.oauth.services;
    let r = stage::request_promotion(&app.db, &who, &id, &b.justification, app.now()).await?;
    let location = format!("{}/{}", super::routes::REQUESTS, r.id);
    Ok(super::located(
        StatusCode::ACCEPTED,
        Json(RequestView::from(r)),
        &location,
    ))
}

/// Administrators: moves a client to `development` or `production` at once. To
/// production: the client counts as reviewed as it is. Back to development:
/// everyone outside its team is refused at their next sign-in or refresh. Its
/// team is told either way. 409 when it is already in that stage; 400 (field
/// `stage`) for development when the client has no owner.
#[utoipa::path(put, path = "/api/v1/clients/{id}/stage", tag = "clients",
    request_body = StageChange,
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = ClientView,
            headers(("ETag" = String, description = "The client's new version"))),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The client is already in that stage")))]
pub async fn set(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<StageChange>,
) -> ApiResult<Response> {
    let app = &st.oauth.services;
    let reason = b.reason.unwrap_or_default();
    stage::set_stage(
        &app.db,
        &app.clients,
        &who.as_admin()?,
        &id,
        b.stage.into(),
        &reason,
        app.now(),
    )
    .await
    .map_err(|e| match e {
        // The domain checks the reason as a justification: name the body's field.
        DomainError::Invalid {
            field: "justification",
            message,
        } => ApiError::invalid_field("reason", message),
        e => e.into(),
    })?;
    // Read again: the version and update time are the stored ones.
    let c = portal::client_for(&app.db, &who, &id).await?;
    Ok(with_etag(c.version, ClientView::from(c)))
}
