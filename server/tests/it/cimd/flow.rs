//! A metadata document's client end to end: an independent library
//! (openid-client, npm v6) uses the document's URL as its `client_id` from a
//! signed-out start; discovery advertises support; consent shows the
//! document's host; the copy is cached for its max-age.

use serde_json::json;

use super::*;
use crate::oidc::flow::wall_clock;
use crate::rp::{param, through_consent, VERIFIER};

const START: &str = r#"
const config = await client.discovery(
  new URL(input.issuer), input.client_id, undefined, client.None(),
  { execute: [client.allowInsecureRequests] },
);
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: input.redirect_uri, scope: 'openid', state,
  code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
});
console.log(JSON.stringify({ url: url.href, verifier, state,
  supported: config.serverMetadata().client_id_metadata_document_supported ?? null }));
"#;

const EXCHANGE: &str = r#"
const config = await client.discovery(
  new URL(input.issuer), input.client_id, undefined, client.None(),
  { execute: [client.allowInsecureRequests] },
);
const tokens = await client.authorizationCodeGrant(config, new URL(input.callback), {
  pkceCodeVerifier: input.verifier, expectedState: input.state,
});
console.log(JSON.stringify({ claims: tokens.claims(), token_type: tokens.token_type,
  refresh: typeof tokens.refresh_token === 'string' }));
"#;

#[tokio::test]
async fn openid_client_signs_a_person_in_with_a_metadata_document_as_its_client_id() {
    let app = spawn_local_app().await;
    // The library checks the ID token's times against the real clock.
    app.clock.set(wall_clock());
    let docs = Documents::start().await;
    let url = docs.url("127.0.0.1", "/agent/client.json");
    docs.serve("/agent/client.json", &document(&url, "Grading agent"), None);
    settings(&app, true, &["127.0.0.1"], json!([])).await;

    let start = openid_client(
        START,
        json!({ "issuer": app.base, "client_id": url, "redirect_uri": REDIRECT }),
    )
    .await;
    assert_eq!(start["supported"], json!(true), "{start}");
    let path = &s(&start, "url")[app.base.len()..];

    // Signed out: sent to sign in first, then back.
    let b = app.browser();
    let loc = b.get(path).await.location().unwrap();
    assert!(loc.starts_with("/login?return_to="), "{loc}");
    let back = param(&loc, "return_to").unwrap();
    assert!(b.sign_in(&app.admin.username, ADMIN_PASSWORD).await.status < 400);
    let loc = b.get(&back).await.location().unwrap();
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");

    // Consent names the host the document came from, prominently.
    let page = b.get_html(&loc).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("consent-document-host"), "{}", page.body);
    // What the document says of its home page is not where it comes from.
    assert!(
        !page.body.contains("data-testid=\"consent-host\""),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(">127.0.0.1<!></strong> says it is <strong>Grading agent"),
        "{}",
        page.body
    );
    let callback = through_consent(&b, &loc).await;
    assert!(param(&callback, "code").is_some(), "{callback}");

    let out = openid_client(
        EXCHANGE,
        json!({
            "issuer": app.base,
            "client_id": url,
            "callback": callback,
            "verifier": start["verifier"],
            "state": start["state"],
        }),
    )
    .await;
    assert_eq!(out["claims"]["aud"], json!(url), "{out}");
    assert_eq!(out["claims"]["iss"], json!(app.base));
    assert_eq!(out["refresh"], json!(true), "{out}");
    // Authorize, consent, token: one fetch (the copy is fresh for an hour).
    assert_eq!(docs.hits("/agent/client.json"), 1);
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("no {k} in {v}"))
}

