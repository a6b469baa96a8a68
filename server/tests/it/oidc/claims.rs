//! The `claims` request parameter (OpenID Connect Core §5.5) and "include claims in
//! the ID token" (§5.4), black-box: what is released where, from the query, a
//! pushed request and a request object; what is refused; what a refresh keeps.

use serde_json::{json, Value};

use super::flow::wall_clock;
use crate::client_keys::{assertion, jwks_listener, new_key};
use crate::helpers::*;
use crate::rp::{
    authorize_as, authorize_path, exchange, notebook, param, refresh, s, CHALLENGE, REDIRECT,
};

/// An app on the real clock with alice, and the relying party holding `scopes`.
async fn setup(scopes: &[&str]) -> (TestApp, Creds, domain::accounts::User) {
    let app = spawn_app_with(|s| s.outbound.allow_private_addresses = true).await;
    app.clock.set(wall_clock());
    let alice = create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let rp = register(&app, notebook(scopes)).await;
    (app, rp, alice)
}

/// Sets a client's approved individually requested claims or its
/// include-claims-in-ID-token flag, as an administrator's edit would.
async fn set_client(
    app: &TestApp,
    id: &str,
    requestable: Option<&[&str]>,
    in_id_token: Option<bool>,
) {
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let m = domain::entities::client::Entity::find_by_id(id.to_owned())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut am: domain::entities::client::ActiveModel = m.into();
    if let Some(r) = requestable {
        am.requestable_claims = Set(json!(r).to_string());
    }
    if let Some(b) = in_id_token {
        am.include_claims_in_id_token = Set(b);
    }
    am.update(&app.db).await.unwrap();
}

fn claims(v: Value) -> String {
    format!("&claims={}", enc(&v.to_string()))
}

/// alice authorizes `scope` with `extra` parameters; the token response.
async fn tokens(app: &TestApp, b: &Browser, rp: &Creds, scope: &str, extra: &str) -> Value {
    let loc = authorize_as(b, "alice", &authorize_path(rp, scope, extra)).await;
    let code = param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"));
    exchange(app, rp, &code).await
}

