//! Issue 13, "usage for developers": a client's page shows the people who allowed
//! it, its tokens per UTC day over the last 30 days, its last token and the
//! replays refused — counted from the audit log and the grants, for its owner
//! (and administrators) only.

use domain::accounts::Role;
use domain::platform::clock::format_utc;
use serde_json::Value;

use crate::helpers::*;
use crate::rp;

/// The usage on the client page, as `who` sees it now (signed in afresh: the
/// clock moves on by days here).
async fn usage(app: &TestApp, who: &str, id: &str) -> Value {
    let b = signed_in(app, who).await;
    let r = b.get(&format!("/api/portal/client?id={id}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["usage"].clone()
}

fn day(u: &Value, i: usize) -> (u64, u64) {
    let d = &u["days"][i];
    (
        d["issued"].as_u64().unwrap() + d["refreshed"].as_u64().unwrap(),
        d["refused"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn the_client_page_counts_people_tokens_per_day_and_refused_replays() {
    let app = spawn_app().await;
    let dev = create_user(&app.db, "dana", Role::Developer).await;
    let mut new = rp::notebook(&["openid"]);
    new.owner_id = Some(dev.id.clone());
    let client = register(&app, new).await;

    let u = usage(&app, "dana", &client.id).await;
    assert_eq!(u["days"].as_array().unwrap().len(), 30);
    assert_eq!(
        (u["issued"].as_u64(), u["people"].as_u64()),
        (Some(0), Some(0))
    );
    assert!(u["last_token"].is_null());

    // Two people sign in through the app today; one code is replayed.
    create_user(&app.db, "user-a", Role::User).await;
    create_user(&app.db, "user-b", Role::User).await;
    let code = rp::code_as(&app.browser(), "user-a", &client, "openid").await;
    rp::exchange(&app, &client, &code).await;
    let (status, _) = rp::token(
        &app,
        &client,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", rp::REDIRECT),
            ("code_verifier", rp::VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 400);
    let code = rp::code_as(&app.browser(), "user-b", &client, "openid").await;
    rp::exchange(&app, &client, &code).await;
    let first_day = app.clock_now();

    // Two days later, one more sign-in.
    app.clock.advance(2 * 86_400);
    let code = rp::code_as(&app.browser(), "user-a", &client, "openid").await;
    rp::exchange(&app, &client, &code).await;

    let u = usage(&app, "dana", &client.id).await;
    assert_eq!(u["people"], 2);
    assert_eq!(u["issued"], 3);
    assert_eq!(u["refused"], 1);
    assert_eq!(day(&u, 27), (2, 1), "{}", u["days"][27]);
    assert_eq!(day(&u, 28), (0, 0));
    assert_eq!(day(&u, 29), (1, 0));
    assert_eq!(u["days"][29]["date"], format_utc(app.clock_now())[..10]);
    assert_eq!(u["days"][27]["date"], format_utc(first_day)[..10]);
    assert_eq!(u["last_token"], format_utc(app.clock_now()));

    // The same through the REST API, for scripts and dashboards.
    let api = Api::for_user(&app, &dev).await;
    let r = api
        .get(&format!("/api/v1/clients/{}/usage", client.id))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["days"].as_array().unwrap().len(), 30);
    assert_eq!(
        (
            v["days"][27]["issued"].as_u64(),
            v["days"][27]["refused"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(v["days"][29]["issued"], 1);
    assert_eq!(v["people"], 2);
    assert_eq!(v["last_token_at"], app.clock_now());
    let eve = create_user(&app.db, "eve", Role::Developer).await;
    let r = Api::for_user(&app, &eve)
        .await
        .get(&format!("/api/v1/clients/{}/usage", client.id))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);

    // Nobody else's business: another developer gets no page, an administrator does.
    let other = signed_in(&app, "eve").await;
    let r = other
        .get(&format!("/api/portal/client?id={}", client.id))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(usage(&app, "admin", &client.id).await["issued"], 3);

    // A month on, the days have left the window; the people are still there.
    app.clock.advance(30 * 86_400);
    let u = usage(&app, "dana", &client.id).await;
    assert_eq!(
        (u["issued"].as_u64(), u["refused"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(u["people"], 2);
    assert!(u["last_token"].is_null());
}
