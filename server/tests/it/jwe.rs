//! Encrypted ID tokens, userinfo responses and request objects (JWE, RFC 7516;
//! OpenID Connect Core §10.2, Registration §2), checked by an independent
//! library: `jose` (panva's, the JOSE library under openid-client), run by Node
//! from the repository root where npm installed it. Node makes the clients' key
//! pairs, opens what Portcullis encrypted to them and verifies the signed JWT
//! inside against Portcullis's JWKS; and it encrypts request objects to
//! Portcullis's published key.

use serde_json::{json, Value};

use crate::client_keys::{assertion, new_key};
use crate::helpers::*;
use crate::oidc::flow::wall_clock;
use crate::rp::{authorize_as, authorize_path, exchange, notebook, param, CHALLENGE, REDIRECT};

const READ_STDIN: &str = r#"
import * as jose from 'jose';
const input = JSON.parse(await new Promise((ok) => {
  let d = ''; process.stdin.on('data', (c) => d += c); process.stdin.on('end', () => ok(d));
}));
"#;

/// Key pairs by name: `[name, alg, crv]` → `{ public, private }` JWKs (the public
/// one with its `kid` and `"use": "enc"`).
fn key_pairs(specs: Value) -> Value {
    node(
        &format!(
            "{READ_STDIN}
const out = {{}};
for (const [name, alg, crv] of input) {{
  const {{ publicKey, privateKey }} = await jose.generateKeyPair(alg, {{ crv: crv ?? undefined, extractable: true }});
  const pub = await jose.exportJWK(publicKey);
  delete pub.alg;
  out[name] = {{ public: {{ ...pub, kid: name, use: 'enc' }}, private: await jose.exportJWK(privateKey) }};
}}
console.log(JSON.stringify(out));"
        ),
        &specs,
    )
}

/// Opens each `{ jwe, key, alg, enc }` with `key` allowing only that `alg` and
/// `enc`, then verifies the JWT inside with `jwks` for `issuer` and `audience`:
/// `{ header, claims }` each, or `{ error }`.
fn open_all(jwks: &Value, issuer: &str, audience: &str, items: Vec<Value>) -> Vec<Value> {
    let out = node(
        &format!(
            "{READ_STDIN}
const keys = jose.createLocalJWKSet(input.jwks);
const out = [];
for (const it of input.items) {{
  try {{
    const key = await jose.importJWK(it.key, it.alg);
    const {{ plaintext, protectedHeader }} = await jose.compactDecrypt(it.jwe, key, {{
      keyManagementAlgorithms: [it.alg], contentEncryptionAlgorithms: [it.enc] }});
    const {{ payload }} = await jose.jwtVerify(new TextDecoder().decode(plaintext), keys, {{
      issuer: input.issuer, audience: input.audience }});
    out.push({{ header: protectedHeader, claims: payload }});
  }} catch (e) {{ out.push({{ error: String(e) }}); }}
}}
console.log(JSON.stringify(out));"
        ),
        &json!({ "jwks": jwks, "issuer": issuer, "audience": audience, "items": items }),
    );
    out.as_array().unwrap().clone()
}

