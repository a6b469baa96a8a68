//! The device authorization grant (RFC 8628) over real HTTP: the endpoint, the
//! `/device` page's server functions and form posts as a browser without JavaScript
//! sends them, every polling answer, the one-time consumption under real
//! concurrency, the throttle on guessing user codes, and what is stored.

use domain::accounts::Role;
use domain::clients::{self, ApplicationType, AuthMethod, NewClient};
use domain::platform::password::PasswordHasher;
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::helpers::*;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const REDIRECT: &str = "http://127.0.0.1/callback";

/// A public native client (a CLI, a TV app) with the device grant.
async fn device_client(app: &TestApp, grants: &[&str]) -> String {
    clients::create(
        &app.db,
        &PasswordHasher::new(),
        domain::audit::Actor::Operator,
        NewClient {
            application_type: Some(ApplicationType::Native),
            metadata: domain::clients::ClientPatch {
                name: Some("Lobby TV".into()),
                token_endpoint_auth_method: Some(AuthMethod::None),
                redirect_uris: Some(vec![REDIRECT.into()]),
                grant_types: Some(grants.iter().map(|g| g.to_string()).collect()),
                ..Default::default()
            },
            scopes: ["openid", "profile", "email"].map(String::from).to_vec(),
            ..Default::default()
        },
        app.clock_now(),
    )
    .await
    .unwrap()
    .client
    .id
}

