//! DPoP (RFC 9449, issue 18), black-box: proofs are made here with ring (not with
//! the server's `portcullis-dpop`), and the thumbprint is computed here by hand
//! (RFC 7638), so a mistake in the server's crate cannot hide in both places.

mod resource;
mod token;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::*;

/// A client's DPoP key (ES256).
pub(crate) struct Prover {
    pair: EcdsaKeyPair,
    pub jwk: Value,
    /// RFC 7638 thumbprint, computed here.
    pub jkt: String,
}

impl Prover {
    pub fn new() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let point = pair.public_key().as_ref().to_vec();
        let (x, y) = (
            URL_SAFE_NO_PAD.encode(&point[1..33]),
            URL_SAFE_NO_PAD.encode(&point[33..65]),
        );
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        Prover {
            pair,
            jwk: json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y }),
            jkt: URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())),
        }
    }

    /// A signed JWS of `header` and `claims` with this key.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }

    /// The claims of a fresh proof for `htm` `htu` at `iat` (a new `jti`).
    pub fn claims(htm: &str, htu: &str, iat: i64) -> Value {
        json!({ "jti": uuid::Uuid::new_v4().to_string(), "htm": htm, "htu": htu, "iat": iat })
    }

    pub fn header(&self) -> Value {
        json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk })
    }

    /// A proof for the request, at the app's clock.
    pub fn proof(&self, app: &TestApp, htm: &str, path: &str) -> String {
        let claims = Self::claims(htm, &format!("{}{path}", app.base), app.clock_now());
        self.sign(&self.header(), &claims)
    }

    /// A proof for a request carrying `access_token` (with its `ath`).
    pub fn proof_for(&self, app: &TestApp, htm: &str, path: &str, access_token: &str) -> String {
        let mut claims = Self::claims(htm, &format!("{}{path}", app.base), app.clock_now());
        claims["ath"] = json!(ath(access_token));
        self.sign(&self.header(), &claims)
    }
}

pub(crate) fn ath(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// A token request with an optional DPoP header; basic auth when a secret is given.
pub(crate) async fn token_request(
    app: &TestApp,
    id: &str,
    secret: Option<&str>,
    form: &[(&str, &str)],
    dpop: &[&str],
) -> (u16, http::HeaderMap, Value) {
    let mut rb = reqwest::Client::new().post(format!("{}/oauth/token", app.base));
    let mut form: Vec<(&str, &str)> = form.to_vec();
    match secret {
        Some(s) => rb = rb.basic_auth(id, Some(s)),
        None => form.push(("client_id", id)),
    }
    for p in dpop {
        rb = rb.header("DPoP", *p);
    }
    let r = rb.form(&form).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

/// A client-credentials token request by `creds` with the given proofs.
pub(crate) async fn cc(
    app: &TestApp,
    creds: &Creds,
    dpop: &[&str],
) -> (u16, http::HeaderMap, Value) {
    token_request(
        app,
        &creds.id,
        Some(&creds.secret),
        &[("grant_type", "client_credentials")],
        dpop,
    )
    .await
}