async fn server_jwks(app: &TestApp) -> Value {
    reqwest::get(format!("{}/oauth/jwks", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Each key management with each content encryption at least once, on both
/// curves, with the enc left to its default once.
const MATRIX: [(&str, &str, Option<&str>); 7] = [
    ("rsa256", "RSA-OAEP-256", None),
    ("rsa1", "RSA-OAEP", Some("A256GCM")),
    ("p256", "ECDH-ES", Some("A128GCM")),
    ("p384", "ECDH-ES", Some("A256CBC-HS512")),
    ("p256", "ECDH-ES+A128KW", Some("A256GCM")),
    ("p384", "ECDH-ES+A256KW", Some("A128CBC-HS256")),
    ("rsa256", "RSA-OAEP-256", Some("A256CBC-HS512")),
];

#[tokio::test]
async fn id_tokens_and_userinfo_encrypted_to_the_clients_key_open_in_an_independent_library() {
    let app = spawn_app().await;
    // The independent library checks `exp` against the real time.
    app.clock.set(wall_clock());
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let pairs = key_pairs(json!([
        ["rsa256", "RSA-OAEP-256", null],
        ["rsa1", "RSA-OAEP", null],
        ["p256", "ECDH-ES", "P-256"],
        ["p384", "ECDH-ES", "P-384"],
    ]));
    let b = app.browser();
    let http = reqwest::Client::new();
    let (mut id_tokens, mut userinfos) = (Vec::new(), Vec::new());
    for (key, alg, enc) in MATRIX {
        let mut new = notebook(&["openid", "profile"]);
        new.metadata.jwks = Some(Some(json!({ "keys": [pairs[key]["public"].clone()] })));
        new.metadata.encryption = domain::clients::EncryptionPatch {
            id_token_encrypted_response_alg: Some(Some(alg.into())),
            id_token_encrypted_response_enc: Some(enc.map(str::to_owned)),
            userinfo_encrypted_response_alg: Some(Some(alg.into())),
            userinfo_encrypted_response_enc: Some(enc.map(str::to_owned)),
            ..Default::default()
        };
        let rp = register(&app, new).await;
        let loc = authorize_as(
            &b,
            "alice",
            &authorize_path(&rp, "openid profile", "&nonce=n-9"),
        )
        .await;
        let tokens = exchange(&app, &rp, &param(&loc, "code").unwrap()).await;
        let id_token = tokens["id_token"].as_str().unwrap();
        assert_eq!(id_token.split('.').count(), 5, "a compact JWE: {id_token}");
        let enc = enc.unwrap_or("A128CBC-HS256");
        let item =
            |jwe: &str| json!({ "jwe": jwe, "key": pairs[key]["private"], "alg": alg, "enc": enc });
        id_tokens.push((rp.id.clone(), item(id_token)));

        let r = http
            .get(format!("{}/oauth/userinfo", app.base))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/jwt");
        userinfos.push((rp.id.clone(), item(&r.text().await.unwrap())));
    }
    let jwks = server_jwks(&app).await;
    for (what, list) in [("ID token", id_tokens), ("userinfo", userinfos)] {
        for (i, (client, item)) in list.into_iter().enumerate() {
            let opened = open_all(&jwks, &app.settings.issuer, &client, vec![item]);
            let o = &opened[0];
            assert!(o.get("error").is_none(), "{what} {:?}: {o}", MATRIX[i]);
            assert_eq!(o["header"]["cty"], "JWT", "a nested JWT");
            assert_eq!(
                o["header"]["kid"], MATRIX[i].0,
                "encrypted to the client's key"
            );
            assert_eq!(o["claims"]["preferred_username"], "alice", "{what}: {o}");
            if what == "ID token" {
                assert_eq!(o["claims"]["nonce"], "n-9");
            }
        }
    }
}

/// A token encrypted to one client's key does not open with another's: the
/// independent library refuses it (the check above is not vacuous).
#[tokio::test]
async fn what_is_encrypted_to_one_key_does_not_open_with_another() {
    let app = spawn_app().await;
    app.clock.set(wall_clock());
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let pairs = key_pairs(json!([
        ["mine", "ECDH-ES", "P-256"],
        ["theirs", "ECDH-ES", "P-256"]
    ]));
    let mut new = notebook(&["openid"]);
    new.metadata.jwks = Some(Some(json!({ "keys": [pairs["mine"]["public"].clone()] })));
    new.metadata.encryption.id_token_encrypted_response_alg = Some(Some("ECDH-ES".into()));
    let rp = register(&app, new).await;
    let loc = authorize_as(&app.browser(), "alice", &authorize_path(&rp, "openid", "")).await;
    let tokens = exchange(&app, &rp, &param(&loc, "code").unwrap()).await;
    let item = |key: &str| json!({ "jwe": tokens["id_token"], "key": pairs[key]["private"], "alg": "ECDH-ES", "enc": "A128CBC-HS256" });
    let opened = open_all(
        &server_jwks(&app).await,
        &app.settings.issuer,
        &rp.id,
        vec![item("mine"), item("theirs")],
    );
    assert!(opened[0].get("error").is_none(), "{}", opened[0]);
    assert!(opened[1]["error"].as_str().is_some(), "{}", opened[1]);
}

/// A client whose key cannot be used (its jwks_uri now serves only a signing
/// key) gets a clear 400 at the token endpoint, and keeps its code for when the
/// key is back: nothing was spent.
#[tokio::test]
async fn an_unusable_client_key_is_a_clear_error_and_spends_nothing() {
    let app = spawn_app_with(|s| s.outbound.allow_private_addresses = true).await;
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let pairs = key_pairs(json!([["k", "RSA-OAEP-256", null]]));
    let signing = new_key("sig");
    let listener = crate::client_keys::jwks_listener(vec![signing.jwk.clone()]).await;
    let mut new = notebook(&["openid"]);
    new.metadata.jwks_uri = Some(Some(listener.url.clone()));
    new.metadata.encryption.id_token_encrypted_response_alg = Some(Some("RSA-OAEP-256".into()));
    let rp = register(&app, new).await;
    let loc = authorize_as(&app.browser(), "alice", &authorize_path(&rp, "openid", "")).await;
    let code = param(&loc, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", crate::rp::VERIFIER),
    ];
    let (status, body) = crate::rp::token(&app, &rp, &form).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("encrypted"),
        "{body}"
    );
    // The client publishes its encryption key; the same code now works (after
    // the ten seconds the server waits before fetching a set again).
    listener.set(vec![signing.jwk.clone(), pairs["k"]["public"].clone()]);
    app.clock.advance(11);
    let (status, body) = crate::rp::token(&app, &rp, &form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id_token"].as_str().unwrap().split('.').count(), 5);
}

/// Registration §2 `request_object_encryption_alg`/`_enc`: a client that
/// registered them must encrypt its request objects so; what an independent
/// library encrypts to the server's key (here with the default enc,
/// A128CBC-HS256) opens.
#[tokio::test]
async fn a_client_that_registered_request_object_encryption_must_encrypt() {
    let app = spawn_app_with(|s| s.outbound.allow_private_addresses = true).await;
    app.clock.set(wall_clock());
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let key = new_key("rk1");
    let mut new = notebook(&["openid"]);
    new.metadata.jwks = Some(Some(json!({ "keys": [key.jwk.clone()] })));
    new.metadata.encryption.request_object_encryption_alg = Some(Some("RSA-OAEP-256".into()));
    let rp = register(&app, new).await;
    let object = |jti: &str| {
        let now = wall_clock();
        assertion(
            &key,
            json!({
                "iss": rp.id, "aud": app.settings.issuer, "client_id": rp.id,
                "exp": now + 300, "iat": now, "jti": jti,
                "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid",
                "state": "s", "code_challenge": CHALLENGE, "code_challenge_method": "S256",
            }),
        )
    };
    let jwks = server_jwks(&app).await;
    let encrypt = |signed: String, enc: &str| {
        node(
            &format!(
                "{READ_STDIN}
const jwk = input.jwks.keys.find((k) => k.use === 'enc');
const key = await jose.importJWK(jwk, 'RSA-OAEP-256');
const jwe = await new jose.CompactEncrypt(new TextEncoder().encode(input.signed))
  .setProtectedHeader({{ alg: 'RSA-OAEP-256', enc: input.enc, kid: jwk.kid, cty: 'JWT' }})
  .encrypt(key);
console.log(JSON.stringify(jwe));"
            ),
            &json!({ "jwks": jwks, "signed": signed, "enc": enc }),
        )
        .as_str()
        .unwrap()
        .to_owned()
    };
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let start = |request: &str| format!("/oauth/authorize?client_id={}&request={request}", rp.id);
    let refused = Some("/oauth/error?reason=invalid_request_object".to_owned());
    // Plain, or encrypted with another enc than registered: refused.
    assert_eq!(b.get(&start(&object("r-1"))).await.location(), refused);
    let other_enc = encrypt(object("r-2"), "A256GCM");
    assert_eq!(b.get(&start(&other_enc)).await.location(), refused);
    assert_eq!(app.count("pushed_requests").await, 0, "nothing kept");
    // As registered (the default enc): accepted, on to sign-in and consent.
    let sealed = encrypt(object("r-3"), "A128CBC-HS256");
    let loc = b.get(&start(&sealed)).await.location().unwrap();
    assert!(loc.starts_with("/oauth/authorize?"), "{loc}");
}
