//! `/api/v1/clients`: list, register, show, edit, delete, rotate the secret,
//! disable and enable. A secret appears only in the register and rotate responses.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::clients::{self, GrantType, Overlap};
use domain::portal::{self, Gated, Registration};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::Serialize;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::schemas::clients::{
    ClientEdit, ClientPage, ClientSort, ClientView, CreatedClient, EditedClient, ListClients,
    NewClient, Rotate, RotatedSecret, Toggle, Toggled,
};
use super::{optional_json, ApiJson, ApiPath, ApiQuery, ApiState};

/// The caller's clients (administrators: everyone's with `all=true`).
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", params(ListClients),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = ClientPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListClients>,
) -> ApiResult<Json<ClientPage>> {
    let sort = match q.sort.unwrap_or_default() {
        ClientSort::Name => clients::Sort::Name,
        ClientSort::Created => clients::Sort::Created,
        ClientSort::Expiry => clients::Sort::Expiry,
    };
    let page = portal::list_clients(
        &st.oauth.services.db,
        &who,
        q.all.unwrap_or(false),
        q.q.as_deref().unwrap_or_default(),
        sort,
        super::page_param(q.page)?,
        super::per_page_param(q.per_page)?,
    )
    .await?;
    Ok(Json(ClientPage {
        items: page.items.into_iter().map(ClientView::from).collect(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
    }))
}

/// Registers a client owned by the caller. The response holds the secret, once.
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = NewClient,
    security(("bearer" = ["portal"])),
    responses((status = 201, body = CreatedClient), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<NewClient>,
) -> ApiResult<Response> {
    let app = &st.oauth.services;
    let reg = Registration {
        application_type: b.application_type,
        metadata: b.metadata(),
        allowed_email_domains: b.allowed_email_domains,
        subject_type: b.subject_type.unwrap_or_default(),
    };
    let settings = app.runtime.get(&app.db).await?;
    let created = portal::register(
        &app.db,
        &app.hasher,
        &app.documents,
        &who,
        &settings,
        reg,
        app.now(),
    )
    .await?;
    let location = format!("{}/{}", super::routes::CLIENTS, created.client.id);
    Ok(super::located(
        StatusCode::CREATED,
        Json(CreatedClient {
            client: created.client.into(),
            client_secret: created.secret.map(|s| s.expose().to_owned()),
            request_id: created.request_id,
        }),
        &location,
    ))
}

/// The entity tag of a client's version (RFC 9110 §8.8.3; strong: the version
/// changes with every change to the client).
fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A JSON response with the client's `ETag`.
pub(super) fn with_etag(version: i64, body: impl Serialize) -> Response {
    let mut resp = Json(body).into_response();
    resp.headers_mut().insert(header::ETAG, etag(version));
    resp
}

/// `If-Match` (RFC 9110 §13.1.1): `*` or a list of entity tags, compared strongly
/// (a weak tag never matches). `None` when the header is absent.
fn if_match(headers: &HeaderMap, version: i64) -> ApiResult<Option<bool>> {
    let mut seen = false;
    let mut matched = false;
    let want = format!("\"{version}\"");
    for v in headers.get_all(header::IF_MATCH) {
        seen = true;
        if v.len() > limits::IF_MATCH {
            return Err(ApiError::invalid_field(
                "If-Match",
                format!("must be at most {} characters", limits::IF_MATCH),
            ));
        }
        let v = v
            .to_str()
            .map_err(|_| ApiError::invalid_field("If-Match", "must be entity tags or *"))?;
        if v.trim().is_empty() {
            return Err(ApiError::invalid_field(
                "If-Match",
                "must be entity tags or *",
            ));
        }
        matched |= v.split(',').map(str::trim).any(|t| t == "*" || t == want);
    }
    Ok(seen.then_some(matched))
}

/// One client (owner or administrator; others get 404).
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = ClientView,
            headers(("ETag" = String, description = "The client's version, for If-Match"))),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let c = portal::client_for(&st.oauth.services.db, &who, &id).await?;
    Ok(with_etag(c.version, ClientView::from(c)))
}

