//! Request objects by reference (RFC 9101 §5.2, OIDC Core §6.2, issue 17): the
//! client registers `request_uris` (OIDC Registration §2) and its signed request
//! object is fetched from one of them, through the outbound guard, only when the
//! `request_uri` is registered. A site on port 0 serves the documents and counts
//! every fetch.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::client_keys::{assertion, jwks_listener, new_key, Key};
use crate::helpers::*;
use crate::oidc::flow::wall_clock;
use crate::request_objects::{allow, object, STATE};
use crate::rp::{exchange, notebook, param, REDIRECT};

/// The client's site: `/ro.jwt` serves what the test puts in `object`, the
/// others are broken on purpose; `hits` counts every request.
struct Site {
    base: String,
    object: Arc<Mutex<String>>,
    hits: Arc<AtomicUsize>,
}

impl Site {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn site() -> Site {
    let object = Arc::new(Mutex::new(String::new()));
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = |hits: &Arc<AtomicUsize>| {
        hits.fetch_add(1, Ordering::SeqCst);
    };
    let (o, h1, h2, h3, h4) = (
        object.clone(),
        hits.clone(),
        hits.clone(),
        hits.clone(),
        hits.clone(),
    );
    let router = axum::Router::new()
        .route(
            "/ro.jwt",
            axum::routing::get(move || {
                counted(&h1);
                let body = o.lock().unwrap().clone();
                async move { ([("content-type", "application/oauth-authz-req+jwt")], body) }
            }),
        )
        .route(
            "/big.jwt",
            axum::routing::get(move || {
                counted(&h2);
                async move { "a".repeat(limits::REQUEST_URI_DOCUMENT + 1) }
            }),
        )
        .route(
            "/slow.jwt",
            axum::routing::get(move || {
                counted(&h3);
                async move {
                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                    "too late"
                }
            }),
        )
        .route(
            "/text.jwt",
            axum::routing::get(move || {
                counted(&h4);
                async move { "this is not a JWT" }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Site { base, object, hits }
}

/// An app that may fetch from loopback (the test's site), with a short outbound
/// timeout; a person; a client with a key at a JWKS listener and `paths` of the
/// site registered as its request URIs.
async fn setup(site: &Site, paths: &[&str]) -> (TestApp, Creds, Key) {
    let app = spawn_app_with(|s| {
        s.outbound.allow_private_addresses = true;
        s.outbound.timeout_ms = 500;
    })
    .await;
    app.clock.set(wall_clock());
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let key = new_key("rk1");
    let jwks = jwks_listener(vec![key.jwk.clone()]).await;
    let mut new = notebook(&["openid", "profile"]);
    new.metadata.jwks_uri = Some(Some(jwks.url.clone()));
    new.metadata.request_uris = Some(paths.iter().map(|p| site.url(p)).collect());
    let rp = register(&app, new).await;
    (app, rp, key)
}

fn by_reference(rp: &Creds, uri: &str) -> String {
    format!(
        "/oauth/authorize?client_id={}&request_uri={}",
        rp.id,
        enc(uri)
    )
}

#[tokio::test]
async fn a_request_object_at_a_registered_uri_signs_a_person_in() {
    let site = site().await;
    let (app, rp, key) = setup(&site, &["/ro.jwt"]).await;
    let signed = assertion(&key, object(&app, &rp, "ru-1"));
    *site.object.lock().unwrap() = signed.clone();
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    // What the browser carries beside it does not count (RFC 9101 §5).
    let start = format!(
        "{}&scope=openid&state=other&redirect_uri={}",
        by_reference(&rp, &site.url("/ro.jwt")),
        enc("http://127.0.0.1:9/evil")
    );
    let first = b.get(&start).await.location().unwrap();
    assert!(
        first.contains("request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A"),
        "kept as a pushed request: {first}"
    );
    assert_eq!(site.hits(), 1, "fetched once");
    let back = allow(&b, first).await;
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some(STATE));
    let tokens = exchange(&app, &rp, &param(&back, "code").unwrap()).await;
    assert_eq!(tokens["scope"], json!("openid profile"));

    // Registration §2's fragment: the SHA-256 of the document, checked.
    let fresh = assertion(&key, object(&app, &rp, "ru-2"));
    *site.object.lock().unwrap() = fresh.clone();
    let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(fresh.as_bytes()));
    let with_hash = by_reference(&rp, &format!("{}#{digest}", site.url("/ro.jwt")));
    let loc = b.get(&with_hash).await.location().unwrap();
    assert!(loc.starts_with("/oauth/authorize?"), "{loc}");
    let wrong = by_reference(&rp, &format!("{}#{}", site.url("/ro.jwt"), "A".repeat(43)));
    assert_eq!(
        b.get(&wrong).await.location().as_deref(),
        Some("/oauth/error?reason=invalid_request_uri")
    );
}

#[tokio::test]
async fn an_unregistered_request_uri_is_refused_without_a_fetch() {
    let site = site().await;
    let (app, rp, key) = setup(&site, &["/ro.jwt"]).await;
    *site.object.lock().unwrap() = assertion(&key, object(&app, &rp, "ru-3"));
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let long = format!("{}?{}", site.url("/ro.jwt"), "x".repeat(600));
    for uri in [
        // The same document under another spelling is another URI.
        site.url("/ro.jwt?"),
        site.url("/RO.jwt"),
        site.url("/text.jwt"),
        "https://elsewhere.example/ro.jwt".to_owned(),
        long,
    ] {
        let r = b.get(&by_reference(&rp, &uri)).await;
        assert_eq!(
            r.location().as_deref(),
            Some("/oauth/error?reason=invalid_request_uri"),
            "{uri}"
        );
    }
    assert_eq!(site.hits(), 0, "nothing unregistered was fetched");
    assert_eq!(app.count("pushed_requests").await, 0);
    // Another client's registered URI is not this client's.
    let other = register(&app, notebook(&["openid"])).await;
    let r = b.get(&by_reference(&other, &site.url("/ro.jwt"))).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/oauth/error?reason=invalid_request_uri")
    );
    assert_eq!(site.hits(), 0);
}

#[tokio::test]
async fn a_document_too_large_too_slow_or_not_a_jwt_is_refused() {
    let site = site().await;
    let (app, rp, _key) = setup(&site, &["/big.jwt", "/slow.jwt", "/text.jwt"]).await;
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    for (path, reason) in [
        ("/big.jwt", "invalid_request_uri"),
        ("/slow.jwt", "invalid_request_uri"),
        ("/text.jwt", "invalid_request_object"),
    ] {
        let started = tokio::time::Instant::now();
        let r = b.get(&by_reference(&rp, &site.url(path))).await;
        assert_eq!(
            r.location(),
            Some(format!("/oauth/error?reason={reason}")),
            "{path}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{path}: the outbound timeout ends the wait"
        );
    }
    assert_eq!(site.hits(), 3, "each fetched once");
    assert_eq!(app.count("pushed_requests").await, 0, "nothing was kept");
    let page = b.get_html("/oauth/error?reason=invalid_request_uri").await;
    assert_eq!(page.status, 400);
}

#[tokio::test]
async fn a_request_uri_on_a_private_address_is_not_fetched_by_default() {
    let site = site().await;
    let app = spawn_app().await;
    app.clock.set(wall_clock());
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let mut new = notebook(&["openid"]);
    new.metadata.request_uris = Some(vec![site.url("/ro.jwt")]);
    let rp = register(&app, new).await;
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let r = b.get(&by_reference(&rp, &site.url("/ro.jwt"))).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/oauth/error?reason=invalid_request_uri")
    );
    assert_eq!(site.hits(), 0, "the outbound guard refused loopback");
}

