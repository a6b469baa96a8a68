//! Dynamic client registration (RFC 7591) and its management protocol (RFC 7592).
//!
//! `POST /oauth/register` takes RFC 7591 client metadata as JSON. What the mode
//! setting (`domain::settings::RegistrationMode`) allows: `off` → 403
//! `access_denied`; `open`; `token` → an initial access token as a bearer token,
//! else 401 `invalid_token`. The metadata is validated by the portal's rules
//! (`domain::clients::dynamic`); unknown fields are ignored (§2), but the body is
//! bounded (`limits::REGISTRATION_BODY`) and every field keeps its bound. Errors
//! are §3.2.2's: `invalid_redirect_uri`, `invalid_client_metadata`,
//! `invalid_software_statement` (software statements are not accepted).
//!
//! `GET / PUT / DELETE /oauth/register/{client_id}` (RFC 7592) with the
//! registration access token as a bearer token; a wrong token and an unknown
//! client are the same 401 `invalid_token`.
//!
//! Every registered client awaits admission (it starts disabled): see
//! `domain::clients::dynamic`.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use domain::clients::dynamic::{self, Origin, Refused, Registrant, Request};
use domain::clients::{
    ApplicationType, AuthMethod, Client, ClientPatch, EncryptionPatch, SigningAlg,
};
use domain::DomainError;
use http::{header, HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::no_store;
use super::{routes, OAuthError, OAuthState};

/// RFC 7591 §2 client metadata (and OIDC Registration §2's), as sent. Unknown
/// fields are ignored; a known field of the wrong type is
/// `invalid_client_metadata`.
#[derive(Debug, Default, Deserialize)]
struct Body {
    client_id: Option<String>,
    client_name: Option<String>,
    application_type: Option<ApplicationType>,
    token_endpoint_auth_method: Option<AuthMethod>,
    redirect_uris: Option<Vec<String>>,
    post_logout_redirect_uris: Option<Vec<String>>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    logo_uri: Option<String>,
    client_uri: Option<String>,
    policy_uri: Option<String>,
    tos_uri: Option<String>,
    jwks_uri: Option<String>,
    jwks: Option<Value>,
    contacts: Option<Vec<String>>,
    software_id: Option<String>,
    software_version: Option<String>,
    /// RFC 7591 §2: space-separated scopes the client will ask for.
    scope: Option<String>,
    software_statement: Option<Value>,
    id_token_signed_response_alg: Option<SigningAlg>,
    userinfo_signed_response_alg: Option<SigningAlg>,
    default_max_age: Option<i64>,
    require_auth_time: Option<bool>,
    backchannel_logout_uri: Option<String>,
    backchannel_logout_session_required: Option<bool>,
    frontchannel_logout_uri: Option<String>,
    frontchannel_logout_session_required: Option<bool>,
    require_pushed_authorization_requests: Option<bool>,
    dpop_bound_access_tokens: Option<bool>,
    token_endpoint_auth_signing_alg: Option<String>,
    request_object_signing_alg: Option<String>,
    request_uris: Option<Vec<String>>,
}

impl Body {
    fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, OAuthError> {
        let json_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.split(';')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
            });
        if !json_type {
            return Err(OAuthError::invalid_request(
                "the body must be JSON (Content-Type: application/json)",
            ));
        }
        if body.len() > limits::REGISTRATION_BODY {
            return Err(OAuthError::registration(
                "invalid_client_metadata",
                format!(
                    "the body must be at most {} bytes",
                    limits::REGISTRATION_BODY
                ),
            ));
        }
        Self::metadata(body)
    }

    /// The metadata in a JSON object (a registration's body, a client ID
    /// metadata document), by the same rules.
    fn metadata(body: &[u8]) -> Result<Self, OAuthError> {
        if !body.trim_ascii_start().starts_with(b"{") {
            return Err(OAuthError::registration(
                "invalid_client_metadata",
                "the metadata must be a JSON object",
            ));
        }
        let de = &mut serde_json::Deserializer::from_slice(body);
        let b: Body = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." || path == "?" {
                "the metadata"
            } else {
                path.as_str()
            };
            OAuthError::registration("invalid_client_metadata", format!("{field}: {}", e.inner()))
        })?;
        if b.software_statement.is_some() {
            return Err(OAuthError::registration(
                "invalid_software_statement",
                "software statements are not accepted by this server",
            ));
        }
        if let Some(v) = &b.software_version {
            domain::platform::text::line("software_version", v, limits::SOFTWARE_ID)
                .map_err(refused_metadata)?;
        }
        Ok(b)
    }

    fn request(self) -> Request {
        let name = self.client_name.unwrap_or_default();
        Request {
            application_type: self.application_type,
            software_id: self.software_id,
            scopes: self
                .scope
                .as_deref()
                .map(|s| s.split_ascii_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            metadata: ClientPatch {
                name: Some(name),
                description: Some(String::new()),
                token_endpoint_auth_method: self.token_endpoint_auth_method,
                redirect_uris: Some(self.redirect_uris.unwrap_or_default()),
                post_logout_redirect_uris: Some(self.post_logout_redirect_uris.unwrap_or_default()),
                grant_types: Some(self.grant_types.unwrap_or_default()),
                logo_uri: Some(self.logo_uri),
                client_uri: Some(self.client_uri),
                policy_uri: Some(self.policy_uri),
                tos_uri: Some(self.tos_uri),
                jwks_uri: Some(self.jwks_uri),
                contacts: Some(self.contacts.unwrap_or_default()),
                id_token_signed_response_alg: self.id_token_signed_response_alg,
                userinfo_signed_response_alg: Some(self.userinfo_signed_response_alg),
                default_max_age: Some(self.default_max_age),
                require_auth_time: self.require_auth_time,
                backchannel_logout_uri: Some(self.backchannel_logout_uri),
                backchannel_logout_session_required: self.backchannel_logout_session_required,
                frontchannel_logout_uri: Some(self.frontchannel_logout_uri),
                frontchannel_logout_session_required: self.frontchannel_logout_session_required,
                require_pushed_authorization_requests: self.require_pushed_authorization_requests,
                dpop_bound_access_tokens: self.dpop_bound_access_tokens,
                allowed_origins: Some(Vec::new()),
                sector_identifier_uri: Some(None),
                jwks: Some(self.jwks),
                token_endpoint_auth_signing_alg: Some(self.token_endpoint_auth_signing_alg),
                request_object_signing_alg: Some(self.request_object_signing_alg),
                response_types: self.response_types,
                request_uris: Some(self.request_uris.unwrap_or_default()),
                persist_consent: None,
                include_claims_in_id_token: None,
                encryption: EncryptionPatch::default(),
            },
        }
    }
}