/// Refuses a change to a field that is not edited here, naming where it is.
fn unchanged<T: PartialEq>(
    field: &'static str,
    sent: Option<T>,
    current: T,
    how: &str,
) -> ApiResult<()> {
    match sent {
        Some(v) if v != current => Err(ApiError::invalid_field(field, how)),
        _ => Ok(()),
    }
}

/// Edits a client. Directly editable fields apply at once; privilege-adding
/// changes to approval-gated fields, and (while the client holds a scope that
/// needs approval) new grant types or redirect URIs on new origins, become a
/// change request (`pending_request`).
///
/// Fields left out are taken from the client as this request read it; if the
/// client changes before the edit is written, the edit is refused with 409
/// rather than undoing that change. With `If-Match` (the `ETag` of GET) the edit
/// applies only to that version, else 412.
#[utoipa::path(put, path = "/api/v1/clients/{id}", tag = "clients", request_body = ClientEdit,
    params(("id" = String, Path, description = "The client id"),
        ("If-Match" = Option<String>, Header,
            description = "The ETag of the version the edit is based on (or *)")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = EditedClient,
            headers(("ETag" = String, description = "The client's new version"))),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The client changed meanwhile (or `version` is not the current one)"),
        (status = 412, body = ErrorBody, description = "If-Match does not match the current version")))]
pub async fn update(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ClientEdit>,
) -> ApiResult<Response> {
    let app = &st.oauth.services;
    let current = portal::client_for(&app.db, &who, &id).await?;
    let precondition = if_match(&headers, current.version)?;
    if precondition == Some(false) {
        return Err(ApiError::precondition_failed());
    }
    if b.version.is_some_and(|v| v != current.version) {
        return Err(domain::DomainError::Conflict(clients::STALE.into()).into());
    }
    let patch = b.metadata();
    if b.client_secret.is_some() {
        return Err(ApiError::invalid_field(
            "client_secret",
            "cannot be set: POST /api/v1/clients/{id}/rotate-secret issues a new secret (shown once)",
        ));
    }
    unchanged("id", b.id, current.id.clone(), "is the client's identity")?;
    unchanged(
        "client_id",
        b.client_id,
        current.id.clone(),
        "is the client's identity",
    )?;
    unchanged(
        "owner_id",
        b.owner_id,
        current.owner_id.clone(),
        "is fixed: a client belongs to the developer who registered it",
    )?;
    unchanged(
        "created_at",
        b.created_at,
        current.created_at,
        "is set at registration",
    )?;
    // `updated_at` is accepted as GET returned it and ignored: every edit moves it.
    let _ = b.updated_at;
    unchanged(
        "application_type",
        b.application_type,
        current.metadata.application_type,
        "is fixed at registration",
    )?;
    let mut sorted = current.scopes.clone();
    sorted.sort();
    unchanged(
        "scopes",
        b.scopes.map(|mut s| {
            s.sort();
            s
        }),
        sorted,
        "scopes are requested with POST /api/v1/requests (kind \"scopes\")",
    )?;
    unchanged(
        "disabled",
        b.disabled,
        current.disabled,
        "use POST /api/v1/clients/{id}/disable or /enable",
    )?;
    unchanged(
        "stage",
        b.stage,
        current.stage.into(),
        "ask for production with POST /api/v1/clients/{id}/promotion (administrators: PUT /api/v1/clients/{id}/stage)",
    )?;
    unchanged(
        "expires_at",
        b.expires_at,
        current.expires_at,
        "an extension is requested with POST /api/v1/requests (kind \"extension\")",
    )?;
    unchanged(
        "allowed_email_domains",
        b.allowed_email_domains,
        current.allowed_email_domains.clone(),
        "is fixed at registration",
    )?;

    // The password grant is approval-gated: in `grant_types` it means the same as
    // `password_grant`, which wins if both are sent and agree.
    let in_grants = b
        .grant_types
        .as_ref()
        .map(|g| g.iter().any(|g| g == GrantType::Password.as_str()));
    let password_grant = match (b.password_grant, in_grants) {
        (Some(p), Some(g)) if p != g => {
            return Err(ApiError::invalid_field(
                "password_grant",
                "disagrees with grant_types: send one or make them agree",
            ))
        }
        (Some(p), _) => Some(p),
        (None, g) => g,
    };
    let gated = (password_grant.is_some()
        || b.refresh_token_ttl_secs.is_some()
        || b.subject_type.is_some()
        || b.requestable_claims.is_some())
    .then(|| {
        let have = Gated::of(&current);
        Gated {
            password_grant: password_grant.unwrap_or(have.password_grant),
            refresh_token_ttl_secs: b
                .refresh_token_ttl_secs
                .unwrap_or(have.refresh_token_ttl_secs),
            subject_type: b.subject_type.unwrap_or(have.subject_type),
            requestable_claims: b.requestable_claims.clone(),
        }
    });

    // Only the fields sent change, on the row as it is when the edit is written;
    // with If-Match (or `version`) only on that version (issue 11, M4).
    let expected_version = b.version.or(precondition.map(|_| current.version));
    let out = portal::update(
        &app.db,
        &app.clients,
        &app.documents,
        &who,
        &id,
        portal::Edit {
            patch,
            gated,
            justification: b.justification.unwrap_or_default(),
            expected_version,
            governed: Some(portal::Governed {
                access_token_ttl_secs: b.access_token_ttl_secs,
                first_party: b.first_party,
                pre_authorized: b.pre_authorized,
            }),
        },
        app.now(),
    )
    .await
    .map_err(|e| match precondition {
        Some(_) if clients::is_stale(&e) => ApiError::precondition_failed(),
        _ => e.into(),
    })?;
    Ok(with_etag(
        out.client.version,
        EditedClient {
            notice: out.needs_secret.then(|| {
                format!(
                    "the client now authenticates with a secret and has none: POST /api/v1/clients/{id}/rotate-secret issues one (shown once)"
                )
            }),
            client: out.client.into(),
            pending_request: out.request.map(Into::into),
        },
    ))
}

