//! Personal access tokens (issue 15): made on `/account/tokens`, shown once,
//! stored hashed, accepted by the REST API as their person — read-only ones only
//! for reading — until revoked, expired (also by a lowered cap) or the account
//! is disabled.

use domain::accounts::{AdminCtx, Role};
use serde_json::Value;

use crate::helpers::*;

async fn make(b: &Browser, name: &str, scope: &str, days: &str) -> Reply {
    b.post(
        "/api/account/create_token",
        &[("name", name), ("scope", scope), ("days", days)],
    )
    .await
}

/// Makes a token and reads it from the page's next view.
async fn made(b: &Browser, name: &str, scope: &str, days: &str) -> String {
    let r = make(b, name, scope, days).await;
    assert!(r.status < 400, "{}", r.body);
    let v = b.get("/api/account/tokens").await.json();
    v["new_token"].as_str().expect("shown once").to_owned()
}

/// GET (or POST) the REST API's client list with `token`.
async fn call(app: &TestApp, method: reqwest::Method, auth: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .request(method.clone(), format!("{}/api/v1/clients", app.base))
        .header("authorization", auth);
    let r = if method == reqwest::Method::POST {
        r.json(&serde_json::json!({ "name": "From a script", "application_type": "service" }))
    } else {
        r
    };
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_personal_token_is_its_person_on_the_rest_api_until_revoked() {
    let app = spawn_app().await;
    create_user(&app.db, "dora", Role::Developer).await;
    let dora = app.browser();
    assert!(dora.sign_in("dora", ADMIN_PASSWORD).await.status < 400);

    let full = made(&dora, "CI deploys", "portal", "30").await;
    assert!(full.starts_with("pcp_") && full.len() == 47, "{full}");
    // Shown once: the next view has no token.
    let again = dora.get("/api/account/tokens").await.json();
    assert_eq!(again["new_token"], Value::Null, "{again}");
    assert_eq!(again["tokens"][0]["name"], "CI deploys");
    assert_eq!(again["tokens"][0]["last_used"], Value::Null);
    // Stored as its hash only.
    use sea_orm::EntityTrait;
    let stored: Vec<String> = domain::entities::personal_token::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.token_hash)
        .collect();
    assert_eq!(stored, [domain::platform::secret::token_hash(&full)]);

    let (status, v) = call(&app, reqwest::Method::GET, &format!("Bearer {full}")).await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = call(&app, reqwest::Method::POST, &format!("Bearer {full}")).await;
    assert_eq!(status, 201, "{v}");
    let listed = dora.get("/api/account/tokens").await.json();
    assert!(listed["tokens"][0]["last_used"].is_string(), "{listed}");

    // Read only: reading works, writing is insufficient_scope.
    let read = made(&dora, "Dashboard", "portal:read", "7").await;
    let (status, _) = call(&app, reqwest::Method::GET, &format!("Bearer {read}")).await;
    assert_eq!(status, 200);
    let (status, v) = call(&app, reqwest::Method::POST, &format!("Bearer {read}")).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (403, Some("insufficient_scope")),
        "{v}"
    );
    // Not as a DPoP token, not altered, not unknown.
    for auth in [
        format!("DPoP {full}"),
        format!("Bearer {}x", &full),
        format!("Bearer pcp_{}", "A".repeat(43)),
    ] {
        let (status, v) = call(&app, reqwest::Method::GET, &auth).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (401, Some("invalid_token")),
            "{auth}: {v}"
        );
    }

    // Bad input changes nothing.
    let before = app.count("personal_tokens").await;
    for (name, scope, days, field) in [
        ("", "portal", "30", "name"),
        (&"x".repeat(81)[..], "portal", "30", "name"),
        ("ok", "admin", "30", "scope"),
        ("ok", "portal", "0", "days"),
        ("ok", "portal", "91", "days"),
        ("ok", "portal", "soon", "days"),
    ] {
        let r = make(&dora, name, scope, days).await;
        assert_eq!(r.status, 422, "{name} {scope} {days}: {}", r.body);
        assert!(r.body.contains(field), "{}", r.body);
    }
    assert_eq!(app.count("personal_tokens").await, before);

    // Revoking: someone else's is not found; unconfirmed does nothing; then it stops.
    let id = listed["tokens"][0]["id"].as_str().unwrap().to_owned();
    create_user(&app.db, "eve", Role::Developer).await;
    let eve = app.browser();
    assert!(eve.sign_in("eve", ADMIN_PASSWORD).await.status < 400);
    let r = eve
        .post(
            "/api/account/revoke_token",
            &[("id", &id), ("confirm", "yes")],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("NotFound"), "{}", r.body);
    let r = dora.post("/api/account/revoke_token", &[("id", &id)]).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        call(&app, reqwest::Method::GET, &format!("Bearer {full}"))
            .await
            .0,
        200
    );
    let r = dora
        .post(
            "/api/account/revoke_token",
            &[("id", &id), ("confirm", "yes")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(
        call(&app, reqwest::Method::GET, &format!("Bearer {full}"))
            .await
            .0,
        401
    );
    assert_eq!(app.audit_events_of("personal_token.created").await.len(), 2);
    let revoked = app.audit_events_of("personal_token.revoked").await;
    assert_eq!(revoked[0]["name"], "CI deploys");

    // A disabled account's tokens stop.
    domain::accounts::set_disabled(
        &app.db,
        &app.revocations,
        &AdminCtx::operator(),
        "dora",
        true,
        app.clock_now(),
    )
    .await
    .unwrap();
    assert_eq!(
        call(&app, reqwest::Method::GET, &format!("Bearer {read}"))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn lowering_the_cap_shortens_the_tokens_already_made() {
    let app = spawn_app().await;
    create_user(&app.db, "finn", Role::Developer).await;
    let finn = app.browser();
    assert!(finn.sign_in("finn", ADMIN_PASSWORD).await.status < 400);
    let token = made(&finn, "Nightly export", "portal:read", "60").await;
    let auth = format!("Bearer {token}");
    app.clock.advance(3 * 86_400);
    assert_eq!(call(&app, reqwest::Method::GET, &auth).await.0, 200);

    // An administrator caps tokens at two days on the settings page.
    let admin = app.browser();
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let r = admin
        .post(
            "/api/admin/save_settings",
            &[
                ("third_party_oauth", "on"),
                ("access_token_secs", "300"),
                ("refresh_token_hours", "720"),
                ("default_client_lifetime_days", "365"),
                ("default_client_scopes[]", "openid"),
                ("personal_token_max_days", "2"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let r = admin
        .post(
            "/api/admin/save_settings",
            &[
                ("access_token_secs", "300"),
                ("refresh_token_hours", "720"),
                ("default_client_lifetime_days", "365"),
                ("personal_token_max_days", "366"),
            ],
        )
        .await;
    assert!(
        r.status >= 400 && r.body.contains("personal_token_max_days"),
        "{}",
        r.body
    );
    assert_eq!(call(&app, reqwest::Method::GET, &auth).await.0, 401);
    // (Three days on, finn's browser session has ended: signed in again.)
    let finn = app.browser();
    assert!(finn.sign_in("finn", ADMIN_PASSWORD).await.status < 400);
    let listed = finn.get("/api/account/tokens").await.json();
    assert_eq!(listed["max_days"], 2);
    assert_eq!(listed["tokens"][0]["live"], false, "{listed}");
    // New ones are bounded by it.
    assert_eq!(make(&finn, "Too long", "portal", "3").await.status, 422);
}

/// An administrator's revocation of `user`'s token `id`.
async fn revoke(b: &Browser, user: &str, id: &str, confirm: bool) -> Reply {
    let mut f = vec![("user_id", user), ("id", id)];
    if confirm {
        f.push(("confirm", "yes"));
    }
    b.post("/api/admin/revoke_user_token", &f).await
}

/// Administrators see a person's tokens on their authorizations page and can
/// revoke one, as the person would (the event names the person's account).
#[tokio::test]
async fn an_administrator_sees_and_revokes_a_persons_tokens() {
    let app = spawn_app().await;
    create_user(&app.db, "ivy", Role::Developer).await;
    let ivy = app.browser();
    assert!(ivy.sign_in("ivy", ADMIN_PASSWORD).await.status < 400);
    let token = made(&ivy, "Laptop script", "portal", "10").await;
    let id = ivy.get("/api/account/tokens").await.json()["tokens"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = app.browser();
    assert!(admin.sign_in("admin", ADMIN_PASSWORD).await.status < 400);
    let users = admin.get("/api/admin/users?search=ivy&page=1").await.json();
    let uid = users["users"][0]["id"].as_str().unwrap().to_owned();

    let seen = admin
        .get(&format!("/api/admin/user_apps?user_id={uid}"))
        .await
        .json();
    assert_eq!(seen["tokens"][0]["name"], "Laptop script", "{seen}");
    assert_eq!(seen["tokens"][0]["live"], true);

    // Not an administrator; not confirmed; the token named under someone else.
    assert_eq!(revoke(&ivy, &uid, &id, true).await.status, 403);
    assert_eq!(revoke(&admin, &uid, &id, false).await.status, 422);
    let admins = admin
        .get("/api/admin/users?search=admin&page=1")
        .await
        .json();
    let other = admins["users"][0]["id"].as_str().unwrap().to_owned();
    let r = revoke(&admin, &other, &id, true).await;
    assert!(r.status >= 400 && r.body.contains("NotFound"), "{}", r.body);
    assert_eq!(
        call(&app, reqwest::Method::GET, &format!("Bearer {token}"))
            .await
            .0,
        200
    );

    let r = revoke(&admin, &uid, &id, true).await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(
        call(&app, reqwest::Method::GET, &format!("Bearer {token}"))
            .await
            .0,
        401
    );
    let ev = app.audit_events_of("personal_token.revoked").await;
    assert_eq!(ev[0]["user"], uid.as_str());
}

#[tokio::test]
async fn expired_tokens_stay_listed_a_month_then_the_clean_up_job_deletes_them() {
    let app = spawn_app().await;
    create_user(&app.db, "dora", Role::Developer).await;
    let dora = app.browser();
    assert!(dora.sign_in("dora", ADMIN_PASSWORD).await.status < 400);
    made(&dora, "short", "portal", "1").await;
    made(&dora, "long", "portal", "60").await;
    let purge = |at: i64| {
        let db = app.db.clone();
        async move {
            domain::jobs::cleanup::purge(&db, Default::default(), Default::default(), at)
                .await
                .unwrap()
                .personal_tokens
        }
    };
    let day = 86_400;
    // Expired a day ago, then 29 days ago: still listed, marked by its date.
    assert_eq!(purge(app.clock_now() + 2 * day).await, 0);
    assert_eq!(purge(app.clock_now() + 30 * day).await, 0);
    assert_eq!(app.count("personal_tokens").await, 2);
    // A month and a day past its expiry: gone; the live one stays.
    assert_eq!(purge(app.clock_now() + 32 * day).await, 1);
    let user = domain::accounts::find_by_username(&app.db, "dora")
        .await
        .unwrap()
        .unwrap();
    let left: Vec<String> = domain::accounts::personal_tokens::list(&app.db, &user.id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(left, ["long"]);
}

#[tokio::test]
async fn a_person_holds_at_most_fifty_tokens_even_when_creating_them_at_once() {
    let app = spawn_app().await;
    let user = create_user(&app.db, "dora", Role::Developer).await;
    for i in 0..45 {
        domain::accounts::personal_tokens::create(
            &app.db,
            &user,
            &format!("job {i}"),
            "portal:read",
            30,
            90,
            None,
            app.clock_now(),
        )
        .await
        .unwrap();
    }
    let dora = app.browser();
    assert!(dora.sign_in("dora", ADMIN_PASSWORD).await.status < 400);
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..20 {
        let b = Browser {
            client: dora.client.clone(),
            base: dora.base.clone(),
        };
        burst.spawn(async move { make(&b, &format!("burst {i}"), "portal", "30").await });
    }
    let replies: Vec<Reply> = burst.join_all().await;
    let made = replies.iter().filter(|r| r.status < 400).count();
    let refused: Vec<&Reply> = replies.iter().filter(|r| r.status >= 400).collect();
    assert_eq!((made, refused.len()), (5, 15));
    for r in refused {
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("the most one person may"), "{}", r.body);
    }
    assert_eq!(app.count("personal_tokens").await, 50);
    assert_eq!(
        app.audit_events_of("personal_token.created").await.len(),
        50
    );
}