#[tokio::test]
async fn registered_request_uris_are_bounded_and_discovery_says_registration_is_required() {
    let app = spawn_app().await;
    let admin = Api::admin(&app).await;
    let id = admin
        .register_web_client("Notebook", "https://n.example/cb")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/clients/{id}");
    let too_long = format!("https://n.example/{}", "a".repeat(500));
    let eleven: Vec<String> = (0..11)
        .map(|i| format!("https://n.example/{i}.jwt"))
        .collect();
    for bad in [
        json!(["https://n.example/ro.jwt#hash"]),
        json!(["http://n.example/ro.jwt"]),
        json!(["not a uri"]),
        json!([too_long]),
        json!(eleven),
    ] {
        let r = admin.put(&path, json!({ "request_uris": bad })).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert_eq!(r.json()["field"], json!("request_uris"), "{}", r.body);
    }
    let r = admin
        .put(
            &path,
            json!({ "request_uris": ["https://n.example/ro.jwt", "http://127.0.0.1:8080/ro.jwt"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        admin.get(&path).await.json()["request_uris"],
        json!(["https://n.example/ro.jwt", "http://127.0.0.1:8080/ro.jwt"])
    );
    let meta: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["request_uri_parameter_supported"], json!(true));
    assert_eq!(meta["require_request_uri_registration"], json!(true));
}