/// Deletes a client: its refresh tokens, codes and consents go with it and its
/// access tokens stop working.
#[utoipa::path(delete, path = "/api/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let app = &st.oauth.services;
    portal::delete(&app.db, &app.clients, &who, &id, app.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issues a new secret (shown here once). The body is optional.
#[utoipa::path(post, path = "/api/v1/clients/{id}/rotate-secret", tag = "clients",
    request_body(content = Option<Rotate>, description = "Optional; default overlap none"),
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = RotatedSecret), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn rotate_secret(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let b: Rotate = optional_json(&body)?;
    let app = &st.oauth.services;
    let now = app.now();
    let overlap: Overlap = b.overlap.into();
    let secret =
        portal::rotate_secret(&app.db, &app.hasher, &app.clients, &who, &id, overlap, now).await?;
    let mut resp = Json(RotatedSecret {
        client_id: id,
        client_secret: secret.expose().to_owned(),
        previous_secret_expires_at: now + overlap.secs(),
    })
    .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// Disables a client at once: it gets no tokens until enabled again.
#[utoipa::path(post, path = "/api/v1/clients/{id}/disable", tag = "clients",
    request_body(content = Option<Toggle>, description = "Optional"),
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = Toggled), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn disable(
    st: State<ApiState>,
    caller: Caller,
    id: ApiPath<String>,
    body: Bytes,
) -> ApiResult<Json<Toggled>> {
    toggle(st, caller, id, body, false).await
}

/// Enables a disabled client: at once for administrators, as a change request
/// (with `justification`) for developers.
#[utoipa::path(post, path = "/api/v1/clients/{id}/enable", tag = "clients",
    request_body(content = Option<Toggle>, description = "Optional; justification is required for developers"),
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = Toggled), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn enable(
    st: State<ApiState>,
    caller: Caller,
    id: ApiPath<String>,
    body: Bytes,
) -> ApiResult<Json<Toggled>> {
    toggle(st, caller, id, body, true).await
}

async fn toggle(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
    enabled: bool,
) -> ApiResult<Json<Toggled>> {
    let b: Toggle = optional_json(&body)?;
    let app = &st.oauth.services;
    let request = portal::set_enabled(
        &app.db,
        &app.clients,
        &who,
        &id,
        enabled,
        &b.justification,
        app.now(),
    )
    .await?;
    let client = portal::client_for(&app.db, &who, &id).await?;
    Ok(Json(Toggled {
        client: client.into(),
        pending_request: request.map(Into::into),
    }))
}
