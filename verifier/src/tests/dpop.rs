//! DPoP-bound tokens (RFC 9449 §7) through the layer: proofs made here with ring,
//! the thumbprint computed here by hand.

use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use super::fixture::*;
use crate::{Caller, VerifyError};

const BASE: &str = "https://api.example.edu";

struct Prover {
    pair: EcdsaKeyPair,
    jwk: Value,
    jkt: String,
}

impl Prover {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let p = pair.public_key().as_ref().to_vec();
        let (x, y) = (
            URL_SAFE_NO_PAD.encode(&p[1..33]),
            URL_SAFE_NO_PAD.encode(&p[33..65]),
        );
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        Prover {
            pair,
            jwk: json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y }),
            jkt: URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())),
        }
    }

    fn proof(&self, htm: &str, htu: &str, token: &str, iat: i64) -> String {
        let header = json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk });
        let claims = json!({
            "jti": uuid(), "htm": htm, "htu": htu, "iat": iat,
            "ath": URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes())),
        });
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
}

fn uuid() -> String {
    domain::oauth::access_tokens::new_jti()
}

async fn whoami(caller: Caller) -> String {
    caller.dpop_jkt.unwrap_or_default()
}

struct Answer {
    status: StatusCode,
    challenge: String,
    error: String,
    body: String,
}

async fn send(app: &Router, path: &str, auth: &str, proofs: &[&str], host: &str) -> Answer {
    let mut req = Request::get(path)
        .header("authorization", auth)
        .header("host", host);
    for p in proofs {
        req = req.header("dpop", *p);
    }
    let r = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = r.status();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
    let body = String::from_utf8_lossy(&bytes).into_owned();
    let error = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_default();
    Answer {
        status,
        challenge,
        error,
        body,
    }
}

