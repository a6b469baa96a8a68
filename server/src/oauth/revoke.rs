//! RFC 7009 revocation. The answer is 200 whether or not the token was valid, so
//! the endpoint cannot be used to test tokens; a client can revoke only its own.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::{HeaderMap, StatusCode};

use super::client_auth::{authenticate, parse_form};
use super::error::no_store;
use super::{OAuthError, OAuthState};

pub async fn revoke(
    State(st): State<OAuthState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ip = st.caller_ip(&headers, connect.map(|Extension(ConnectInfo(a))| a));
    // The authenticated client's origins, for CORS.
    let mut origins = None;
    let result = async {
        let form = parse_form(&headers, &body)?;
        let caller = authenticate(&st, &headers, &form, ip.as_deref()).await?;
        origins = Some(caller.metadata.allowed_origins.clone());
        let token = form
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
        st.tokens
            .revoke(&caller, token, ip, st.services.now())
            .await?;
        Ok::<_, OAuthError>(())
    }
    .await;
    let mut resp = match result {
        Ok(()) => {
            let mut resp = StatusCode::OK.into_response();
            no_store(&mut resp);
            resp
        }
        Err(e) => e.into_response(),
    };
    super::cors::allow(&headers, origins.as_deref(), &mut resp);
    resp
}
