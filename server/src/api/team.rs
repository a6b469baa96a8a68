//! A client's team (issue 13, teams): `/api/v1/clients/{id}/team`, its co-owners,
//! the offer of its ownership and taking it over; `/api/v1/transfers`, the offers
//! waiting for the caller. The rules are `domain::portal::team`'s.

use axum::extract::State;
use axum::Json;
use domain::portal::team;
use http::StatusCode;

use super::auth::Caller;
use super::error::{ApiResult, ErrorBody};
use super::schemas::team::{Member, NewCoOwner, NewOwner, Offer, Team};
use super::{ApiJson, ApiPath, ApiState};

/// The client's owner and co-owners, and the ownership offer waiting, if any.
/// Its team and administrators only (404 for anyone else).
#[utoipa::path(get, path = "/api/v1/clients/{id}/team", tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = Team), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Team>> {
    let app = &st.oauth.services;
    let t = team::team(&app.db, &who, &id, app.now()).await?;
    Ok(Json(t.into()))
}

/// Adds a developer as a co-owner: they manage the client like its owner (edit,
/// scopes, secrets, usage) but may not delete it, offer it or change its team.
/// The owner or an administrator only (403 for a co-owner).
#[utoipa::path(post, path = "/api/v1/clients/{id}/co-owners", tag = "clients",
    request_body = NewCoOwner,
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 201, body = Member), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn add_co_owner(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<NewCoOwner>,
) -> ApiResult<(StatusCode, Json<Member>)> {
    let app = &st.oauth.services;
    let m = team::add_co_owner(&app.db, &who, &id, &b.member, app.now()).await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

/// Removes a co-owner. The owner or an administrator removes anyone; a co-owner
/// only themself (leaving the team).
#[utoipa::path(delete, path = "/api/v1/clients/{id}/co-owners/{user_id}", tag = "clients",
    params(("id" = String, Path, description = "The client id"),
        ("user_id" = String, Path, description = "The co-owner's user id, from the team")),
    security(("bearer" = ["portal"])),
    responses((status = 204, description = "Removed: they no longer manage the client"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn remove_co_owner(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath((id, user_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let app = &st.oauth.services;
    team::remove_co_owner(&app.db, &who, &id, &user_id, app.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Offers the client's ownership to another developer, who accepts or declines it
/// at `/api/v1/transfers/{client_id}` within 14 days; a waiting offer is replaced.
/// The owner or an administrator only.
#[utoipa::path(put, path = "/api/v1/clients/{id}/transfer", tag = "clients",
    request_body = NewOwner,
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 201, body = Offer), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn offer(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<NewOwner>,
) -> ApiResult<(StatusCode, Json<Offer>)> {
    let app = &st.oauth.services;
    let o = team::offer_transfer(&app.db, &who, &id, &b.new_owner, app.now()).await?;
    Ok((StatusCode::CREATED, Json(o.into())))
}

/// Withdraws the waiting offer (404 when there is none). The owner or an
/// administrator only.
#[utoipa::path(delete, path = "/api/v1/clients/{id}/transfer", tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 204, description = "Withdrawn"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn cancel(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let app = &st.oauth.services;
    team::cancel_transfer(&app.db, &who, &id, app.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A co-owner takes over a client whose owner can no longer manage it (disabled,
/// no longer a developer, or gone); the former owner stays a co-owner. 409 while
/// the owner can: they offer it instead.
#[utoipa::path(post, path = "/api/v1/clients/{id}/take-over", tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 204, description = "The caller owns the client now"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn take_over(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let app = &st.oauth.services;
    team::take_over(&app.db, &app.clients, &who, &id, app.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The ownership offers waiting for the caller, soonest to expire first.
#[utoipa::path(get, path = "/api/v1/transfers", tag = "clients",
    security(("bearer" = ["portal"])),
    responses((status = 200, body = Vec<Offer>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn offers(
    State(st): State<ApiState>,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<Offer>>> {
    let app = &st.oauth.services;
    let offers = team::offers_for(&app.db, &who, app.now()).await?;
    Ok(Json(offers.into_iter().map(Offer::from).collect()))
}

/// Accepts an offer made to the caller: they own the client now, and the former
/// owner stays a co-owner. 404 when no offer waits for the caller.
#[utoipa::path(post, path = "/api/v1/transfers/{client_id}/accept", tag = "clients",
    params(("client_id" = String, Path, description = "The offered client's id")),
    security(("bearer" = ["portal"])),
    responses((status = 204, description = "The caller owns the client now"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn accept(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(client_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    answer(&st, &who, &client_id, true).await
}

/// Declines an offer made to the caller: the client stays its owner's. 404 when no
/// offer waits for the caller.
#[utoipa::path(post, path = "/api/v1/transfers/{client_id}/decline", tag = "clients",
    params(("client_id" = String, Path, description = "The offered client's id")),
    security(("bearer" = ["portal"])),
    responses((status = 204, description = "Declined"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn decline(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(client_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    answer(&st, &who, &client_id, false).await
}

async fn answer(
    st: &ApiState,
    who: &domain::portal::Who,
    client_id: &str,
    accept: bool,
) -> ApiResult<StatusCode> {
    let app = &st.oauth.services;
    team::answer_transfer(&app.db, &app.clients, who, client_id, accept, app.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
