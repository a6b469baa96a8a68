//! The device authorization endpoint (RFC 8628 §3.1–3.2): a device without a
//! browser (a TV, a CLI, a headless agent) asks for a device code to poll with and a
//! user code for a person to enter on `/device`.
//!
//! The client authenticates as at the token endpoint (public clients by
//! `client_id`), must hold the device grant, and may ask only for scopes it holds,
//! for an audience the token endpoint would issue — the same rules as `/authorize`,
//! so a person is never asked to approve what no token can carry.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use domain::oauth::device::{self, Issued, NewDeviceRequest};
use domain::oauth::GrantType;
use http::HeaderMap;
use serde_json::{json, Value};

use super::client_auth::{authenticate, parse_form};
use super::error::no_store;
use super::grants::Form;
use super::{routes, OAuthError, OAuthState};

/// POST /oauth/device_authorization
pub async fn device_authorization(
    State(st): State<OAuthState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ip = st.caller_ip(&headers, connect.map(|Extension(ConnectInfo(a))| a));
    match handle(&st, &headers, &body, ip).await {
        Ok(v) => {
            let mut resp = Json(v).into_response();
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
) -> Result<Value, OAuthError> {
    let form = Form(parse_form(headers, body)?);
    let client = authenticate(st, headers, &form.0, ip.as_deref()).await?;
    // Seed 000: an administrator may forbid third-party applications altogether.
    if !client.first_party && !st.tokens.third_party_enabled().await? {
        return Err(OAuthError::unauthorized_client(
            "third-party applications may not use OAuth on this server",
        ));
    }
    if !client.allows(GrantType::DeviceCode) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the device authorization grant",
        ));
    }
    let scopes = form.scope()?.unwrap_or_default();
    if let Some(extra) = scopes.first_outside(&client.scope_set()) {
        return Err(OAuthError::invalid_scope(format!(
            "the client may not request the scope '{extra}'"
        )));
    }
    let resource = form.optional("resource").map(str::to_owned);
    // RFC 8707: checked now, so the person is not asked for what cannot be issued.
    st.tokens.audience(&scopes, resource.as_deref()).await?;
    let issued = device::issue(
        &st.services.db,
        NewDeviceRequest {
            client_id: client.id.clone(),
            scopes: scopes.to_vec(),
            resource,
            ip,
        },
        st.device,
        st.services.now(),
    )
    .await?;
    let granted = match issued {
        Issued::Granted(g) => g,
        // RFC 8628 §3.2 errors are RFC 6749 §5.2's: the request is sound, the client
        // asked too often (docs/SECURITY.md, "Device flow").
        Issued::TooManyPending { retry_after_secs } => {
            return Err(OAuthError::too_many_requests(
                "invalid_request",
                "this client has too many device authorization requests waiting for a person; wait for one to end",
                retry_after_secs,
            ))
        }
    };
    let verification_uri = format!("{}{}", st.issuer().trim_end_matches('/'), routes::DEVICE);
    let complete = format!(
        "{verification_uri}?user_code={}",
        form_urlencoded::byte_serialize(granted.user_code.as_bytes()).collect::<String>()
    );
    Ok(json!({
        "device_code": granted.device_code,
        "user_code": granted.user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": complete,
        "expires_in": granted.expires_in,
        "interval": granted.interval,
    }))
}
