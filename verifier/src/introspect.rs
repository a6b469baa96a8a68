//! RFC 7662 introspection, for APIs that must see revocation at once: the issuer is
//! asked whether a (signature-checked) token is still active; answers are cached
//! briefly by token id, so the revocation window shrinks from the token's lifetime
//! to the cache TTL.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::error::VerifyError;

/// At most this many cached answers; when full, expired ones are dropped, and if
/// that is not enough the cache starts over (a burst of distinct tokens must not
/// grow memory without bound).
const MAX_ENTRIES: usize = 10_000;

pub(crate) struct Introspector {
    endpoint: String,
    client_id: String,
    client_secret: String,
    ttl: Duration,
    http: reqwest::Client,
    cache: Mutex<HashMap<String, (bool, Instant)>>,
}

impl fmt::Debug for Introspector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Introspector")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl Introspector {
    pub fn new(
        endpoint: String,
        client_id: String,
        client_secret: String,
        ttl: Duration,
        http: reqwest::Client,
    ) -> Self {
        Self {
            endpoint,
            client_id,
            client_secret,
            ttl,
            http,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, jti: &str) -> Option<bool> {
        let cache = self.cache.lock().ok()?;
        cache
            .get(jti)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(active, _)| *active)
    }

    fn remember(&self, jti: &str, active: bool) {
        if self.ttl.is_zero() {
            return;
        }
        let Ok(mut cache) = self.cache.lock() else {
            return;
        };
        if cache.len() >= MAX_ENTRIES {
            cache.retain(|_, (_, at)| at.elapsed() < self.ttl);
            if cache.len() >= MAX_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(jti.to_owned(), (active, Instant::now()));
    }

    /// Whether the issuer still considers the token active. The cache is keyed by
    /// `jti` (already signature-checked), so tokens are never kept in memory.
    pub async fn check(&self, jti: &str, token: &str) -> Result<(), VerifyError> {
        let active = match self.cached(jti) {
            Some(a) => a,
            None => {
                let a = self.ask(token).await.map_err(|cause| {
                    tracing::warn!(%cause, "token introspection failed");
                    VerifyError::Unavailable(cause)
                })?;
                self.remember(jti, a);
                a
            }
        };
        if active {
            Ok(())
        } else {
            Err(VerifyError::Inactive)
        }
    }

    async fn ask(&self, token: &str) -> Result<bool, String> {
        // RFC 6749 §2.3.1: client_secret_basic form-encodes both parts first.
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            enc(&self.client_id),
            enc(&self.client_secret)
        ));
        let resp = self
            .http
            .post(&self.endpoint)
            .header(http::header::AUTHORIZATION, format!("Basic {basic}"))
            .header(http::header::ACCEPT, "application/json")
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if !resp.status().is_success() {
            return Err(format!("introspection answered HTTP {}", resp.status()));
        }
        let body: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| format!("introspection answer is not JSON: {e}"))?;
        body.get("active")
            .and_then(serde_json::Value::as_bool)
            .ok_or_else(|| "introspection answer has no boolean \"active\"".to_owned())
    }
}
