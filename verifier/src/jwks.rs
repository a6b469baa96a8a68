//! The issuer's signing keys: fetched once, kept in memory, refetched when a token
//! names a key we do not know (the issuer rotated) — at most once per interval, with
//! concurrent callers sharing one fetch — and in the background when the set is old
//! (so keys the issuer withdrew stop being trusted).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use crate::error::VerifyError;

/// One verification key and the one algorithm it may be used with.
pub(crate) struct VerifyKey {
    pub alg: Algorithm,
    pub key: DecodingKey,
}

struct KeyMap {
    by_kid: HashMap<String, Arc<VerifyKey>>,
    fetched_at: Instant,
}

pub(crate) struct KeyCache {
    jwks_uri: String,
    http: reqwest::Client,
    current: RwLock<Arc<KeyMap>>,
    /// The time of the last fetch; held while fetching so callers queue behind it.
    last_fetch: tokio::sync::Mutex<Instant>,
    min_interval: Duration,
    max_age: Duration,
}

impl KeyCache {
    /// Fetches the JWKS once; an error here is a set-up error.
    pub async fn load(
        jwks_uri: String,
        http: reqwest::Client,
        min_interval: Duration,
        max_age: Duration,
    ) -> Result<Self, String> {
        let by_kid = fetch(&http, &jwks_uri).await?;
        let now = Instant::now();
        Ok(Self {
            jwks_uri,
            http,
            current: RwLock::new(Arc::new(KeyMap {
                by_kid,
                fetched_at: now,
            })),
            last_fetch: tokio::sync::Mutex::new(now),
            min_interval,
            max_age,
        })
    }

    fn snapshot(&self) -> Arc<KeyMap> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn store(&self, by_kid: HashMap<String, Arc<VerifyKey>>) {
        let map = Arc::new(KeyMap {
            by_kid,
            fetched_at: Instant::now(),
        });
        match self.current.write() {
            Ok(mut g) => *g = map,
            Err(poisoned) => *poisoned.into_inner() = map,
        }
    }

    /// The key for `kid`, refetching the JWKS when it is unknown and the last fetch
    /// is older than the minimum interval.
    pub async fn key(self: &Arc<Self>, kid: &str) -> Result<Arc<VerifyKey>, VerifyError> {
        let snap = self.snapshot();
        if let Some(k) = snap.by_kid.get(kid) {
            if snap.fetched_at.elapsed() >= self.max_age {
                self.refresh_in_background();
            }
            return Ok(k.clone());
        }
        let mut last = self.last_fetch.lock().await;
        // Someone else may have fetched while we waited for the lock.
        if let Some(k) = self.snapshot().by_kid.get(kid) {
            return Ok(k.clone());
        }
        if last.elapsed() < self.min_interval {
            return Err(VerifyError::UnknownKey);
        }
        *last = Instant::now();
        match fetch(&self.http, &self.jwks_uri).await {
            Ok(by_kid) => {
                let found = by_kid.get(kid).cloned();
                tracing::info!(keys = by_kid.len(), "refreshed the issuer's JWKS");
                self.store(by_kid);
                found.ok_or(VerifyError::UnknownKey)
            }
            Err(cause) => {
                tracing::warn!(%cause, "cannot refresh the issuer's JWKS");
                Err(VerifyError::Unavailable(cause))
            }
        }
    }

    fn refresh_in_background(self: &Arc<Self>) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let this = self.clone();
        handle.spawn(async move {
            // Only one refresher; the others keep using the current keys.
            let Ok(mut last) = this.last_fetch.try_lock() else {
                return;
            };
            if this.snapshot().fetched_at.elapsed() < this.max_age
                || last.elapsed() < this.min_interval
            {
                return;
            }
            *last = Instant::now();
            match fetch(&this.http, &this.jwks_uri).await {
                Ok(by_kid) => this.store(by_kid),
                Err(cause) => tracing::warn!(%cause, "cannot refresh the issuer's JWKS"),
            }
        });
    }
}

async fn fetch(
    http: &reqwest::Client,
    uri: &str,
) -> Result<HashMap<String, Arc<VerifyKey>>, String> {
    let resp = http.get(uri).send().await.map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let doc: Value = resp.json().await.map_err(|e| e.to_string())?;
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("the document has no \"keys\" array")?;
    Ok(parse_keys(keys))
}

/// Usable keys by kid. Keys we cannot use are skipped, not fatal: an issuer may
/// publish kinds of keys that this crate does not know.
fn parse_keys(keys: &[Value]) -> HashMap<String, Arc<VerifyKey>> {
    let mut out = HashMap::new();
    for raw in keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(raw.clone()) else {
            continue;
        };
        let Some(kid) = jwk.common.key_id.clone() else {
            continue;
        };
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            continue;
        }
        let Some(alg) = algorithm(&jwk) else {
            continue;
        };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        out.insert(kid, Arc::new(VerifyKey { alg, key }));
    }
    out
}

/// The key's algorithm: as published, else implied by its type. Only asymmetric
/// algorithms: a shared-secret (HS*) key in a public JWKS would let anyone sign.
fn algorithm(jwk: &Jwk) -> Option<Algorithm> {
    let published = jwk.common.key_algorithm.map(|a| match a {
        KeyAlgorithm::ES256 => Some(Algorithm::ES256),
        KeyAlgorithm::ES384 => Some(Algorithm::ES384),
        KeyAlgorithm::RS256 => Some(Algorithm::RS256),
        KeyAlgorithm::RS384 => Some(Algorithm::RS384),
        KeyAlgorithm::RS512 => Some(Algorithm::RS512),
        KeyAlgorithm::PS256 => Some(Algorithm::PS256),
        KeyAlgorithm::PS384 => Some(Algorithm::PS384),
        KeyAlgorithm::PS512 => Some(Algorithm::PS512),
        KeyAlgorithm::EdDSA => Some(Algorithm::EdDSA),
        _ => None,
    });
    let implied = match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => Some(Algorithm::ES256),
            EllipticCurve::P384 => Some(Algorithm::ES384),
            _ => None,
        },
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        AlgorithmParameters::OctetKeyPair(_) => Some(Algorithm::EdDSA),
        AlgorithmParameters::OctetKey(_) => return None,
    };
    match published {
        Some(alg) => alg,
        None => implied,
    }
}
