//! `/api/v1/clients`: list, register, show, edit, delete, rotate the secret,
//! disable and enable. A secret appears only in the register and rotate responses.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::clients::{self, Client, ClientUpdate, Overlap, GRANT_PASSWORD};
use domain::portal::{self, Gated, Registration};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::requests::RequestView;
use super::{ApiJson, ApiPath, ApiQuery, ApiState};

// ------------------------------------------------------------------ schemas

/// `web`: a server-side application (confidential); `native`: a native or
/// single-page application (public, PKCE); `service`: machine to machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApplicationType {
    Web,
    Native,
    Service,
}

impl From<clients::ApplicationType> for ApplicationType {
    fn from(a: clients::ApplicationType) -> Self {
        match a {
            clients::ApplicationType::Web => Self::Web,
            clients::ApplicationType::Native => Self::Native,
            clients::ApplicationType::Service => Self::Service,
        }
    }
}

impl From<ApplicationType> for clients::ApplicationType {
    fn from(a: ApplicationType) -> Self {
        match a {
            ApplicationType::Web => Self::Web,
            ApplicationType::Native => Self::Native,
            ApplicationType::Service => Self::Service,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    None,
}

impl From<clients::AuthMethod> for AuthMethod {
    fn from(a: clients::AuthMethod) -> Self {
        match a {
            clients::AuthMethod::ClientSecretBasic => Self::ClientSecretBasic,
            clients::AuthMethod::ClientSecretPost => Self::ClientSecretPost,
            clients::AuthMethod::None => Self::None,
        }
    }
}

impl From<AuthMethod> for clients::AuthMethod {
    fn from(a: AuthMethod) -> Self {
        match a {
            AuthMethod::ClientSecretBasic => Self::ClientSecretBasic,
            AuthMethod::ClientSecretPost => Self::ClientSecretPost,
            AuthMethod::None => Self::None,
        }
    }
}

/// A JWS algorithm for ID tokens and signed userinfo responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum SigningAlg {
    RS256,
    ES256,
}

impl From<domain::oauth::keys::Alg> for SigningAlg {
    fn from(a: domain::oauth::keys::Alg) -> Self {
        match a {
            domain::oauth::keys::Alg::RS256 => Self::RS256,
            domain::oauth::keys::Alg::ES256 => Self::ES256,
        }
    }
}

impl From<SigningAlg> for domain::oauth::keys::Alg {
    fn from(a: SigningAlg) -> Self {
        match a {
            SigningAlg::RS256 => Self::RS256,
            SigningAlg::ES256 => Self::ES256,
        }
    }
}

/// A registered client. Never contains a secret. Times are Unix seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub owner_id: Option<String>,
    pub application_type: ApplicationType,
    pub token_endpoint_auth_method: AuthMethod,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub jwks_uri: Option<String>,
    pub contacts: Vec<String>,
    pub id_token_signed_response_alg: SigningAlg,
    pub userinfo_signed_response_alg: Option<SigningAlg>,
    /// Refresh-token lifetime; null means the server default.
    pub refresh_token_ttl_secs: Option<i64>,
    /// Tokens are issued only for people with these e-mail domains (empty: anyone).
    pub allowed_email_domains: Vec<String>,
    pub disabled: bool,
    /// When the registration expires (null: never).
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped by every change; also sent as the `ETag`. Send it back in `If-Match`
    /// (or as `version`) so that an edit applies only to the client you read.
    pub version: i64,
}