/// A client ID metadata document's metadata (`cimd`), read as a registration's
/// body is: the same fields, the same bounds, unknown fields ignored. The error
/// is a readable description.
pub(super) fn document_request(body: &[u8]) -> Result<Request, String> {
    Body::metadata(body)
        .map(Body::request)
        .map_err(|e| e.description)
}

/// A field's problem as §3.2.2 names it.
fn refused_metadata(e: DomainError) -> OAuthError {
    match e {
        DomainError::Invalid { field, message } => {
            let code = if field.starts_with("redirect_uri") {
                "invalid_redirect_uri"
            } else {
                "invalid_client_metadata"
            };
            let field = if field == "name" {
                "client_name"
            } else {
                field
            };
            OAuthError::registration(code, format!("{field}: {message}"))
        }
        DomainError::Conflict(m) => OAuthError::registration("invalid_client_metadata", m),
        DomainError::NotFound | DomainError::Forbidden => {
            OAuthError::invalid_token("the registration access token is not valid")
        }
        other => OAuthError::server_error(other),
    }
}

fn refused(r: Refused) -> OAuthError {
    match r {
        Refused::Off => {
            OAuthError::access_denied("dynamic client registration is turned off on this server")
        }
        Refused::InvalidToken => OAuthError::invalid_token(
            "the access token is missing, unknown, expired, revoked or used up",
        ),
        Refused::RefusedBefore => OAuthError::access_denied(
            "an administrator refused this software's earlier registration from this registrant",
        ),
        Refused::Domain(e) => refused_metadata(e),
    }
}

/// The bearer token of `Authorization: Bearer …`, if one was sent.
fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// RFC 7591 §3.2.1 / RFC 7592 §3: the client's metadata as accepted, with its
/// identifiers (and, once, its secrets).
fn client_information(st: &OAuthState, c: &Client, origin_at: i64) -> Value {
    let mut v = serde_json::to_value(&c.metadata).unwrap_or_else(|_| json!({}));
    if let Some(o) = v.as_object_mut() {
        // RFC 7591 §2: a field without a value is left out, never `null` (strict
        // clients, such as the MCP SDK, refuse a null where a string belongs).
        o.retain(|_, v| !v.is_null());
        if let Some(name) = o.remove("name") {
            o.insert("client_name".into(), name);
        }
        o.insert("client_id".into(), json!(c.id));
        o.insert("client_id_issued_at".into(), json!(origin_at));
        o.insert("scope".into(), json!(c.scopes.join(" ")));
        o.insert(
            "registration_client_uri".into(),
            json!(format!("{}{}/{}", st.issuer(), routes::REGISTER, c.id)),
        );
        // Portcullis extension: false until an administrator admits the client.
        o.insert("admitted".into(), json!(!c.disabled));
        if c.metadata.has_secret() {
            // Secrets do not expire on their own (rotation is the developer's).
            o.insert("client_secret_expires_at".into(), json!(0));
        }
    }
    v
}

