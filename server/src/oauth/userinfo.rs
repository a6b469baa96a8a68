//! OpenID Connect userinfo (Core §5.3): GET and POST with a bearer token (RFC 6750)
//! or a DPoP-bound one with its proof (RFC 9449 §7), answering JSON, or a signed JWT
//! (`application/jwt`) when the client registered `userinfo_signed_response_alg`
//! (seed 002), signed and then encrypted to the client's key when it registered
//! `userinfo_encrypted_response_alg` (OIDC Core §5.3.2).

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::json;

use super::dpop::{self, Scheme};
use super::error::no_store;
use super::OAuthState;
use domain::oauth::claims::{release, Target};
use domain::oauth::claims_request::ClaimsRequest;

fn bearer_error(status: StatusCode, code: &str, description: &str) -> Response {
    let challenge = format!(
        "Bearer realm=\"portcullis\", error=\"{code}\", error_description=\"{description}\""
    );
    error_with(status, code, description, challenge)
}

/// A refused DPoP presentation (RFC 9449 §7.1): 401 with a `DPoP` challenge.
fn dpop_error(refusal: dpop::UseRefusal) -> Response {
    let (code, description) = match &refusal {
        dpop::UseRefusal::Token(m) => ("invalid_token", (*m).to_owned()),
        dpop::UseRefusal::Proof(m) => ("invalid_dpop_proof", m.clone()),
    };
    let challenge = dpop::challenge(code, &description);
    error_with(StatusCode::UNAUTHORIZED, code, &description, challenge)
}

fn error_with(status: StatusCode, code: &str, description: &str, challenge: String) -> Response {
    let mut resp = (
        status,
        Json(json!({ "error": code, "error_description": description })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

fn token_from(headers: &HeaderMap, body: &[u8]) -> Option<(Scheme, String)> {
    if let Ok(Some((scheme, t))) = dpop::authorization(headers) {
        return Some((scheme, t.to_owned()));
    }
    // RFC 6750 §2.2: form-encoded body parameter.
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        return form_urlencoded::parse(body)
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| (Scheme::Bearer, v.into_owned()));
    }
    None
}

pub async fn userinfo(
    State(st): State<OAuthState>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The access token's client's origins, for CORS (an invalid token names no
    // client: its refusal is not readable cross-origin).
    let mut origins = None;
    let mut resp = answer(&st, method, &headers, &body, &mut origins).await;
    super::cors::allow(&headers, origins.as_deref(), &mut resp);
    resp
}

async fn answer(
    st: &OAuthState,
    method: Method,
    headers: &HeaderMap,
    body: &[u8],
    origins: &mut Option<Vec<String>>,
) -> Response {
    let Some((scheme, token)) = token_from(headers, body) else {
        let mut resp = StatusCode::UNAUTHORIZED.into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"portcullis\""),
        );
        if let Ok(v) = HeaderValue::from_str(&format!(
            "DPoP algs=\"{}\"",
            portcullis_dpop::ALGORITHMS.join(" ")
        )) {
            resp.headers_mut().append(header::WWW_AUTHENTICATE, v);
        }
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
    let presented = dpop::Presentation {
        headers,
        scheme,
        token: &token,
        htm: method.as_str(),
        path: super::routes::USERINFO,
    };
    *origins = Some(live.client.metadata.allowed_origins.clone());
    if let Err(r) = dpop::check_use(st, &presented, &live.claims, now).await {
        return dpop_error(r);
    }
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
    let sub = st.tokens.subjects.of(&client, &user.id);
    // OIDC Core §5.5: the `claims` parameter of the authorization behind this
    // token, as kept with its code or refresh token (never as sent again).
    let request =
        match domain::oauth::codes::claims_request_of_access(&st.services.db, &live.claims.jti)
            .await
        {
            Ok(r) => ClaimsRequest::from_stored(r.as_deref()),
            Err(e) => return super::OAuthError::server_error(e).into_response(),
        };
    let mut info = release(
        &sub,
        &user,
        &client,
        &scopes,
        &st.tokens.role,
        request.as_ref(),
        Target::Userinfo,
    );
    // OIDC Core §5.3.2: signed, and then encrypted when the client registered
    // encryption (a nested JWT, signed with its userinfo alg or else RS256).
    let encryption = match client.metadata.userinfo_encryption() {
        Some(pair) => match super::encrypt_to::encryption(st, &client, pair).await {
            Ok(e) => Some(e),
            Err(why) => {
                tracing::info!(client = %client.id, reason = %why, "cannot encrypt userinfo");
                return bearer_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "the response cannot be encrypted to the client's keys (jwks or jwks_uri)",
                );
            }
        },
        None => None,
    };
    let signing = match (client.metadata.userinfo_signed_response_alg, &encryption) {
        (Some(alg), _) => Some(alg),
        (None, Some(_)) => Some(domain::clients::SigningAlg::RS256),
        (None, None) => None,
    };
    let mut resp = match signing {
        Some(alg) => {
            info["iss"] = json!(st.issuer());
            info["aud"] = json!(client.id);
            info["iat"] = json!(now);
            let jwt = domain::oauth::access_tokens::sign_jwt(&st.keys(), alg, &info)
                .map_err(|e| e.to_string())
                .and_then(|jws| match &encryption {
                    Some(e) => e.seal_jwt(&jws).map_err(|e| e.to_string()),
                    None => Ok(jws),
                });
            match jwt {
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
