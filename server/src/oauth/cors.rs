//! CORS (Fetch standard §3.2) for browser apps on the token, revocation and
//! userinfo endpoints (issue 17, seed 001's Authorized JavaScript Origins). The
//! JWKS and discovery documents are public and answer any origin
//! (`discovery::json_bytes`, and [`public_preflight`] here).
//!
//! - A preflight names no client, so it passes when *some* usable client
//!   registered the origin (`domain::clients::origins`), and answers that exact
//!   origin; any other origin gets 403 without CORS headers.
//! - The actual response carries `Access-Control-Allow-Origin` only when the
//!   origin is registered for the client the request is for: the authenticated
//!   client (token, revocation) or the access token's client (userinfo).
//! - Never `Access-Control-Allow-Credentials`: these endpoints read no cookies
//!   (`routes::COOKIELESS`), and a browser then sends none. docs/SECURITY.md.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};

use super::OAuthState;

/// What a browser may send: bearer or Basic credentials, form bodies, DPoP
/// proofs (RFC 9449 §4.1).
const ALLOW_HEADERS: &str = "Authorization, Content-Type, DPoP";
/// What a browser app may read besides the CORS-safelisted headers.
const EXPOSE_HEADERS: &str = "DPoP-Nonce, WWW-Authenticate";
/// How long a browser may keep a preflight's answer (seconds). Short, so an origin
/// removed on the portal stops passing soon in browsers that cached a preflight
/// too (the server itself stops at once).
const MAX_AGE: &str = "600";

/// The request's `Origin`, when it has one worth answering (not `null`, which
/// sandboxed frames and `file:` pages send and no client can register).
fn origin(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null")
}

/// Answers a preflight for an endpoint accepting `methods`: 204 with the CORS
/// headers for a registered origin, 403 without them otherwise.
async fn preflight(st: &OAuthState, headers: &HeaderMap, methods: &'static str) -> Response {
    let refused = || StatusCode::FORBIDDEN.into_response();
    let (Some(origin), Some(method)) = (
        origin(headers),
        headers
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|v| v.to_str().ok()),
    ) else {
        return refused();
    };
    if !methods.split(", ").any(|m| m == method) {
        return refused();
    }
    let db = &st.services.db;
    match st
        .services
        .clients
        .origins
        .allows(db, origin, st.services.now())
        .await
    {
        Ok(true) => {}
        Ok(false) => return refused(),
        Err(e) => return super::OAuthError::server_error(e).into_response(),
    }
    let Ok(value) = HeaderValue::from_str(origin) else {
        return refused();
    };
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(methods),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE),
    );
    resp
}

/// `OPTIONS /oauth/token` and `/oauth/revoke`.
pub async fn preflight_post(State(st): State<OAuthState>, headers: HeaderMap) -> Response {
    preflight(&st, &headers, "POST").await
}

/// `OPTIONS /oauth/userinfo` (OIDC Core §5.3.1: GET and POST).
pub async fn preflight_get_post(State(st): State<OAuthState>, headers: HeaderMap) -> Response {
    preflight(&st, &headers, "GET, POST").await
}

/// `OPTIONS` on the JWKS and discovery documents: public, any origin.
pub async fn public_preflight() -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE),
    );
    resp
}

/// Marks the actual response readable by the request's origin when `allowed`
/// (the origins of the client the request is for) lists it exactly.
pub fn allow(headers: &HeaderMap, allowed: Option<&[String]>, resp: &mut Response) {
    let Some(origin) = origin(headers) else {
        return;
    };
    // The answer depends on the origin: caches must not reuse it for another.
    resp.headers_mut()
        .append(header::VARY, HeaderValue::from_static("Origin"));
    if !allowed.is_some_and(|a| a.iter().any(|o| o == origin)) {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(origin) {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
}
