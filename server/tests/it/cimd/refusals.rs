//! Documents that are refused: each shown to the person as a readable page
//! (never a redirect: nothing in the document is vetted), nothing stored.

use serde_json::json;

use super::*;

const RETRY_AFTER_SECS: i64 = server::oauth::cimd::RETRY_AFTER_SECS;

/// The error page's reason an authorization request with `client_id` gets.
async fn refused(app: &TestApp, client_id: &str, redirect_uri: &str) -> String {
    // Past the time a refused document is not fetched again.
    app.clock.advance(RETRY_AFTER_SECS);
    let b = app.browser();
    assert!(b.sign_in(&app.admin.username, ADMIN_PASSWORD).await.status < 400);
    let loc = b
        .get(&authorize(client_id, redirect_uri))
        .await
        .location()
        .unwrap();
    let reason = loc
        .strip_prefix("/oauth/error?reason=")
        .unwrap_or_else(|| panic!("not our error page: {loc}"))
        .to_owned();
    let page = b.get_html(&loc).await;
    assert!((400..500).contains(&page.status), "{}", page.status);
    assert!(
        page.body.contains("data-testid=\"oauth-error\""),
        "{}",
        page.body
    );
    reason
}

async fn stored(app: &TestApp, id: &str) -> bool {
    domain::clients::find(&app.db, id).await.unwrap().is_some()
}

#[tokio::test]
async fn a_document_naming_another_client_id_is_refused() {
    let app = spawn_local_app().await;
    let docs = Documents::start().await;
    settings(&app, true, &["127.0.0.1"], json!([])).await;
    let url = docs.url("127.0.0.1", "/a.json");
    // Another path, and the same URL with a trailing slash: not byte for byte.
    for other in [docs.url("127.0.0.1", "/b.json"), format!("{url}/")] {
        docs.serve("/a.json", &document(&other, "Agent"), None);
        assert_eq!(
            refused(&app, &url, REDIRECT).await,
            "document_client_id_mismatch"
        );
    }
    assert!(!stored(&app, &url).await);
}

#[tokio::test]
async fn a_redirect_uri_the_document_does_not_list_exactly_is_refused() {
    let app = spawn_local_app().await;
    let docs = Documents::start().await;
    settings(&app, true, &["127.0.0.1"], json!([])).await;
    let url = docs.url("127.0.0.1", "/a.json");
    docs.serve("/a.json", &document(&url, "Agent"), None);
    // Another path, and (unlike a native client's loopback leeway) another port.
    for unlisted in [
        "http://127.0.0.1:9/elsewhere",
        "http://127.0.0.1:10/callback",
    ] {
        assert_eq!(refused(&app, &url, unlisted).await, "bad_redirect_uri");
    }
}

#[tokio::test]
async fn a_document_at_a_private_address_is_refused_without_the_development_setting() {
    // The default: no private, loopback or link-local address, and https only.
    let app = spawn_app().await;
    let docs = Documents::start().await;
    settings(&app, true, &["127.0.0.1"], json!([])).await;
    let url = docs.url("127.0.0.1", "/a.json");
    docs.serve("/a.json", &document(&url, "Agent"), None);
    assert_eq!(refused(&app, &url, REDIRECT).await, "document_bad_url");
    let https = format!("https://127.0.0.1:{}/a.json", docs.port);
    assert_eq!(
        refused(&app, &https, REDIRECT).await,
        "document_private_address"
    );
    for private in [
        "https://10.0.0.1/a.json",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/a.json",
    ] {
        assert_eq!(
            refused(&app, private, REDIRECT).await,
            "document_private_address",
            "{private}"
        );
    }
    assert_eq!(docs.hits("/a.json"), 0, "never reached");
    assert!(!stored(&app, &https).await);
}

#[tokio::test]
async fn an_oversize_document_is_refused() {
    let app = spawn_local_app().await;
    let docs = Documents::start().await;
    settings(&app, true, &["127.0.0.1"], json!([])).await;
    let url = docs.url("127.0.0.1", "/big.json");
    let mut doc = document(&url, "Agent");
    doc["padding"] = json!("x".repeat(limits::METADATA_DOCUMENT));
    docs.serve("/big.json", &doc, None);
    assert_eq!(refused(&app, &url, REDIRECT).await, "document_too_large");
    assert!(!stored(&app, &url).await);
    // Just under the limit is fine.
    let mut doc = document(&url, "Agent");
    let room = limits::METADATA_DOCUMENT - doc.to_string().len() - 20;
    doc["padding"] = json!("x".repeat(room));
    docs.serve("/big.json", &doc, None);
    app.clock.advance(RETRY_AFTER_SECS);
    let b = app.browser();
    assert!(b.sign_in(&app.admin.username, ADMIN_PASSWORD).await.status < 400);
    let loc = authorize_location(&b, &url).await;
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");
}

