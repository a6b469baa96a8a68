//! Tokens minted by Portcullis's own key code (`domain::oauth::keys`, `domain::oauth::access_tokens`),
//! checked against a small stand-in issuer on port 0 that serves the metadata, the
//! JWKS (swappable, to rotate keys) and an introspection endpoint.

mod dpop;
mod fixture;

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::oauth::access_tokens::{sign_access, sign_jwt};
use domain::oauth::keys::Alg;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::{Caller, Verifier, VerifyError};
use fixture::*;

#[tokio::test]
async fn a_valid_token_names_the_application_and_the_user() {
    let f = fixture().await;
    let v = f.verifier().await;
    let claims = f.claims();
    let caller = v.verify(&f.mint(&claims)).await.unwrap();
    assert_eq!(caller.client_id, APP);
    assert_eq!(caller.user.as_ref().map(|u| u.as_str()), Some(ALICE));
    assert_eq!(caller.scopes, ["registrations:read", "registrations:write"]);
    assert_eq!(caller.token_id, claims.jti);
    assert_eq!(caller.expires_at, NOW + 300);
    assert!(!caller.is_machine());
}

#[tokio::test]
async fn an_exchanged_token_hands_handlers_its_delegation_chain() {
    use domain::oauth::access_tokens::Act;
    let f = fixture().await;
    let v = f.verifier().await;
    let plain = v.verify(&f.mint(&f.claims())).await.unwrap();
    assert!(plain.actors.is_empty() && !plain.is_delegated());

    let link = |id: &str, before: Option<Act>| Act {
        sub: id.into(),
        client_id: Some(id.into()),
        act: before.map(Box::new),
    };
    let mut c = f.claims();
    c.client_id = "planner".into();
    c.act = Some(link("planner", Some(link("api", Some(link(APP, None))))));
    let caller = v.verify(&f.mint(&c)).await.unwrap();
    assert!(caller.is_delegated());
    let chain: Vec<_> = caller.actors.iter().map(|a| a.sub.as_str()).collect();
    assert_eq!(chain, ["planner", "api", APP], "current actor first");
    assert_eq!(caller.user.as_ref().map(|u| u.as_str()), Some(ALICE));

    // An absurdly deep chain is refused rather than walked.
    let mut deep = None;
    for i in 0..17 {
        deep = Some(link(&format!("a{i}"), deep));
    }
    c.act = deep;
    assert!(matches!(
        v.verify(&f.mint(&c)).await,
        Err(VerifyError::Malformed)
    ));
}

#[tokio::test]
async fn a_client_credentials_token_has_no_user() {
    let f = fixture().await;
    let v = f.verifier().await;
    let mut c = f.claims();
    c.sub = APP.into();
    c.auth_time = None;
    c.scope = "registrations:read".into();
    let caller = v.verify(&f.mint(&c)).await.unwrap();
    assert_eq!(caller.client_id, APP);
    assert_eq!(caller.user, None);
    assert!(caller.is_machine());
}

#[tokio::test]
async fn a_tampered_token_or_one_signed_by_another_key_fails_the_signature() {
    let f = fixture().await;
    let v = f.verifier().await;
    // Payload swapped for one naming another user.
    let token = f.token();
    let parts: Vec<&str> = token.split('.').collect();
    let mut other = f.claims();
    other.sub = "user-mallory".into();
    let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&other).unwrap());
    let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert_eq!(v.verify(&tampered).await, Err(VerifyError::BadSignature));

    // A key from another Portcullis, claiming the published kid.
    let elsewhere = fixture().await;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.typ = Some("at+jwt".into());
    header.kid = Some(f.keys.signing[&Alg::ES256].kid.clone());
    let forged = jsonwebtoken::encode(
        &header,
        &f.claims(),
        &elsewhere.keys.signing[&Alg::ES256].encoding,
    )
    .unwrap();
    assert_eq!(v.verify(&forged).await, Err(VerifyError::BadSignature));
    // Garbage is malformed, not a panic.
    for junk in ["", "abc", "a.b.c", "....", &"x".repeat(20_000)] {
        assert!(v.verify(junk).await.is_err(), "{junk:.20}");
    }
}

#[tokio::test]
async fn a_token_for_another_api_or_from_another_issuer_is_refused() {
    let f = fixture().await;
    let v = f.verifier().await;
    let mut c = f.claims();
    c.aud = "https://api.example.edu/library".into();
    assert_eq!(v.verify(&f.mint(&c)).await, Err(VerifyError::WrongAudience));
    // The issuer's own audience (a token good for no API) is not ours either.
    c.aud = f.issuer.base.clone();
    assert_eq!(v.verify(&f.mint(&c)).await, Err(VerifyError::WrongAudience));

    let mut c = f.claims();
    c.iss = "https://evil.example".into();
    assert_eq!(v.verify(&f.mint(&c)).await, Err(VerifyError::WrongIssuer));
}

