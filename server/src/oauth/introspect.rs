//! RFC 7662 token introspection, for authenticated confidential clients. Anything
//! that is not a live token — malformed, expired, revoked, of a disabled or deleted
//! client or user, carrying a scope its client no longer holds — is simply
//! `{"active": false}`, and so is a token the caller has no business with (§4: only
//! the token's own client and the resource servers of its API may learn about it).

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use domain::oauth::Live;
use http::HeaderMap;
use serde_json::{json, Value};

use super::client_auth::{authenticate, parse_form};
use super::error::no_store;
use super::{OAuthError, OAuthState};

pub async fn introspect(
    State(st): State<OAuthState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ip = st.caller_ip(&headers, connect.map(|Extension(ConnectInfo(a))| a));
    let result = async {
        let form = parse_form(&headers, &body)?;
        let caller = authenticate(&st, &headers, &form, ip.as_deref()).await?;
        if caller.is_public() {
            return Err(OAuthError::invalid_client(
                "public clients cannot introspect tokens",
            ));
        }
        let token = form
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
        let now = st.services.now();
        match st.tokens.live_access_token(token, now).await? {
            Some(live) if st.tokens.may_introspect(&caller, &live).await? => {
                Ok(Some(access_body(live)))
            }
            Some(_) => Ok(None),
            None => refresh_body(&st, &caller, token).await,
        }
    }
    .await;
    let mut resp = match result {
        Ok(Some(body)) => Json(body).into_response(),
        Ok(None) => Json(json!({ "active": false })).into_response(),
        Err(e) => return e.into_response(),
    };
    no_store(&mut resp);
    resp
}

fn access_body(live: Live) -> Value {
    let c = live.claims;
    let mut body = json!({
        "active": true, "iss": c.iss, "sub": c.sub, "aud": c.aud, "client_id": c.client_id,
        "jti": c.jti, "iat": c.iat, "exp": c.exp, "token_type": c.token_type(),
    });
    // RFC 9449 §6.2: a resource server learns the binding here.
    if let Some(jkt) = c.jkt() {
        body["cnf"] = json!({ "jkt": jkt });
    }
    if !c.scope.is_empty() {
        body["scope"] = json!(c.scope);
    }
    if let Some(t) = c.auth_time {
        body["auth_time"] = json!(t);
    }
    // RFC 8693 §4.1 (and RFC 7662 §2.2's room for more): who acts for `sub`.
    if let Some(act) = &c.act {
        body["act"] = json!(act);
    }
    body
}

/// A refresh token is described only to the client it was issued to: other clients
/// (resource servers) have no business with it.
async fn refresh_body(
    st: &OAuthState,
    caller: &domain::clients::Client,
    token: &str,
) -> Result<Option<Value>, OAuthError> {
    let now = st.services.now();
    let Some(r) = domain::oauth::codes::find_live_refresh(&st.services.db, token, now).await?
    else {
        return Ok(None);
    };
    if r.client_id != caller.id || caller.unusable_reason(now).is_some() {
        return Ok(None);
    }
    match (
        domain::accounts::find_by_id(&st.services.db, &r.user_id).await?,
        domain::oauth::consents::find_by_id(&st.services.db, &r.grant_id).await?,
    ) {
        (Some(u), Some(_)) if !u.disabled => {}
        _ => return Ok(None),
    }
    // What a rotation would issue now: bounded by the client's scopes (H1).
    let scopes = domain::oauth::ScopeSet::parse(&r.scopes).intersection(&caller.scope_set());
    if scopes.is_empty() && !r.scopes.is_empty() {
        return Ok(None);
    }
    Ok(Some(json!({
        "active": true, "iss": st.issuer(), "sub": st.tokens.subjects.of(caller, &r.user_id), "client_id": r.client_id,
        "scope": scopes.to_string(), "iat": r.created_at, "exp": r.expires_at, "token_type": "refresh_token",
    })))
}
