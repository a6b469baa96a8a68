//! OpenID Connect userinfo (Core §5.3): GET and POST with a bearer token (RFC 6750),
//! answering JSON, or a signed JWT (`application/jwt`) when the client registered
//! `userinfo_signed_response_alg` (seed 002).

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::json;

use super::error::no_store;
use super::OAuthState;
use domain::oauth::claims::user_claims;

fn bearer_error(status: StatusCode, code: &str, description: &str) -> Response {
    let mut resp = (
        status,
        Json(json!({ "error": code, "error_description": description })),
    )
        .into_response();
    let challenge = format!(
        "Bearer realm=\"portcullis\", error=\"{code}\", error_description=\"{description}\""
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

fn token_from(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if let Some(t) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
    {
        return Some(t.trim().to_owned());
    }
    // RFC 6750 §2.2: form-encoded body parameter.
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        return form_urlencoded::parse(body)
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned());
    }
    None
}

pub async fn userinfo(State(st): State<OAuthState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(token) = token_from(&headers, &body) else {
        let mut resp = StatusCode::UNAUTHORIZED.into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"portcullis\""),
        );
        return resp;
    };
    let now = st.services.now();
    let invalid = || {
        bearer_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the access token is invalid, expired or revoked",
        )
    };
    let live = match st.tokens.live_access_token(&token, now).await {
        Ok(Some(live)) => live,
        Ok(None) => return invalid(),
        Err(e) => return super::OAuthError::server_error(e).into_response(),
    };
    let Some(user) = live.user.clone() else {
        return invalid();
    };
    let scopes = live.scopes();
    if !scopes.contains("openid") {
        return bearer_error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "the openid scope is required",
        );
    }
    let client = live.client;
    // The consent must still stand (the user may have revoked the app), and the
    // claims follow what it allows now (the user may have narrowed it).
    let scopes = match domain::oauth::consents::find(&st.services.db, &user.id, &client.id).await {
        Ok(Some(g)) => scopes.intersection(&g.scopes.iter().cloned().collect()),
        Ok(None) => return invalid(),
        Err(e) => return super::OAuthError::server_error(e).into_response(),
    };
    let mut info = user_claims(&user, &scopes, &st.tokens.role);
    let mut resp = match client.metadata.userinfo_signed_response_alg {
        Some(alg) => {
            info["iss"] = json!(st.issuer());
            info["aud"] = json!(client.id);
            info["iat"] = json!(now);
            match domain::oauth::access_tokens::sign_jwt(&st.keys(), alg, &info) {
                Ok(jwt) => {
                    let mut r = jwt.into_response();
                    r.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/jwt"),
                    );
                    r
                }
                Err(e) => return super::OAuthError::server_error(e).into_response(),
            }
        }
        None => Json(info).into_response(),
    };
    no_store(&mut resp);
    resp
}