#[tokio::test]
async fn expiry_is_checked_against_the_clock_with_a_small_leeway() {
    let f = fixture().await;
    let v = f.verifier().await; // default leeway: 10 s
    let token = f.token(); // exp = NOW + 300
    f.clock.0.store(NOW + 305, Ordering::SeqCst);
    assert!(v.verify(&token).await.is_ok(), "within the leeway");
    f.clock.0.store(NOW + 310, Ordering::SeqCst);
    assert_eq!(v.verify(&token).await, Err(VerifyError::Expired));

    // Issued in the future (beyond the leeway): not valid yet.
    f.clock.0.store(NOW - 60, Ordering::SeqCst);
    assert_eq!(v.verify(&token).await, Err(VerifyError::NotYetValid));

    let strict = f.builder().leeway(Duration::ZERO).build().await.unwrap();
    f.clock.0.store(NOW + 300, Ordering::SeqCst);
    assert_eq!(strict.verify(&token).await, Err(VerifyError::Expired));
}

#[tokio::test]
async fn an_id_token_or_other_jwt_type_is_not_an_access_token() {
    let f = fixture().await;
    let v = f.verifier().await;
    let claims = serde_json::to_value(f.claims()).unwrap();
    for alg in [Alg::ES256, Alg::RS256] {
        let id_token = sign_jwt(&f.keys, alg, &claims).unwrap();
        assert_eq!(v.verify(&id_token).await, Err(VerifyError::WrongType));
    }
}

#[tokio::test]
async fn symmetric_and_unsigned_tokens_are_refused() {
    let f = fixture().await;
    let v = f.verifier().await;
    let kid = f.keys.signing[&Alg::ES256].kid.clone();
    // HS256 "signed" with the public key's bytes: the classic algorithm confusion.
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.typ = Some("at+jwt".into());
    header.kid = Some(kid.clone());
    let jwks = String::from_utf8(f.keys.jwks_json.to_vec()).unwrap();
    let hs = jsonwebtoken::encode(
        &header,
        &f.claims(),
        &jsonwebtoken::EncodingKey::from_secret(jwks.as_bytes()),
    )
    .unwrap();
    assert_eq!(v.verify(&hs).await, Err(VerifyError::UnsupportedAlgorithm));

    // alg=none with no signature.
    let h = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "at+jwt", "kid": kid}).to_string());
    let p = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&f.claims()).unwrap());
    assert!(v.verify(&format!("{h}.{p}.")).await.is_err());

    // RS256 header on the ES256 key id: the key decides the algorithm.
    let rsa = &f.keys.signing[&Alg::RS256];
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.typ = Some("at+jwt".into());
    header.kid = Some(kid);
    let mixed = jsonwebtoken::encode(&header, &f.claims(), &rsa.encoding).unwrap();
    assert_eq!(
        v.verify(&mixed).await,
        Err(VerifyError::UnsupportedAlgorithm)
    );
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_once_after_rotation_and_is_rate_limited() {
    let f = fixture().await;
    let v = f
        .builder()
        .jwks_refresh_interval(Duration::ZERO)
        .build()
        .await
        .unwrap();
    assert_eq!(f.issuer.jwks_fetches.load(Ordering::SeqCst), 1);
    let old_token = f.token();
    v.verify(&old_token).await.unwrap();

    // Portcullis rotates: a new ES256 key signs, the old one stays published.
    let rotated = f.store.at(NOW + 31 * 86_400).await;
    assert_ne!(
        rotated.signing[&Alg::ES256].kid,
        f.keys.signing[&Alg::ES256].kid
    );
    *f.issuer.jwks.write().unwrap() = rotated.jwks_json.to_vec();
    let new_token = sign_access(&rotated, &f.claims()).unwrap();

    // Many requests with the new kid at once: one fetch between them.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (v, t) = (v.clone(), new_token.clone());
        tasks.push(tokio::spawn(async move { v.verify(&t).await }));
    }
    for t in tasks {
        assert!(t.await.unwrap().is_ok());
    }
    assert_eq!(f.issuer.jwks_fetches.load(Ordering::SeqCst), 2);
    v.verify(&old_token).await.unwrap();

    // With the default interval (30 s), made-up kids cannot make it fetch again.
    let limited = f.verifier().await;
    let fetched = f.issuer.jwks_fetches.load(Ordering::SeqCst);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.typ = Some("at+jwt".into());
    for i in 0..5 {
        header.kid = Some(format!("made-up-{i}"));
        let t = jsonwebtoken::encode(&header, &f.claims(), &rotated.signing[&Alg::ES256].encoding)
            .unwrap();
        assert_eq!(limited.verify(&t).await, Err(VerifyError::UnknownKey));
    }
    assert_eq!(f.issuer.jwks_fetches.load(Ordering::SeqCst), fetched);
}

