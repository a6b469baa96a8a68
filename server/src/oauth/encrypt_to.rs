//! Encrypting to a client (OpenID Connect Core §10.2): ID tokens and userinfo
//! responses of a client that registered `…_encrypted_response_alg`, to a key of
//! its inline `jwks` or its `jwks_uri` (fetched and kept as for client
//! assertions; a set without a usable key is fetched again once, at most every
//! ten seconds, in case the client rotated it).
//!
//! The key is found before anything is spent — before a code is redeemed — so a
//! client whose keys cannot be used gets an error and keeps its code.

use domain::clients::Client;
use domain::oauth::jwe::{Encryption, Recipient};
use serde_json::Value;

use super::OAuthState;

/// What to encrypt with `(alg, enc)` to `client`, or why that is impossible (for
/// the client: its registration's keys are the problem).
pub async fn encryption(
    st: &OAuthState,
    client: &Client,
    (alg, enc): (&str, &str),
) -> Result<Encryption, String> {
    let choose = |keys: &[Value]| Recipient::choose(keys, alg).map_err(|e| e.to_string());
    let to = match (&client.metadata.jwks, client.metadata.jwks_uri.as_deref()) {
        (Some(set), _) => {
            let keys = set.get("keys").and_then(Value::as_array);
            choose(keys.map(Vec::as_slice).unwrap_or_default())?
        }
        (None, Some(uri)) => {
            let now = st.services.now();
            let raw = |set: &[std::sync::Arc<super::client_assertion::ClientKey>]| {
                set.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()
            };
            let kept = st.client_keys.keys(&client.id, uri, false, now).await?;
            match choose(&raw(&kept)) {
                Ok(to) => to,
                Err(_) => choose(&raw(&st
                    .client_keys
                    .keys(&client.id, uri, true, now)
                    .await?))?,
            }
        }
        (None, None) => return Err("the client has no keys (jwks or jwks_uri)".into()),
    };
    Ok(Encryption {
        to,
        alg: alg.to_owned(),
        enc: enc.to_owned(),
    })
}

/// The client's ID-token encryption, when it registered one. The error is the
/// token endpoint's `invalid_request` (400) naming the cause: the client
/// authenticated, its registered keys are what fails.
pub async fn for_id_token(
    st: &OAuthState,
    client: &Client,
) -> Result<Option<Encryption>, super::OAuthError> {
    let Some(pair) = client.metadata.id_token_encryption() else {
        return Ok(None);
    };
    encryption(st, client, pair).await.map(Some).map_err(|why| {
        super::OAuthError::invalid_request(format!(
            "the ID token cannot be encrypted to this client: {why} (check its jwks or jwks_uri)"
        ))
    })
}
