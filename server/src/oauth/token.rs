//! The token endpoint (RFC 6749 §3.2): authenticate the client, dispatch on
//! `grant_type`, answer with `no-store`. One function per grant type.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use domain::audit::{Actor, AuditEvent, EventType};
use domain::clients::{
    Client, GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_PASSWORD, GRANT_REFRESH_TOKEN,
};
use domain::tokens::{self, AccessClaims};
use http::HeaderMap;
use serde_json::json;

use super::client_auth::{authenticate, parse_form};
use super::error::no_store;
use super::{OAuthError, OAuthState};

/// What every grant needs besides the client: the form and who sent it.
pub(super) struct TokenRequest {
    pub form: HashMap<String, String>,
    /// The caller's address, for the audit log.
    pub ip: Option<String>,
}

pub async fn token(
    State(st): State<OAuthState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ip = st.caller_ip(&headers, connect.map(|Extension(ConnectInfo(a))| a));
    match handle(&st, &headers, &body, ip).await {
        Ok(mut resp) => {
            no_store(&mut resp);
            resp
        }
        Err(e) => e.into_response(),
    }
}

async fn handle(
    st: &OAuthState,
    headers: &HeaderMap,
    body: &[u8],
    ip: Option<String>,
) -> Result<Response, OAuthError> {
    let form = parse_form(headers, body)?;
    let grant_type = form
        .get("grant_type")
        .cloned()
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    let client = authenticate(st, headers, &form).await?;
    // Seed 000: an administrator may forbid third-party applications altogether.
    if !client.first_party && !st.third_party_enabled().await? {
        return Err(OAuthError::unauthorized_client(
            "third-party applications may not use OAuth on this server",
        ));
    }
    let req = TokenRequest { form, ip };
    match grant_type.as_str() {
        GRANT_CLIENT_CREDENTIALS => client_credentials(st, &client, &req).await,
        GRANT_AUTHORIZATION_CODE => super::grants::authorization_code(st, &client, &req).await,
        GRANT_REFRESH_TOKEN => super::grants::refresh_token(st, &client, &req).await,
        GRANT_PASSWORD => super::grants::password(st, &client, &req).await,
        other => Err(OAuthError::unsupported_grant_type(format!(
            "the grant type '{other}' is not supported"
        ))),
    }
}

/// The scopes asked for (space-separated), or None when the parameter is absent.
pub(super) fn requested_scopes(form: &HashMap<String, String>) -> Option<Vec<String>> {
    form.get("scope").map(|s| domain::grants::split_scopes(s))
}

/// Picks the audience: the `resource` parameter (RFC 8707) when given, else the one
/// API the scopes belong to, else this server itself (a token good for no API).
pub(super) async fn audience_for(
    st: &OAuthState,
    form: &HashMap<String, String>,
    scopes: &[String],
) -> Result<String, OAuthError> {
    let mut audiences = Vec::new();
    for s in scopes {
        let info = st
            .scope(s)
            .await?
            .ok_or_else(|| OAuthError::invalid_scope(format!("unknown scope '{s}'")))?;
        if let Some(a) = info.audience {
            if !audiences.contains(&a) {
                audiences.push(a);
            }
        }
    }
    match form.get("resource") {
        Some(r) => {
            if !st.resource_exists(r).await? {
                return Err(OAuthError::invalid_target(format!(
                    "unknown resource '{r}'"
                )));
            }
            if audiences.iter().any(|a| a != r) {
                return Err(OAuthError::invalid_scope(format!(
                    "some requested scopes do not belong to {r}"
                )));
            }
            Ok(r.clone())
        }
        None => match audiences.len() {
            0 => Ok(st.issuer.to_string()),
            1 => Ok(audiences.remove(0)),
            _ => Err(OAuthError::invalid_target(
                "the scopes belong to several APIs: name one with the resource parameter",
            )),
        },
    }
}

/// RFC 6749 §4.4: a token for the client itself. Service clients start with no
/// scopes at all (seed 003: least privilege) and get only what was granted to them.
async fn client_credentials(
    st: &OAuthState,
    client: &Client,
    req: &TokenRequest,
) -> Result<Response, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "public clients cannot use client_credentials",
        ));
    }
    if !client.allows_grant(GRANT_CLIENT_CREDENTIALS) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use client_credentials",
        ));
    }
    let scopes = client_scopes(client, &req.form)?;
    let now = st.app.now();
    let ttl = client
        .access_token_ttl_secs
        .unwrap_or(st.runtime().await?.access_token_secs);
    bearer_response(st, req, client, None, scopes, ttl, now).await
}

/// Scopes for a grant without a person's consent (client credentials, password):
/// the `scope` parameter when given — only scopes granted to the client — else every
/// API scope the client was granted.
pub(super) fn client_scopes(
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<Vec<String>, OAuthError> {
    match requested_scopes(form) {
        Some(asked) => match asked.iter().find(|s| !client.scopes.contains(s)) {
            Some(extra) => Err(OAuthError::invalid_scope(format!(
                "the client has not been granted the scope '{extra}'"
            ))),
            None => Ok(asked),
        },
        None => Ok(client
            .scopes
            .iter()
            .filter(|s| !domain::resources::is_builtin(s))
            .cloned()
            .collect()),
    }
}

/// The `token.issued` event of one token response: who got what (never the token).
pub(super) fn issued_event(
    grant_type: &str,
    claims: &AccessClaims,
    user: Option<&str>,
    ip: Option<String>,
) -> AuditEvent {
    let ev = AuditEvent::new(
        EventType::TokenIssued,
        Actor::Client(claims.client_id.clone()),
    );
    match user {
        Some(u) => ev.target("user", u),
        None => ev.target("client", &claims.client_id),
    }
    .ip(ip)
    .data(json!({
        "grant_type": grant_type,
        "client_id": claims.client_id,
        "user": user,
        "scopes": claims.scope.split_whitespace().collect::<Vec<_>>(),
        "jti": claims.jti,
        "aud": claims.aud,
        "expires_at": claims.exp,
    }))
}

/// Signs an access token for the client (and the person, when there is one) and
/// answers with it: no refresh token, no ID token. The answer leaves only once its
/// `token.issued` event is committed (group commit: see `domain::audit::writer`);
/// if that fails, no token is given out.
pub(super) async fn bearer_response(
    st: &OAuthState,
    req: &TokenRequest,
    client: &Client,
    user: Option<(&str, i64)>,
    scopes: Vec<String>,
    ttl: i64,
    now: i64,
) -> Result<Response, OAuthError> {
    let aud = audience_for(st, &req.form, &scopes).await?;
    let claims = AccessClaims {
        iss: st.issuer.to_string(),
        sub: user
            .map(|(id, _)| id.to_owned())
            .unwrap_or_else(|| client.id.clone()),
        aud,
        client_id: client.id.clone(),
        scope: scopes.join(" "),
        jti: tokens::new_jti(),
        iat: now,
        exp: now + ttl,
        auth_time: user.map(|(_, t)| t),
    };
    let jwt = tokens::sign_access(&st.keys(), &claims)?;
    let grant_type = match user {
        Some(_) => GRANT_PASSWORD,
        None => GRANT_CLIENT_CREDENTIALS,
    };
    st.audit
        .append(
            now,
            issued_event(grant_type, &claims, user.map(|(id, _)| id), req.ip.clone()),
        )
        .await
        .map_err(OAuthError::server_error)?;
    let mut body = json!({ "access_token": jwt, "token_type": "Bearer", "expires_in": ttl });
    if !claims.scope.is_empty() {
        body["scope"] = json!(claims.scope);
    }
    Ok(Json(body).into_response())
}
