//! The whole flow: discovery, the codes, sign-in with the code kept, the consent
//! screen with the code, approval, tokens once, and the consent on My apps.

use sea_orm::EntityTrait;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn a_device_is_signed_in_after_a_person_approves_its_code() {
    let app = spawn_app().await;
    let client_id = tv(&app).await;
    let meta: Value = http()
        .get(format!("{}/.well-known/openid-configuration", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["device_authorization_endpoint"],
        format!("{}/oauth/device_authorization", app.settings.issuer)
    );
    assert!(meta["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&Value::from(DEVICE_GRANT)));

    let d = authorize_device(&app, &client_id, "openid profile").await;
    let user_code = d["user_code"].as_str().unwrap().to_owned();
    let device_code = d["device_code"].as_str().unwrap().to_owned();
    assert_eq!(user_code.len(), 9, "{user_code}");
    assert_eq!(&user_code[4..5], "-");
    assert!(user_code
        .chars()
        .all(|c| c == '-' || "BCDFGHJKLMNPQRSTVWXZ".contains(c)));
    assert_eq!(
        d["verification_uri"],
        format!("{}/device", app.settings.issuer)
    );
    assert_eq!(
        d["verification_uri_complete"],
        format!("{}/device?user_code={user_code}", app.settings.issuer)
    );
    assert_eq!(
        (d["expires_in"].as_i64(), d["interval"].as_i64()),
        (Some(600), Some(5))
    );
    assert_eq!(
        poll_error(&app, &client_id, &device_code).await,
        "authorization_pending"
    );

    // A signed-out person opening verification_uri_complete signs in first and
    // comes back with the code.
    create_user(&app.db, "alice", Role::User).await;
    let alice = app.browser();
    let first = alice
        .get_html(&format!("/device?user_code={user_code}"))
        .await;
    assert_eq!(first.status, 302, "{}", first.body);
    let to = first.location().unwrap();
    assert_eq!(
        query_param(&to, "return_to").as_deref(),
        Some(format!("/device?user_code={user_code}").as_str()),
        "{to}"
    );
    let signed = alice
        .post(
            "/api/sign_in",
            &[
                ("username", "alice"),
                ("password", ADMIN_PASSWORD),
                ("return_to", &query_param(&to, "return_to").unwrap()),
            ],
        )
        .await;
    assert_eq!(
        signed.location().as_deref(),
        Some(format!("/device?user_code={user_code}").as_str())
    );

    // The consent screen, with the code to compare with the device's.
    let v = details(&alice, &user_code).await;
    assert_eq!(v["Consent"]["user_code"], user_code);
    assert_eq!(v["Consent"]["consent"]["client_name"], "Lobby TV");
    assert_eq!(v["Consent"]["consent"]["host"], "127.0.0.1");
    let page = alice
        .get_html(&format!("/device?user_code={user_code}"))
        .await;
    assert!(page.body.contains(&user_code) && page.body.contains("Lobby TV"));

    let approved = decide(&alice, &user_code, "allow").await;
    assert_eq!(
        approved.location().as_deref(),
        Some("/device?done=approved")
    );
    let done = alice.get_html("/device?done=approved").await;
    assert!(
        done.body.contains("You can return to your device"),
        "{}",
        done.body
    );

    // The next poll gets the tokens, however soon: slow_down is for pending codes.
    let (status, tokens) = poll(&app, &client_id, &device_code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(
        tokens["refresh_token"].is_string(),
        "the client may refresh"
    );
    let id = peek(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], client_id);
    assert_eq!(id["iss"], app.settings.issuer);
    let access = peek(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["client_id"], client_id);
    assert_eq!(access["scope"], "openid profile");

    // Exactly once.
    assert_eq!(
        poll_error(&app, &client_id, &device_code).await,
        "invalid_grant"
    );
    let types = app.audit_types().await;
    for t in [
        "device_authorization.issued",
        "device_authorization.approved",
        "grant.created",
        "token.issued",
    ] {
        assert!(types.iter().any(|e| e == t), "{t} in {types:?}");
    }

    // The approval is a consent like any other: on My apps, and revocable there.
    let apps = alice.get("/api/apps/list").await.json();
    let app_row = apps["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["client_id"] == client_id)
        .cloned()
        .expect("the device's app is on My apps");
    let userinfo = |token: String| {
        let base = app.base.clone();
        async move {
            http()
                .get(format!("{base}/oauth/userinfo"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let at = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(at.clone()).await, 200);
    let revoked = alice
        .post(
            "/api/apps/revoke",
            &[
                ("grant_id", app_row["grant_id"].as_str().unwrap()),
                ("confirm", "on"),
            ],
        )
        .await;
    assert!(revoked.status < 400, "{}", revoked.body);
    assert_eq!(userinfo(at).await, 401, "revoked with the consent");
    let (status, refreshed) = post_form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(
        (status, refreshed["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn revoking_a_device_approval_on_my_apps_revokes_its_access_token_even_without_refresh() {
    let app = spawn_app().await;
    let client_id = device_client(&app, &["authorization_code", DEVICE_GRANT]).await;
    let d = authorize_device(&app, &client_id, "openid").await;
    let alice = signed_in_user(&app, "alice").await;
    decide(&alice, d["user_code"].as_str().unwrap(), "allow").await;
    let (status, tokens) = poll(&app, &client_id, d["device_code"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens.get("refresh_token").is_none(), "no refresh grant");
    let at = tokens["access_token"].as_str().unwrap();
    let userinfo = || async {
        http()
            .get(format!("{}/oauth/userinfo", app.base))
            .bearer_auth(at)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(userinfo().await, 200);
    let apps = alice.get("/api/apps/list").await.json();
    let grant_id = apps["apps"][0]["grant_id"].as_str().unwrap().to_owned();
    let r = alice
        .post(
            "/api/apps/revoke",
            &[("grant_id", &grant_id), ("confirm", "on")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(userinfo().await, 401, "the consent is gone");
    // And the token itself is on the revocation list, for every API that
    // introspects (userinfo above also checks the consent).
    let jti = peek(at)["jti"].as_str().unwrap().to_owned();
    let listed = domain::entities::revoked_token::Entity::find_by_id(jti)
        .one(&app.db)
        .await
        .unwrap();
    assert!(listed.is_some(), "the device's access token is revoked");
}
