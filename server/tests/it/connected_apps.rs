//! Seeds 000, 002 and 004: people see and revoke the apps they allowed
//! ("My apps"), narrow what an app may do, and administrators change run-time
//! settings and the scope catalogue.

use domain::accounts::Role;
use domain::clients::{ApplicationType, NewClient};
use serde_json::Value;

use crate::helpers::*;
use crate::rp::*;

async fn setup() -> (TestApp, Creds) {
    let app = spawn_app().await;
    create_user(&app.db, "alice", Role::User).await;
    create_user(&app.db, "bob", Role::User).await;
    let rp = register(&app, notebook(&["openid", "profile", "email"])).await;
    (app, rp)
}

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

#[tokio::test]
async fn administrators_change_lifetimes_and_the_third_party_switch_at_run_time() {
    let (app, rp) = setup().await;
    let admin = app.browser();
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let current = admin.get("/api/admin/settings").await.json();
    assert_eq!(current["access_token_secs"], 300);
    assert_eq!(current["third_party_oauth"], true);

    let save = |fields: Vec<(&'static str, &'static str)>| {
        let admin = &admin;
        async move { admin.post("/api/admin/save_settings", &fields).await }
    };
    let base = vec![
        ("third_party_oauth", "on"),
        ("refresh_token_hours", "720"),
        ("default_client_lifetime_days", "365"),
        ("default_client_scopes[]", "openid"),
    ];
    // Out of range, unknown scopes, and scopes that need approval are refused.
    for (extra, field) in [
        (vec![("access_token_secs", "59")], "access_token_secs"),
        (vec![("access_token_secs", "3601")], "access_token_secs"),
        (vec![("access_token_secs", "soon")], "access_token_secs"),
    ] {
        let mut f = base.clone();
        f.extend(extra);
        let r = save(f).await;
        assert!(r.status >= 400 && r.body.contains(field), "{}", r.body);
    }
    for (k, v, field) in [
        ("refresh_token_hours", "0", "refresh_token_hours"),
        (
            "default_client_lifetime_days",
            "3651",
            "default_client_lifetime_days",
        ),
    ] {
        let mut f: Vec<(&str, &str)> = base.iter().filter(|(n, _)| *n != k).cloned().collect();
        f.push((k, v));
        f.push(("access_token_secs", "300"));
        let r = save(f).await;
        assert!(r.status >= 400 && r.body.contains(field), "{}", r.body);
    }
    for scope in ["nonexistent", "portal"] {
        let mut f = base.clone();
        f.push(("access_token_secs", "300"));
        f.push(("default_client_scopes[]", scope));
        let r = save(f).await;
        assert!(
            r.status >= 400 && r.body.contains("default_client_scopes"),
            "{scope}: {}",
            r.body
        );
    }

    // A two-minute lifetime shows in the next token's exp.
    let mut f = base.clone();
    f.push(("access_token_secs", "120"));
    let r = save(f).await;
    assert!(r.status < 400, "{}", r.body);
    let alice = app.browser();
    let t = exchange(&app, &rp, &code_as(&alice, "alice", &rp, "openid").await).await;
    let claims = peek(s(&t, "access_token"));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        120
    );
    assert_eq!(t["expires_in"], 120);
    assert_eq!(
        alice.get("/api/apps/list").await.json()["access_token_secs"],
        120
    );

    // The switch off: a third-party authorization ends on our error page.
    let f = base
        .iter()
        .filter(|(k, _)| *k != "third_party_oauth")
        .cloned()
        .chain([("access_token_secs", "120")])
        .collect();
    assert!(save(f).await.status < 400);
    let path = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256",
        rp.id,
        enc(REDIRECT)
    );
    assert_eq!(
        alice.get(&path).await.location().unwrap(),
        "/oauth/error?reason=third_party_disabled"
    );
    let (status, v) = refresh(&app, &rp, s(&t, "refresh_token")).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    // And back on.
    let mut f = base.clone();
    f.push(("access_token_secs", "120"));
    assert!(save(f).await.status < 400);
    assert!(alice
        .get(&path)
        .await
        .location()
        .unwrap()
        .starts_with(REDIRECT));
    let changed = app
        .audit_types()
        .await
        .iter()
        .filter(|t| *t == "settings.changed")
        .count();
    assert_eq!(changed, 3, "one event per change: lifetime, off, on");

    // Self sign-up follows the override too.
    assert_eq!(alice.shell().await["allow_signup"], false);
    let mut f = base.clone();
    f.push(("access_token_secs", "120"));
    f.push(("allow_self_signup", "on"));
    assert!(save(f).await.status < 400);
    assert_eq!(app.browser().shell().await["allow_signup"], true);

    // Only administrators.
    let r = alice
        .post("/api/admin/save_settings", &[("access_token_secs", "3600")])
        .await;
    assert!(r.status >= 400);
    assert!(alice.get("/api/admin/settings").await.status >= 400);
}

