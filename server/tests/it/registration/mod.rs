//! Governed dynamic client registration (RFC 7591 + 7592; issue 16, item 1): the
//! modes, initial access tokens (their last use claimed once under concurrency),
//! the management protocol, the RFC 7591 §3.2.2 negatives, and admission.

mod admission;
mod claim;
mod fold;
mod library;
mod manage;
mod modes;
mod negatives;
mod page;
mod per_address;
mod queue;
mod rest;
mod unused;

use domain::settings::RegistrationMode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::rp::REDIRECT;

/// Sets the registration mode as an administrator would.
pub async fn set_mode(app: &TestApp, mode: RegistrationMode) {
    domain::settings::set_registration_mode(
        &app.db,
        &domain::accounts::AdminCtx::operator(),
        mode,
        app.clock_now(),
    )
    .await
    .unwrap();
}

/// Mints an initial access token; returns its id and the token.
pub async fn mint(app: &TestApp, max_uses: i64, lifetime_secs: i64) -> (String, String) {
    let (row, t) = domain::clients::initial_tokens::mint(
        &app.db,
        &domain::accounts::AdminCtx::operator(),
        "test",
        max_uses,
        lifetime_secs,
        app.clock_now(),
    )
    .await
    .unwrap();
    (row.id, t.expose().to_owned())
}

/// A confidential web client's metadata, as an RP would send it.
pub fn web_metadata(name: &str) -> Value {
    json!({
        "client_name": name,
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "software_id": "4NRB1-0XZABZI9E6-5SM3R",
        "software_version": "2.1",
        "some_extension_we_do_not_know": {"ignored": true},
    })
}

/// A service client's metadata (client credentials only).
pub fn service_metadata(name: &str) -> Value {
    json!({
        "client_name": name,
        "application_type": "service",
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "client_secret_basic",
    })
}

/// POSTs `body` (raw) to the registration endpoint with `token` as the bearer.
pub async fn post_raw(app: &TestApp, token: Option<&str>, ct: &str, body: String) -> Reply {
    let mut rb = reqwest::Client::new()
        .post(format!("{}/oauth/register", app.base))
        .header("content-type", ct)
        .body(body);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    let r = rb.send().await.unwrap();
    Reply {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

pub async fn register_with(app: &TestApp, token: Option<&str>, body: &Value) -> Reply {
    post_raw(app, token, "application/json", body.to_string()).await
}

/// Sends an RFC 7592 request to a registration client URI.
pub async fn manage(method: reqwest::Method, uri: &str, rat: &str, body: Option<&Value>) -> Reply {
    let mut rb = reqwest::Client::new().request(method, uri).bearer_auth(rat);
    if let Some(b) = body {
        rb = rb.json(b);
    }
    let r = rb.send().await.unwrap();
    Reply {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

/// Admits a client as an administrator does (enables it).
pub async fn admit(app: &TestApp, id: &str) {
    let admin = Api::admin(app).await;
    let r = admin
        .post(
            &format!("/api/v1/clients/{id}/enable"),
            json!({ "justification": "admitted" }),
        )
        .await;
    assert!(r.status < 300, "{} {}", r.status, r.body);
}

pub fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("no {k} in {v}"))
}
