//! Signed request objects (JAR, RFC 9101, issue 18): an authorization request as a
//! JWT signed with the client's key (an ES256 key at a JWKS listener on port 0),
//! through the browser and pushed. Only the object's parameters count.

use serde_json::{json, Value};

use crate::client_keys::{assertion, jwks_listener, new_key, Key};
use crate::helpers::*;
use crate::oidc::flow::wall_clock;
use crate::rp::{exchange, notebook, param, CHALLENGE, REDIRECT};

pub(crate) const STATE: &str = "st-a +/=?&%~.:#";

async fn setup() -> (TestApp, Creds, Key) {
    let app = spawn_app_with(|s| s.outbound.allow_private_addresses = true).await;
    app.clock.set(wall_clock());
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let key = new_key("rk1");
    let jwks = jwks_listener(vec![key.jwk.clone()]).await;
    let mut new = notebook(&["openid", "profile"]);
    new.metadata.jwks_uri = Some(Some(jwks.url.clone()));
    let rp = register(&app, new).await;
    (app, rp, key)
}

pub(crate) fn object(app: &TestApp, rp: &Creds, jti: &str) -> Value {
    let now = wall_clock();
    json!({
        "iss": rp.id, "aud": app.settings.issuer, "client_id": rp.id,
        "exp": now + 300, "iat": now, "jti": jti,
        "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid profile",
        "state": STATE, "nonce": "n-1", "code_challenge": CHALLENGE, "code_challenge_method": "S256",
    })
}

/// Follows the authorization endpoint to the consent page and allows; where the
/// browser was sent.
pub(crate) async fn allow(b: &Browser, mut loc: String) -> String {
    while loc.starts_with("/oauth/authorize?") {
        loc = b.get(&loc).await.location().unwrap();
    }
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");
    let page = b.get_html(&loc).await.body;
    assert!(
        page.contains("See your name and username"),
        "the object's scopes: {page}"
    );
    let mut fields: Vec<(String, String)> = url::Url::parse(&format!("http://x{loc}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    fields.push(("decision".into(), "allow".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post("/oauth/consent", &refs).await.location().unwrap()
}

#[tokio::test]
async fn a_signed_request_through_the_browser_counts_alone_and_once() {
    let (app, rp, key) = setup().await;
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let signed = assertion(&key, object(&app, &rp, "r-1"));
    // What the browser carries beside the object does not count (§5).
    let start = format!(
        "/oauth/authorize?client_id={}&request={signed}&scope=openid&redirect_uri={}",
        rp.id,
        enc("http://127.0.0.1:9/evil")
    );
    let back = allow(&b, start.clone()).await;
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some(STATE));
    let tokens = exchange(&app, &rp, &param(&back, "code").unwrap()).await;
    assert_eq!(tokens["scope"], json!("openid profile"));
    // Its jti was used.
    let again = b.get(&start).await;
    assert_eq!(
        again.location().as_deref(),
        Some("/oauth/error?reason=invalid_request_object")
    );
}

#[tokio::test]
async fn request_objects_that_break_a_rule_are_refused_and_nothing_is_kept() {
    let (app, rp, key) = setup().await;
    let other_key = Key {
        kid: "rk1".into(),
        ..new_key("rk1")
    };
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let now = wall_clock();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut o = object(&app, &rp, &domain::platform::secret::random_token()[..8]);
        f(&mut o);
        o
    };
    use base64::Engine;
    let b64 = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&object(&app, &rp, "none-1"))
    );
    let cases: Vec<(&str, String)> = vec![
        ("unsigned", unsigned),
        (
            "another audience",
            assertion(
                &key,
                with(&|o| o["aud"] = json!("https://elsewhere.example")),
            ),
        ),
        (
            "another client's id inside",
            assertion(&key, with(&|o| o["client_id"] = json!("someone"))),
        ),
        (
            "expired",
            assertion(&key, with(&|o| o["exp"] = json!(now - 120))),
        ),
        (
            "valid for two hours",
            assertion(&key, with(&|o| o["exp"] = json!(now + 7200))),
        ),
        (
            "signed by another key",
            assertion(&other_key, with(&|_| {})),
        ),
    ];
    for (why, signed) in cases {
        let r = b
            .get(&format!(
                "/oauth/authorize?client_id={}&request={signed}",
                rp.id
            ))
            .await;
        assert_eq!(
            r.location().as_deref(),
            Some("/oauth/error?reason=invalid_request_object"),
            "{why}"
        );
    }
    assert_eq!(
        app.count("pushed_requests").await,
        0,
        "nothing refused was kept"
    );
    let page = b
        .get_html("/oauth/error?reason=invalid_request_object")
        .await;
    assert_eq!(page.status, 400);
}

