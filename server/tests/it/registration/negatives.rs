//! RFC 7591 §3.2.2: every refusal is a 400 with the RFC's code, and stores nothing.

use domain::settings::RegistrationMode;
use serde_json::json;

use super::*;

async fn refused(app: &TestApp, body: String, code: &str, mentions: &str) {
    let before = app.count("clients").await;
    let r = post_raw(app, None, "application/json", body.clone()).await;
    assert_eq!(r.status, 400, "{body}: {}", r.body);
    let v = r.json();
    assert_eq!(v["error"], code, "{body}: {v}");
    assert!(s(&v, "error_description").contains(mentions), "{body}: {v}");
    assert_eq!(app.count("clients").await, before, "{body}");
    assert_eq!(app.count("dynamic_registrations").await, 0, "{body}");
}

fn with(field: &str, value: Value) -> String {
    let mut b = web_metadata("Bad");
    b[field] = value;
    b.to_string()
}

#[tokio::test]
async fn bad_metadata_is_refused_with_the_rfc_code_and_nothing_stored() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    // Redirect URIs: a wildcard, http on a public host for a web client, a
    // fragment, none at all for the code grant.
    for uri in [
        "https://*.example.com/cb",
        "http://rp.example.com/cb",
        "https://rp.example.com/cb#frag",
    ] {
        refused(
            &app,
            with("redirect_uris", json!([uri])),
            "invalid_redirect_uri",
            "redirect_uri",
        )
        .await;
    }
    refused(
        &app,
        with("redirect_uris", json!([])),
        "invalid_redirect_uri",
        "redirect_uri",
    )
    .await;
    // An auth method this server does not support.
    refused(
        &app,
        with("token_endpoint_auth_method", json!("client_secret_jwt")),
        "invalid_client_metadata",
        "token_endpoint_auth_method",
    )
    .await;
    // Wrong types.
    refused(
        &app,
        with("redirect_uris", json!("https://rp.example.com/cb")),
        "invalid_client_metadata",
        "redirect_uris",
    )
    .await;
    refused(
        &app,
        with("client_name", json!(42)),
        "invalid_client_metadata",
        "client_name",
    )
    .await;
    refused(
        &app,
        with("require_auth_time", json!("yes")),
        "invalid_client_metadata",
        "require_auth_time",
    )
    .await;
    refused(
        &app,
        "[1,2]".to_owned(),
        "invalid_client_metadata",
        "metadata",
    )
    .await;
    refused(&app, "{".to_owned(), "invalid_client_metadata", "metadata").await;
    // Each field keeps its bound.
    refused(
        &app,
        with("client_name", json!("n".repeat(limits::CLIENT_NAME + 1))),
        "invalid_client_metadata",
        "client_name",
    )
    .await;
    refused(
        &app,
        with(
            "contacts",
            json!(vec!["a@example.com"; limits::CONTACTS + 1]),
        ),
        "invalid_client_metadata",
        "contacts",
    )
    .await;
    refused(
        &app,
        with("software_id", json!("s".repeat(limits::SOFTWARE_ID + 1))),
        "invalid_client_metadata",
        "software_id",
    )
    .await;
    // The password grant is not for self-registered clients.
    refused(
        &app,
        with("grant_types", json!(["authorization_code", "password"])),
        "invalid_client_metadata",
        "grant_types",
    )
    .await;
    // The body as a whole is bounded, whatever its unknown fields.
    refused(
        &app,
        with("padding", json!("x".repeat(limits::REGISTRATION_BODY))),
        "invalid_client_metadata",
        "bytes",
    )
    .await;
    // Software statements are not accepted.
    refused(
        &app,
        with("software_statement", json!("eyJhbGciOiJub25lIn0.e30.")),
        "invalid_software_statement",
        "software statement",
    )
    .await;
    // Not JSON.
    let r = post_raw(
        &app,
        None,
        "application/x-www-form-urlencoded",
        "client_name=x".into(),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_request");
    assert_eq!(app.count("dynamic_registrations").await, 0);
}
