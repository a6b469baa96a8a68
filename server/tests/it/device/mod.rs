//! The device authorization grant (RFC 8628) over real HTTP: the endpoint, the
//! `/device` page's server functions and form posts as a browser without JavaScript
//! sends them, every polling answer, the one-time consumption under real
//! concurrency, the throttle on guessing user codes, and what is stored.

use domain::accounts::Role;
use domain::clients::{self, ApplicationType, AuthMethod, NewClient};
use domain::platform::password::PasswordHasher;
use serde_json::Value;

use crate::helpers::*;

mod agents;
mod entry;
mod flow;
mod polling;
mod quota;

pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub const REDIRECT: &str = "http://127.0.0.1/callback";

/// A public native client (a CLI, a TV app) with the device grant.
pub async fn device_client(app: &TestApp, grants: &[&str]) -> String {
    public_client(app, "Lobby TV", grants, &["openid", "profile", "email"]).await
}

/// A public native client named `name` with `grants` and `scopes`.
pub async fn public_client(app: &TestApp, name: &str, grants: &[&str], scopes: &[&str]) -> String {
    clients::create(
        &app.db,
        &PasswordHasher::new(),
        domain::audit::Actor::Operator,
        NewClient {
            application_type: Some(ApplicationType::Native),
            metadata: domain::clients::ClientPatch {
                name: Some(name.into()),
                token_endpoint_auth_method: Some(AuthMethod::None),
                redirect_uris: Some(vec![REDIRECT.into()]),
                grant_types: Some(grants.iter().map(|g| g.to_string()).collect()),
                ..Default::default()
            },
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
        app.clock_now(),
    )
    .await
    .unwrap()
    .client
    .id
}

pub async fn tv(app: &TestApp) -> String {
    device_client(app, &["authorization_code", "refresh_token", DEVICE_GRANT]).await
}

pub fn http() -> reqwest::Client {
    reqwest::Client::new()
}

pub async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = http()
        .post(format!("{}{path}", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(
        r.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "{path} answers no-store"
    );
    (status, r.json().await.unwrap_or(Value::Null))
}

/// POST /oauth/device_authorization for a public client.
pub async fn authorize_device(app: &TestApp, client_id: &str, scope: &str) -> Value {
    let (status, body) = post_form(
        app,
        "/oauth/device_authorization",
        &[("client_id", client_id), ("scope", scope)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// One poll of the token endpoint: (status, body).
pub async fn poll(app: &TestApp, client_id: &str, device_code: &str) -> (u16, Value) {
    post_form(
        app,
        "/oauth/token",
        &[
            ("grant_type", DEVICE_GRANT),
            ("client_id", client_id),
            ("device_code", device_code),
        ],
    )
    .await
}

pub async fn poll_error(app: &TestApp, client_id: &str, device_code: &str) -> String {
    let (status, body) = poll(app, client_id, device_code).await;
    assert_eq!(status, 400, "{body}");
    body["error"].as_str().unwrap().to_owned()
}

/// What the `/device` page's data function answers for a code, as this browser.
pub async fn details(b: &Browser, user_code: &str) -> Value {
    let q = format!("user_code={}", enc(user_code));
    let r = b
        .get(&format!("/api/device_details?query={}", enc(&q)))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

pub fn entry_problem(v: &Value) -> Option<String> {
    v["Enter"]["problem"].as_str().map(str::to_owned)
}

/// Approves or denies `user_code` as a browser without JavaScript does: the page's
/// decision form, its hidden fields, and the button pressed.
pub async fn decide(b: &Browser, user_code: &str, decision: &str) -> Reply {
    decide_with(b, user_code, decision, &[]).await
}

/// As [`decide`], with more of the form's fields (a radio button ticked).
pub async fn decide_with(
    b: &Browser,
    user_code: &str,
    decision: &str,
    more: &[(&str, &str)],
) -> Reply {
    let page = b
        .get_html(&format!("/device?user_code={}", enc(user_code)))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let mut fields: Vec<(String, String)> = hidden_fields(&page.body)
        .into_iter()
        .filter(|(n, _)| n != "csrf_token")
        .collect();
    assert!(
        fields.iter().any(|(k, _)| k == "user_code"),
        "the page shows the decision form: {}",
        page.body
    );
    fields.push(("decision".into(), decision.into()));
    fields.extend(more.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post("/api/device_decide", &form).await
}

/// A browser signed in as a new end user.
pub async fn signed_in_user(app: &TestApp, name: &str) -> Browser {
    create_user(&app.db, name, Role::User).await;
    signed_in(app, name).await
}