impl From<Client> for ClientView {
    fn from(c: Client) -> Self {
        Self {
            application_type: c.application_type.into(),
            token_endpoint_auth_method: c.auth_method.into(),
            id_token_signed_response_alg: c.id_token_alg.into(),
            userinfo_signed_response_alg: c.userinfo_alg.map(Into::into),
            id: c.id,
            name: c.name,
            description: c.description,
            owner_id: c.owner_id,
            redirect_uris: c.redirect_uris,
            post_logout_redirect_uris: c.post_logout_redirect_uris,
            grant_types: c.grant_types,
            scopes: c.scopes,
            logo_uri: c.logo_uri,
            client_uri: c.client_uri,
            policy_uri: c.policy_uri,
            tos_uri: c.tos_uri,
            jwks_uri: c.jwks_uri,
            contacts: c.contacts,
            refresh_token_ttl_secs: c.refresh_token_ttl_secs,
            allowed_email_domains: c.allowed_email_domains,
            disabled: c.disabled,
            expires_at: c.expires_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// One page of clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientPage {
    pub items: Vec<ClientView>,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClientSort {
    #[default]
    Name,
    /// Newest first.
    Created,
    /// Soonest expiry first; clients that never expire last.
    Expiry,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListClients {
    /// 1-based page number (default 1). A page past the end is empty.
    pub page: Option<i64>,
    /// Items per page, 1 to 200 (default 50).
    pub per_page: Option<i64>,
    pub sort: Option<ClientSort>,
    /// Search in names and ids.
    pub q: Option<String>,
    /// Administrators: everyone's clients, not only their own.
    pub all: Option<bool>,
}

/// A new client. It gets the default scopes (a service client none) and the
/// default registration lifetime; more scopes and the password grant are requested.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    #[schema(example = "Grading bot")]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Default `web`.
    pub application_type: Option<ApplicationType>,
    /// Default `client_secret_basic` (`none` for native clients). Native clients
    /// must use `none`; web and service clients must not.
    pub token_endpoint_auth_method: Option<AuthMethod>,
    /// Required (at least one) for web and native clients using the
    /// `authorization_code` grant, which they do by default. https, or http on a
    /// loopback address; native clients may also use a reverse-domain private
    /// scheme (`edu.example.app:/cb`). No fragments. Service clients have none.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Default: `client_credentials` for service clients, else
    /// `authorization_code` and `refresh_token`. Service clients may use only
    /// `client_credentials`, native clients not it; `password` needs approval.
    #[serde(default)]
    pub grant_types: Vec<String>,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub contacts: Vec<String>,
    pub id_token_signed_response_alg: Option<SigningAlg>,
    pub userinfo_signed_response_alg: Option<SigningAlg>,
    #[serde(default)]
    pub allowed_email_domains: Vec<String>,
}

/// A newly registered client with its secret: shown here once, never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedClient {
    #[serde(flatten)]
    pub client: ClientView,
    /// Null for public (native) clients.
    pub client_secret: Option<String>,
}

/// Absent: keep; `null`: clear; a value: set.
fn patch<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An edit. Fields left out keep their values, so a client as returned by GET may
/// be sent back with changes. `refresh_token_ttl_secs` and `password_grant` (or
/// `password` in `grant_types`) need an administrator's approval when they add
/// privilege: they become a change request (`pending_request`, needs
/// `justification`) and the client keeps its current values. Scopes, expiry and
/// enabling are changed through `/api/v1/requests`, `/disable` and `/enable`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientEdit {
    pub name: Option<String>,
    pub description: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<AuthMethod>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub logo_uri: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub client_uri: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub policy_uri: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub tos_uri: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub jwks_uri: Option<Option<String>>,
    pub contacts: Option<Vec<String>>,
    pub id_token_signed_response_alg: Option<SigningAlg>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<SigningAlg>)]
    pub userinfo_signed_response_alg: Option<Option<SigningAlg>>,
    /// Approval-gated when it changes (null: the server default).
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<i64>)]
    pub refresh_token_ttl_secs: Option<Option<i64>>,
    /// Approval-gated when turned on; turning it off applies at once.
    pub password_grant: Option<bool>,
    /// Why, for the administrator deciding the change request.
    pub justification: Option<String>,
    /// Read-only here: must equal the current value when sent.
    #[schema(read_only)]
    pub application_type: Option<ApplicationType>,
    /// Read-only here: request scopes through `POST /api/v1/requests`.
    #[schema(read_only)]
    pub scopes: Option<Vec<String>>,
    /// Read-only here: use `/disable` and `/enable`.
    #[schema(read_only)]
    pub disabled: Option<bool>,
    /// Read-only here: request an extension through `POST /api/v1/requests`.
    #[serde(default, deserialize_with = "patch")]
    #[schema(read_only, value_type = Option<i64>)]
    pub expires_at: Option<Option<i64>>,
    /// Read-only after registration.
    #[schema(read_only)]
    pub allowed_email_domains: Option<Vec<String>>,
    /// The version the edit is based on (as returned by GET): when the client has
    /// changed since, the edit is refused with 409 instead of undoing that change.
    pub version: Option<i64>,
    /// Read-only: must equal the client's id when sent.
    #[schema(read_only)]
    pub id: Option<String>,
    /// Read-only.
    #[serde(default, deserialize_with = "patch")]
    #[schema(read_only, value_type = Option<String>)]
    pub owner_id: Option<Option<String>>,
    /// Read-only.
    #[schema(read_only)]
    pub created_at: Option<i64>,
    /// Read-only (ignored when sent: it changes with every edit).
    #[schema(read_only)]
    pub updated_at: Option<i64>,
}

/// The client after an edit, and the change request made for the parts that wait
/// for approval.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditedClient {
    #[serde(flatten)]
    pub client: ClientView,
    pub pending_request: Option<RequestView>,
}

/// How long the previous secret keeps working.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
pub enum SecretOverlap {
    /// The old secret stops at once.
    #[default]
    #[serde(rename = "none")]
    None,
    #[serde(rename = "1h")]
    OneHour,
    #[serde(rename = "24h")]
    OneDay,
    #[serde(rename = "7d")]
    SevenDays,
}