#[tokio::test]
async fn discovery_advertises_documents_only_while_they_are_on() {
    let app = spawn_local_app().await;
    let get = || async {
        reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    assert_eq!(
        get().await["client_id_metadata_document_supported"],
        Value::Null
    );
    settings(&app, true, &[], json!([])).await;
    assert_eq!(
        get().await["client_id_metadata_document_supported"],
        json!(true)
    );
    settings(&app, false, &[], json!([])).await;
    assert_eq!(
        get().await["client_id_metadata_document_supported"],
        Value::Null
    );
}

#[tokio::test]
async fn a_fresh_copy_is_not_fetched_again_and_a_stale_one_is() {
    let app = spawn_local_app().await;
    let docs = Documents::start().await;
    let url = docs.url("127.0.0.1", "/c.json");
    docs.serve(
        "/c.json",
        &document(&url, "Cached agent"),
        Some("public, max-age=600"),
    );
    settings(&app, true, &["127.0.0.1"], json!([])).await;
    let b = app.browser();
    assert!(b.sign_in(&app.admin.username, ADMIN_PASSWORD).await.status < 400);

    let first = authorize_location(&b, &url).await;
    assert!(first.starts_with("/oauth/consent?"), "{first}");
    let callback = through_consent(&b, &first).await;
    let code = param(&callback, "code").unwrap();
    let (status, tokens) = public_token(
        &app,
        &url,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    // A second authorization within max-age: no fetch.
    app.clock.advance(599);
    let second = authorize_location(&b, &url).await;
    assert!(param(&second, "code").is_some(), "{second}");
    assert_eq!(docs.hits("/c.json"), 1, "fresh for its max-age");

    // Past max-age the document is fetched again, and what it now says holds.
    let other = "http://127.0.0.1:9/other";
    let mut changed = document(&url, "Cached agent");
    changed["redirect_uris"] = json!([REDIRECT, other]);
    docs.serve("/c.json", &changed, Some("max-age=600"));
    app.clock.advance(2);
    let third = b.get(&authorize(&url, other)).await.location().unwrap();
    assert!(third.starts_with(other), "{third}");
    assert_eq!(docs.hits("/c.json"), 2);

    // The refresh token works while the document is served…
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) = public_token(
        &app,
        &url,
        &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // …and a stale copy whose document is gone is `invalid_client`.
    docs.serve_raw(
        "/c.json",
        Served {
            body: "gone".into(),
            content_type: "text/plain",
            cache_control: None,
        },
    );
    app.clock.advance(601);
    let rt = body["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) = public_token(
        &app,
        &url,
        &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn a_document_client_pushes_its_request_first() {
    let app = spawn_local_app().await;
    let docs = Documents::start().await;
    let url = docs.url("127.0.0.1", "/par.json");
    let mut doc = document(&url, "Pushing agent");
    doc["require_pushed_authorization_requests"] = json!(true);
    docs.serve("/par.json", &doc, None);
    settings(&app, true, &["127.0.0.1"], json!([])).await;
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/par", app.base))
        .form(&[
            ("client_id", url.as_str()),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("state", "s"),
            ("code_challenge", crate::rp::CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let pushed: Value = r.json().await.unwrap();
    let b = app.browser();
    assert!(b.sign_in(&app.admin.username, ADMIN_PASSWORD).await.status < 400);
    // Not pushed: refused, as the document asks (shown, no code).
    let r = b.get(&authorize(&url, REDIRECT)).await;
    assert!(
        r.location().is_none_or(|l| !l.contains("code=")),
        "{:?}",
        r.location()
    );
    let loc = b
        .get(&format!(
            "/oauth/authorize?client_id={}&request_uri={}",
            enc(&url),
            enc(s(&pushed, "request_uri"))
        ))
        .await
        .location()
        .unwrap();
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");
    assert_eq!(docs.hits("/par.json"), 1);
}

/// Many requests naming a document not held at once share one fetch: those that
/// waited use what it stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_naming_a_document_at_once_share_one_fetch() {
    let app = spawn_local_app().await;
    let docs = Documents::start().await;
    let url = docs.url("127.0.0.1", "/crowd.json");
    docs.serve("/crowd.json", &document(&url, "Crowd agent"), None);
    docs.slow_down(300);
    settings(&app, true, &["127.0.0.1"], json!([])).await;
    let path = authorize(&url, REDIRECT);
    let answers = burst(12, |_| {
        let (base, path) = (app.base.clone(), path.clone());
        async move {
            let r = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .get(format!("{base}{path}"))
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or("")
                    .to_owned(),
            )
        }
    })
    .await;
    for (status, location) in &answers {
        // Signed out: every one is sent to sign in (the client was resolved).
        assert_eq!(*status, 303, "{location}");
        assert!(location.starts_with("/login"), "{location}");
    }
    assert_eq!(
        docs.hits("/crowd.json"),
        1,
        "one fetch for {} requests",
        answers.len()
    );
}
