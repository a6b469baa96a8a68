//! What tokens carry and who gets them: userinfo, the third-party switch, fresh
//! sign-in demands, ID-token algorithms, e-mail domains, refresh introspection.

use domain::clients::NewClient;
use serde_json::{json, Value};

use super::flow::{authorize_as_alice, authorize_path, code_for, setup, web_client};
use crate::helpers::{Creds as Rp, *};
use crate::rp::{exchange, notebook, param, s, token as raw_token, REDIRECT, VERIFIER};

#[tokio::test]
async fn userinfo_answers_get_and_post_and_a_signed_jwt_when_registered() {
    let (app, rp) = setup().await;
    let b = app.browser();
    let code = code_for(&app, &b, &rp).await;
    let (_, t) = raw_token(
        &app,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    let at = t["access_token"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let get: Value = http
        .get(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let post: Value = http
        .post(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(get, post);
    assert_eq!(get["preferred_username"], "alice");
    assert!(
        get.get("email").is_none(),
        "no email claim without the email scope"
    );

    // The same client, now registered for signed userinfo.
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let m = domain::entities::client::Entity::find_by_id(rp.id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut am: domain::entities::client::ActiveModel = m.into();
    am.userinfo_signed_response_alg = Set(Some("ES256".into()));
    am.update(&app.db).await.unwrap();
    let r = http
        .get(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/jwt");
    let jwt = r.text().await.unwrap();
    let claims: Value = peek(&jwt);
    assert_eq!(claims["aud"], rp.id);
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(
        jsonwebtoken::decode_header(&jwt).unwrap().alg,
        jsonwebtoken::Algorithm::ES256
    );
}

#[tokio::test]
async fn the_third_party_switch_stops_third_party_apps_and_spares_first_party_ones() {
    let (app, rp) = setup().await;
    let first = register(
        &app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Portal itself".into()),
                ..notebook(&[]).metadata
            },
            first_party: true,
            ..notebook(&["openid", "profile"])
        },
    )
    .await;
    let b = app.browser();
    let code = code_for(&app, &b, &rp).await; // consent given while allowed

    let ctx = domain::accounts::AdminCtx::operator();
    domain::settings::set_bool(
        &app.db,
        &ctx,
        domain::settings::THIRD_PARTY_OAUTH,
        false,
        app.clock_now(),
    )
    .await
    .unwrap();
    assert_eq!(
        b.get(&authorize_path(&rp, "")).await.location().unwrap(),
        "/oauth/error?reason=third_party_disabled"
    );
    let page = b
        .get_html("/oauth/error?reason=third_party_disabled")
        .await
        .body;
    assert!(
        page.contains("An administrator has turned this off"),
        "{page}"
    );
    let (status, v) = raw_token(
        &app,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    // First-party apps carry on.
    assert!(b
        .get(&authorize_path(&first, ""))
        .await
        .location()
        .unwrap()
        .starts_with("/oauth/consent?"));

    domain::settings::set_bool(
        &app.db,
        &ctx,
        domain::settings::THIRD_PARTY_OAUTH,
        true,
        app.clock_now(),
    )
    .await
    .unwrap();
    let back = authorize_as_alice(&app, &b, &authorize_path(&rp, "")).await;
    assert!(
        param(&back, "code").is_some(),
        "turning it back on restores access: {back}"
    );
    assert!(app
        .audit_types()
        .await
        .contains(&"settings.changed".to_owned()));
}

#[tokio::test]
async fn prompt_login_and_max_age_ask_for_a_fresh_sign_in() {
    let (app, rp) = setup().await;
    let b = app.browser();
    code_for(&app, &b, &rp).await;
    // prompt=login: sign in again, even just after signing in (OIDC Core §3.1.2.1)...
    let loc = b
        .get(&authorize_path(&rp, "&prompt=login"))
        .await
        .location()
        .unwrap();
    assert!(loc.starts_with("/login?return_to="), "{loc}");
    // ...then back to the same request without the demand the sign-in has met, so
    // the browser does not loop back to sign-in.
    let back = param(&loc, "return_to").unwrap();
    assert_eq!(back, authorize_path(&rp, ""));
    assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status < 400);
    assert!(b.get(&back).await.location().unwrap().starts_with(REDIRECT));
    // Other values of prompt stay.
    let loc = b
        .get(&authorize_path(&rp, "&prompt=login%20consent"))
        .await
        .location()
        .unwrap();
    assert_eq!(
        param(&loc, "return_to").unwrap(),
        authorize_path(&rp, "&prompt=consent")
    );

    app.clock.advance(600);
    let loc = b
        .get(&authorize_path(&rp, "&max_age=300"))
        .await
        .location()
        .unwrap();
    assert!(loc.starts_with("/login?return_to="), "{loc}");
    assert_eq!(param(&loc, "return_to").unwrap(), authorize_path(&rp, ""));
    assert!(b
        .get(&authorize_path(&rp, "&max_age=3600"))
        .await
        .location()
        .unwrap()
        .starts_with(REDIRECT));
    let none = b
        .get(&authorize_path(&rp, "&max_age=300&prompt=none"))
        .await
        .location()
        .unwrap();
    assert_eq!(param(&none, "error").as_deref(), Some("login_required"));
    let bad = b
        .get(&authorize_path(&rp, "&max_age=soon"))
        .await
        .location()
        .unwrap();
    assert_eq!(param(&bad, "error").as_deref(), Some("invalid_request"));
}

/// Issue 17: a client's registered `default_max_age` (OIDC Registration §2) asks
/// for a fresh sign-in like a request's `max_age`, which overrides it; it is
/// bounded, editable through the REST API, and cleared with null. A secret is
/// never set through an edit.
#[tokio::test]
async fn a_clients_default_max_age_asks_for_a_fresh_sign_in_unless_the_request_overrides_it() {
    let (app, rp) = setup().await;
    let admin = Api::admin(&app).await;
    let path = format!("/api/v1/clients/{}", rp.id);
    for bad in [
        json!(0),
        json!(59),
        json!(31_536_001),
        json!(-5),
        json!("soon"),
    ] {
        let r = admin.put(&path, json!({ "default_max_age": bad })).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert!(r.body.contains("default_max_age"), "{}", r.body);
    }
    let r = admin
        .put(&path, json!({ "client_secret": "chosen-by-me" }))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["field"], "client_secret", "{}", r.body);
    let r = admin
        .put(
            &path,
            json!({ "default_max_age": 300, "require_auth_time": true }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = admin.get(&path).await.json();
    assert_eq!(v["default_max_age"], 300);
    assert_eq!(v["require_auth_time"], true);

    let b = app.browser();
    let code = code_for(&app, &b, &rp).await;
    let tokens = exchange(&app, &rp, &code).await;
    assert!(
        peek(s(&tokens, "id_token"))["auth_time"].is_i64(),
        "require_auth_time: the ID token says when"
    );
    app.clock.advance(200);
    let loc = b.get(&authorize_path(&rp, "")).await.location().unwrap();
    assert!(loc.starts_with(REDIRECT), "within the default: {loc}");
    app.clock.advance(200);
    let loc = b.get(&authorize_path(&rp, "")).await.location().unwrap();
    assert!(
        loc.starts_with("/login?return_to="),
        "past the default: {loc}"
    );
    let none = b
        .get(&authorize_path(&rp, "&prompt=none"))
        .await
        .location()
        .unwrap();
    assert_eq!(param(&none, "error").as_deref(), Some("login_required"));
    let overridden = b
        .get(&authorize_path(&rp, "&max_age=3600"))
        .await
        .location()
        .unwrap();
    assert!(
        overridden.starts_with(REDIRECT),
        "the request's max_age wins: {overridden}"
    );
    // Signing in again meets it.
    assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status < 400);
    let loc = b.get(&authorize_path(&rp, "")).await.location().unwrap();
    assert!(loc.starts_with(REDIRECT), "{loc}");

    let admin = Api::admin(&app).await; // the first token's lifetime has passed
    let r = admin.put(&path, json!({ "default_max_age": null })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        admin.get(&path).await.json()["default_max_age"],
        Value::Null
    );
    // Past the old default (the session itself is still fresh enough).
    app.clock.advance(400);
    let loc = b.get(&authorize_path(&rp, "")).await.location().unwrap();
    assert!(loc.starts_with(REDIRECT), "no limit any more: {loc}");
}

/// Seed 001 / issue 17: a person's portal role travels in the claim the operator
/// names (`role_claim`), released by the scope the operator names (`role_scope`,
/// approval-gated when Portcullis creates it): in the ID token and at userinfo,
/// only when granted; discovery lists both.
#[tokio::test]
async fn the_role_scope_releases_the_persons_role_in_the_claim_the_operator_names() {
    let app = spawn_app_with(|s| {
        s.role_scope = "org:role".into();
        s.role_claim = "app_role".into();
    })
    .await;
    app.clock.set(super::flow::wall_clock());
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let scope = domain::apis::find_scope(&app.db, "org:role")
        .await
        .unwrap()
        .expect("created at start-up");
    assert!(scope.requires_approval && scope.audience.is_none());
    let discovery: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(discovery["scopes_supported"]
        .to_string()
        .contains("\"org:role\""));
    assert!(discovery["claims_supported"]
        .to_string()
        .contains("\"app_role\""));

    let with_role = web_client(&app, &["openid", "profile", "org:role"]).await;
    let without = web_client(&app, &["openid", "profile"]).await;
    let b = app.browser();
    let ask = |rp: &Rp| {
        authorize_path(rp, "").replace("openid%20profile", "openid%20profile%20org%3Arole")
    };
    let back = authorize_as_alice(&app, &b, &ask(&with_role)).await;
    let tokens = exchange(&app, &with_role, &param(&back, "code").expect("a code")).await;
    assert_eq!(peek(s(&tokens, "id_token"))["app_role"], "user");
    let info: Value = reqwest::Client::new()
        .get(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(s(&tokens, "access_token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["app_role"], "user");

    // Not asked for: not released.
    let back = authorize_as_alice(&app, &b, &authorize_path(&with_role, "")).await;
    let tokens = exchange(&app, &with_role, &param(&back, "code").unwrap()).await;
    assert!(peek(s(&tokens, "id_token")).get("app_role").is_none());
    // A client that does not hold the scope cannot ask for it.
    let back = b.get(&ask(&without)).await.location().unwrap();
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("invalid_scope"),
        "{back}"
    );
}

#[tokio::test]
async fn id_tokens_are_rs256_by_default_and_es256_when_the_client_asks() {
    let (app, rp) = setup().await;
    let b = app.browser();
    let code = code_for(&app, &b, &rp).await;
    let (_, t) = raw_token(
        &app,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    let id = t["id_token"].as_str().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(id).unwrap().alg,
        jsonwebtoken::Algorithm::RS256
    );
    assert_eq!(peek(id)["aud"], rp.id);

    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let m = domain::entities::client::Entity::find_by_id(rp.id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut am: domain::entities::client::ActiveModel = m.into();
    am.id_token_signed_response_alg = Set("ES256".into());
    am.update(&app.db).await.unwrap();
    let code = code_for(&app, &b, &rp).await;
    let (_, t) = raw_token(
        &app,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(
        jsonwebtoken::decode_header(t["id_token"].as_str().unwrap())
            .unwrap()
            .alg,
        jsonwebtoken::Algorithm::ES256
    );
}

#[tokio::test]
async fn a_client_limited_to_some_email_domains_gets_no_code_for_other_accounts() {
    let (app, _) = setup().await;
    let only_org = register(
        &app,
        NewClient {
            allowed_email_domains: vec!["Example.ORG".into()],
            ..notebook(&["openid", "profile"])
        },
    )
    .await;
    let b = app.browser();
    let back = authorize_as_alice(&app, &b, &authorize_path(&only_org, "")).await; // alice@example.edu
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("access_denied"),
        "{back}"
    );
    assert!(param(&back, "code").is_none());

    let edu = register(
        &app,
        NewClient {
            allowed_email_domains: vec!["example.edu".into()],
            ..notebook(&["openid", "profile"])
        },
    )
    .await;
    let back = authorize_as_alice(&app, &b, &authorize_path(&edu, "")).await;
    assert!(param(&back, "code").is_some(), "{back}");
}

#[tokio::test]
async fn a_client_can_introspect_its_own_refresh_token_until_it_is_rotated() {
    let (app, rp) = setup().await;
    let other = web_client(&app, &["openid"]).await;
    let b = app.browser();
    let code = code_for(&app, &b, &rp).await;
    let (_, t) = raw_token(
        &app,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    let refresh = t["refresh_token"].as_str().unwrap().to_owned();
    let introspect = |who: &Rp, token: String| {
        let (id, secret, base) = (who.id.clone(), who.secret.clone(), app.base.clone());
        async move {
            reqwest::Client::new()
                .post(format!("{base}/oauth/introspect"))
                .basic_auth(id, Some(secret))
                .form(&[("token", token.as_str())])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let v = introspect(&rp, refresh.clone()).await;
    assert_eq!(
        (v["active"].as_bool(), v["token_type"].as_str()),
        (Some(true), Some("refresh_token")),
        "{v}"
    );
    assert_eq!(v["scope"], "openid profile");
    assert_eq!(
        introspect(&other, refresh.clone()).await["active"],
        false,
        "not another client's business"
    );
    raw_token(
        &app,
        &rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(introspect(&rp, refresh).await["active"], false, "rotated");
}