#[tokio::test]
async fn a_bound_token_needs_a_fresh_proof_by_its_key_for_this_request() {
    let f = fixture().await;
    let v = f.builder().public_url(BASE).build().await.unwrap();
    let app = Router::new()
        .route("/read", get(whoami).layer(v.require("registrations:read")))
        .route("/other", get(whoami).layer(v.authenticate()));
    let key = Prover::new();
    let mut claims = f.claims();
    claims.cnf = Some(domain::oauth::access_tokens::Confirmation {
        jkt: key.jkt.clone(),
    });
    let at = f.mint(&claims);
    let auth = format!("DPoP {at}");
    let htu = format!("{BASE}/read");

    let ok = send(
        &app,
        "/read",
        &auth,
        &[&key.proof("GET", &htu, &at, NOW)],
        "x",
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body, key.jkt, "the handler sees the binding");

    // As a bearer token: refused with a DPoP challenge (§7.2).
    let r = send(&app, "/read", &format!("Bearer {at}"), &[], "x").await;
    assert_eq!(
        (r.status, r.error.as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );
    assert!(r.challenge.starts_with("DPoP algs=\""), "{}", r.challenge);

    let replayed = key.proof("GET", &htu, &at, NOW);
    assert_eq!(
        send(&app, "/read", &auth, &[&replayed], "x").await.status,
        StatusCode::OK
    );
    let other = Prover::new();
    for (why, proofs) in [
        ("no proof", vec![]),
        ("replayed", vec![replayed.clone()]),
        ("another key", vec![other.proof("GET", &htu, &at, NOW)]),
        (
            "another path",
            vec![key.proof("GET", &format!("{BASE}/other"), &at, NOW)],
        ),
        (
            "another host",
            vec![key.proof("GET", "https://evil.example/read", &at, NOW)],
        ),
        ("POST for a GET", vec![key.proof("POST", &htu, &at, NOW)]),
        (
            "another token's ath",
            vec![key.proof("GET", &htu, "other", NOW)],
        ),
        ("stale", vec![key.proof("GET", &htu, &at, NOW - 120)]),
        (
            "two proofs",
            vec![
                key.proof("GET", &htu, &at, NOW),
                key.proof("GET", &htu, &at, NOW),
            ],
        ),
    ] {
        let refs: Vec<&str> = proofs.iter().map(String::as_str).collect();
        let r = send(&app, "/read", &auth, &refs, "x").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{why}");
        assert_eq!(r.error, "invalid_dpop_proof", "{why}: {}", r.body);
        assert!(
            r.challenge.contains("error=\"invalid_dpop_proof\""),
            "{why}: {}",
            r.challenge
        );
    }

    // Without the request, `authorize` cannot check a proof: it refuses.
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("authorization", auth.parse().unwrap());
    headers.insert("dpop", key.proof("GET", &htu, &at, NOW).parse().unwrap());
    let e = v.authorize(&headers, &[]).await.unwrap_err();
    assert_eq!(e.verify_error(), Some(&VerifyError::DpopRequired));
}

#[tokio::test]
async fn an_unbound_token_is_refused_under_the_dpop_scheme() {
    let f = fixture().await;
    let v = f.builder().public_url(BASE).build().await.unwrap();
    let app = Router::new().route("/read", get(whoami).layer(v.authenticate()));
    let at = f.token();
    let key = Prover::new();
    let r = send(
        &app,
        "/read",
        &format!("DPoP {at}"),
        &[&key.proof("GET", &format!("{BASE}/read"), &at, NOW)],
        "x",
    )
    .await;
    assert_eq!(
        (r.status, r.error.as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );
    assert_eq!(
        send(&app, "/read", &format!("Bearer {at}"), &[], "x")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn without_a_public_url_the_host_header_names_the_api() {
    let f = fixture().await;
    let v = f.verifier().await;
    let app = Router::new().route("/read", get(whoami).layer(v.authenticate()));
    let key = Prover::new();
    let mut claims = f.claims();
    claims.cnf = Some(domain::oauth::access_tokens::Confirmation {
        jkt: key.jkt.clone(),
    });
    let at = f.mint(&claims);
    let auth = format!("DPoP {at}");
    let proof = key.proof("GET", "https://api.example.edu/read", &at, NOW);
    assert_eq!(
        send(&app, "/read", &auth, &[&proof], "api.example.edu")
            .await
            .status,
        StatusCode::OK
    );
    let proof = key.proof("GET", "https://api.example.edu/read", &at, NOW);
    assert_eq!(
        send(&app, "/read", &auth, &[&proof], "elsewhere.example")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_full_replay_cache_refuses_new_proofs_until_old_ones_expire() {
    let f = fixture().await;
    let v = f
        .builder()
        .public_url(BASE)
        .dpop_replay_capacity(2)
        .build()
        .await
        .unwrap();
    let app = Router::new().route("/read", get(whoami).layer(v.authenticate()));
    let key = Prover::new();
    let mut claims = f.claims();
    claims.exp = NOW + 3600;
    claims.cnf = Some(domain::oauth::access_tokens::Confirmation {
        jkt: key.jkt.clone(),
    });
    let at = f.mint(&claims);
    let auth = format!("DPoP {at}");
    let htu = format!("{BASE}/read");
    for _ in 0..2 {
        let p = key.proof("GET", &htu, &at, NOW);
        assert_eq!(
            send(&app, "/read", &auth, &[&p], "x").await.status,
            StatusCode::OK
        );
    }
    let r = send(
        &app,
        "/read",
        &auth,
        &[&key.proof("GET", &htu, &at, NOW)],
        "x",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("too many DPoP proofs"), "{}", r.body);
    // Once the first proofs left the window, there is room again.
    f.clock.0.store(NOW + 62, Ordering::SeqCst);
    let p = key.proof("GET", &htu, &at, NOW + 62);
    assert_eq!(
        send(&app, "/read", &auth, &[&p], "x").await.status,
        StatusCode::OK
    );
}
