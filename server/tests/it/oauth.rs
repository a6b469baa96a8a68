//! The protocol endpoints over real HTTP: metadata, JWKS, token (client
//! credentials), introspection, revocation, and their RFC error codes.

use domain::accounts::AdminCtx;
use domain::audit::Actor;
use domain::clients::{self, ApplicationType, NewClient};
use jsonwebtoken::jwk::JwkSet;
use serde_json::Value;

use crate::helpers::{Creds as Service, *};

const API: &str = "https://api.example.edu/registrations";

async fn api_with_scopes(app: &TestApp) {
    let ctx = AdminCtx::operator();
    let r = domain::apis::create_resource(&app.db, &ctx, "Registrations", API, START)
        .await
        .unwrap();
    for s in ["registrations:read", "registrations:write"] {
        domain::apis::add_scope(
            &app.db,
            &ctx,
            &r.id,
            s,
            "Read and update registrations",
            false,
            START,
        )
        .await
        .unwrap();
    }
}

async fn service_client(app: &TestApp, scopes: &[&str]) -> Service {
    let new = NewClient {
        metadata: domain::clients::ClientPatch {
            name: Some("Meeting bot".into()),
            ..Default::default()
        },
        application_type: Some(ApplicationType::Service),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    register(app, new).await
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn token_request(app: &TestApp, svc: &Service, form: &[(&str, &str)]) -> reqwest::Response {
    http()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(&svc.id, Some(&svc.secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn access_token(app: &TestApp, svc: &Service, form: &[(&str, &str)]) -> String {
    let r = token_request(app, svc, form).await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn introspect(app: &TestApp, caller: &Service, token: &str) -> Value {
    let r = http()
        .post(format!("{}/oauth/introspect", app.base))
        .basic_auth(&caller.id, Some(&caller.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn verify_with_jwks(jwks: &JwkSet, token: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(
        header.typ.as_deref(),
        Some("at+jwt"),
        "RFC 9068 access-token type"
    );
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid published in the JWKS");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.validate_aud = false;
    v.validate_exp = false;
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .unwrap()
        .claims
}

#[tokio::test]
async fn metadata_and_jwks_are_published() {
    let app = spawn_app().await;
    let m: Value = http()
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            app.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["issuer"], app.settings.issuer);
    assert_eq!(
        m["token_endpoint"],
        format!("{}/oauth/token", app.settings.issuer)
    );
    assert_eq!(
        m["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let r = http()
        .get(format!("{}/oauth/jwks", app.base))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers().get("set-cookie").is_none(),
        "no portal cookie on key responses"
    );
    let jwks: Value = r.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    let algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    assert!(algs.contains(&"ES256") && algs.contains(&"RS256"), "{jwks}");
    assert!(
        keys.iter().all(|k| k.get("d").is_none()),
        "no private parameters are published"
    );
}

#[tokio::test]
async fn a_service_gets_a_token_for_its_one_api_naming_itself() {
    let app = spawn_app().await;
    api_with_scopes(&app).await;
    let svc = service_client(&app, &["registrations:read"]).await;
    let r = token_request(&app, &svc, &[("grant_type", "client_credentials")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(
        r.headers().get("set-cookie").is_none(),
        "protocol responses set no portal cookies"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["scope"], "registrations:read");

    let jwks: JwkSet = http()
        .get(format!("{}/oauth/jwks", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let claims = verify_with_jwks(&jwks, body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], API, "valid only within the one API");
    assert_eq!(claims["sub"], svc.id);
    assert_eq!(claims["client_id"], svc.id);
    assert_eq!(claims["iss"], app.settings.issuer);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
}

#[tokio::test]
async fn a_new_service_client_has_no_scopes_and_cannot_ask_for_any() {
    let app = spawn_app().await;
    api_with_scopes(&app).await;
    let svc = service_client(&app, &[]).await;
    let body: Value = token_request(&app, &svc, &[("grant_type", "client_credentials")])
        .await
        .json()
        .await
        .unwrap();
    assert!(body.get("scope").is_none(), "{body}");
    let r = token_request(
        &app,
        &svc,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "registrations:read"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_scope");
}

#[tokio::test]
async fn secrets_are_stored_only_as_argon2_hashes() {
    let app = spawn_app().await;
    let svc = service_client(&app, &[]).await;
    use sea_orm::EntityTrait;
    let rows = domain::entities::client_secret::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].secret_hash.starts_with("$argon2id$"));
    assert!(!rows[0].secret_hash.contains(&svc.secret));
    assert!(svc.secret.len() >= 43, "at least 256 bits");
}

#[tokio::test]
async fn client_authentication_failures_are_401_invalid_client_with_a_challenge() {
    let app = spawn_app().await;
    let svc = service_client(&app, &[]).await;
    let wrong = Service {
        id: svc.id.clone(),
        secret: "not-the-secret".into(),
    };
    let unknown = Service {
        id: "no-such-client".into(),
        secret: svc.secret.clone(),
    };
    for who in [&wrong, &unknown] {
        let r = token_request(&app, who, &[("grant_type", "client_credentials")]).await;
        assert_eq!(r.status(), 401);
        assert!(r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic"));
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client");
        assert_eq!(body["error_description"], "client authentication failed");
    }
    // client_secret_post works too; using both methods at once is refused.
    let r = http()
        .post(format!("{}/oauth/token", app.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &svc.id),
            ("client_secret", &svc.secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = token_request(
        &app,
        &svc,
        &[
            ("grant_type", "client_credentials"),
            ("client_secret", &svc.secret),
        ],
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn malformed_token_requests_get_rfc_error_codes() {
    let app = spawn_app().await;
    let svc = service_client(&app, &[]).await;
    let r = http()
        .get(format!("{}/oauth/token", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");

    let r = token_request(&app, &svc, &[]).await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["error_description"],
        "grant_type is missing"
    );
    let r = token_request(&app, &svc, &[("grant_type", "urn:example:magic")]).await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
    let r = token_request(
        &app,
        &svc,
        &[
            ("grant_type", "client_credentials"),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["error_description"],
        "the parameter 'grant_type' is repeated"
    );
    let r = token_request(
        &app,
        &svc,
        &[
            ("grant_type", "client_credentials"),
            ("resource", "https://nowhere.example"),
        ],
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_target");
    let r = http()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(&svc.id, Some(&svc.secret))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn introspection_reports_live_tokens_and_not_revoked_expired_or_orphaned_ones() {
    let app = spawn_app().await;
    api_with_scopes(&app).await;
    let svc = service_client(&app, &["registrations:read"]).await;
    let rs = service_client(&app, &[]).await; // the API's own client, which introspects
    allow_introspection(&app, API, &rs.id).await;

    let token = access_token(&app, &svc, &[("grant_type", "client_credentials")]).await;
    let v = introspect(&app, &rs, &token).await;
    assert_eq!(v["active"], true);
    assert_eq!(v["client_id"], svc.id);
    assert_eq!(v["aud"], API);
    assert_eq!(v["scope"], "registrations:read");
    assert_eq!(
        introspect(&app, &rs, "not.a.jwt").await,
        serde_json::json!({"active": false})
    );

    // Revoked by its client: inactive at once.
    let r = http()
        .post(format!("{}/oauth/revoke", app.base))
        .basic_auth(&svc.id, Some(&svc.secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(introspect(&app, &rs, &token).await["active"], false);
    assert!(app
        .audit_types()
        .await
        .contains(&"token.revoked".to_owned()));

    // Expired.
    let token = access_token(&app, &svc, &[("grant_type", "client_credentials")]).await;
    app.clock.advance(301);
    assert_eq!(introspect(&app, &rs, &token).await["active"], false);

    // Its client deleted: inactive, and the client gets no more tokens.
    let token = access_token(&app, &svc, &[("grant_type", "client_credentials")]).await;
    assert_eq!(introspect(&app, &rs, &token).await["active"], true);
    clients::delete(&app.db, Actor::Operator, &svc.id, app.clock_now())
        .await
        .unwrap();
    assert_eq!(introspect(&app, &rs, &token).await["active"], false);
    let r = token_request(&app, &svc, &[("grant_type", "client_credentials")]).await;
    assert_eq!(
        r.status(),
        401,
        "a cached secret must not outlive its client"
    );
}

#[tokio::test]
async fn only_the_owning_client_can_revoke_and_introspection_needs_credentials() {
    let app = spawn_app().await;
    let a = service_client(&app, &[]).await;
    let b = service_client(&app, &[]).await;
    let token = access_token(&app, &a, &[("grant_type", "client_credentials")]).await;
    let r = http()
        .post(format!("{}/oauth/revoke", app.base))
        .basic_auth(&b.id, Some(&b.secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "RFC 7009: the same answer, so tokens cannot be probed"
    );
    assert_eq!(
        introspect(&app, &a, &token).await["active"],
        true,
        "but nothing was revoked"
    );
    assert_eq!(
        introspect(&app, &b, &token).await,
        serde_json::json!({"active": false}),
        "and another client learns nothing about it"
    );
    let r = http()
        .post(format!("{}/oauth/introspect", app.base))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn signing_keys_are_sealed_at_rest_and_need_the_same_key_encryption_key() {
    let app = spawn_app().await;
    use sea_orm::EntityTrait;
    let keys = domain::entities::signing_key::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(keys.len(), 3, "ES256, RS256 and the encryption key");
    for k in &keys {
        assert!(!k.private_key_sealed.contains("PRIVATE"), "sealed, not PEM");
    }
    let mut other = app.settings.clone();
    other.key_encryption_key =
        domain::platform::secret::SecretString::new("a-different-key-encryption-key-0123456789");
    let err = server::startup::Application::build(other, std::sync::Arc::new(app.clock.clone()))
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("key_encryption_key differs"),
        "{err}"
    );
}

#[tokio::test]
async fn the_password_grant_is_off_by_default_and_lasts_nine_hours_when_allowed() {
    // A low per-IP limit: the app's server is one address for all its users, so the
    // password grant must throttle per account only.
    let app = spawn_app_with(|s| s.throttle.ip_max_failures = 3).await;
    api_with_scopes(&app).await;
    create_user(&app.db, "student", domain::accounts::Role::User).await;
    create_user(&app.db, "teacher", domain::accounts::Role::User).await;
    let mk = |grants: Option<Vec<String>>| NewClient {
        metadata: domain::clients::ClientPatch {
            name: Some("Campus app".into()),
            redirect_uris: Some(vec!["https://app.example.edu/cb".into()]),
            grant_types: grants,
            ..Default::default()
        },
        application_type: Some(ApplicationType::Web),
        scopes: vec!["registrations:write".into()],
        ..Default::default()
    };
    let plain = register(&app, mk(None)).await;
    let form = [
        ("grant_type", "password"),
        ("username", "student"),
        ("password", ADMIN_PASSWORD),
    ];
    let r = token_request(&app, &plain, &form).await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unauthorized_client",
        "off unless allowed"
    );

    let allowed = register(&app, mk(Some(vec!["password".into()]))).await;
    let r = token_request(&app, &allowed, &form).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["expires_in"], 9 * 3600, "seed 004: 9 hours");
    assert!(body.get("refresh_token").is_none());
    let jwks: JwkSet = http()
        .get(format!("{}/oauth/jwks", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let claims = verify_with_jwks(&jwks, body["access_token"].as_str().unwrap());
    let student = domain::accounts::find_by_username(&app.db, "student")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claims["sub"], student.id, "the person");
    assert_eq!(claims["client_id"], allowed.id, "and the application");
    assert_eq!(claims["aud"], API);

    let wrong = [
        ("grant_type", "password"),
        ("username", "student"),
        ("password", "wrong password"),
    ];
    for _ in 0..4 {
        let v: Value = token_request(&app, &allowed, &wrong)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            (v["error"].as_str(), v["error_description"].as_str()),
            (
                Some("invalid_grant"),
                Some("Incorrect username or password.")
            )
        );
    }
    let v: Value = token_request(&app, &allowed, &wrong)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("Too many failed sign-in attempts"),
        "{v}"
    );
}

#[tokio::test]
async fn with_the_hot_row_cache_on_a_deleted_client_stops_getting_tokens_within_the_ttl() {
    // The TTL is the safety net behind the change feed: this test is about the net.
    let app = spawn_app_with(|s| {
        s.cache_ttl_ms = 300;
        s.change_poll_ms = 0;
    })
    .await;
    api_with_scopes(&app).await;
    let svc = service_client(&app, &["registrations:read"]).await;
    for _ in 0..3 {
        let r = token_request(&app, &svc, &[("grant_type", "client_credentials")]).await;
        assert_eq!(
            r.status(),
            200,
            "served from the cache after the first request"
        );
        assert_eq!(
            r.json::<Value>().await.unwrap()["scope"],
            "registrations:read"
        );
    }
    let wrong = Service {
        id: svc.id.clone(),
        secret: "wrong".into(),
    };
    assert_eq!(
        token_request(&app, &wrong, &[("grant_type", "client_credentials")])
            .await
            .status(),
        401,
        "the cache never vouches for a wrong secret"
    );
    // Deleted by another process (here: directly in the database, so this
    // process's cache is not told).
    clients::delete(&app.db, Actor::Operator, &svc.id, START)
        .await
        .unwrap();
    // Within the TTL this process still serves its copy — the documented window,
    // and the proof that the row is cached at all.
    app.clock
        .advance_monotonic(std::time::Duration::from_millis(299));
    let r = token_request(&app, &svc, &[("grant_type", "client_credentials")]).await;
    assert_eq!(r.status(), 200, "the cached row, within the TTL");
    app.clock
        .advance_monotonic(std::time::Duration::from_millis(1));
    let r = token_request(&app, &svc, &[("grant_type", "client_credentials")]).await;
    assert_eq!(r.status(), 401, "the TTL is over: the deletion is seen");
}

#[tokio::test]
async fn with_the_in_memory_revocation_list_a_revocation_is_still_seen_at_once() {
    // Production-like caching: the revocation list is read from memory.
    let app = spawn_app_with(|s| s.cache_ttl_ms = 60_000).await;
    api_with_scopes(&app).await;
    let svc = service_client(&app, &["registrations:read"]).await;
    let rs = service_client(&app, &[]).await;
    allow_introspection(&app, API, &rs.id).await;

    // A revocation already in the database (another process's) is loaded.
    let old = access_token(&app, &svc, &[("grant_type", "client_credentials")]).await;
    let jti = {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(old.split('.').nth(1).unwrap())
            .unwrap();
        serde_json::from_slice::<Value>(&payload).unwrap()["jti"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Another process: its own copy of the list, which this server does not share.
    let elsewhere = domain::oauth::access_tokens::RevocationMirror::new(
        std::time::Duration::ZERO,
        std::sync::Arc::new(app.clock.clone()),
    );
    domain::oauth::access_tokens::revoke(&app.db, &elsewhere, &jti, app.clock_now() + 300)
        .await
        .unwrap();
    let live = access_token(&app, &svc, &[("grant_type", "client_credentials")]).await;
    assert_eq!(introspect(&app, &rs, &live).await["active"], true);
    assert_eq!(introspect(&app, &rs, &old).await["active"], false);

    // A revocation through this server is seen at once, within the copy's lifetime.
    let r = http()
        .post(format!("{}/oauth/revoke", app.base))
        .basic_auth(&svc.id, Some(&svc.secret))
        .form(&[("token", live.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(introspect(&app, &rs, &live).await["active"], false);
}
