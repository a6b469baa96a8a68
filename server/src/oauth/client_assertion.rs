//! Client authentication with a signed JWT: `private_key_jwt` (RFC 7523 §2.2 and
//! §3, OpenID Connect Core §9), at every endpoint that authenticates clients.
//!
//! - The assertion names its client in `iss` and `sub` (equal; and equal to a
//!   `client_id` sent beside it). Only a client registered for `private_key_jwt` is
//!   accepted this way.
//! - The signature is checked with a key of the client's inline `jwks`, or from
//!   its `jwks_uri`, fetched
//!   through [`Outbound`] (public addresses only, 64 KiB, no redirects) and kept
//!   for five minutes per client; a `kid` not in the kept set makes one fresh fetch,
//!   at most every ten seconds per client (keys rotate; guesses do not make us fetch).
//! - `aud` must name this server: its issuer, or the URL of one of its endpoints
//!   that authenticate clients (RFC 7523 §3 allows the token endpoint's).
//! - `exp` is required and at most ten minutes ahead (a long-lived assertion is a
//!   bearer secret); `nbf`/`iat` may not be in the future. Times are the server's
//!   clock, with thirty seconds of leeway.
//! - `jti` is required and accepted once while the assertion lives, on every
//!   process (`clients::assertions`, a conditional insert).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::clients::{AuthMethod, Client};
use domain::platform::once::{Claim, Ledger};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use super::{routes, OAuthError, OAuthState};
use crate::outbound::Outbound;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The algorithms a client may sign its assertions with (discovery lists them).
pub const ALGS: [&str; 3] = ["RS256", "PS256", "ES256"];
const MAX_ASSERTION: usize = 8192;
const MAX_LIFETIME_SECS: i64 = 600;
const LEEWAY_SECS: i64 = 30;
const MAX_JWKS_BYTES: usize = 64 * 1024;
const KEYS_TTL_SECS: i64 = 300;
const REFETCH_GAP_SECS: i64 = 10;

/// Clients' public keys, as last fetched from their `jwks_uri`.
pub struct ClientKeys {
    outbound: Outbound,
    kept: Mutex<HashMap<String, Kept>>,
    /// One fetch at a time per client: requests arriving while a client's set is
    /// being fetched wait for that fetch instead of starting their own (no burst of
    /// outbound requests when a set goes stale or forged `kid`s arrive at once).
    fetching: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The last failed fetch per client (URI, when, why): for [`REFETCH_GAP_SECS`]
    /// requests get that answer at once instead of each trying again in turn (an
    /// unreachable JWKS would otherwise hold every queued request for a timeout).
    failed: Mutex<HashMap<String, (String, i64, String)>>,
}

struct Kept {
    uri: String,
    set: Arc<Vec<Arc<ClientKey>>>,
    fetched_at: i64,
}

/// One key of a client's set, parsed once when the set is fetched (not per
/// request): its `kid`, the algorithm it is limited to, and the verification key
/// (`None` when the JWK is of a kind we cannot use — refused when chosen).
pub struct ClientKey {
    kid: Option<String>,
    alg: Option<String>,
    key: Option<DecodingKey>,
    /// The JWK as published: an encryption key (`ECDH-ES`, …) is no JWS key but
    /// is looked up here by `oauth::encrypt_to`.
    pub jwk: Value,
}

impl ClientKey {
    /// One key of a set, parsed on its own: a key the JWS library cannot read
    /// (an `ECDH-ES` key, say) does not spoil the others.
    fn parse(jwk: &Value) -> Self {
        let parsed = serde_json::from_value::<Jwk>(jwk.clone()).ok();
        Self {
            kid: jwk.get("kid").and_then(Value::as_str).map(str::to_owned),
            alg: jwk.get("alg").and_then(Value::as_str).map(str::to_owned),
            key: parsed.and_then(|k| DecodingKey::from_jwk(&k).ok()),
            jwk: jwk.clone(),
        }
    }

    /// The key for `alg`, refusing a key whose own `alg` is another.
    pub fn for_alg(&self, alg: Algorithm) -> Result<&DecodingKey, String> {
        if self.alg.as_ref().is_some_and(|a| *a != format!("{alg:?}")) {
            return Err("the key is for another algorithm".into());
        }
        // RFC 7517 §4.2: a key published for encryption verifies nothing.
        if self.jwk.get("use").and_then(Value::as_str) == Some("enc") {
            return Err("the key is for encryption (\"use\": \"enc\")".into());
        }
        self.key.as_ref().ok_or_else(|| "unusable key".into())
    }
}