async fn userinfo(app: &TestApp, at: &str) -> Value {
    let r = reqwest::Client::new()
        .get(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn id_token(t: &Value) -> Value {
    peek(s(t, "id_token"))
}

#[tokio::test]
async fn claims_asked_for_appear_in_the_id_token_and_at_userinfo_as_asked_and_a_refresh_keeps_them()
{
    let (app, rp, alice) = setup(&["openid"]).await;
    set_client(&app, &rp.id, Some(&["email", "name"]), None).await;
    let b = app.browser();
    let ask = json!({
        "id_token": { "email": { "essential": true } },
        "userinfo": { "name": null, "email_verified": null }
    });
    let t = tokens(&app, &b, &rp, "openid", &claims(ask)).await;
    let id = id_token(&t);
    assert_eq!(id["email"], alice.email, "{id}");
    assert!(id.get("name").is_none(), "asked for userinfo only: {id}");
    assert_eq!(id["sub"], alice.id);
    let info = userinfo(&app, s(&t, "access_token")).await;
    assert_eq!(info["name"], alice.display_name, "{info}");
    assert!(
        info.get("email").is_none(),
        "asked for the ID token only: {info}"
    );
    assert!(
        info.get("email_verified").is_none(),
        "not approved for this client: {info}"
    );
    // A refreshed access token answers the same at userinfo (the request was kept
    // with the refresh token, not sent again).
    let (status, r) = refresh(&app, &rp, s(&t, "refresh_token")).await;
    assert_eq!(status, 200, "{r}");
    let again = userinfo(&app, s(&r, "access_token")).await;
    assert_eq!(again, info);
    // And a second rotation still does.
    let (_, r2) = refresh(&app, &rp, s(&r, "refresh_token")).await;
    assert_eq!(userinfo(&app, s(&r2, "access_token")).await, info);
}

#[tokio::test]
async fn a_claim_outside_the_scopes_and_the_approved_list_is_released_only_after_approval() {
    let (app, _, alice) = setup(&["openid"]).await;
    let dev = create_user(&app.db, "devi", domain::accounts::Role::Developer).await;
    let mut new = notebook(&["openid"]);
    new.owner_id = Some(dev.id.clone());
    let rp = register(&app, new).await;
    let b = app.browser();
    let ask = claims(
        json!({ "id_token": { "email": { "essential": true } }, "userinfo": { "email": null } }),
    );
    let t = tokens(&app, &b, &rp, "openid", &ask).await;
    assert!(
        id_token(&t).get("email").is_none(),
        "essential is no reason: {}",
        id_token(&t)
    );
    assert!(userinfo(&app, s(&t, "access_token"))
        .await
        .get("email")
        .is_none());

    // The developer asks for it: a change request, nothing released yet.
    let api = Api::for_user(&app, &dev).await;
    let r = api
        .put(
            &format!("/api/v1/clients/{}", rp.id),
            json!({ "requestable_claims": ["email"], "justification": "The app mails receipts" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let pending = r.json()["pending_request"].clone();
    assert_eq!(pending["status"], "pending", "{pending}");
    assert_eq!(pending["changes"][0]["before"], json!([]), "{pending}");
    assert_eq!(
        pending["changes"][0]["after"],
        json!(["email"]),
        "{pending}"
    );
    assert_eq!(r.json()["requestable_claims"], json!([]));
    let t = tokens(&app, &b, &rp, "openid", &ask).await;
    assert!(id_token(&t).get("email").is_none(), "{}", id_token(&t));

    // Approved: released where asked.
    let admin = Api::admin(&app).await;
    let rid = pending["id"].as_str().unwrap();
    let r = admin
        .post(&format!("/api/v1/requests/{rid}/approve"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let t = tokens(&app, &b, &rp, "openid", &ask).await;
    assert_eq!(id_token(&t)["email"], alice.email);
    assert_eq!(
        userinfo(&app, s(&t, "access_token")).await["email"],
        alice.email
    );

    // Removing it applies at once, without approval.
    let r = api
        .put(
            &format!("/api/v1/clients/{}", rp.id),
            json!({ "requestable_claims": [] }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["pending_request"].is_null(), "{}", r.body);
    assert_eq!(r.json()["requestable_claims"], json!([]));
    // An unknown claim is refused, naming the field.
    let r = api
        .put(
            &format!("/api/v1/clients/{}", rp.id),
            json!({ "requestable_claims": ["shoe_size"], "justification": "x" }),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["field"], "requestable_claims", "{}", r.body);
}

#[tokio::test]
async fn a_value_that_does_not_match_leaves_the_claim_out() {
    let (app, rp, alice) = setup(&["openid"]).await;
    set_client(&app, &rp.id, Some(&["email", "preferred_username"]), None).await;
    let b = app.browser();
    let ask = json!({ "id_token": {
        "email": { "essential": true, "value": "someone@else.example" },
        "preferred_username": { "values": ["bob", "alice"] }
    } });
    let id = id_token(&tokens(&app, &b, &rp, "openid", &claims(ask)).await);
    assert!(id.get("email").is_none(), "{id}");
    assert_eq!(id["preferred_username"], "alice", "{id}");
    let ask = json!({ "id_token": { "email": { "value": alice.email } } });
    let id = id_token(&tokens(&app, &b, &rp, "openid", &claims(ask)).await);
    assert_eq!(id["email"], alice.email, "{id}");
}

#[tokio::test]
async fn a_sub_value_of_another_person_is_login_required_and_the_persons_own_is_honoured() {
    let (app, rp, alice) = setup(&["openid"]).await;
    let b = app.browser();
    let other = claims(json!({ "id_token": { "sub": { "value": "someone-else" } } }));
    let loc = authorize_as(&b, "alice", &authorize_path(&rp, "openid", &other)).await;
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("login_required"),
        "{loc}"
    );
    assert_eq!(param(&loc, "state").as_deref(), Some("s"));
    assert!(param(&loc, "code").is_none());
    let own = claims(json!({ "id_token": { "sub": { "value": alice.id } } }));
    let id = id_token(&tokens(&app, &b, &rp, "openid", &own).await);
    assert_eq!(id["sub"], alice.id);
    // The same once consent exists (no consent page on the way).
    let loc = b
        .get(&authorize_path(&rp, "openid", &other))
        .await
        .location()
        .unwrap();
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("login_required"),
        "{loc}"
    );
}

#[tokio::test]
async fn a_malformed_or_oversized_claims_parameter_is_invalid_request() {
    let (app, rp, _) = setup(&["openid"]).await;
    let b = app.browser();
    assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status < 400);
    let many: serde_json::Map<String, Value> =
        (0..40).map(|i| (format!("c{i}"), Value::Null)).collect();
    for bad in [
        "not json".to_owned(),
        "[\"email\"]".to_owned(),
        json!({ "userinfo": ["email"] }).to_string(),
        json!({ "id_token": { "email": { "essential": "yes" } } }).to_string(),
        json!({ "id_token": many }).to_string(),
    ] {
        let loc = b
            .get(&authorize_path(
                &rp,
                "openid",
                &format!("&claims={}", enc(&bad)),
            ))
            .await
            .location()
            .unwrap();
        assert!(loc.starts_with(REDIRECT), "{bad}: {loc}");
        assert_eq!(
            param(&loc, "error").as_deref(),
            Some("invalid_request"),
            "{bad}: {loc}"
        );
        assert!(
            param(&loc, "error_description").is_some_and(|d| d.contains("claims")),
            "{bad}: {loc}"
        );
    }
    // Pushed: refused at the PAR endpoint, as JSON.
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/par", app.base))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(&[
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("claims", "{\"id_token\":7}"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
}

#[tokio::test]
async fn claims_pushed_or_in_a_request_object_are_honoured() {
    let (app, _, alice) = setup(&["openid"]).await;
    let key = new_key("ck1");
    let jwks = jwks_listener(vec![key.jwk.clone()]).await;
    let mut new = notebook(&["openid"]);
    new.metadata.jwks_uri = Some(Some(jwks.url.clone()));
    let rp = register(&app, new).await;
    set_client(&app, &rp.id, Some(&["email", "name"]), None).await;
    let b = app.browser();
    assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status < 400);

    // PAR (RFC 9126): the claims parameter as a string among the pushed ones.
    let ask = json!({ "id_token": { "email": null } }).to_string();
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/par", app.base))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(&[
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("state", "s"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("claims", ask.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let pushed: Value = r.json().await.unwrap();
    let start = format!(
        "/oauth/authorize?client_id={}&request_uri={}",
        rp.id,
        enc(s(&pushed, "request_uri"))
    );
    let loc = authorize_as(&b, "alice", &start).await;
    let t = exchange(&app, &rp, &param(&loc, "code").unwrap()).await;
    assert_eq!(id_token(&t)["email"], alice.email);

    // A request object (RFC 9101): `claims` is a JSON object there.
    let now = wall_clock();
    let object = json!({
        "iss": rp.id, "aud": app.settings.issuer, "client_id": rp.id,
        "exp": now + 300, "iat": now, "jti": "claims-1",
        "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid",
        "state": "s", "code_challenge": CHALLENGE, "code_challenge_method": "S256",
        "claims": { "id_token": { "name": { "essential": true } }, "userinfo": { "email": null } },
    });
    let start = format!(
        "/oauth/authorize?client_id={}&request={}",
        rp.id,
        assertion(&key, object)
    );
    let mut loc = b.get(&start).await.location().unwrap();
    while loc.starts_with("/oauth/authorize?") {
        loc = authorize_as(&b, "alice", &loc).await;
    }
    let t = exchange(&app, &rp, &param(&loc, "code").unwrap()).await;
    let id = id_token(&t);
    assert_eq!(id["name"], alice.display_name, "{id}");
    assert!(id.get("email").is_none(), "{id}");
    assert_eq!(
        userinfo(&app, s(&t, "access_token")).await["email"],
        alice.email
    );
}

#[tokio::test]
async fn without_claims_in_the_id_token_profile_claims_go_only_to_userinfo() {
    let (app, rp, alice) = setup(&["openid", "profile"]).await;
    let b = app.browser();
    // The default: in both.
    let t = tokens(&app, &b, &rp, "openid profile", "").await;
    assert_eq!(id_token(&t)["preferred_username"], "alice");

    set_client(&app, &rp.id, None, Some(false)).await;
    let t = tokens(&app, &b, &rp, "openid profile", "").await;
    let id = id_token(&t);
    for c in ["name", "preferred_username", "updated_at"] {
        assert!(id.get(c).is_none(), "{c} in {id}");
    }
    assert_eq!(id["sub"], alice.id);
    assert!(
        id.get("auth_time").is_some() && id.get("exp").is_some(),
        "{id}"
    );
    let info = userinfo(&app, s(&t, "access_token")).await;
    assert_eq!(info["preferred_username"], "alice", "{info}");
    assert_eq!(info["name"], alice.display_name, "{info}");
    // What the claims parameter asks for under id_token still goes there (the
    // scopes release it, so no approval is needed).
    let ask = claims(json!({ "id_token": { "name": null } }));
    let id = id_token(&tokens(&app, &b, &rp, "openid profile", &ask).await);
    assert_eq!(id["name"], alice.display_name, "{id}");
    assert!(id.get("preferred_username").is_none(), "{id}");
}

#[tokio::test]
async fn discovery_says_the_claims_parameter_is_supported() {
    let app = spawn_app().await;
    let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["claims_parameter_supported"], true, "{d}");
    let supported = d["claims_supported"].as_array().unwrap();
    for c in domain::oauth::claims::REQUESTABLE {
        assert!(supported.contains(&json!(c)), "{c}");
    }
}
