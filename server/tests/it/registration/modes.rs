//! The modes: off (the default) refuses, open registers, token needs a live
//! initial access token whose last use is spent once under concurrency.

use domain::settings::RegistrationMode;
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::*;

#[tokio::test]
async fn off_by_default_advertised_and_refused_storing_nothing() {
    let app = spawn_app().await;
    let meta: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["registration_endpoint"],
        format!("{}/oauth/register", app.base)
    );
    let before = app.count("clients").await;
    let r = register_with(&app, None, &web_metadata("Off")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.json()["error"], "access_denied");
    assert_eq!(app.count("clients").await, before);
    assert_eq!(app.count("dynamic_registrations").await, 0);
}

#[tokio::test]
async fn open_registers_a_confidential_client_shown_once() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let r = register_with(&app, None, &web_metadata("Open RP")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.headers.get("cache-control").unwrap().to_str().unwrap(),
        "no-store"
    );
    let v = r.json();
    let id = s(&v, "client_id");
    // RFC 7591 §2: absent fields are left out, never null.
    let nulls: Vec<&String> = v
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, x)| x.is_null())
        .map(|(k, _)| k)
        .collect();
    assert!(nulls.is_empty(), "null fields: {nulls:?}");
    assert_eq!(v["client_name"], "Open RP");
    assert_eq!(v["redirect_uris"], json!([crate::rp::REDIRECT]));
    assert_eq!(v["token_endpoint_auth_method"], "client_secret_basic");
    assert!(s(&v, "client_secret").len() >= 43);
    assert!(s(&v, "registration_access_token").len() >= 43);
    assert_eq!(v["client_secret_expires_at"], 0);
    assert_eq!(v["client_id_issued_at"], app.clock_now());
    assert_eq!(
        s(&v, "registration_client_uri"),
        format!("{}/oauth/register/{id}", app.base)
    );
    assert_eq!(v["admitted"], false);
    assert!(v.get("some_extension_we_do_not_know").is_none());
    // Stored hashed: neither the secret nor the registration access token appears
    // in the database.
    let rat = s(&v, "registration_access_token");
    let stored: Vec<String> = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT token_hash FROM dynamic_registrations".to_owned(),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "token_hash").unwrap())
        .collect();
    assert_eq!(stored, vec![domain::platform::secret::token_hash(rat)]);
    let origin = domain::clients::dynamic::origin(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(origin.via, "open");
    assert_eq!(origin.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        origin.software_id.as_deref(),
        Some("4NRB1-0XZABZI9E6-5SM3R")
    );
    assert!(app
        .audit_types()
        .await
        .contains(&"client.registered_dynamically".to_owned()));
}

#[tokio::test]
async fn token_mode_needs_a_live_initial_access_token() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Token).await;
    let body = web_metadata("Token RP");
    let refused = |r: Reply| {
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(r.json()["error"], "invalid_token");
        assert!(r
            .headers
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
    };
    refused(register_with(&app, None, &body).await);
    refused(register_with(&app, Some("not-a-token"), &body).await);

    let (_, expiring) = mint(&app, 5, 60).await;
    let (used_up_id, used_up) = mint(&app, 1, 3600).await;
    let (revoked_id, revoked) = mint(&app, 5, 3600).await;
    let r = register_with(&app, Some(&used_up), &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    refused(register_with(&app, Some(&used_up), &body).await);
    domain::clients::initial_tokens::revoke(
        &app.db,
        &domain::accounts::AdminCtx::operator(),
        &revoked_id,
        app.clock_now(),
    )
    .await
    .unwrap();
    refused(register_with(&app, Some(&revoked), &body).await);
    app.clock.advance(61);
    refused(register_with(&app, Some(&expiring), &body).await);
    assert_eq!(app.count("dynamic_registrations").await, 1);
    let origin = domain::clients::dynamic::origin(&app.db, s(&r.json(), "client_id"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(origin.via, "token");
    assert_eq!(
        origin.initial_token_id.as_deref(),
        Some(used_up_id.as_str())
    );
    // A refused registration spent no use; a registration refused for its
    // metadata gives its use back (the claim is in the registration's
    // transaction).
    let (_, two) = mint(&app, 1, 3600).await;
    let bad = register_with(
        &app,
        Some(&two),
        &json!({"client_name": "x", "redirect_uris": ["http://evil.example/cb"]}),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let ok = register_with(&app, Some(&two), &body).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
}

#[tokio::test]
async fn the_last_use_of_an_initial_access_token_is_spent_once() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Token).await;
    let (_, token) = mint(&app, 3, 3600).await;
    let base = app.base.clone();
    let results = burst(12, move |i| {
        let (base, token) = (base.clone(), token.clone());
        async move {
            reqwest::Client::new()
                .post(format!("{base}/oauth/register"))
                .bearer_auth(token)
                .json(&service_metadata(&format!("Burst {i}")))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    })
    .await;
    let created = results.iter().filter(|s| **s == 201).count();
    assert_eq!(created, 3, "{results:?}");
    assert!(
        results.iter().all(|s| *s == 201 || *s == 401),
        "{results:?}"
    );
    assert_eq!(app.count("dynamic_registrations").await, 3);
    let t =
        &domain::clients::initial_tokens::list(&app.db, &domain::accounts::AdminCtx::operator())
            .await
            .unwrap()[0];
    assert_eq!((t.uses, t.max_uses), (3, 3));
}
