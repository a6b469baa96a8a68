//! `/api/v1/scopes` and `/api/v1/rules`: the scope catalogue for everyone with a
//! `portal` token; for administrators, which scopes need approval and the
//! auto-approval rules (issue 17: OpenID scopes too, and one rule for a group of
//! scopes).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::schemas::scopes::{RuleBody, RuleView, ScopeChange, ScopeView};
use super::{ApiJson, ApiPath, ApiState};

/// Every scope a client can hold: the OpenID scopes, then each API's.
#[utoipa::path(get, path = "/api/v1/scopes", tag = "scopes",
    security(("bearer" = ["portal"])),
    responses((status = 200, body = [ScopeView]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list(
    State(st): State<ApiState>,
    Caller(_): Caller,
) -> ApiResult<Json<Vec<ScopeView>>> {
    let all = domain::apis::catalogue(&st.oauth.services.db).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Administrators: makes a scope need approval or not (API scopes: also its
/// wording). Clients that hold it keep it.
#[utoipa::path(put, path = "/api/v1/scopes/{name}", tag = "scopes", request_body = ScopeChange,
    params(("name" = String, Path, description = "The scope (a / in it as %2F)")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = ScopeView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(name): ApiPath<String>,
    ApiJson(b): ApiJson<ScopeChange>,
) -> ApiResult<Json<ScopeView>> {
    let app = &st.oauth.services;
    let admin = who.as_admin()?;
    let description = match b.description {
        Some(d) => d,
        // Unchanged: the scope's own wording (a built-in one's is fixed anyway).
        None => {
            domain::apis::find_scope(&app.db, &name)
                .await?
                .ok_or_else(ApiError::not_found)?
                .description
        }
    };
    let s = domain::apis::update_scope(
        &app.db,
        admin.ctx(),
        &name,
        &description,
        b.requires_approval,
        app.now(),
    )
    .await?;
    app.catalogue.invalidate();
    Ok(Json(s.into()))
}

/// Administrators: every auto-approval rule.
#[utoipa::path(get, path = "/api/v1/rules", tag = "scopes",
    security(("bearer" = ["portal"])),
    responses((status = 200, body = [RuleView]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn rules(
    State(st): State<ApiState>,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<RuleView>>> {
    who.as_admin()?;
    let all = domain::portal::rules::list(&st.oauth.services.db).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Administrators: a new rule for one or more scopes that need approval (each
/// scope has at most one rule).
#[utoipa::path(post, path = "/api/v1/rules", tag = "scopes", request_body = RuleBody,
    security(("bearer" = ["portal"])),
    responses((status = 201, body = RuleView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_rule(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<RuleBody>,
) -> ApiResult<Response> {
    let r = save(&st, &who, b.draft(None)).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

/// Administrators: replaces a rule's scopes and conditions (a scope taken out of
/// it has no rule any more).
#[utoipa::path(put, path = "/api/v1/rules/{id}", tag = "scopes", request_body = RuleBody,
    params(("id" = String, Path, description = "The rule id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = RuleView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn update_rule(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<RuleBody>,
) -> ApiResult<Json<RuleView>> {
    Ok(Json(save(&st, &who, b.draft(Some(id))).await?))
}

async fn save(
    st: &ApiState,
    who: &domain::portal::Who,
    draft: domain::portal::rules::RuleDraft,
) -> ApiResult<RuleView> {
    let app = &st.oauth.services;
    let admin = who.as_admin()?;
    let r = domain::portal::rules::save(&app.db, admin.ctx(), &draft, app.now()).await?;
    Ok(r.into())
}

/// Administrators: deletes a rule; requests for its scopes wait for a person again.
#[utoipa::path(delete, path = "/api/v1/rules/{id}", tag = "scopes",
    params(("id" = String, Path, description = "The rule id")),
    security(("bearer" = ["portal"])),
    responses((status = 204, description = "Deleted: its scopes wait for a person again"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_rule(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let app = &st.oauth.services;
    let admin = who.as_admin()?;
    domain::portal::rules::delete(&app.db, admin.ctx(), &id, app.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
