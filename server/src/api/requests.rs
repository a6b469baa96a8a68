//! `/api/v1/requests`: scope and extension requests, and — for administrators —
//! their approval and rejection.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::portal::{self, RequestFilter};
use http::StatusCode;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::schemas::requests::{
    AddedAtOnce, Approval, ListRequests, NewRequest, NewRequestKind, Rejection, RequestPage,
    RequestView,
};
use super::{optional_json, ApiJson, ApiPath, ApiQuery, ApiState};

/// Requests for the caller's clients (administrators: all).
#[utoipa::path(get, path = "/api/v1/requests", tag = "requests", params(ListRequests),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = RequestPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListRequests>,
) -> ApiResult<Json<RequestPage>> {
    let filter = RequestFilter {
        status: q.status.map(Into::into),
        kind: q.kind.map(|k| k.as_str().to_owned()),
        client_id: q.client_id,
    };
    let page = portal::list_requests(
        &st.oauth.services.db,
        &who,
        q.mine.unwrap_or(false),
        &filter,
        super::page_param(q.page)?,
        super::per_page_param(q.per_page)?,
    )
    .await?;
    Ok(Json(RequestPage {
        items: page.items.into_iter().map(Into::into).collect(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
    }))
}

/// One request (its client's owner or an administrator).
#[utoipa::path(get, path = "/api/v1/requests/{id}", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = RequestView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RequestView>> {
    let r = portal::find_request(&st.oauth.services.db, &who, &id).await?;
    Ok(Json(r.into()))
}

/// Asks for more scopes or a later expiry for one of the caller's clients. Scopes
/// that need no approval are added at once (see `NewRequest`).
#[utoipa::path(post, path = "/api/v1/requests", tag = "requests", request_body = NewRequest,
    security(("bearer" = ["portal"])),
    responses((status = 201, body = RequestView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<NewRequest>,
) -> ApiResult<Response> {
    let app = &st.oauth.services;
    let now = app.now();
    let view = match b.kind {
        NewRequestKind::Scopes => {
            let r = portal::request_scopes(
                &app.db,
                &app.clients,
                &who,
                &b.client_id,
                &b.scopes,
                &b.justification,
                now,
            )
            .await?;
            let mut view = RequestView::from(r.request);
            view.added_at_once = r.at_once.map(|a| AddedAtOnce {
                scopes: a.granted.unwrap_or_default(),
                request_id: a.id,
            });
            view
        }
        NewRequestKind::Extension => {
            let Some(at) = b.expires_at else {
                return Err(ApiError::invalid_field(
                    "expires_at",
                    "is required for an extension request",
                ));
            };
            portal::request_extension(&app.db, &who, &b.client_id, at, &b.justification, now)
                .await?
                .into()
        }
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Administrators: approves a pending request, optionally only some of its scopes.
#[utoipa::path(post, path = "/api/v1/requests/{id}/approve", tag = "requests",
    request_body(content = Option<Approval>, description = "Optional"),
    params(("id" = String, Path, description = "The request id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = RequestView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn approve(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Json<RequestView>> {
    let b: Approval = optional_json(&body)?;
    let app = &st.oauth.services;
    let r = portal::approve(
        &app.db,
        &app.clients,
        &who.as_admin()?,
        &id,
        b.scopes,
        b.note,
        app.now(),
    )
    .await?;
    Ok(Json(r.into()))
}

/// Administrators: rejects a pending request; the reason is required.
#[utoipa::path(post, path = "/api/v1/requests/{id}/reject", tag = "requests",
    request_body = Rejection,
    params(("id" = String, Path, description = "The request id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = RequestView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<Rejection>,
) -> ApiResult<Json<RequestView>> {
    let app = &st.oauth.services;
    let r = portal::reject(
        &app.db,
        &app.clients,
        &who.as_admin()?,
        &id,
        &b.reason,
        app.now(),
    )
    .await?;
    Ok(Json(r.into()))
}