#[tokio::test]
async fn a_missing_scope_is_403_insufficient_scope_naming_it() {
    let f = fixture().await;
    let v = f
        .builder()
        .resource_metadata("https://api.example.edu/.well-known/oauth-protected-resource")
        .build()
        .await
        .unwrap();
    let mut c = f.claims();
    c.scope = "registrations:read".into();
    let headers = bearer(&f.mint(&c));
    let ok = v
        .authorize(&headers, &["registrations:read".into()])
        .await
        .unwrap();
    assert_eq!(ok.client_id, APP);

    let rej = v
        .authorize(&headers, &["registrations:write".into()])
        .await
        .unwrap_err();
    assert_eq!(rej.status(), StatusCode::FORBIDDEN);
    assert_eq!(rej.missing_scopes(), ["registrations:write"]);
    let www = rej.www_authenticate().unwrap();
    assert!(
        www.starts_with("Bearer error=\"insufficient_scope\""),
        "{www}"
    );
    assert!(www.contains("scope=\"registrations:write\""), "{www}");

    // The same from inside a handler.
    let rej = ok.require("registrations:write").unwrap_err();
    assert_eq!(rej.status(), StatusCode::FORBIDDEN);
    assert!(rej.www_authenticate().unwrap().contains(
        "resource_metadata=\"https://api.example.edu/.well-known/oauth-protected-resource\""
    ));
    assert!(ok.require("registrations:read").is_ok());
}

#[tokio::test]
async fn rejections_follow_rfc_6750_and_never_echo_the_token() {
    let f = fixture().await;
    let rm = "https://api.example.edu/.well-known/oauth-protected-resource";
    let v = f.builder().resource_metadata(rm).build().await.unwrap();

    // No token: a bare challenge pointing at the metadata (RFC 6750 §3.1, RFC 9728 §5.1).
    let rej = v.authorize(&HeaderMap::new(), &[]).await.unwrap_err();
    assert_eq!(rej.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        rej.www_authenticate().unwrap(),
        format!("Bearer resource_metadata=\"{rm}\"")
    );
    let mut basic = HeaderMap::new();
    basic.insert(
        "authorization",
        HeaderValue::from_static("Basic Zm9vOmJhcg=="),
    );
    assert_eq!(
        v.authorize(&basic, &[]).await.unwrap_err().error_code(),
        None
    );

    // A bad token: invalid_token, and the token appears nowhere in the answer.
    let mut c = f.claims();
    c.exp = NOW - 3600;
    let expired = f.mint(&c);
    let rej = v.authorize(&bearer(&expired), &[]).await.unwrap_err();
    assert_eq!(rej.status(), StatusCode::UNAUTHORIZED);
    let www = rej.www_authenticate().unwrap();
    assert!(
        www.starts_with(
            "Bearer error=\"invalid_token\", error_description=\"the token has expired\""
        ),
        "{www}"
    );
    assert!(
        www.ends_with(&format!("resource_metadata=\"{rm}\"")),
        "{www}"
    );
    let debug = format!("{rej:?} {rej}");
    assert!(!debug.contains(&expired) && !www.contains(&expired));

    // Malformed headers are 400 invalid_request.
    for value in ["Bearer", "Bearer a b"] {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static(value));
        let rej = v.authorize(&h, &[]).await.unwrap_err();
        assert_eq!(rej.status(), StatusCode::BAD_REQUEST, "{value}");
        assert_eq!(rej.error_code(), Some("invalid_request"));
    }
    // The scheme is case-insensitive.
    let mut h = HeaderMap::new();
    h.insert(
        "authorization",
        HeaderValue::from_str(&format!("bEaReR {}", f.token())).unwrap(),
    );
    assert!(v.authorize(&h, &[]).await.is_ok());
}

async fn whoami(caller: Caller) -> String {
    format!(
        "{} {}",
        caller.client_id,
        caller.user.map(|u| u.into_string()).unwrap_or_default()
    )
}

