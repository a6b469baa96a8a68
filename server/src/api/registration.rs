//! `/api/v1/registration`: administrators set the dynamic registration mode
//! (RFC 7591) and mint, list and revoke initial access tokens. The same domain
//! functions as `portcullis registration …`. Developers claim a self-registered
//! client (`/claim`).

use axum::extract::State;
use axum::Json;
use http::StatusCode;

use super::auth::Caller;
use super::error::{ApiResult, ErrorBody};
use super::schemas::clients::ClientView;
use super::schemas::registration::{
    Claim, InitialTokenView, MetadataDocumentsSetting, MintedToken, NewInitialToken,
    RegistrationSetting,
};
use super::{ApiJson, ApiPath, ApiState};

/// Administrators: the registration mode now in force.
#[utoipa::path(get, path = "/api/v1/registration", tag = "registration",
    security(("bearer" = ["portal"])),
    responses((status = 200, body = RegistrationSetting), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn show(
    State(st): State<ApiState>,
    Caller(who): Caller,
) -> ApiResult<Json<RegistrationSetting>> {
    who.as_admin()?;
    let mode = domain::settings::registration_mode(&st.oauth.services.db).await?;
    Ok(Json(RegistrationSetting { mode: mode.into() }))
}

/// Administrators: sets the registration mode (audited as `settings.changed`).
#[utoipa::path(put, path = "/api/v1/registration", tag = "registration",
    request_body = RegistrationSetting, security(("bearer" = ["portal"])),
    responses((status = 200, body = RegistrationSetting), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<RegistrationSetting>,
) -> ApiResult<Json<RegistrationSetting>> {
    let app = &st.oauth.services;
    let admin = who.as_admin()?;
    domain::settings::set_registration_mode(&app.db, admin.ctx(), b.mode.into(), app.now()).await?;
    Ok(Json(b))
}

/// Administrators: every initial access token, newest first.
#[utoipa::path(get, path = "/api/v1/registration/tokens", tag = "registration",
    security(("bearer" = ["portal"])),
    responses((status = 200, body = [InitialTokenView]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn tokens(
    State(st): State<ApiState>,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<InitialTokenView>>> {
    let admin = who.as_admin()?;
    let all = domain::clients::initial_tokens::list(&st.oauth.services.db, admin.ctx()).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Administrators: mints an initial access token, returned once.
#[utoipa::path(post, path = "/api/v1/registration/tokens", tag = "registration",
    request_body = NewInitialToken, security(("bearer" = ["portal"])),
    responses((status = 201, body = MintedToken), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn mint(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<NewInitialToken>,
) -> ApiResult<(StatusCode, Json<MintedToken>)> {
    let app = &st.oauth.services;
    let admin = who.as_admin()?;
    let (info, token) = domain::clients::initial_tokens::mint(
        &app.db,
        admin.ctx(),
        &b.label,
        b.max_uses,
        b.lifetime_secs,
        app.now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(MintedToken {
            info: info.into(),
            token: token.expose().to_owned(),
        }),
    ))
}

/// Administrators: revokes an initial access token at once.
#[utoipa::path(delete, path = "/api/v1/registration/tokens/{id}", tag = "registration",
    params(("id" = String, Path)), security(("bearer" = ["portal"])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let app = &st.oauth.services;
    let admin = who.as_admin()?;
    domain::clients::initial_tokens::revoke(&app.db, admin.ctx(), &id, app.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Administrators: the client ID metadata document settings now in force.
#[utoipa::path(get, path = "/api/v1/registration/documents", tag = "registration",
    security(("bearer" = ["portal"])),
    responses((status = 200, body = MetadataDocumentsSetting), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn documents(
    State(st): State<ApiState>,
    Caller(who): Caller,
) -> ApiResult<Json<MetadataDocumentsSetting>> {
    who.as_admin()?;
    let app = &st.oauth.services;
    let s = app.runtime.get(&app.db).await?;
    Ok(Json(s.metadata_documents.into()))
}

/// Administrators: turns client ID metadata documents on or off and sets the
/// trusted hosts and protected names (audited as `settings.changed`).
#[utoipa::path(put, path = "/api/v1/registration/documents", tag = "registration",
    request_body = MetadataDocumentsSetting, security(("bearer" = ["portal"])),
    responses((status = 200, body = MetadataDocumentsSetting), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_documents(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<MetadataDocumentsSetting>,
) -> ApiResult<Json<MetadataDocumentsSetting>> {
    let app = &st.oauth.services;
    let admin = who.as_admin()?;
    let now =
        domain::settings::set_metadata_documents(&app.db, admin.ctx(), b.into(), app.now()).await?;
    app.runtime.invalidate();
    Ok(Json(now.into()))
}

/// Developers: claims a client that registered itself, proven by its registration
/// access token; it then belongs to the caller. A wrong token and an unknown client
/// are the same 404; a client that already has an owner is 409.
#[utoipa::path(post, path = "/api/v1/registration/claim", tag = "registration",
    request_body = Claim, security(("bearer" = ["portal"])),
    responses((status = 200, body = ClientView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn claim(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<Claim>,
) -> ApiResult<Json<ClientView>> {
    let app = &st.oauth.services;
    let client = domain::portal::claim::claim(
        &app.db,
        &app.clients,
        &who,
        &b.client_id,
        &b.registration_access_token,
        app.now(),
    )
    .await?;
    Ok(Json(client.into()))
}
