//! Signed request objects (JAR, RFC 9101): an authorization request sent as a JWT
//! signed with one of the client's keys (its `jwks_uri`), in the `request`
//! parameter of the authorization endpoint or of a pushed request.
//!
//! - §4 and §6.1: signed with RS256, PS256 or ES256 (`none` and everything else are
//!   refused); `iss` and the `client_id` claim are the client (equal to the
//!   `client_id` beside it), `aud` names this server's issuer; `exp` is required and
//!   at most an hour ahead, `nbf`/`iat` not in the future.
//! - §5: once a request object is used, only its parameters count — nothing the
//!   browser carries beside it.
//! - Replay: a request object with a `jti` is accepted once while it lives.
//! - At the authorization endpoint the opened object is stored as a pushed request
//!   (`oauth::pushed`) and the browser sent on with its `request_uri`: sign-in, the
//!   consent page and the code then see exactly the verified parameters, and the
//!   request ends in one code as a pushed one does.
//! - Encrypted request objects and `request_uri`s other than pushed ones are not
//!   supported (discovery says so).

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::Value;

use super::client_assertion::decoding_key;
use super::OAuthState;

const MAX_OBJECT: usize = 16 * 1024;
const MAX_LIFETIME_SECS: i64 = 3600;
const LEEWAY_SECS: i64 = 30;
/// Claims about the object itself, not parameters of the request.
const ENVELOPE: [&str; 6] = ["iss", "aud", "exp", "iat", "nbf", "jti"];

/// Why a request object was refused; the error page and the PAR endpoint both say
/// `invalid_request_object`, the reason goes to the log.
fn refused(why: &str) -> &'static str {
    tracing::info!(reason = why, "refused a request object");
    "invalid_request_object"
}

/// Verifies `request` for `client_id` and returns its parameters (strings, as a
/// query would carry them; `client_id` included).
pub async fn open(
    st: &OAuthState,
    client_id: &str,
    request: &str,
) -> Result<HashMap<String, String>, &'static str> {
    if request.len() > MAX_OBJECT {
        return Err(refused("too large"));
    }
    let header = jsonwebtoken::decode_header(request).map_err(|_| refused("not a JWS"))?;
    let alg = header.alg;
    if !matches!(alg, Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256) {
        return Err(refused("algorithm not accepted"));
    }
    let now = st.services.now();
    let client = domain::clients::find(&st.services.db, client_id)
        .await
        .map_err(|_| "server_error")?
        .ok_or("unknown_client")?;
    let uri = client
        .metadata
        .jwks_uri
        .clone()
        .ok_or_else(|| refused("the client has no jwks_uri"))?;
    let jwk = st
        .client_keys
        .key_for(&client.id, &uri, header.kid.as_deref(), now)
        .await
        .map_err(|e| refused(&e))?;
    let key = decoding_key(&jwk, alg).map_err(|e| refused(&e))?;
    let mut v = Validation::new(alg);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.required_spec_claims.clear();
    v.set_audience(&[st.issuer().trim_end_matches('/')]);
    v.set_issuer(&[client.id.as_str()]);
    let claims: serde_json::Map<String, Value> = jsonwebtoken::decode(request, &key, &v)
        .map_err(|e| refused(&format!("signature or claims: {e}")))?
        .claims;
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(|| refused("no exp"))?;
    if exp <= now - LEEWAY_SECS || exp > now + MAX_LIFETIME_SECS {
        return Err(refused("expired, or valid for more than an hour"));
    }
    let not_before = claims
        .get("nbf")
        .or(claims.get("iat"))
        .and_then(Value::as_i64);
    if not_before.is_some_and(|t| t > now + LEEWAY_SECS) {
        return Err(refused("issued in the future"));
    }
    if claims.get("client_id").and_then(Value::as_str) != Some(client.id.as_str()) {
        return Err(refused("client_id claim missing or another client's"));
    }
    if claims.contains_key("request") || claims.contains_key("request_uri") {
        return Err(refused("a request object inside a request object"));
    }
    if let Some(jti) = claims.get("jti").and_then(Value::as_str) {
        let first = domain::clients::assertions::first_use(
            &st.services.db,
            &client.id,
            &format!("request-object:{jti}"),
            exp,
        )
        .await
        .map_err(|_| "server_error")?;
        if !first {
            return Err(refused("replayed jti"));
        }
    }
    Ok(claims
        .into_iter()
        .filter(|(k, _)| !ENVELOPE.contains(&k.as_str()))
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, s)
        })
        .collect())
}

/// The client named in a request object's payload, for requests that carry only
/// `request` (RFC 9101 §5: `client_id` should be beside it, but may be only inside).
pub fn named_client(request: &str) -> Option<String> {
    let payload = request.split('.').nth(1)?;
    let v: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    v.get("client_id")?.as_str().map(str::to_owned)
}