async fn tv(app: &TestApp) -> String {
    device_client(app, &["authorization_code", "refresh_token", DEVICE_GRANT]).await
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = http()
        .post(format!("{}{path}", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(
        r.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "{path} answers no-store"
    );
    (status, r.json().await.unwrap_or(Value::Null))
}

/// POST /oauth/device_authorization for a public client.
async fn authorize_device(app: &TestApp, client_id: &str, scope: &str) -> Value {
    let (status, body) = post_form(
        app,
        "/oauth/device_authorization",
        &[("client_id", client_id), ("scope", scope)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// One poll of the token endpoint: (status, body).
async fn poll(app: &TestApp, client_id: &str, device_code: &str) -> (u16, Value) {
    post_form(
        app,
        "/oauth/token",
        &[
            ("grant_type", DEVICE_GRANT),
            ("client_id", client_id),
            ("device_code", device_code),
        ],
    )
    .await
}

async fn poll_error(app: &TestApp, client_id: &str, device_code: &str) -> String {
    let (status, body) = poll(app, client_id, device_code).await;
    assert_eq!(status, 400, "{body}");
    body["error"].as_str().unwrap().to_owned()
}

/// What the `/device` page's data function answers for a code, as this browser.
async fn details(b: &Browser, user_code: &str) -> Value {
    let q = format!("user_code={}", enc(user_code));
    let r = b
        .get(&format!("/api/device_details?query={}", enc(&q)))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn entry_problem(v: &Value) -> Option<String> {
    v["Enter"]["problem"].as_str().map(str::to_owned)
}

/// Approves or denies `user_code` as a browser without JavaScript does: the page's
/// decision form, its hidden fields, and the button pressed.
async fn decide(b: &Browser, user_code: &str, decision: &str) -> Reply {
    let page = b
        .get_html(&format!("/device?user_code={}", enc(user_code)))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let mut fields: Vec<(String, String)> = hidden_fields(&page.body)
        .into_iter()
        .filter(|(n, _)| n != "csrf_token")
        .collect();
    assert!(
        fields.iter().any(|(k, _)| k == "user_code"),
        "the page shows the decision form: {}",
        page.body
    );
    fields.push(("decision".into(), decision.into()));
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post("/api/device_decide", &form).await
}

async fn signed_in(app: &TestApp, name: &str) -> Browser {
    create_user(&app.db, name, Role::User).await;
    let b = app.browser();
    b.sign_in(name, ADMIN_PASSWORD).await;
    b
}

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
async fn polling_answers_pending_slow_down_denied_and_expired() {
    let app = spawn_app().await;
    let client_id = tv(&app).await;
    let d = authorize_device(&app, &client_id, "openid").await;
    let code = d["device_code"].as_str().unwrap().to_owned();

    // RFC 8628 §3.5: too fast is slow_down, and the interval grows by 5 s each time.
    assert_eq!(
        poll_error(&app, &client_id, &code).await,
        "authorization_pending"
    );
    assert_eq!(poll_error(&app, &client_id, &code).await, "slow_down");
    app.clock.advance(9);
    assert_eq!(
        poll_error(&app, &client_id, &code).await,
        "slow_down",
        "the interval is 10 s now"
    );
    app.clock.advance(14);
    assert_eq!(
        poll_error(&app, &client_id, &code).await,
        "slow_down",
        "and 15 s after the second slow_down"
    );
    app.clock.advance(20);
    assert_eq!(
        poll_error(&app, &client_id, &code).await,
        "authorization_pending"
    );

    // Denied: the device hears access_denied.
    let d2 = authorize_device(&app, &client_id, "openid").await;
    let bob = signed_in(&app, "bob").await;
    let denied = decide(&bob, d2["user_code"].as_str().unwrap(), "deny").await;
    assert_eq!(denied.location().as_deref(), Some("/device?done=denied"));
    let code2 = d2["device_code"].as_str().unwrap();
    assert_eq!(poll_error(&app, &client_id, code2).await, "access_denied");
    assert!(app
        .audit_types()
        .await
        .contains(&"device_authorization.denied".to_owned()));

    // Expired: after expires_in, whatever the state.
    app.clock.advance(600);
    assert_eq!(poll_error(&app, &client_id, &code).await, "expired_token");
    assert_eq!(poll_error(&app, &client_id, code2).await, "expired_token");
}

#[tokio::test]
async fn only_the_client_the_code_was_issued_to_may_poll_and_only_with_the_grant() {
    let app = spawn_app().await;
    let client_id = tv(&app).await;
    let other = tv(&app).await;
    let d = authorize_device(&app, &client_id, "openid").await;
    let code = d["device_code"].as_str().unwrap().to_owned();
    let alice = signed_in(&app, "alice").await;
    decide(&alice, d["user_code"].as_str().unwrap(), "allow").await;

    assert_eq!(poll_error(&app, &other, &code).await, "invalid_grant");
    assert_eq!(
        poll_error(&app, &client_id, "no-such-device-code").await,
        "invalid_grant"
    );
    let (status, body) = post_form(
        &app,
        "/oauth/token",
        &[("grant_type", DEVICE_GRANT), ("client_id", &client_id)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // The other client's try spent nothing: the right client still gets its tokens.
    assert_eq!(poll(&app, &client_id, &code).await.0, 200);

    // A client without the grant may neither start nor poll.
    let no_grant = device_client(&app, &["authorization_code"]).await;
    let (status, body) = post_form(
        &app,
        "/oauth/device_authorization",
        &[("client_id", &no_grant), ("scope", "openid")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    assert_eq!(
        poll_error(&app, &no_grant, &code).await,
        "unauthorized_client"
    );

    // Scopes as at /authorize: only those the client holds.
    let (status, body) = post_form(
        &app,
        "/oauth/device_authorization",
        &[("client_id", &client_id), ("scope", "openid admin")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    // Client authentication as at the token endpoint.
    let (status, body) = post_form(
        &app,
        "/oauth/device_authorization",
        &[("client_id", "nobody"), ("scope", "openid")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn two_concurrent_polls_after_approval_get_tokens_once() {
    let app = spawn_app().await;
    let client_id = tv(&app).await;
    let d = authorize_device(&app, &client_id, "openid").await;
    let code = d["device_code"].as_str().unwrap().to_owned();
    let alice = signed_in(&app, "alice").await;
    decide(&alice, d["user_code"].as_str().unwrap(), "allow").await;
    let base = app.base.clone();
    let results = burst(8, |_| {
        let (base, client_id, code) = (base.clone(), client_id.clone(), code.clone());
        async move {
            let r = reqwest::Client::new()
                .post(format!("{base}/oauth/token"))
                .form(&[
                    ("grant_type", DEVICE_GRANT),
                    ("client_id", &client_id),
                    ("device_code", &code),
                ])
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            (status, body["error"].as_str().map(str::to_owned))
        }
    })
    .await;
    let won = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter(|(s, _)| *s != 200)
            .all(|(s, e)| *s == 400 && e.as_deref() == Some("invalid_grant")),
        "{results:?}"
    );
    let issued = app
        .audit_types()
        .await
        .into_iter()
        .filter(|t| t == "token.issued")
        .count();
    assert_eq!(issued, 1);
}

#[tokio::test]
async fn unknown_expired_and_used_codes_are_not_valid_and_say_nothing_more() {
    let app = spawn_app().await;
    let client_id = tv(&app).await;
    let alice = signed_in(&app, "alice").await;
    assert_eq!(
        entry_problem(&details(&alice, "BCDF-GHJK").await).as_deref(),
        Some("not_valid")
    );
    assert_eq!(
        entry_problem(&details(&alice, "not a code").await).as_deref(),
        Some("not_valid")
    );

    let used = authorize_device(&app, &client_id, "openid").await;
    let used_code = used["user_code"].as_str().unwrap().to_owned();
    decide(&alice, &used_code, "allow").await;
    assert_eq!(
        entry_problem(&details(&alice, &used_code).await).as_deref(),
        Some("not_valid")
    );

    let late = authorize_device(&app, &client_id, "openid").await;
    let late_code = late["user_code"].as_str().unwrap().to_owned();
    // Typed lower-case with a space instead of the dash: the same code.
    let typed = late_code.to_lowercase().replace('-', " ");
    assert!(details(&alice, &typed).await["Consent"].is_object());
    // The page was open while the code expired: the decision is refused, readably.
    app.clock.advance(601);
    let page_fields = vec![("user_code", late_code.as_str()), ("decision", "allow")];
    let r = alice.post("/api/device_decide", &page_fields).await;
    let to = r.location().unwrap();
    assert_eq!(
        query_param(&to, "problem").as_deref(),
        Some("not_valid"),
        "{to}"
    );
    let shown = alice.get_html(&to).await;
    assert!(
        shown.body.contains("That code is not valid"),
        "{}",
        shown.body
    );
    assert_eq!(
        poll_error(&app, &client_id, late["device_code"].as_str().unwrap()).await,
        "expired_token"
    );

    // The clean-up job removes expired requests.
    let purged = domain::jobs::cleanup::purge(
        &app.db,
        Default::default(),
        Default::default(),
        app.clock_now() + 3600,
    )
    .await
    .unwrap();
    assert_eq!(purged.device_codes, 2);
    assert_eq!(app.count("device_codes").await, 0);
}

#[tokio::test]
async fn guessing_user_codes_is_throttled_per_person_even_in_parallel() {
    let app = spawn_app().await;
    let client_id = tv(&app).await;
    let alice = signed_in(&app, "alice").await;
    let d = authorize_device(&app, &client_id, "openid").await;
    let right = d["user_code"].as_str().unwrap().to_owned();
    // Five wrong codes (the sign-in policy's per-account limit) lock the person;
    // the fifth already says so.
    for i in 0..5 {
        assert_eq!(
            entry_problem(&details(&alice, "BCDF-GHJK").await).as_deref(),
            Some(if i < 4 { "not_valid" } else { "throttled" })
        );
    }
    let v = details(&alice, &right).await;
    assert_eq!(entry_problem(&v).as_deref(), Some("throttled"), "{v}");
    let r = alice
        .post(
            "/api/device_decide",
            &[("user_code", &right), ("decision", "allow")],
        )
        .await;
    assert_eq!(
        query_param(&r.location().unwrap(), "problem").as_deref(),
        Some("throttled")
    );
    // Nobody else is locked out by alice's guesses.
    let bob = signed_in(&app, "bob").await;
    assert!(details(&bob, &right).await["Consent"].is_object());
    // The lock ends with the window.
    app.clock.advance(15 * 60);
    let fresh = authorize_device(&app, &client_id, "openid").await;
    let fresh_code = fresh["user_code"].as_str().unwrap();
    assert!(details(&alice, fresh_code).await["Consent"].is_object());

    // Parallel wrong guesses get no more lookups than the limit.
    let carol = signed_in(&app, "carol").await;
    let carol = std::sync::Arc::new(carol);
    let answers = burst(30, |_| {
        let carol = carol.clone();
        async move { entry_problem(&details(&carol, "BCDF-GHJK").await) }
    })
    .await;
    let not_valid = answers
        .iter()
        .filter(|a| a.as_deref() == Some("not_valid"))
        .count();
    let throttled = answers
        .iter()
        .filter(|a| a.as_deref() == Some("throttled"))
        .count();
    // Five slots: four plain failures and the one that locks (which says so).
    assert_eq!((not_valid, throttled), (4, 26), "{answers:?}");
}

#[tokio::test]
async fn device_and_user_codes_are_stored_only_hashed() {
    let app = spawn_app().await;
    let client_id = tv(&app).await;
    let d = authorize_device(&app, &client_id, "openid").await;
    let device_code = d["device_code"].as_str().unwrap();
    let user_code = d["user_code"].as_str().unwrap();
    let bare = user_code.replace('-', "");
    let rows = domain::entities::device_code::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = format!("{:?}", rows[0]);
    for secret in [device_code, user_code, bare.as_str()] {
        assert!(!row.contains(secret), "{secret} stored in clear: {row}");
    }
    assert_eq!(
        rows[0].device_code_hash,
        domain::platform::secret::token_hash(device_code)
    );
    // Nor in the audit log.
    let events: Vec<String> = domain::entities::audit_event::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{e:?}"))
        .collect();
    for secret in [device_code, bare.as_str()] {
        assert!(events.iter().all(|e| !e.contains(secret)));
    }
}

#[tokio::test]
async fn revoking_a_device_approval_on_my_apps_revokes_its_access_token_even_without_refresh() {
    let app = spawn_app().await;
    let client_id = device_client(&app, &["authorization_code", DEVICE_GRANT]).await;
    let d = authorize_device(&app, &client_id, "openid").await;
    let alice = signed_in(&app, "alice").await;
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
