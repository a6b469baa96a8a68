//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document;
//! issue 16, item 2): a local listener on port 0 serves the documents (the tests
//! turn on `outbound.allow_private_addresses`, which also allows http on a
//! loopback host), and counts how often each is fetched.

mod admission;
mod flow;
mod refusals;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::helpers::*;
use crate::rp::{CHALLENGE, REDIRECT};

/// What the listener answers at one path.
#[derive(Clone)]
pub struct Served {
    pub body: String,
    pub content_type: &'static str,
    pub cache_control: Option<String>,
}

/// A listener serving documents on loopback.
pub struct Documents {
    pub port: u16,
    served: Arc<Mutex<HashMap<String, Served>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    /// How long each answer waits (ms).
    delay: Arc<AtomicU64>,
}

impl Documents {
    pub async fn start() -> Self {
        let served: Arc<Mutex<HashMap<String, Served>>> = Default::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Default::default();
        let delay: Arc<AtomicU64> = Default::default();
        let (s, h, d) = (served.clone(), hits.clone(), delay.clone());
        let router = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let (s, h, d) = (s.clone(), h.clone(), d.clone());
            async move {
                let path = uri.path().to_owned();
                *h.lock().unwrap().entry(path.clone()).or_default() += 1;
                let wait = d.load(Ordering::Relaxed);
                if wait > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                }
                let Some(doc) = s.lock().unwrap().get(&path).cloned() else {
                    return axum::http::Response::builder()
                        .status(404)
                        .body(axum::body::Body::empty())
                        .unwrap();
                };
                let mut r = axum::http::Response::builder()
                    .status(200)
                    .header("content-type", doc.content_type);
                if let Some(cc) = doc.cache_control {
                    r = r.header("cache-control", cc);
                }
                r.body(axum::body::Body::from(doc.body)).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            port,
            served,
            hits,
            delay,
        }
    }

    /// The URL of `path` under `host` (`127.0.0.1` or `localhost`: the same
    /// listener under two hosts, one trusted, one not).
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port)
    }

    /// Serves `body` (JSON) at `path`.
    pub fn serve(&self, path: &str, body: &Value, cache_control: Option<&str>) {
        self.serve_raw(
            path,
            Served {
                body: body.to_string(),
                content_type: "application/json",
                cache_control: cache_control.map(str::to_owned),
            },
        );
    }

    pub fn serve_raw(&self, path: &str, served: Served) {
        self.served.lock().unwrap().insert(path.to_owned(), served);
    }

    /// Makes every answer wait `ms` milliseconds.
    pub fn slow_down(&self, ms: u64) {
        self.delay.store(ms, Ordering::Relaxed);
    }

    /// How often `path` was fetched.
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

/// A public client's document for `url`, named `name`, redirecting to
/// [`REDIRECT`].
pub fn document(url: &str, name: &str) -> Value {
    json!({
        "client_id": url,
        "client_name": name,
        "client_uri": "https://app.example.com/",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    })
}

/// An app whose outbound requests may reach loopback (and so http on it).
pub async fn spawn_local_app() -> TestApp {
    spawn_app_with(|s| s.outbound.allow_private_addresses = true).await
}

/// Sets the metadata document settings through the REST API, as an
/// administrator does.
pub async fn settings(app: &TestApp, enabled: bool, trusted: &[&str], protected: Value) {
    let r = Api::admin(app)
        .await
        .put(
            "/api/v1/registration/documents",
            json!({
                "enabled": enabled,
                "trusted_hosts": trusted,
                "protected_names": protected,
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The authorization request of the document client `client_id`.
pub fn authorize(client_id: &str, redirect_uri: &str) -> String {
    format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=s&code_challenge={CHALLENGE}&code_challenge_method=S256",
        enc(client_id),
        enc(redirect_uri)
    )
}

/// Where the authorization endpoint sends a signed-in browser.
pub async fn authorize_location(b: &Browser, client_id: &str) -> String {
    b.get(&authorize(client_id, REDIRECT))
        .await
        .location()
        .expect("authorize redirects")
}

/// A token request of a public client (its `client_id` alone).
pub async fn public_token(app: &TestApp, client_id: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let mut all = vec![("client_id", client_id)];
    all.extend_from_slice(form);
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .form(&all)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Admits a client as an administrator does (enables it over REST).
pub async fn admit(app: &TestApp, id: &str) {
    let r = Api::admin(app)
        .await
        .post(
            &format!("/api/v1/clients/{}/enable", enc(id)),
            json!({ "justification": "admitted" }),
        )
        .await;
    assert!(r.status < 300, "{} {}", r.status, r.body);
}
