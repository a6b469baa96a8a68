//! The pushed authorization request endpoint (RFC 9126).
//!
//! The client authenticates as at the token endpoint and sends its authorization
//! request's parameters; they are checked as the authorization endpoint would check
//! them (§2.1) — any error answered here, as JSON, instead of in the browser — and
//! kept for [`domain::oauth::pushed::LIFETIME_SECS`] under a fresh `request_uri`
//! (201, §2.2), which the client then sends the browser with, beside its
//! `client_id`.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use domain::oauth::pushed;
use http::{HeaderMap, StatusCode};
use serde_json::json;

use super::authz_request::{validate_pushed, Failure};
use super::client_auth::{authenticate, parse_form};
use super::error::no_store;
use super::{OAuthError, OAuthState};

/// Parameters that authenticate the client, not part of the request it pushes.
const CLIENT_AUTH: [&str; 3] = ["client_secret", "client_assertion", "client_assertion_type"];

pub async fn par(
    State(st): State<OAuthState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ip = st.caller_ip(&headers, connect.map(|Extension(ConnectInfo(a))| a));
    match handle(&st, &headers, &body, ip).await {
        Ok(request_uri) => {
            let mut resp = (
                StatusCode::CREATED,
                Json(json!({ "request_uri": request_uri, "expires_in": pushed::LIFETIME_SECS })),
            )
                .into_response();
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
) -> Result<String, OAuthError> {
    if body.len() > pushed::MAX_BYTES {
        return Err(OAuthError::invalid_request(format!(
            "the request is larger than {} bytes",
            pushed::MAX_BYTES
        )));
    }
    let form = parse_form(headers, body)?;
    if form.len() > pushed::MAX_PARAMS {
        return Err(OAuthError::invalid_request(format!(
            "the request has more than {} parameters",
            pushed::MAX_PARAMS
        )));
    }
    let client = authenticate(st, headers, &form, ip.as_deref()).await?;
    // §2.1: a pushed request cannot itself refer to one.
    if form.contains_key("request_uri") {
        return Err(OAuthError::invalid_request(
            "request_uri cannot be pushed: push the parameters themselves",
        ));
    }
    let mut params: HashMap<String, String> = match form.get("request") {
        // RFC 9126 §3 and RFC 9101 §5: a pushed request object is the request.
        Some(request) => super::request_object::open(st, &client.id, request)
            .await
            .map(|(_, params)| params)
            .map_err(|reason| match reason {
                "server_error" => OAuthError::server_error("opening a request object"),
                _ => OAuthError::bad_request(
                    "invalid_request_object",
                    "the request object could not be verified with the client's keys, or breaks a rule of RFC 9101",
                ),
            })?,
        None => form
            .into_iter()
            .filter(|(k, _)| !CLIENT_AUTH.contains(&k.as_str()))
            .collect(),
    };
    match params.get("client_id") {
        Some(id) if *id != client.id => {
            return Err(OAuthError::invalid_request(
                "client_id is not the client that authenticated",
            ))
        }
        Some(_) => {}
        None => {
            params.insert("client_id".into(), client.id.clone());
        }
    }
    if let Err(f) = validate_pushed(st, &params, ip.as_deref()).await {
        return Err(match f {
            Failure::Page("server_error") => OAuthError::server_error("checking a pushed request"),
            Failure::Page(reason) => OAuthError::invalid_request(page_reason(reason)),
            Failure::Redirect {
                error, description, ..
            } => OAuthError::bad_request(error, description),
        });
    }
    pushed::push(&st.services.db, &client.id, &params, st.services.now())
        .await
        .map_err(OAuthError::server_error)
}

/// The authorization endpoint's page errors, said to the client.
fn page_reason(reason: &str) -> &'static str {
    match reason {
        "bad_redirect_uri" => "redirect_uri is not registered for this client",
        "missing_redirect_uri" => "redirect_uri is missing (the client has several)",
        "client_unavailable" => "the client is disabled or its registration has expired",
        "third_party_disabled" => "third-party applications may not use OAuth on this server",
        "repeated_parameter" => "a parameter is repeated",
        _ => "the authorization request is not valid",
    }
}