#[tokio::test]
async fn the_layer_guards_axum_routes_and_hands_handlers_the_caller() {
    let f = fixture().await;
    let v = f.verifier().await;
    let app = Router::new()
        .route("/read", get(whoami).layer(v.require("registrations:read")))
        .route(
            "/admin",
            get(whoami).layer(v.require("registrations:admin")),
        )
        .route("/any", get(whoami).layer(v.authenticate()))
        .route("/forgot-the-layer", get(whoami));
    let call = |path: &str, token: Option<&str>| {
        let mut req = Request::get(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        app.clone().oneshot(req.body(Body::empty()).unwrap())
    };
    let token = f.token();
    let r = call("/read", Some(&token)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = axum::body::to_bytes(r.into_body(), 1024).await.unwrap();
    assert_eq!(&body[..], format!("{APP} {ALICE}").as_bytes());

    assert_eq!(
        call("/any", Some(&token)).await.unwrap().status(),
        StatusCode::OK
    );
    let r = call("/admin", Some(&token)).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = call("/read", None).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = call("/read", Some("not-a-token")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value =
        serde_json::from_slice(&axum::body::to_bytes(r.into_body(), 1024).await.unwrap()).unwrap();
    assert_eq!(body["error"], "invalid_token");
    // A route that extracts a Caller without the layer fails closed.
    let r = call("/forgot-the-layer", Some(&token)).await.unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn with_introspection_a_revoked_token_is_refused_within_the_cache_ttl() {
    let f = fixture().await;
    let offline = f.verifier().await;
    let at_once = f
        .builder()
        .introspection(RS_ID, RS_SECRET)
        .introspection_cache_ttl(Duration::ZERO)
        .build()
        .await
        .unwrap();
    let cached = f
        .builder()
        .introspection(RS_ID, RS_SECRET)
        .introspection_cache_ttl(Duration::from_secs(3600))
        .build()
        .await
        .unwrap();
    let claims = f.claims();
    let token = f.mint(&claims);
    assert!(at_once.verify(&token).await.is_ok());
    assert!(cached.verify(&token).await.is_ok());
    assert!(cached.verify(&token).await.is_ok());
    assert_eq!(
        f.issuer.introspections.load(Ordering::SeqCst),
        2,
        "the second check came from the cache"
    );

    f.issuer.inactive.lock().unwrap().insert(claims.jti.clone());
    assert_eq!(at_once.verify(&token).await, Err(VerifyError::Inactive));
    assert!(
        cached.verify(&token).await.is_ok(),
        "the revocation window is the cache TTL"
    );
    assert!(
        offline.verify(&token).await.is_ok(),
        "offline checks cannot see revocation: the window is the token's lifetime"
    );

    // Signature and audience are still checked first: no introspection for junk.
    let before = f.issuer.introspections.load(Ordering::SeqCst);
    let mut c = f.claims();
    c.aud = "https://elsewhere.example".into();
    assert_eq!(
        at_once.verify(&f.mint(&c)).await,
        Err(VerifyError::WrongAudience)
    );
    assert_eq!(f.issuer.introspections.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn when_introspection_fails_the_request_is_refused_with_503() {
    let f = fixture().await;
    let v = f
        .builder()
        .introspection(RS_ID, RS_SECRET)
        .build()
        .await
        .unwrap();
    f.issuer.introspection_broken.store(true, Ordering::SeqCst);
    let rej = v.authorize(&bearer(&f.token()), &[]).await.unwrap_err();
    assert_eq!(rej.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(rej.www_authenticate().is_none());
    let wrong_secret = f
        .builder()
        .introspection(RS_ID, "wrong")
        .build()
        .await
        .unwrap();
    f.issuer.introspection_broken.store(false, Ordering::SeqCst);
    assert!(matches!(
        wrong_secret.verify(&f.token()).await,
        Err(VerifyError::Unavailable(_))
    ));
}

#[tokio::test]
async fn setup_checks_the_issuer() {
    let f = fixture().await;
    *f.issuer.claims_issuer.lock().unwrap() = "https://impostor.example".into();
    let err = f.builder().build().await.unwrap_err();
    assert!(
        matches!(err, crate::SetupError::IssuerMismatch { .. }),
        "{err}"
    );
    let err = Verifier::builder("http://auth.example.edu", API)
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, crate::SetupError::Insecure(_)), "{err}");
    let err = Verifier::builder("http://127.0.0.1:1", API)
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, crate::SetupError::Discovery { .. }), "{err}");
}

#[tokio::test]
async fn an_old_key_set_is_refreshed_in_the_background_so_withdrawn_keys_stop_working() {
    let f = fixture().await;
    let v = f
        .builder()
        .jwks_max_age(Duration::ZERO)
        .jwks_refresh_interval(Duration::ZERO)
        .build()
        .await
        .unwrap();
    let token = f.token();
    // The operator withdraws every key (say, after a leak).
    *f.issuer.jwks.write().unwrap() = br#"{"keys": []}"#.to_vec();
    assert!(
        v.verify(&token).await.is_ok(),
        "the cached key still answers at once"
    );
    for _ in 0..200 {
        if f.issuer.jwks_fetches.load(Ordering::SeqCst) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(f.issuer.jwks_fetches.load(Ordering::SeqCst), 2);
    // Let the refresher store the new (empty) set.
    for _ in 0..200 {
        if v.verify(&token).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(v.verify(&token).await, Err(VerifyError::UnknownKey));
}