#[tokio::test]
async fn catalogue_edits_show_on_the_consent_page() {
    let (app, _) = setup().await;
    let admin = app.browser();
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let r = admin
        .post(
            "/api/admin/create_api",
            &[("name", "Registrations"), ("audience", "not a uri")],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("audience"), "{}", r.body);
    let r = admin
        .post(
            "/api/admin/create_api",
            &[
                ("name", "Registrations"),
                ("audience", "https://api.example.edu/reg"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let cat = admin.get("/api/admin/apis").await.json();
    let api = cat["apis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Registrations")
        .unwrap()
        .clone();
    let rid = s(&api, "id").to_owned();
    let r = admin
        .post(
            "/api/admin/add_scope",
            &[
                ("resource_id", &rid),
                ("name", "reg:read"),
                ("description", ""),
            ],
        )
        .await;
    assert!(
        r.status >= 400 && r.body.contains("description"),
        "{}",
        r.body
    );
    let r = admin
        .post(
            "/api/admin/add_scope",
            &[
                ("resource_id", &rid),
                ("name", "reg:read"),
                ("description", "See your registrations"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let r = admin
        .post(
            "/api/admin/update_scope",
            &[
                ("name", "reg:read"),
                ("description", "See which courses you are registered for"),
                ("requires_approval", "on"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let r = admin
        .post(
            "/api/admin/update_scope",
            &[("name", "openid"), ("description", "x")],
        )
        .await;
    assert!(r.status >= 400, "built-in scopes are fixed: {}", r.body);
    let info = domain::apis::find_scope(&app.db, "reg:read")
        .await
        .unwrap()
        .unwrap();
    assert!(info.requires_approval);

    let rp = register(
        &app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Course Planner".into()),
                redirect_uris: Some(vec![REDIRECT.into()]),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Web),
            scopes: ["openid", "reg:read"].map(String::from).to_vec(),
            ..Default::default()
        },
    )
    .await;
    let alice = app.browser();
    alice.sign_in("alice", ADMIN_PASSWORD).await;
    let loc = alice
        .get(&format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&code_challenge={CHALLENGE}&code_challenge_method=S256",
            rp.id,
            enc(REDIRECT),
            enc("openid reg:read")
        ))
        .await
        .location()
        .unwrap();
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");
    let page = alice.get_html(&loc).await.body;
    assert!(
        page.contains("See which courses you are registered for"),
        "{page}"
    );
    let types = app.audit_types().await;
    for t in ["resource.created", "scope.created", "scope.updated"] {
        assert!(types.contains(&t.to_owned()), "{t} in {types:?}");
    }
    // Only administrators.
    let r = alice
        .post(
            "/api/admin/update_scope",
            &[("name", "reg:read"), ("description", "x")],
        )
        .await;
    assert!(r.status >= 400);
}

#[tokio::test]
async fn asking_for_more_asks_only_for_what_is_new() {
    let (app, rp) = setup().await;
    let alice = app.browser();
    // First: openid alone, allowed.
    code_as(&alice, "alice", &rp, "openid").await;
    // Then openid profile: the consent page asks only for profile.
    let loc = alice
        .get(&authorize_path(&rp, "openid profile", ""))
        .await
        .location()
        .unwrap();
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");
    let page = alice.get_html(&loc).await.body;
    let asked = page
        .split("data-testid=\"consent-scopes\"")
        .nth(1)
        .and_then(|s| s.split("</ul>").next())
        .unwrap_or_default();
    assert!(asked.contains("See your name and username"), "{asked}");
    assert!(
        !asked.contains("Sign you in"),
        "what was allowed before is not asked again: {asked}"
    );
    assert!(page.contains("data-testid=\"consent-already\""), "{page}");
    assert!(page.contains("It asks for more than you allowed before"));
}

/// Issue 16: administrators see any person's authorizations and revoke one for
/// them; nobody else may look.
#[tokio::test]
async fn an_administrator_sees_and_revokes_a_persons_authorization() {
    let (app, rp) = setup().await;
    let alice_id = domain::accounts::find_by_username(&app.db, "alice")
        .await
        .unwrap()
        .unwrap()
        .id;
    let alice = app.browser();
    let tokens = exchange(
        &app,
        &rp,
        &code_as(&alice, "alice", &rp, "openid profile").await,
    )
    .await;
    let access = s(&tokens, "access_token");

    // bob (not an administrator) may not look.
    let bob = app.browser();
    bob.sign_in("bob", ADMIN_PASSWORD).await;
    let r = bob
        .get(&format!("/api/admin/user_apps?user_id={alice_id}"))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    let admin = app.browser();
    admin.sign_in(&app.admin.username, ADMIN_PASSWORD).await;
    let seen = admin
        .get(&format!("/api/admin/user_apps?user_id={alice_id}"))
        .await
        .json();
    assert_eq!(seen["username"], "alice");
    let listed = &seen["list"]["apps"][0];
    assert_eq!(listed["client_id"], rp.id.as_str());
    let grant_id = s(listed, "grant_id").to_owned();
    let page = admin
        .get_html(&format!("/admin/users/{alice_id}/apps"))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Revoke for this person"),
        "{}",
        page.body
    );
    let r = admin.get("/api/admin/user_apps?user_id=no-such-user").await;
    assert_eq!(r.status, 404, "{}", r.body);

    // Unconfirmed: nothing. A grant of someone else's under alice's id: not found.
    let r = admin
        .post(
            "/api/admin/revoke_user_app",
            &[("user_id", &alice_id), ("grant_id", &grant_id)],
        )
        .await;
    assert!(
        r.status >= 400 && r.error_message().contains("confirm"),
        "{}",
        r.body
    );
    let bob_id = domain::accounts::find_by_username(&app.db, "bob")
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = admin
        .post(
            "/api/admin/revoke_user_app",
            &[
                ("user_id", &bob_id),
                ("grant_id", &grant_id),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("NotFound"), "{}", r.body);
    assert_eq!(introspect(&app, &rp, access).await["active"], true);

    let r = admin
        .post(
            "/api/admin/revoke_user_app",
            &[
                ("user_id", &alice_id),
                ("grant_id", &grant_id),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(introspect(&app, &rp, access).await["active"], false);
    assert_eq!(app.count("grants").await, 0);
    let ev = app.audit_events_of("grant.revoked").await;
    assert_eq!(ev.last().unwrap()["user"], alice_id.as_str());
}
