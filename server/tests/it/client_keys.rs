//! `private_key_jwt` (RFC 7523, issue 18): a key-only service client signs its own
//! assertions with an ES256 key published at a JWKS listener on port 0; every rule
//! of the assertion is tried black-box at the token endpoint.

use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::oidc::flow::wall_clock;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// An ES256 key: its private half for signing, its public half as a JWK.
pub(crate) struct Key {
    pub kid: String,
    pub pkcs8: Vec<u8>,
    pub jwk: Value,
}

pub(crate) fn new_key(kid: &str) -> Key {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let point = pair.public_key().as_ref();
    Key {
        kid: kid.into(),
        pkcs8: pkcs8.as_ref().to_vec(),
        jwk: json!({
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        }),
    }
}

/// The client's JWKS listener: serves whatever keys the test puts in it.
pub(crate) struct Jwks {
    pub url: String,
    keys: Arc<Mutex<Vec<Value>>>,
    /// How many times the set was fetched.
    fetches: Arc<std::sync::atomic::AtomicUsize>,
}

impl Jwks {
    /// Serves `keys` from now on (the client rotated its set).
    pub(crate) fn set(&self, keys: Vec<Value>) {
        *self.keys.lock().unwrap() = keys;
    }
}

pub(crate) async fn jwks_listener(keys: Vec<Value>) -> Jwks {
    let keys = Arc::new(Mutex::new(keys));
    let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (served, counted) = (keys.clone(), fetches.clone());
    let router = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let (served, counted) = (served.clone(), counted.clone());
            async move {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                // Slow enough that concurrent requests overlap with the fetch.
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                axum::Json(json!({ "keys": *served.lock().unwrap() }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/jwks",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    Jwks { url, keys, fetches }
}

async fn key_only_client(app: &TestApp, jwks_uri: &str) -> String {
    let created = domain::clients::create(
        &app.db,
        &domain::platform::password::PasswordHasher::new(),
        domain::audit::Actor::Operator,
        domain::clients::NewClient {
            application_type: Some(domain::clients::ApplicationType::Service),
            metadata: domain::clients::ClientPatch {
                name: Some("Key-only robot".into()),
                token_endpoint_auth_method: Some(domain::clients::AuthMethod::PrivateKeyJwt),
                jwks_uri: Some(Some(jwks_uri.into())),
                ..Default::default()
            },
            ..Default::default()
        },
        app.clock_now(),
    )
    .await
    .unwrap();
    assert!(created.secret.is_none(), "a key-only client gets no secret");
    created.client.id
}

pub(crate) fn assertion(key: &Key, claims: Value) -> String {
    let mut h = Header::new(jsonwebtoken::Algorithm::ES256);
    h.kid = Some(key.kid.clone());
    encode(&h, &claims, &EncodingKey::from_ec_der(&key.pkcs8)).unwrap()
}

fn claims(app: &TestApp, client_id: &str, jti: &str) -> Value {
    let now = wall_clock();
    json!({ "iss": client_id, "sub": client_id, "aud": app.settings.issuer,
            "iat": now, "exp": now + 60, "jti": jti })
}

async fn token_with(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn cc(app: &TestApp, assertion: &str) -> (u16, Value) {
    token_with(
        app,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
        ],
    )
    .await
}

async fn app_allowing_loopback() -> TestApp {
    let app = spawn_app_with(|s| s.outbound.allow_private_addresses = true).await;
    app.clock.set(wall_clock());
    app
}

#[tokio::test]
async fn a_key_only_client_authenticates_with_signed_assertions_each_used_once() {
    let app = app_allowing_loopback().await;
    let key = new_key("k1");
    let jwks = jwks_listener(vec![key.jwk.clone()]).await;
    let id = key_only_client(&app, &jwks.url).await;

    let a = assertion(&key, claims(&app, &id, "jti-1"));
    let (status, v) = cc(&app, &a).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["access_token"].is_string());
    let (status, v) = cc(&app, &a).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (401, Some("invalid_client")),
        "a replayed jti"
    );

    // The same fresh assertion twice at once: one token.
    let b = assertion(&key, claims(&app, &id, "jti-2"));
    let (x, y) = tokio::join!(cc(&app, &b), cc(&app, &b));
    let mut statuses = [x.0, y.0];
    statuses.sort();
    assert_eq!(statuses, [200, 401]);

    // The token endpoint's URL is an audience too (RFC 7523 §3); PAR takes assertions.
    let mut c = claims(&app, &id, "jti-3");
    c["aud"] = json!(format!("{}/oauth/token", app.settings.issuer));
    assert_eq!(cc(&app, &assertion(&key, c)).await.0, 200);

    // Keys rotate: a new kid is fetched again (at most every ten seconds).
    let next = new_key("k2");
    jwks.keys.lock().unwrap().push(next.jwk.clone());
    app.clock.advance(11);
    let mut c = claims(&app, &id, "jti-4");
    c["iat"] = json!(wall_clock() + 11);
    c["exp"] = json!(wall_clock() + 11 + 60);
    assert_eq!(
        cc(&app, &assertion(&next, c)).await.0,
        200,
        "the new key was fetched"
    );
}

/// Each assertion in a client_credentials request of its own, all at once: the
/// statuses.
async fn at_once(app: &TestApp, assertions: Vec<String>) -> Vec<u16> {
    let base = app.base.clone();
    burst(assertions.len(), move |i| {
        let (base, a) = (base.clone(), assertions[i].clone());
        async move {
            reqwest::Client::new()
                .post(format!("{base}/oauth/token"))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_assertion_type", ASSERTION_TYPE),
                    ("client_assertion", a.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    })
    .await
}

/// A burst of assertions on a cold cache, and a burst of forged `kid`s, each make
/// one outbound fetch of the client's JWKS, not one per request.
#[tokio::test]
async fn a_burst_of_assertions_fetches_the_client_keys_once() {
    let app = app_allowing_loopback().await;
    let key = new_key("k1");
    let jwks = jwks_listener(vec![key.jwk.clone()]).await;
    let id = key_only_client(&app, &jwks.url).await;
    let fetched = || jwks.fetches.load(std::sync::atomic::Ordering::SeqCst);

    let assertions: Vec<String> = (0..16)
        .map(|i| assertion(&key, claims(&app, &id, &format!("burst-{i}"))))
        .collect();
    let answers = at_once(&app, assertions).await;
    assert!(answers.iter().all(|s| *s == 200), "{answers:?}");
    assert_eq!(fetched(), 1, "one fetch for the whole burst");

    // Forged kids, past the ten-second gap: one refetch, all refused.
    app.clock.advance(11);
    let forged = new_key("unknown");
    let assertions: Vec<String> = (0..16)
        .map(|i| {
            let mut c = claims(&app, &id, &format!("forged-{i}"));
            c["iat"] = json!(wall_clock() + 11);
            c["exp"] = json!(wall_clock() + 11 + 60);
            assertion(&forged, c)
        })
        .collect();
    let answers = at_once(&app, assertions).await;
    assert!(answers.iter().all(|s| *s == 401), "{answers:?}");
    assert_eq!(fetched(), 2, "one refetch for the forged kids");
}

/// A JWKS that cannot be fetched is tried once per ten seconds per client: a burst
/// meanwhile is refused at once, not by a fetch each, one after another.
#[tokio::test]
async fn a_failed_key_fetch_is_not_retried_by_every_request_of_a_burst() {
    let app = app_allowing_loopback().await;
    let key = new_key("k1");
    let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = fetches.clone();
    let router = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                http::StatusCode::SERVICE_UNAVAILABLE
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/jwks",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    let id = key_only_client(&app, &url).await;
    let fetched = || fetches.load(std::sync::atomic::Ordering::SeqCst);

    let burst_of = |tag: &str| -> Vec<String> {
        (0..16)
            .map(|i| {
                let mut c = claims(&app, &id, &format!("{tag}-{i}"));
                c["iat"] = json!(app.clock_now());
                c["exp"] = json!(app.clock_now() + 60);
                assertion(&key, c)
            })
            .collect()
    };
    let answers = at_once(&app, burst_of("down")).await;
    assert!(answers.iter().all(|s| *s == 401), "{answers:?}");
    assert_eq!(fetched(), 1, "one fetch, its failure shared");
    // Ten seconds on, it is tried again (once).
    app.clock.advance(11);
    let answers = at_once(&app, burst_of("still-down")).await;
    assert!(answers.iter().all(|s| *s == 401), "{answers:?}");
    assert_eq!(fetched(), 2);
}

#[tokio::test]
async fn assertions_that_break_a_rule_are_refused() {
    let app = app_allowing_loopback().await;
    let key = new_key("k1");
    let jwks = jwks_listener(vec![key.jwk.clone()]).await;
    let id = key_only_client(&app, &jwks.url).await;
    let now = wall_clock();
    let impostor = Key {
        kid: "k1".into(),
        ..new_key("k1")
    };
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims(&app, &id, &format!("jti-{}", rand_suffix()));
        f(&mut c);
        c
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "another audience",
            assertion(
                &key,
                with(&|c| c["aud"] = json!("https://elsewhere.example")),
            ),
        ),
        (
            "expired",
            assertion(&key, with(&|c| c["exp"] = json!(now - 120))),
        ),
        (
            "valid for an hour",
            assertion(&key, with(&|c| c["exp"] = json!(now + 3600))),
        ),
        (
            "issued in the future",
            assertion(&key, with(&|c| c["iat"] = json!(now + 600))),
        ),
        (
            "no jti",
            assertion(
                &key,
                with(&|c| {
                    c.as_object_mut().unwrap().remove("jti");
                }),
            ),
        ),
        (
            "sub is not iss",
            assertion(&key, with(&|c| c["sub"] = json!("someone-else"))),
        ),
        ("signed by another key", assertion(&impostor, with(&|_| {}))),
        (
            "unknown client",
            assertion(
                &key,
                with(&|c| {
                    c["iss"] = json!("nobody");
                    c["sub"] = json!("nobody");
                }),
            ),
        ),
    ];
    for (why, a) in cases {
        let (status, v) = cc(&app, &a).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (401, Some("invalid_client")),
            "{why}: {v}"
        );
    }
    // Two methods at once, or the wrong assertion type: a bad request.
    let good = assertion(&key, claims(&app, &id, "jti-ok"));
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(&id, Some("secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", good.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let (status, v) = token_with(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:example:other"),
            ("client_assertion", good.as_str()),
        ],
    )
    .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // A key-only client has no secret to guess.
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(&id, Some("anything"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // The untouched assertion still works: nothing above used its jti.
    assert_eq!(cc(&app, &good).await.0, 200);
}

fn rand_suffix() -> String {
    domain::platform::secret::random_token()[..8].to_owned()
}

#[tokio::test]
async fn keys_on_a_private_address_are_not_fetched_by_default() {
    let app = spawn_app().await;
    app.clock.set(wall_clock());
    let key = new_key("k1");
    let jwks = jwks_listener(vec![key.jwk.clone()]).await;
    let id = key_only_client(&app, &jwks.url).await;
    let (status, v) = cc(&app, &assertion(&key, claims(&app, &id, "j"))).await;
    assert_eq!((status, v["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn private_key_jwt_follows_the_registration_rules() {
    let app = spawn_app().await;
    let (_, api) = Api::developer(&app, "dana").await;
    let r = api
        .post(
            "/api/v1/clients",
            json!({"name": "Robot", "application_type": "service",
                   "token_endpoint_auth_method": "private_key_jwt"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("jwks_uri"), "{}", r.body);
    let r = api
        .post(
            "/api/v1/clients",
            json!({"name": "Phone", "application_type": "native", "redirect_uris": ["com.example.app:/cb"],
                   "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://app.example.edu/jwks"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = api
        .post(
            "/api/v1/clients",
            json!({"name": "Robot", "application_type": "service",
                   "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://app.example.edu/jwks"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert!(v.get("client_secret").is_none_or(Value::is_null), "{v}");
    let id = v["id"].as_str().unwrap();
    let r = api
        .post(&format!("/api/v1/clients/{id}/rotate-secret"), json!({}))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let meta: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(meta["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("private_key_jwt")));
}

/// RFC 7591 §2 `jwks` and OIDC Registration §2 `token_endpoint_auth_signing_alg`
/// (issue 17): keys given inline authenticate without any fetch, and a client
/// that pinned an algorithm is refused an assertion signed with another.
#[tokio::test]
async fn inline_keys_authenticate_and_a_pinned_algorithm_is_enforced() {
    let app = app_allowing_loopback().await;
    let key = new_key("inline-1");
    let created = domain::clients::create(
        &app.db,
        &domain::platform::password::PasswordHasher::new(),
        domain::audit::Actor::Operator,
        domain::clients::NewClient {
            application_type: Some(domain::clients::ApplicationType::Service),
            metadata: domain::clients::ClientPatch {
                name: Some("Inline-key robot".into()),
                token_endpoint_auth_method: Some(domain::clients::AuthMethod::PrivateKeyJwt),
                jwks: Some(Some(json!({ "keys": [key.jwk.clone()] }))),
                ..Default::default()
            },
            ..Default::default()
        },
        app.clock_now(),
    )
    .await
    .unwrap();
    let id = created.client.id;
    assert!(created.secret.is_none());
    let (status, v) = cc(&app, &assertion(&key, claims(&app, &id, "i-1"))).await;
    assert_eq!(status, 200, "inline keys: {v}");
    // Another key with the same kid is not the client's.
    let stranger = new_key("inline-1");
    let (status, _) = cc(&app, &assertion(&stranger, claims(&app, &id, "i-2"))).await;
    assert_eq!(status, 401);

    // Pinned to PS256: the ES256 assertion that worked is refused now.
    let admin = Api::admin(&app).await;
    let r = admin
        .put(
            &format!("/api/v1/clients/{id}"),
            json!({ "token_endpoint_auth_signing_alg": "PS256" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (status, v) = cc(&app, &assertion(&key, claims(&app, &id, "i-3"))).await;
    assert_eq!((status, v["error"].as_str()), (401, Some("invalid_client")));
    // Pinned to ES256: accepted again.
    let r = admin
        .put(
            &format!("/api/v1/clients/{id}"),
            json!({ "token_endpoint_auth_signing_alg": "ES256" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (status, v) = cc(&app, &assertion(&key, claims(&app, &id, "i-4"))).await;
    assert_eq!(status, 200, "{v}");

    // Keys inline and at a URI at once, and a private key, are refused by name.
    for (edit, field) in [
        (json!({ "jwks_uri": "https://robot.example/jwks" }), "jwks"),
        (
            json!({ "jwks": { "keys": [{ "kty": "EC", "crv": "P-256", "d": "x",
                     "x": key.jwk["x"], "y": key.jwk["y"] }] } }),
            "jwks",
        ),
    ] {
        let r = admin.put(&format!("/api/v1/clients/{id}"), edit).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.json()["field"], field, "{}", r.body);
    }
}
