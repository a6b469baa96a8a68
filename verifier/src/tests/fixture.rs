//! The stand-in issuer and token minting shared by the verifier's tests.

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use domain::oauth::access_tokens::{sign_access, AccessClaims};
use domain::oauth::keys::{ensure_and_load, Kek, KeyPolicy, KeySet};
use domain::platform::secret::SecretString;
use serde_json::{json, Value};

use crate::{Clock, Verifier};

pub const NOW: i64 = 1_800_000_000;
pub const API: &str = "https://api.example.edu/registrations";
pub const APP: &str = "engineering-app";
pub const ALICE: &str = "user-alice";
pub const RS_ID: &str = "registrations-api";
pub const RS_SECRET: &str = "s3cret with spaces & symbols";

/// A clock the tests move by hand.
#[derive(Clone)]
pub struct TestClock(pub Arc<AtomicI64>);

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The stand-in issuer: what a Portcullis serves to resource servers.
#[derive(Clone)]
pub struct Issuer {
    pub base: String,
    /// The `issuer` its metadata claims (normally `base`).
    pub claims_issuer: Arc<Mutex<String>>,
    pub jwks: Arc<RwLock<Vec<u8>>>,
    pub jwks_fetches: Arc<AtomicUsize>,
    pub inactive: Arc<Mutex<HashSet<String>>>,
    pub introspections: Arc<AtomicUsize>,
    pub introspection_broken: Arc<std::sync::atomic::AtomicBool>,
}

async fn metadata(State(is): State<Issuer>) -> Json<Value> {
    let issuer = is.claims_issuer.lock().unwrap().clone();
    Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{}/oauth/jwks", is.base),
        "introspection_endpoint": format!("{}/oauth/introspect", is.base),
    }))
}

async fn jwks(State(is): State<Issuer>) -> impl IntoResponse {
    is.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let body = is.jwks.read().unwrap().clone();
    ([("content-type", "application/json")], body)
}

/// Active unless its jti was marked inactive; demands the API's own credentials,
/// form-encoded inside Basic as RFC 6749 §2.3.1 says.
async fn introspect(State(is): State<Issuer>, headers: HeaderMap, body: String) -> Response {
    is.introspections.fetch_add(1, Ordering::SeqCst);
    if is.introspection_broken.load(Ordering::SeqCst) {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let expected = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(RS_ID), enc(RS_SECRET)))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let token = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let jti = peek(&token)["jti"].as_str().unwrap_or_default().to_owned();
    let active = !is.inactive.lock().unwrap().contains(&jti);
    Json(json!({ "active": active })).into_response()
}

type Response = axum::response::Response;

fn peek(jwt: &str) -> Value {
    jwt.split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null)
}

pub struct Fixture {
    pub issuer: Issuer,
    pub keys: KeySet,
    pub store: KeyStore,
    pub clock: TestClock,
}

/// The database that holds the signing keys, so tests can rotate them.
pub struct KeyStore {
    pub db: domain::platform::db::Db,
    pub kek: Kek,
    pub policy: KeyPolicy,
    pub _dir: tempfile::TempDir,
}

impl KeyStore {
    pub async fn at(&self, t: i64) -> KeySet {
        ensure_and_load(&self.db, &self.kek, self.policy, t)
            .await
            .unwrap()
    }
}

pub async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = domain::platform::db::connect(&format!("sqlite://{}/keys.db", dir.path().display()))
        .await
        .unwrap();
    domain::platform::db::migrate(&db).await.unwrap();
    let store = KeyStore {
        db,
        kek: Kek::from_setting(&SecretString::new("k".repeat(40))),
        policy: KeyPolicy {
            rotate_after_secs: 30 * 86_400,
            publish_retired_for_secs: 3600,
            // These tests rotate and sign at once, as a provider without
            // pre-publication would: the verifier must cope with that too.
            prepublish_secs: 0,
        },
        _dir: dir,
    };
    let keys = store.at(NOW).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = Issuer {
        base: base.clone(),
        claims_issuer: Arc::new(Mutex::new(base)),
        jwks: Arc::new(RwLock::new(keys.jwks_json.to_vec())),
        jwks_fetches: Arc::default(),
        inactive: Arc::default(),
        introspections: Arc::default(),
        introspection_broken: Arc::default(),
    };
    let router = Router::new()
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/oauth/jwks", get(jwks))
        .route("/oauth/introspect", post(introspect))
        .with_state(issuer.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Fixture {
        issuer,
        keys,
        store,
        clock: TestClock(Arc::new(AtomicI64::new(NOW))),
    }
}

impl Fixture {
    pub fn builder(&self) -> crate::VerifierBuilder {
        Verifier::builder(&self.issuer.base, API).clock(self.clock.clone())
    }

    pub async fn verifier(&self) -> Verifier {
        self.builder().build().await.unwrap()
    }

    /// Claims as Portcullis writes them for alice using the Engineering app.
    pub fn claims(&self) -> AccessClaims {
        AccessClaims {
            iss: self.issuer.base.clone(),
            sub: ALICE.into(),
            aud: API.into(),
            client_id: APP.into(),
            scope: "registrations:read registrations:write".into(),
            jti: domain::oauth::access_tokens::new_jti(),
            iat: NOW,
            exp: NOW + 300,
            auth_time: Some(NOW),
            cnf: None,
            act: None,
        }
    }

    pub fn mint(&self, claims: &AccessClaims) -> String {
        sign_access(&self.keys, claims).unwrap()
    }

    pub fn token(&self) -> String {
        self.mint(&self.claims())
    }
}

pub fn bearer(token: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    h
}