impl ClientKeys {
    pub fn new(outbound: Outbound) -> Self {
        Self {
            outbound,
            kept: Mutex::default(),
            fetching: Mutex::default(),
            failed: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Kept>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The client's key set: kept, or fetched when there is none for this URI, it
    /// is older than the TTL, or `fresh` asks (and the last fetch is not too recent).
    pub async fn keys(
        &self,
        client_id: &str,
        uri: &str,
        fresh: bool,
        now: i64,
    ) -> Result<Arc<Vec<Arc<ClientKey>>>, String> {
        let kept = |fresh: bool| {
            self.lock()
                .get(client_id)
                .filter(|k| k.uri == uri)
                .filter(|k| {
                    let stale = now - k.fetched_at >= KEYS_TTL_SECS;
                    let may_refetch = now - k.fetched_at >= REFETCH_GAP_SECS;
                    !(stale || (fresh && may_refetch))
                })
                .map(|k| k.set.clone())
        };
        let failed_lately = || {
            self.failed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(client_id)
                .filter(|(u, at, _)| u == uri && now - at < REFETCH_GAP_SECS)
                .map(|(_, _, why)| why.clone())
        };
        if let Some(set) = kept(fresh) {
            return Ok(set);
        }
        if let Some(why) = failed_lately() {
            return Err(why);
        }
        let gate = self
            .fetching
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(client_id.to_owned())
            .or_default()
            .clone();
        let _one_at_a_time = gate.lock().await;
        // Fetched (or failed) while this request waited: that answer is fresh
        // enough for it.
        if let Some(set) = kept(fresh) {
            return Ok(set);
        }
        if let Some(why) = failed_lately() {
            return Err(why);
        }
        let fetched = match self.outbound.get_limited(uri, MAX_JWKS_BYTES).await {
            Ok(body) => serde_json::from_slice::<RawSet>(&body)
                .map_err(|e| format!("the JWKS is not a JSON Web Key Set: {e}")),
            Err(e) => Err(e),
        };
        let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        let set = match fetched {
            Ok(set) => {
                failed.remove(client_id);
                set
            }
            Err(why) => {
                failed.insert(client_id.to_owned(), (uri.to_owned(), now, why.clone()));
                return Err(why);
            }
        };
        drop(failed);
        let set = Arc::new(
            set.keys
                .iter()
                .map(|k| Arc::new(ClientKey::parse(k)))
                .collect::<Vec<_>>(),
        );
        self.lock().insert(
            client_id.to_owned(),
            Kept {
                uri: uri.to_owned(),
                set: set.clone(),
                fetched_at: now,
            },
        );
        Ok(set)
    }

    /// The key `kid` names in the client's set (the only key, when no `kid` is
    /// given and the set has one), fetching the set again once when it is not kept.
    pub async fn key_for(
        &self,
        client_id: &str,
        uri: &str,
        kid: Option<&str>,
        now: i64,
    ) -> Result<Arc<ClientKey>, String> {
        let find = |set: &[Arc<ClientKey>]| match kid {
            Some(kid) => set.iter().find(|k| k.kid.as_deref() == Some(kid)).cloned(),
            None if set.len() == 1 => set.first().cloned(),
            None => None,
        };
        if let Some(k) = find(&self.keys(client_id, uri, false, now).await?) {
            return Ok(k);
        }
        find(&self.keys(client_id, uri, true, now).await?)
            .ok_or_else(|| "no key of the client's JWKS has this kid".to_owned())
    }
}

/// A JWK Set as published: each key parsed on its own ([`ClientKey::parse`]).
#[derive(Deserialize)]
struct RawSet {
    keys: Vec<Value>,
}

/// The key `kid` names in a client's inline `jwks` (the only key, when no `kid`
/// is given and the set has one). Validated when it was registered.
fn inline_key(set: &Value, kid: Option<&str>) -> Result<Arc<ClientKey>, String> {
    let set: RawSet =
        serde_json::from_value(set.clone()).map_err(|_| "the client's jwks is unreadable")?;
    let named = |k: &&Value| k.get("kid").and_then(Value::as_str) == kid;
    let jwk = match kid {
        Some(_) => set.keys.iter().find(named),
        None if set.keys.len() == 1 => set.keys.first(),
        None => None,
    }
    .ok_or("no key of the client's jwks has this kid")?;
    Ok(Arc::new(ClientKey::parse(jwk)))
}

#[derive(Deserialize)]
struct Unverified {
    iss: String,
    sub: String,
}

/// Verifies a JWT `client` signed (a client assertion, a request object) and
/// returns its claims: signed with an accepted algorithm by a key at the client's
/// `jwks_uri`, `iss` the client, `aud` one of `audiences`, `exp` present, in the
/// future and at most `max_lifetime` seconds ahead, `nbf`/`iat` not in the future —
/// times by the server's clock, with leeway. The reason for a refusal is for the log.
#[allow(clippy::too_many_arguments)]
pub(super) async fn verify_signed_by(
    st: &OAuthState,
    client: &Client,
    jwt: &str,
    header: &jsonwebtoken::Header,
    audiences: &[String],
    max_lifetime: i64,
    registered_alg: Option<&str>,
) -> Result<serde_json::Map<String, Value>, String> {
    let alg = header.alg;
    if !matches!(alg, Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256) {
        return Err("algorithm not accepted".into());
    }
    // OIDC Registration §2: a client that registered its algorithm uses only it.
    if registered_alg.is_some_and(|a| a != format!("{alg:?}")) {
        return Err("not the algorithm the client registered".into());
    }
    let now = st.services.now();
    let parsed = match (&client.metadata.jwks, client.metadata.jwks_uri.as_deref()) {
        (Some(set), _) => inline_key(set, header.kid.as_deref())?,
        (None, Some(uri)) => {
            st.client_keys
                .key_for(&client.id, uri, header.kid.as_deref(), now)
                .await?
        }
        (None, None) => return Err("the client has no keys (jwks or jwks_uri)".into()),
    };
    let key = parsed.for_alg(alg)?;
    let mut v = Validation::new(alg);
    // Time is checked below against the server's clock.
    v.validate_exp = false;
    v.validate_nbf = false;
    v.required_spec_claims.clear();
    v.set_audience(audiences);
    v.set_issuer(&[client.id.as_str()]);
    let claims = jsonwebtoken::decode::<serde_json::Map<String, Value>>(jwt, key, &v)
        .map_err(|e| format!("signature or claims: {e}"))?
        .claims;
    let time = |name: &str| claims.get(name).and_then(Value::as_i64);
    let exp = time("exp").ok_or("no exp")?;
    if exp <= now - LEEWAY_SECS {
        return Err("expired".into());
    }
    if exp > now + max_lifetime {
        return Err(format!("exp is more than {max_lifetime} s ahead"));
    }
    if time("nbf")
        .or(time("iat"))
        .is_some_and(|t| t > now + LEEWAY_SECS)
    {
        return Err("issued in the future".into());
    }
    Ok(claims)
}

fn refused(why: &str) -> OAuthError {
    // The reason goes to the log; the client gets one message (no oracle).
    tracing::info!(reason = why, "refused a client assertion");
    OAuthError::invalid_client("client authentication failed")
}

/// Authenticates the client of a `client_assertion` (the caller checked that no
/// other method was used alongside).
pub async fn authenticate(
    st: &OAuthState,
    form: &HashMap<String, String>,
) -> Result<Client, OAuthError> {
    if form.get("client_assertion_type").map(String::as_str) != Some(ASSERTION_TYPE) {
        return Err(OAuthError::invalid_request(format!(
            "client_assertion_type must be {ASSERTION_TYPE}"
        )));
    }
    let assertion = form
        .get("client_assertion")
        .ok_or_else(|| OAuthError::invalid_request("client_assertion is missing"))?;
    if assertion.len() > MAX_ASSERTION {
        return Err(OAuthError::invalid_request("client_assertion is too long"));
    }
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| OAuthError::invalid_request("client_assertion is not a JWT"))?;
    // Who it claims to be, to find the keys that must have signed it.
    let named: Unverified = assertion
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| OAuthError::invalid_request("client_assertion has no iss and sub"))?;
    if named.iss != named.sub {
        return Err(refused("iss and sub differ"));
    }
    if form.get("client_id").is_some_and(|id| *id != named.iss) {
        return Err(OAuthError::invalid_request(
            "client_id differs from the assertion's client",
        ));
    }
    let now = st.services.now();
    // The cached record the secret path uses (dropped on every process when the
    // client changes: the change feed).
    let client = st
        .tokens
        .clients
        .record(&st.services.db, &named.iss)
        .await
        .map(|r| r.client.clone())
        .ok_or_else(|| refused("unknown client"))?;
    if client.metadata.token_endpoint_auth_method != AuthMethod::PrivateKeyJwt {
        return Err(refused("the client is not registered for private_key_jwt"));
    }
    if client.unusable_reason(now).is_some() {
        return Err(refused("the client is disabled or expired"));
    }
    let issuer = st.issuer().trim_end_matches('/');
    let audiences: Vec<String> = std::iter::once(issuer.to_owned())
        .chain(
            [
                routes::TOKEN,
                routes::PAR,
                routes::INTROSPECT,
                routes::REVOKE,
            ]
            .iter()
            .map(|p| format!("{issuer}{p}")),
        )
        .collect();
    let claims = verify_signed_by(
        st,
        &client,
        assertion,
        &header,
        &audiences,
        MAX_LIFETIME_SECS,
        client.metadata.token_endpoint_auth_signing_alg.as_deref(),
    )
    .await
    .map_err(|e| refused(&e))?;
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(now);
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| refused("jti missing or too long"))?;
    let claim = Claim::new(Ledger::ClientJwt, &client.id, jti, exp);
    if !st
        .tokens
        .audit
        .claim_once(claim)
        .await
        .map_err(OAuthError::server_error)?
    {
        return Err(refused("replayed jti"));
    }
    Ok(client)
}
