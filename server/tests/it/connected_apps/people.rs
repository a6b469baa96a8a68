//! People revoke and narrow the apps they allowed; a disabled person's tokens stop.

use serde_json::Value;

use super::setup;
use crate::helpers::*;
use crate::rp::*;

#[tokio::test]
async fn revoking_an_app_stops_its_refresh_introspection_and_userinfo_at_once() {
    let (app, rp) = setup().await;
    let alice = app.browser();
    let first = exchange(
        &app,
        &rp,
        &code_as(&alice, "alice", &rp, "openid profile").await,
    )
    .await;
    // A second round of tokens: the first access token came from the code, this
    // one from the refresh token; both must die with the grant.
    let (_, second) = refresh(&app, &rp, s(&first, "refresh_token")).await;
    for t in [s(&first, "access_token"), s(&second, "access_token")] {
        assert_eq!(introspect(&app, &rp, t).await["active"], true);
    }
    assert_eq!(userinfo(&app, s(&second, "access_token")).await, 200);

    let apps = alice.get("/api/apps/list").await.json();
    let listed = &apps["apps"][0];
    assert_eq!(listed["name"], "Research Notebook");
    assert_eq!(listed["client_id"], rp.id.as_str());
    assert_eq!(listed["owner"], Value::Null, "registered by the operator");
    assert!(listed["last_used"].is_string(), "refreshing counts as use");
    assert_eq!(apps["access_token_secs"], 300);
    let descriptions: Vec<&str> = listed["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["description"].as_str().unwrap())
        .collect();
    assert!(
        descriptions.contains(&"See your name and username"),
        "{descriptions:?}"
    );
    let grant_id = s(listed, "grant_id").to_owned();

    // Without the confirmation nothing happens.
    let r = alice
        .post("/api/apps/revoke", &[("grant_id", &grant_id)])
        .await;
    assert!(
        r.status >= 400 && r.error_message().contains("confirm"),
        "{}",
        r.body
    );
    assert_eq!(app.count("grants").await, 1);

    // Someone else's grant is "not found", not "forbidden".
    let bob = app.browser();
    bob.sign_in("bob", ADMIN_PASSWORD).await;
    let r = bob
        .post(
            "/api/apps/revoke",
            &[("grant_id", &grant_id), ("confirm", "yes")],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("NotFound"), "{}", r.body);
    let r = bob
        .post(
            "/api/apps/change",
            &[("grant_id", &grant_id), ("scopes[]", "openid")],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("NotFound"), "{}", r.body);
    assert_eq!(app.count("grants").await, 1);

    let r = alice
        .post(
            "/api/apps/revoke",
            &[("grant_id", &grant_id), ("confirm", "yes")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(app.count("grants").await, 0);
    assert_eq!(app.count("refresh_tokens").await, 0);

    let (status, v) = refresh(&app, &rp, s(&second, "refresh_token")).await;
    assert_eq!((status, v["error"].as_str()), (400, Some("invalid_grant")));
    for t in [s(&first, "access_token"), s(&second, "access_token")] {
        assert_eq!(
            introspect(&app, &rp, t).await,
            serde_json::json!({ "active": false })
        );
        assert_eq!(userinfo(&app, t).await, 401);
    }
    assert!(app
        .audit_types()
        .await
        .contains(&"grant.revoked".to_owned()));
    assert_eq!(
        alice.get("/api/apps/list").await.json()["apps"],
        serde_json::json!([])
    );
    // Allowing the app again asks for consent again.
    code_as(&alice, "alice", &rp, "openid").await;
    assert_eq!(app.count("grants").await, 1);
}

#[tokio::test]
async fn narrowing_an_app_makes_its_next_tokens_carry_only_the_rest() {
    let (app, rp) = setup().await;
    let alice = app.browser();
    let t = exchange(
        &app,
        &rp,
        &code_as(&alice, "alice", &rp, "openid profile email").await,
    )
    .await;
    assert_eq!(peek(s(&t, "access_token"))["scope"], "email openid profile");
    let grant_id = alice.get("/api/apps/list").await.json()["apps"][0]["grant_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Keeping a scope the app never had is refused.
    let r = alice
        .post(
            "/api/apps/change",
            &[("grant_id", &grant_id), ("scopes[]", "portal")],
        )
        .await;
    assert!(r.status >= 400, "{}", r.body);
    let r = alice
        .post(
            "/api/apps/change",
            &[
                ("grant_id", &grant_id),
                ("scopes[]", "openid"),
                ("scopes[]", "profile"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);

    // The wider access token is withdrawn at once; the refresh token still works
    // and brings only what is left.
    assert_eq!(
        introspect(&app, &rp, s(&t, "access_token")).await["active"],
        false
    );
    let (status, next) = refresh(&app, &rp, s(&t, "refresh_token")).await;
    assert_eq!(status, 200, "{next}");
    assert_eq!(next["scope"], "openid profile");
    assert_eq!(peek(s(&next, "access_token"))["scope"], "openid profile");
    let info: Value = reqwest::Client::new()
        .get(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(s(&next, "access_token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(info.get("email").is_none(), "{info}");
    assert_eq!(info["preferred_username"], "alice");
    // The new refresh token carries only what is left: asking it for more fails.
    let (_, again) = token(
        &app,
        &rp,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", s(&next, "refresh_token")),
            ("scope", "openid email"),
        ],
    )
    .await;
    assert_eq!(again["error"], "invalid_scope", "{again}");
    assert!(app
        .audit_types()
        .await
        .contains(&"grant.changed".to_owned()));
}

#[tokio::test]
async fn a_disabled_users_sessions_and_tokens_stop_working() {
    let (app, rp) = setup().await;
    let alice = app.browser();
    let t = exchange(
        &app,
        &rp,
        &code_as(&alice, "alice", &rp, "openid profile").await,
    )
    .await;
    let admin = app.browser();
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let alice_id = domain::accounts::find_by_username(&app.db, "alice")
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = admin
        .post(
            "/api/admin/set_disabled",
            &[
                ("user_id", &alice_id),
                ("disabled", "true"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);

    assert_eq!(alice.signed_in_as().await, None, "the session ended");
    assert_eq!(
        introspect(&app, &rp, s(&t, "access_token")).await["active"],
        false
    );
    assert_eq!(userinfo(&app, s(&t, "access_token")).await, 401);
    let (status, v) = refresh(&app, &rp, s(&t, "refresh_token")).await;
    assert_eq!((status, v["error"].as_str()), (400, Some("invalid_grant")));
}