#[tokio::test]
async fn a_document_with_a_secret_is_refused() {
    let app = spawn_local_app().await;
    let docs = Documents::start().await;
    settings(&app, true, &["127.0.0.1"], json!([])).await;
    let url = docs.url("127.0.0.1", "/s.json");
    for (k, v) in [
        ("client_secret", json!("hunter2")),
        ("client_secret_expires_at", json!(0)),
        ("token_endpoint_auth_method", json!("client_secret_basic")),
    ] {
        let mut doc = document(&url, "Agent");
        doc[k] = v;
        docs.serve("/s.json", &doc, None);
        assert_eq!(
            refused(&app, &url, REDIRECT).await,
            "document_has_secret",
            "{k}"
        );
    }
    assert!(!stored(&app, &url).await);
}

#[tokio::test]
async fn documents_that_are_not_json_or_break_the_registration_rules_are_refused() {
    let app = spawn_local_app().await;
    let docs = Documents::start().await;
    settings(&app, true, &["127.0.0.1"], json!([])).await;
    let url = docs.url("127.0.0.1", "/d.json");
    docs.serve_raw(
        "/d.json",
        Served {
            body: document(&url, "Agent").to_string(),
            content_type: "text/html",
            cache_control: None,
        },
    );
    assert_eq!(refused(&app, &url, REDIRECT).await, "document_not_json");
    // The rules dynamic registration uses: a fragment in a redirect URI, the
    // password grant.
    let mut doc = document(&url, "Agent");
    doc["redirect_uris"] = json!(["http://127.0.0.1:9/cb#frag"]);
    docs.serve("/d.json", &doc, None);
    assert_eq!(refused(&app, &url, REDIRECT).await, "document_invalid");
    let mut doc = document(&url, "Agent");
    doc["grant_types"] = json!(["password"]);
    docs.serve("/d.json", &doc, None);
    assert_eq!(refused(&app, &url, REDIRECT).await, "document_invalid");
    assert!(!stored(&app, &url).await);
    // Not found: unreachable.
    let missing = docs.url("127.0.0.1", "/missing.json");
    assert_eq!(
        refused(&app, &missing, REDIRECT).await,
        "document_unreachable"
    );
}

#[tokio::test]
async fn while_documents_are_off_a_url_is_an_unknown_client() {
    let app = spawn_local_app().await;
    let docs = Documents::start().await;
    let url = docs.url("127.0.0.1", "/a.json");
    docs.serve("/a.json", &document(&url, "Agent"), None);
    assert_eq!(refused(&app, &url, REDIRECT).await, "unknown_client");
    assert_eq!(docs.hits("/a.json"), 0);
    let (status, body) = public_token(
        &app,
        &url,
        &[("grant_type", "authorization_code"), ("code", "x")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn a_refused_document_is_not_fetched_again_for_a_while() {
    let app = spawn_local_app().await;
    let docs = Documents::start().await;
    settings(&app, true, &["127.0.0.1"], json!([])).await;
    let url = docs.url("127.0.0.1", "/later.json");
    let b = app.browser();
    assert!(b.sign_in(&app.admin.username, ADMIN_PASSWORD).await.status < 400);
    for _ in 0..3 {
        assert_eq!(
            authorize_location(&b, &url).await,
            "/oauth/error?reason=document_unreachable"
        );
    }
    assert_eq!(docs.hits("/later.json"), 1, "one fetch, then remembered");
    docs.serve("/later.json", &document(&url, "Late agent"), None);
    app.clock.advance(RETRY_AFTER_SECS - 1);
    assert_eq!(
        authorize_location(&b, &url).await,
        "/oauth/error?reason=document_unreachable"
    );
    app.clock.advance(1);
    let loc = authorize_location(&b, &url).await;
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");
    assert_eq!(docs.hits("/later.json"), 2);
}

/// One address cannot make this server fetch documents without bound: each fetch
/// of a document not held fresh counts against it; a document already held is
/// served from the database and counts nothing.
#[tokio::test]
async fn fetches_of_documents_not_held_are_limited_per_address() {
    let app = spawn_app_with(|s| {
        s.outbound.allow_private_addresses = true;
        s.registration.document_fetches_per_address = 2;
    })
    .await;
    let docs = Documents::start().await;
    settings(&app, true, &["127.0.0.1"], json!([])).await;
    let urls: Vec<String> = (0..3)
        .map(|i| {
            let path = format!("/d{i}.json");
            let url = docs.url("127.0.0.1", &path);
            docs.serve(&path, &document(&url, &format!("Agent {i}")), None);
            url
        })
        .collect();
    let b = app.browser();
    for url in &urls[..2] {
        let loc = authorize_location(&b, url).await;
        assert!(loc.starts_with("/login?return_to="), "{loc}");
    }
    let loc = authorize_location(&b, &urls[2]).await;
    assert_eq!(loc, "/oauth/error?reason=document_too_many_fetches");
    let page = b.get_html(&loc).await;
    assert_eq!(page.status, 429);
    assert_eq!(docs.hits("/d2.json"), 0, "not fetched");
    // The token endpoint says the same, with Retry-After.
    let (status, body) = public_token(
        &app,
        &urls[2],
        &[("grant_type", "authorization_code"), ("code", "x")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("invalid_client")),
        "{body}"
    );
    // A document already held costs no fetch, so it still works.
    let loc = authorize_location(&b, &urls[0]).await;
    assert!(loc.starts_with("/login?return_to="), "{loc}");
    assert_eq!(docs.hits("/d0.json"), 1);
}
