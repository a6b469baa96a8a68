//! Offline verification throughput: how many access tokens per second one core
//! checks (signature, typ, iss, aud, exp, scopes), keys already cached.
//!
//! ```sh
//! cargo run --release -p portcullis-verifier --example throughput
//! ```
//!
//! A throwaway ES256 key (as Portcullis signs access tokens) is served as a JWKS by a
//! stand-in issuer on port 0; 1,000 distinct tokens are verified in a loop on a
//! single-threaded runtime. Numbers only; nothing asserts on time.

use std::time::{Duration, Instant};

use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use portcullis_verifier::Verifier;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;

const API: &str = "https://api.example.edu/registrations";

#[allow(clippy::disallowed_methods)]
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| "key generation failed")?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .map_err(|_| "key parse failed")?;
    let point = pair.public_key().as_ref();
    let jwks_doc = json!({ "keys": [{
        "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": "k1",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    }]});
    let jwks = jwks_doc.clone();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let issuer = format!("http://{}", listener.local_addr()?);
    let meta = json!({ "issuer": issuer, "jwks_uri": format!("{issuer}/jwks") });
    let app = Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(move || async move { Json(meta) }),
        )
        .route("/jwks", get(move || async move { Json(jwks) }));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let verifier = Verifier::builder(&issuer, API).build().await?;
    let key = EncodingKey::from_ec_der(pkcs8.as_ref());
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some("at+jwt".into());
    header.kid = Some("k1".into());
    let t = now();
    let tokens: Vec<String> = (0..1000)
        .map(|i| {
            jsonwebtoken::encode(
                &header,
                &json!({
                    "iss": issuer, "sub": format!("user-{i}"), "aud": API,
                    "client_id": "engineering-app", "scope": "registrations:read registrations:write",
                    "jti": format!("jti-{i}"), "iat": t, "exp": t + 300,
                }),
                &key,
            )
        })
        .collect::<Result<_, _>>()?;

    // Warm up, then verify for ~3 s.
    for tok in &tokens {
        verifier.verify(tok).await?;
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(3) {
        for tok in &tokens {
            let caller = verifier.verify(tok).await?;
            std::hint::black_box(caller);
        }
        n += tokens.len() as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "offline verification, one core: {:.0} tokens/s ({:.1} µs per token, {n} tokens in {secs:.2} s)",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );

    // For scale: the bare signature check with jsonwebtoken, no claim checks.
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwks_doc["keys"][0].clone())?;
    let dk = jsonwebtoken::DecodingKey::from_jwk(&jwk)?;
    let mut v = jsonwebtoken::Validation::new(Algorithm::ES256);
    v.validate_aud = false;
    let start = Instant::now();
    let mut m = 0u64;
    while start.elapsed() < Duration::from_secs(3) {
        for tok in &tokens {
            let claims = jsonwebtoken::decode::<serde_json::Value>(tok, &dk, &v)?;
            std::hint::black_box(claims);
        }
        m += tokens.len() as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "bare jsonwebtoken::decode (ES256), one core: {:.0} tokens/s ({:.1} µs per token)",
        m as f64 / secs,
        secs * 1e6 / m as f64
    );
    Ok(())
}