impl From<SecretOverlap> for Overlap {
    fn from(o: SecretOverlap) -> Self {
        match o {
            SecretOverlap::None => Overlap::None,
            SecretOverlap::OneHour => Overlap::OneHour,
            SecretOverlap::OneDay => Overlap::OneDay,
            SecretOverlap::SevenDays => Overlap::SevenDays,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotate {
    /// Default `none`.
    #[serde(default)]
    pub overlap: SecretOverlap,
}

/// A new secret: shown here once, never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    pub client_id: String,
    pub client_secret: String,
    /// Until when the previous secret still works (Unix seconds).
    pub previous_secret_expires_at: i64,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Toggle {
    /// Why: required to ask for a disabled client to be enabled again; for
    /// disabling, an optional reason told to the owner.
    #[serde(default)]
    pub justification: String,
}

/// The outcome of `/enable`: the client, and the request made when a developer
/// asked (an administrator enables at once).
#[derive(Debug, Serialize, ToSchema)]
pub struct Toggled {
    #[serde(flatten)]
    pub client: ClientView,
    pub pending_request: Option<RequestView>,
}

/// An optional JSON body: empty (or `null`) means the defaults.
pub(super) fn optional_json<T: DeserializeOwned + Default>(body: &Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice::<Option<T>>(body)
        .map(Option::unwrap_or_default)
        .map_err(|e| ApiError::invalid_request(format!("the JSON body is invalid: {e}")))
}

// ------------------------------------------------------------------ handlers

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
        application_type: b.application_type.map(Into::into),
        allowed_email_domains: b.allowed_email_domains,
        fields: ClientUpdate {
            name: b.name,
            description: b.description,
            redirect_uris: b.redirect_uris,
            post_logout_redirect_uris: b.post_logout_redirect_uris,
            grant_types: b.grant_types,
            auth_method: b.token_endpoint_auth_method.map(Into::into),
            logo_uri: b.logo_uri,
            client_uri: b.client_uri,
            policy_uri: b.policy_uri,
            tos_uri: b.tos_uri,
            jwks_uri: b.jwks_uri,
            contacts: b.contacts,
            id_token_alg: b.id_token_signed_response_alg.map(Into::into),
            userinfo_alg: b.userinfo_signed_response_alg.map(Into::into),
        },
    };
    let settings = app.runtime.get(&app.db).await?;
    let created = portal::register(&app.db, &app.hasher, &who, &settings, reg, app.now()).await?;
    let location = format!("{}/{}", super::routes::CLIENTS, created.client.id);
    let mut resp = (
        StatusCode::CREATED,
        Json(CreatedClient {
            client: created.client.into(),
            client_secret: created.secret.map(|s| s.expose().to_owned()),
        }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// The entity tag of a client's version (RFC 9110 §8.8.3; strong: the version
/// changes with every change to the client).
fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A JSON response with the client's `ETag`.
fn with_etag(version: i64, body: impl Serialize) -> Response {
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
    unchanged("id", b.id, current.id.clone(), "is the client's identity")?;
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
        current.application_type.into(),
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
        .map(|g| g.iter().any(|g| g == GRANT_PASSWORD));
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
    let gated = (password_grant.is_some() || b.refresh_token_ttl_secs.is_some()).then(|| {
        let have = Gated::of(&current);
        Gated {
            password_grant: password_grant.unwrap_or(have.password_grant),
            refresh_token_ttl_secs: b
                .refresh_token_ttl_secs
                .unwrap_or(have.refresh_token_ttl_secs),
        }
    });

    let mut f = ClientUpdate::from_client(&current);
    if let Some(v) = b.name {
        f.name = v;
    }
    if let Some(v) = b.description {
        f.description = v;
    }
    if let Some(v) = b.redirect_uris {
        f.redirect_uris = v;
    }
    if let Some(v) = b.post_logout_redirect_uris {
        f.post_logout_redirect_uris = v;
    }
    if let Some(v) = b.grant_types {
        f.grant_types = v.into_iter().filter(|g| g != GRANT_PASSWORD).collect();
    }
    if let Some(v) = b.token_endpoint_auth_method {
        f.auth_method = Some(v.into());
    }
    for (slot, v) in [
        (&mut f.logo_uri, b.logo_uri),
        (&mut f.client_uri, b.client_uri),
        (&mut f.policy_uri, b.policy_uri),
        (&mut f.tos_uri, b.tos_uri),
        (&mut f.jwks_uri, b.jwks_uri),
    ] {
        if let Some(v) = v {
            *slot = v;
        }
    }
    if let Some(v) = b.contacts {
        f.contacts = v;
    }
    if let Some(v) = b.id_token_signed_response_alg {
        f.id_token_alg = Some(v.into());
    }
    if let Some(v) = b.userinfo_signed_response_alg {
        f.userinfo_alg = v.map(Into::into);
    }
    // The fields left out were filled in from `current`: the edit is based on
    // that version and must not be written over a later one (issue 11, M4).
    let out = portal::update(
        &app.db,
        &app.clients,
        &who,
        &id,
        f,
        gated,
        b.justification.as_deref().unwrap_or_default(),
        Some(current.version),
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
