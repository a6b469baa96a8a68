//! The token endpoint (RFC 6749 §3.2): authenticate the client, dispatch on
//! `grant_type` (see [`super::grants`]), answer with `no-store`.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use domain::oauth::GrantType;
use http::HeaderMap;

use super::client_auth::{authenticate, parse_form};
use super::error::no_store;
use super::grants::{self, Caller, Form, TokenResponse};
use super::{OAuthError, OAuthState};

pub async fn token(
    State(st): State<OAuthState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ip = st.caller_ip(&headers, connect.map(|Extension(ConnectInfo(a))| a));
    // The authenticated client's origins, for CORS (errors before it is
    // authenticated are not readable cross-origin).
    let mut origins = None;
    let mut resp = match handle(&st, &headers, &body, ip, &mut origins).await {
        Ok(tokens) => {
            let mut resp = Json(tokens).into_response();
            no_store(&mut resp);
            // RFC 9449 §8.2: the nonce to use next.
            if st.dpop.require_nonce {
                if let Ok(v) = http::HeaderValue::from_str(&st.dpop.nonce(st.services.now())) {
                    resp.headers_mut().insert("dpop-nonce", v);
                }
            }
            resp
        }
        Err(e) => e.into_response(),
    };
    super::cors::allow(&headers, origins.as_deref(), &mut resp);
    resp
}

async fn handle(
    st: &OAuthState,
    headers: &HeaderMap,
    body: &[u8],
    ip: Option<String>,
    origins: &mut Option<Vec<String>>,
) -> Result<TokenResponse, OAuthError> {
    let form = Form(parse_form(headers, body)?);
    let grant_type = form.required("grant_type")?.to_owned();
    let client = authenticate(st, headers, &form.0, ip.as_deref()).await?;
    *origins = Some(client.metadata.allowed_origins.clone());
    let now = st.services.now();
    let result = exchange(st, headers, &form, &client, &grant_type, ip, now).await;
    // Refusals of an identified client's requests show on its usage card.
    if let Err(e) = &result {
        st.tokens.clients.refusals.note(&client.id, e.code, now);
    }
    result
}

/// What an authenticated client's token request gets.
async fn exchange(
    st: &OAuthState,
    headers: &HeaderMap,
    form: &Form,
    client: &domain::clients::Client,
    grant_type: &str,
    ip: Option<String>,
    now: domain::platform::clock::Timestamp,
) -> Result<TokenResponse, OAuthError> {
    let grant = GrantType::parse(grant_type).ok_or_else(|| {
        OAuthError::unsupported_grant_type(format!(
            "the grant type '{}' is not supported",
            grant_type.escape_debug()
        ))
    })?;
    // Seed 000: an administrator may forbid third-party applications altogether.
    if !client.first_party && !st.tokens.third_party_enabled().await? {
        return Err(OAuthError::unauthorized_client(
            "third-party applications may not use OAuth on this server",
        ));
    }
    // RFC 9449 §5: a proof binds what is issued; checked after the client is
    // authenticated, so strangers cannot fill the replay table.
    let dpop_jkt = super::dpop::token_request_key(st, headers, client, now).await?;
    let caller = Caller {
        st,
        client,
        ip,
        now,
        dpop_jkt,
    };
    let result = grants::exchange(&caller, grant, form).await;
    crate::metrics::token_outcome(grant, result.as_ref().map_or_else(|e| e.code, |_| "issued"));
    result
}
