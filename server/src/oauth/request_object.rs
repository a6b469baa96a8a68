//! Signed request objects (JAR, RFC 9101): an authorization request sent as a JWT
//! signed with one of the client's keys (its `jwks` or `jwks_uri`), in the `request`
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
//! - §6.1: an object may also be encrypted to one of this server's encryption keys
//!   (`RSA-OAEP-256`, any `enc` of `domain::oauth::jwe::ENCS`): signed, then
//!   encrypted; the nested object must be signed like any other. A client that
//!   registered `request_object_encryption_alg`/`_enc` must encrypt, with those.
//! - By reference (§5.2): a `request_uri` the client registered is fetched by
//!   `request_uri` and its document opened here like an inline `request`.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::clients::Client;
use domain::platform::once::{Claim, Ledger};
use serde_json::Value;

use super::client_assertion::verify_signed_by;
use super::OAuthState;

const MAX_OBJECT: usize = 16 * 1024;
const MAX_LIFETIME_SECS: i64 = 3600;
/// Claims about the object itself, not parameters of the request.
const ENVELOPE: [&str; 6] = ["iss", "aud", "exp", "iat", "nbf", "jti"];

/// Why a request object was refused; the error page and the PAR endpoint both say
/// `invalid_request_object`, the reason goes to the log.
fn refused(why: &str) -> &'static str {
    tracing::info!(reason = why, "refused a request object");
    "invalid_request_object"
}

/// Verifies `request` for `client_id` and returns the client and the request's
/// parameters (strings, as a query would carry them; `client_id` included).
pub async fn open(
    st: &OAuthState,
    client_id: &str,
    request: &str,
) -> Result<(Client, HashMap<String, String>), &'static str> {
    if request.len() > MAX_OBJECT {
        return Err(refused("too large"));
    }
    let opened;
    let mut encrypted_with = None;
    let request = if domain::oauth::jwe::is_jwe(request) {
        let (plain, header) = domain::oauth::jwe::decrypt(&st.keys(), request)
            .map_err(|e| refused(&e.to_string()))?;
        let text = |n: &str| header.get(n).and_then(Value::as_str).map(str::to_owned);
        encrypted_with = Some((text("alg"), text("enc")));
        opened = String::from_utf8(plain).map_err(|_| refused("not a nested JWS"))?;
        opened.as_str()
    } else {
        request
    };
    let header = jsonwebtoken::decode_header(request).map_err(|_| refused("not a JWS"))?;
    let client = domain::clients::find(&st.services.db, client_id)
        .await
        .map_err(|_| "server_error")?
        .ok_or("unknown_client")?;
    // OIDC Registration §2: a client that registered how it encrypts its request
    // objects sends them only so; a plain one, or another algorithm, is refused
    // (a downgrade to what a network observer could read).
    if let Some((alg, enc)) = client.metadata.request_object_encryption() {
        match &encrypted_with {
            Some((Some(a), Some(e))) if a == alg && e == enc => {}
            Some(_) => return Err(refused("not encrypted with the registered alg and enc")),
            None => {
                return Err(refused(
                    "not encrypted, but the client registered encryption",
                ))
            }
        }
    }
    let audience = [st.issuer().trim_end_matches('/').to_owned()];
    let claims = verify_signed_by(
        st,
        &client,
        request,
        &header,
        &audience,
        MAX_LIFETIME_SECS,
        client.metadata.request_object_signing_alg.as_deref(),
    )
    .await
    .map_err(|e| refused(&e))?;
    if claims.get("client_id").and_then(Value::as_str) != Some(client.id.as_str()) {
        return Err(refused("client_id claim missing or another client's"));
    }
    if claims.contains_key("request") || claims.contains_key("request_uri") {
        return Err(refused("a request object inside a request object"));
    }
    if let Some(jti) = claims.get("jti").and_then(Value::as_str) {
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        let claim = Claim::new(
            Ledger::ClientJwt,
            &client.id,
            &format!("request-object:{jti}"),
            exp,
        );
        let first = st
            .tokens
            .audit
            .claim_once(claim)
            .await
            .map_err(|_| "server_error")?;
        if !first {
            return Err(refused("replayed jti"));
        }
    }
    let params = claims
        .into_iter()
        .filter(|(k, _)| !ENVELOPE.contains(&k.as_str()))
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, s)
        })
        .collect();
    Ok((client, params))
}

/// The client named in a request object's payload, for requests that carry only
/// `request` (RFC 9101 §5: `client_id` should be beside it, but may be only inside).
pub fn named_client(request: &str) -> Option<String> {
    let payload = request.split('.').nth(1)?;
    let v: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    v.get("client_id")?.as_str().map(str::to_owned)
}
