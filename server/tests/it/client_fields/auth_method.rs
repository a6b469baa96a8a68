//! Changing a client's token-endpoint authentication method (issue 17): the
//! portal's form and the REST PUT agree. `private_key_jwt` needs a `jwks_uri` and
//! ends the client's secrets; switching back to a secret method says how to get
//! one (rotation) instead of leaving the client silently secretless.

use serde_json::{json, Value};

use super::{post, read};
use crate::helpers::*;

const JWKS: &str = "https://bot.example/jwks.json";

/// A service client registered through the REST API, with its secret.
async fn service_client(api: &Api, name: &str) -> (String, String) {
    let r = api
        .post(
            "/api/v1/clients",
            json!({ "name": name, "application_type": "service" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v: Value = r.json();
    (
        v["id"].as_str().unwrap().to_owned(),
        v["client_secret"].as_str().unwrap().to_owned(),
    )
}

fn form(id: &str, auth: &str, jwks: &str) -> Vec<(&'static str, String)> {
    vec![
        ("id", id.to_owned()),
        ("name", "Bot".into()),
        ("auth_method", auth.into()),
        ("jwks_uri", jwks.into()),
    ]
}

#[tokio::test]
async fn switching_to_private_key_jwt_ends_the_secrets_and_switching_back_says_to_rotate() {
    let app = spawn_app().await;
    let user = create_user(&app.db, "ada", domain::accounts::Role::Developer).await;
    let dev = signed_in(&app, "ada").await;
    let api = Api::for_user(&app, &user).await;

    // The portal's form.
    let (id, secret) = service_client(&api, "Bot").await;
    assert_eq!(cc_token(&app, &id, &secret, None).await.0, 200);
    let before = read(&api, &id).await;
    let r = post(
        &dev,
        "/api/portal/update_client",
        &form(&id, "private_key_jwt", ""),
    )
    .await;
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.body);
    assert!(
        r.body.contains("token_endpoint_auth_method") && r.body.contains("jwks_uri"),
        "{}",
        r.body
    );
    assert_eq!(read(&api, &id).await, before, "nothing changed");
    assert_eq!(cc_token(&app, &id, &secret, None).await.0, 200);

    let r = post(
        &dev,
        "/api/portal/update_client",
        &form(&id, "private_key_jwt", JWKS),
    )
    .await;
    assert!(
        r.location()
            .is_some_and(|l| l.ends_with("notice=client_updated")),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(
        read(&api, &id).await["token_endpoint_auth_method"],
        "private_key_jwt"
    );
    // Its keys are now its only credential: the secret it had stopped.
    assert_eq!(cc_token(&app, &id, &secret, None).await.0, 401);
    let secrets = api.get(&format!("/api/v1/clients/{id}/secrets")).await;
    assert_eq!(secrets.json()["secrets"], json!([]), "{}", secrets.body);

    let r = post(
        &dev,
        "/api/portal/update_client",
        &form(&id, "client_secret_basic", JWKS),
    )
    .await;
    assert!(
        r.location()
            .is_some_and(|l| l.ends_with("notice=client_updated_needs_secret")),
        "the editor is told to rotate: {:?} {}",
        r.location(),
        r.body
    );
    assert_eq!(
        cc_token(&app, &id, &secret, None).await.0,
        401,
        "no revival"
    );
    let r = dev
        .post(
            "/api/portal/rotate_secret",
            &[("id", id.as_str()), ("overlap", "none")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let fresh = shown_secret(&dev, &id).await;
    assert_eq!(cc_token(&app, &id, &fresh, None).await.0, 200);

    // The REST API, the same way.
    let (id, secret) = service_client(&api, "Bot 2").await;
    let path = format!("/api/v1/clients/{id}");
    let before = read(&api, &id).await;
    let r = api
        .put(
            &path,
            json!({ "token_endpoint_auth_method": "private_key_jwt" }),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["field"], "token_endpoint_auth_method");
    assert_eq!(read(&api, &id).await, before, "nothing changed");
    let r = api
        .put(
            &path,
            json!({ "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": JWKS }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["notice"].is_null(), "{}", r.body);
    assert_eq!(cc_token(&app, &id, &secret, None).await.0, 401);
    let r = api
        .put(
            &path,
            json!({ "token_endpoint_auth_method": "client_secret_post" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.json()["notice"]
            .as_str()
            .is_some_and(|n| n.contains("rotate-secret")),
        "{}",
        r.body
    );
    let r = api
        .post(&format!("/api/v1/clients/{id}/rotate-secret"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let fresh = r.json()["client_secret"].as_str().unwrap().to_owned();
    let (status, body) = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", fresh.as_str()),
        ])
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(status, 200, "{:?}", body.text().await);

    // A native client stays public; a web client cannot become public.
    let native = api
        .post(
            "/api/v1/clients",
            json!({ "name": "App", "application_type": "native",
                    "redirect_uris": ["edu.example.app:/cb"] }),
        )
        .await;
    assert_eq!(native.status, 201, "{}", native.body);
    let nid = native.json()["id"].as_str().unwrap().to_owned();
    let r = api
        .put(
            &format!("/api/v1/clients/{nid}"),
            json!({ "token_endpoint_auth_method": "client_secret_basic" }),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["field"], "token_endpoint_auth_method");
}