#[tokio::test]
async fn a_pushed_request_object_is_the_request() {
    let (app, rp, key) = setup().await;
    let push = |form: Vec<(&'static str, String)>| {
        let app_base = app.base.clone();
        let rp = rp.clone();
        async move {
            let r = reqwest::Client::new()
                .post(format!("{app_base}/oauth/par"))
                .basic_auth(&rp.id, Some(&rp.secret))
                .form(&form)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let mut bad = object(&app, &rp, "p-0");
    bad["aud"] = json!("https://elsewhere.example");
    let (s, v) = push(vec![("request", assertion(&key, bad))]).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("invalid_request_object")),
        "{v}"
    );

    let (s, v) = push(vec![
        ("request", assertion(&key, object(&app, &rp, "p-1"))),
        ("scope", "openid".into()),
    ])
    .await;
    assert_eq!(s, 201, "{v}");
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let back = allow(
        &b,
        format!(
            "/oauth/authorize?client_id={}&request_uri={}",
            rp.id,
            enc(v["request_uri"].as_str().unwrap())
        ),
    )
    .await;
    assert_eq!(param(&back, "state").as_deref(), Some(STATE));
    let tokens = exchange(&app, &rp, &param(&back, "code").unwrap()).await;
    assert_eq!(tokens["scope"], json!("openid profile"));
}

/// `signed` encrypted to the server's published encryption key (RFC 7516 compact,
/// RSA-OAEP-256 + A128GCM), made here with `rsa` and `aes-gcm`.
async fn seal(app: &TestApp, signed: &str, kid_override: Option<&str>) -> String {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use rand::RngCore;
    let jwks: Value = reqwest::get(format!("{}/oauth/jwks", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let enc_key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["use"] == "enc")
        .expect("an encryption key in the JWKS")
        .clone();
    let b = |k: &str| {
        rsa::BigUint::from_bytes_be(
            &URL_SAFE_NO_PAD
                .decode(enc_key[k].as_str().unwrap())
                .unwrap(),
        )
    };
    let public = rsa::RsaPublicKey::new(b("n"), b("e")).unwrap();
    let kid = kid_override.unwrap_or(enc_key["kid"].as_str().unwrap());
    let head = URL_SAFE_NO_PAD.encode(
        json!({ "alg": "RSA-OAEP-256", "enc": "A128GCM", "kid": kid, "cty": "JWT" }).to_string(),
    );
    let mut cek = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut cek);
    let mut iv = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut iv);
    let ek = public
        .encrypt(
            &mut rand::rngs::OsRng,
            rsa::Oaep::new::<sha2::Sha256>(),
            &cek,
        )
        .unwrap();
    let out = aes_gcm::Aes128Gcm::new_from_slice(&cek)
        .unwrap()
        .encrypt(
            aes_gcm::Nonce::from_slice(&iv),
            Payload {
                msg: signed.as_bytes(),
                aad: head.as_bytes(),
            },
        )
        .unwrap();
    let (ct, tag) = out.split_at(out.len() - 16);
    let e = |x: &[u8]| URL_SAFE_NO_PAD.encode(x);
    format!("{head}.{}.{}.{}.{}", e(&ek), e(&iv), e(ct), e(tag))
}

#[tokio::test]
async fn an_encrypted_request_object_opens_with_the_servers_key_and_must_be_signed_inside() {
    let (app, rp, key) = setup().await;
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let refused = Some("/oauth/error?reason=invalid_request_object".to_owned());
    let start = |object: &str| format!("/oauth/authorize?client_id={}&request={object}", rp.id);

    // Encrypted to a key the server does not have, or holding an unsigned object.
    let signed = assertion(&key, object(&app, &rp, "e-0"));
    let foreign = seal(&app, &signed, Some("not-our-key")).await;
    assert_eq!(b.get(&start(&foreign)).await.location(), refused);
    let unsigned = format!(
        "{}.{}.",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            r#"{"alg":"none"}"#
        ),
        signed.split('.').nth(1).unwrap()
    );
    let sealed_unsigned = seal(&app, &unsigned, None).await;
    assert_eq!(b.get(&start(&sealed_unsigned)).await.location(), refused);
    assert_eq!(app.count("pushed_requests").await, 0, "nothing kept");

    let sealed = seal(&app, &assertion(&key, object(&app, &rp, "e-1")), None).await;
    let back = allow(&b, start(&sealed)).await;
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some(STATE));
    let tokens = exchange(&app, &rp, &param(&back, "code").unwrap()).await;
    assert_eq!(tokens["scope"], json!("openid profile"));
}

/// OIDC Registration §2 `request_object_signing_alg` (issue 17): a client that
/// pinned an algorithm has request objects signed with any other refused.
#[tokio::test]
async fn a_pinned_request_object_algorithm_is_enforced() {
    let (app, rp, key) = setup().await;
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let admin = Api::admin(&app).await;
    let start = |jti: &str| {
        format!(
            "/oauth/authorize?client_id={}&request={}",
            rp.id,
            assertion(&key, object(&app, &rp, jti))
        )
    };
    let pin = |alg: &'static str| {
        let admin = &admin;
        let path = format!("/api/v1/clients/{}", rp.id);
        async move {
            let r = admin
                .put(&path, json!({ "request_object_signing_alg": alg }))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
    };
    pin("RS256").await;
    let refused = b.get(&start("p-1")).await.location().unwrap();
    assert!(
        refused.contains("invalid_request_object"),
        "an ES256 object for an RS256 client: {refused}"
    );
    pin("ES256").await;
    let back = allow(&b, b.get(&start("p-2")).await.location().unwrap()).await;
    assert!(back.starts_with(REDIRECT), "{back}");
}