fn respond(status: StatusCode, v: Value) -> Response {
    let mut resp = (status, Json(v)).into_response();
    no_store(&mut resp);
    resp
}

/// POST /oauth/register
pub async fn register(
    State(st): State<OAuthState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ip = st.caller_ip(&headers, connect.map(|Extension(ConnectInfo(a))| a));
    match handle_register(&st, &headers, &body, ip).await {
        Ok(v) => respond(StatusCode::CREATED, v),
        Err(e) => e.into_response(),
    }
}

async fn handle_register(
    st: &OAuthState,
    headers: &HeaderMap,
    body: &[u8],
    ip: Option<String>,
) -> Result<Value, OAuthError> {
    let svc = &st.services;
    let settings = svc.runtime.get(&svc.db).await?;
    let who = Registrant {
        initial_token: bearer(headers),
        ip,
    };
    // The mode is checked before the body, so a server that is off says so
    // whatever is sent.
    let mode = domain::settings::registration_mode(&svc.db).await?;
    if mode == domain::settings::RegistrationMode::Off {
        return Err(refused(Refused::Off));
    }
    let now = svc.now();
    // Open registration is counted per address before anything is read (docs/
    // SECURITY.md, "Dynamic client registration").
    if let (domain::settings::RegistrationMode::Open, Some(ip)) = (mode, &who.ip) {
        if let Some(retry) =
            dynamic::count_open_registration(&svc.db, &st.open_registration, ip, now).await?
        {
            return Err(OAuthError::too_many_requests(
                "invalid_request",
                "too many registrations from this address; try again later",
                retry,
            ));
        }
    }
    let req = Body::parse(headers, body)?.request();
    let reg = dynamic::register(&svc.db, &svc.hasher, &settings, req, who, now)
        .await
        .map_err(refused)?;
    let mut v = client_information(st, &reg.client, now);
    if let Some(o) = v.as_object_mut() {
        if let Some(s) = &reg.secret {
            o.insert("client_secret".into(), json!(s.expose()));
        }
        o.insert(
            "registration_access_token".into(),
            json!(reg.registration_access_token.expose()),
        );
    }
    Ok(v)
}

async fn authorized(
    st: &OAuthState,
    headers: &HeaderMap,
    id: &str,
) -> Result<(Client, Origin), OAuthError> {
    dynamic::authorize(&st.services.db, id, bearer(headers).as_deref())
        .await
        .map_err(refused)
}

/// GET /oauth/register/{client_id} (RFC 7592 §2.1)
pub async fn read(
    State(st): State<OAuthState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match authorized(&st, &headers, &id).await {
        Ok((c, o)) => respond(StatusCode::OK, client_information(&st, &c, o.registered_at)),
        Err(e) => e.into_response(),
    }
}

/// PUT /oauth/register/{client_id} (RFC 7592 §2.2): replaces the metadata.
pub async fn update(
    State(st): State<OAuthState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = async {
        let (_, origin) = authorized(&st, &headers, &id).await?;
        let b = Body::parse(&headers, &body)?;
        if b.client_id.as_deref().is_some_and(|c| c != id) {
            return Err(OAuthError::registration(
                "invalid_client_metadata",
                "client_id does not match the registration client URI",
            ));
        }
        let svc = &st.services;
        let c = dynamic::update(
            &svc.db,
            &svc.clients,
            &id,
            bearer(&headers).as_deref(),
            b.request(),
            svc.now(),
        )
        .await
        .map_err(refused)?;
        Ok(client_information(&st, &c, origin.registered_at))
    };
    match run.await {
        Ok(v) => respond(StatusCode::OK, v),
        Err(e) => e.into_response(),
    }
}

/// DELETE /oauth/register/{client_id} (RFC 7592 §2.3): 204.
pub async fn delete(
    State(st): State<OAuthState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let svc = &st.services;
    match dynamic::delete(
        &svc.db,
        &svc.clients,
        &id,
        bearer(&headers).as_deref(),
        svc.now(),
    )
    .await
    {
        Ok(()) => {
            let mut resp = StatusCode::NO_CONTENT.into_response();
            no_store(&mut resp);
            resp
        }
        Err(r) => refused(r).into_response(),
    }
}
