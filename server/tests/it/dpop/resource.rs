//! DPoP at this server's protected resources (RFC 9449 §7): userinfo and the REST
//! API take a bound token only with the `DPoP` scheme and a fresh proof by its key.

use serde_json::json;

use super::*;
use crate::rp::{authorize_as, authorize_path, param, REDIRECT, VERIFIER};

struct Call {
    status: u16,
    challenge: String,
    error: String,
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    authorization: &str,
    dpop: &[&str],
) -> Call {
    let mut rb = reqwest::Client::new()
        .request(method, format!("{}{path}", app.base))
        .header("Authorization", authorization);
    for p in dpop {
        rb = rb.header("DPoP", *p);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let challenge = r
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(" | ");
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    Call {
        status,
        challenge,
        error: body["error"].as_str().unwrap_or_default().to_owned(),
    }
}

/// A person's DPoP-bound access token (auth code flow, confidential client).
async fn bound_user_token(app: &TestApp, key: &Prover) -> String {
    let rp = register(app, crate::rp::notebook(&["openid", "profile"])).await;
    let b = app.browser();
    let loc = authorize_as(&b, "admin", &authorize_path(&rp, "openid profile", "")).await;
    let code = param(&loc, "code").unwrap();
    let (status, _, t) = token_request(
        app,
        &rp.id,
        Some(&rp.secret),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
        &[&key.proof(app, "POST", "/oauth/token")],
    )
    .await;
    assert_eq!(status, 200, "{t}");
    t["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn userinfo_takes_a_bound_token_only_with_a_proof_by_its_key() {
    let app = spawn_app().await;
    let key = Prover::new();
    let at = bound_user_token(&app, &key).await;
    let get = reqwest::Method::GET;
    let ui = "/oauth/userinfo";
    let dpop_auth = format!("DPoP {at}");

    let ok = call(
        &app,
        get.clone(),
        ui,
        &dpop_auth,
        &[&key.proof_for(&app, "GET", ui, &at)],
    )
    .await;
    assert_eq!(ok.status, 200);
    // POST too, with its own method in the proof.
    let ok = call(
        &app,
        reqwest::Method::POST,
        ui,
        &dpop_auth,
        &[&key.proof_for(&app, "POST", ui, &at)],
    )
    .await;
    assert_eq!(ok.status, 200);

    // §7.2: as a bearer token it is refused.
    let r = call(&app, get.clone(), ui, &format!("Bearer {at}"), &[]).await;
    assert_eq!((r.status, r.error.as_str()), (401, "invalid_token"));
    assert!(r.challenge.starts_with("DPoP "), "{}", r.challenge);
    assert!(r.challenge.contains("algs=\""), "{}", r.challenge);

    let other = Prover::new();
    let now = app.clock_now();
    let htu = format!("{}{ui}", app.base);
    let with_ath = |mut c: serde_json::Value, token: &str| {
        c["ath"] = json!(ath(token));
        c
    };
    let replayed = key.proof_for(&app, "GET", ui, &at);
    assert_eq!(
        call(&app, get.clone(), ui, &dpop_auth, &[&replayed])
            .await
            .status,
        200
    );
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("no proof", vec![]),
        (
            "a proof by another key",
            vec![other.proof_for(&app, "GET", ui, &at)],
        ),
        (
            "ath of another token",
            vec![key.proof_for(&app, "GET", ui, "some-other-token")],
        ),
        ("no ath", vec![key.proof(&app, "GET", ui)]),
        (
            "htm POST on a GET",
            vec![key.proof_for(&app, "POST", ui, &at)],
        ),
        (
            "htu of the token endpoint",
            vec![key.sign(
                &key.header(),
                &with_ath(
                    Prover::claims("GET", &format!("{}/oauth/token", app.base), now),
                    &at,
                ),
            )],
        ),
        (
            "stale",
            vec![key.sign(
                &key.header(),
                &with_ath(Prover::claims("GET", &htu, now - 300), &at),
            )],
        ),
        ("replayed", vec![replayed.clone()]),
        (
            "two proofs",
            vec![
                key.proof_for(&app, "GET", ui, &at),
                key.proof_for(&app, "GET", ui, &at),
            ],
        ),
    ];
    for (why, proofs) in cases {
        let refs: Vec<&str> = proofs.iter().map(String::as_str).collect();
        let r = call(&app, get.clone(), ui, &dpop_auth, &refs).await;
        assert_eq!(r.status, 401, "{why}");
        assert_eq!(r.error, "invalid_dpop_proof", "{why}");
        assert!(
            r.challenge.starts_with("DPoP ")
                && r.challenge.contains("error=\"invalid_dpop_proof\""),
            "{why}: {}",
            r.challenge
        );
    }
}

#[tokio::test]
async fn an_unbound_token_is_refused_under_the_dpop_scheme() {
    let app = spawn_app().await;
    let owner = create_user(&app.db, "dev", domain::accounts::Role::Developer).await;
    let ci = ci_client(&app, &owner, &["portal"]).await;
    let (status, _, t) = cc(&app, &ci, &[]).await;
    assert_eq!(status, 200);
    let at = t["access_token"].as_str().unwrap();
    let key = Prover::new();
    let path = "/api/v1/clients";
    let r = call(
        &app,
        reqwest::Method::GET,
        path,
        &format!("DPoP {at}"),
        &[&key.proof_for(&app, "GET", path, at)],
    )
    .await;
    assert_eq!((r.status, r.error.as_str()), (401, "invalid_token"));
    assert_eq!(
        call(
            &app,
            reqwest::Method::GET,
            path,
            &format!("Bearer {at}"),
            &[]
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn the_rest_api_checks_bound_tokens_and_accepts_each_proof_once() {
    let app = spawn_app().await;
    let owner = create_user(&app.db, "dev", domain::accounts::Role::Developer).await;
    let ci = ci_client(&app, &owner, &["portal"]).await;
    let key = Prover::new();
    let (status, _, t) = cc(&app, &ci, &[&key.proof(&app, "POST", "/oauth/token")]).await;
    assert_eq!(status, 200, "{t}");
    let at = t["access_token"].as_str().unwrap().to_owned();
    let auth = format!("DPoP {at}");
    let path = "/api/v1/clients";
    let get = reqwest::Method::GET;

    assert_eq!(
        call(
            &app,
            get.clone(),
            path,
            &auth,
            &[&key.proof_for(&app, "GET", path, &at)]
        )
        .await
        .status,
        200
    );
    let r = call(&app, get.clone(), path, &format!("Bearer {at}"), &[]).await;
    assert_eq!((r.status, r.error.as_str()), (401, "invalid_token"));
    // A proof made for another path of the API.
    let r = call(
        &app,
        get.clone(),
        path,
        &auth,
        &[&key.proof_for(&app, "GET", "/api/v1/me", &at)],
    )
    .await;
    assert_eq!((r.status, r.error.as_str()), (401, "invalid_dpop_proof"));

    // One proof, many requests at once: one gets through.
    let proof = key.proof_for(&app, "GET", path, &at);
    let url = format!("{}{path}", app.base);
    let results = burst(8, |_| {
        let (url, auth, proof) = (url.clone(), auth.clone(), proof.clone());
        async move {
            reqwest::Client::new()
                .get(url)
                .header("Authorization", auth)
                .header("DPoP", proof)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    })
    .await;
    assert_eq!(
        results.iter().filter(|s| **s == 200).count(),
        1,
        "{results:?}"
    );
    assert!(
        results.iter().all(|s| *s == 200 || *s == 401),
        "{results:?}"
    );
}
