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

/// A token request for `client` with `secret` (Basic), its status and body.
async fn token_with(app: &TestApp, id: &str, secret: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// The refusals by code, sorted by code (after checking they come most first).
fn failures(u: &Value) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = u["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(v.windows(2).all(|w| w[0].1 >= w[1].1), "most first: {v:?}");
    v.sort();
    v
}

#[tokio::test]
async fn refused_token_requests_are_counted_by_error_code_for_the_client_alone() {
    let app = spawn_app().await;
    let dev = create_user(&app.db, "dana", Role::Developer).await;
    let mut new = rp::notebook(&["openid"]);
    new.owner_id = Some(dev.id.clone());
    let client = register(&app, new).await;
    let other = register(&app, rp::notebook(&["openid"])).await;
    create_user(&app.db, "user-a", Role::User).await;
    let cc = [("grant_type", "client_credentials")];

    // Twelve requests at once with an old secret: each refused either as
    // `invalid_client` (counted) or, once the pair's throttle is full, throttled
    // (not counted: already a flood).
    let base = app.base.clone();
    let id = client.id.clone();
    let statuses = burst(12, move |_| {
        let (base, id) = (base.clone(), id.clone());
        async move {
            reqwest::Client::new()
                .post(format!("{base}/oauth/token"))
                .basic_auth(&id, Some("an old secret"))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    })
    .await;
    let wrong_secret = statuses.iter().filter(|s| **s == 401).count() as u64;
    assert!(wrong_secret >= 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    // The throttle's lockout ends (the same UTC day).
    app.clock.advance(10 * 60);

    // A made-up code, a replayed one, a grant type nobody knows.
    let (status, body) = rp::token(
        &app,
        &client,
        &[
            ("grant_type", "authorization_code"),
            ("code", "made-up"),
            ("redirect_uri", rp::REDIRECT),
            ("code_verifier", rp::VERIFIER),
        ],
    )
    .await;
    assert_eq!(
        (status, rp::s(&body, "error")),
        (400, "invalid_grant"),
        "{body}"
    );
    let code = rp::code_as(&app.browser(), "user-a", &client, "openid").await;
    rp::exchange(&app, &client, &code).await;
    let replay = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", rp::REDIRECT),
        ("code_verifier", rp::VERIFIER),
    ];
    assert_eq!(rp::token(&app, &client, &replay).await.0, 400);
    let (status, body) = rp::token(&app, &client, &[("grant_type", "urn:example:nothing")]).await;
    assert_eq!(
        (status, rp::s(&body, "error")),
        (400, "unsupported_grant_type")
    );
    // Not the client's: a stranger naming no client, and another client's refusal.
    let (status, _) = token_with(&app, "no-such-client", "x", &cc).await;
    assert_eq!(status, 401);
    assert_eq!(token_with(&app, &other.id, "wrong", &cc).await.0, 401);

    // Counted in memory; reading the usage writes this process's counts first.
    let u = usage(&app, "dana", &client.id).await;
    assert_eq!(
        failures(&u),
        vec![
            ("invalid_client".to_owned(), wrong_secret),
            ("invalid_grant".to_owned(), 2),
            ("unsupported_grant_type".to_owned(), 1),
        ],
        "{u}"
    );
    assert_eq!(u["failed"].as_u64(), Some(wrong_secret + 3));
    assert_eq!(u["days"][29]["failed"].as_u64(), Some(wrong_secret + 3));
    assert_eq!(u["refused"], 1, "the replay is also counted as a replay");
    let meaning = |v: &Value, code: &str| {
        v["failures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .map(|f| f["meaning"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert!(meaning(&u, "invalid_client").contains("wrong or old secret"));
    // Nothing stored for the stranger; the other client's one refusal is its own.
    assert_eq!(app.count("client_token_refusals").await, 4);

    // Several processes add up: counts written by another process (as its flush
    // writes them) join this one's.
    let more = domain::clients::refusals::TokenRefusals::default();
    more.note(&client.id, "invalid_grant", app.clock_now());
    more.note(&client.id, "invalid_grant", app.clock_now());
    more.note("no-such-client", "invalid_grant", app.clock_now());
    // One row (the client's day and code, two more); none for a client that does
    // not exist.
    assert_eq!(more.flush(&app.db).await, 1);

    // Pages read at once each see every count made before them (one flush waits
    // for the other instead of reading while the other's counts are in flight).
    let api = Api::for_user(&app, &dev).await;
    for _ in 0..5 {
        app.clients
            .refusals
            .note(&client.id, "invalid_scope", app.clock_now());
    }
    let path = format!("/api/v1/clients/{}/usage", client.id);
    let seen = burst(6, |_| {
        let (api, path) = (api.clone(), path.clone());
        async move { api.get(&path).await.json()["days"][29]["failed"].as_u64() }
    })
    .await;
    assert_eq!(seen, vec![Some(wrong_secret + 10); 6]);

    // The REST API says the same, with what each code means.
    let r = api
        .get(&format!("/api/v1/clients/{}/usage", client.id))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(
        failures(&v),
        vec![
            ("invalid_client".to_owned(), wrong_secret),
            ("invalid_grant".to_owned(), 4),
            ("invalid_scope".to_owned(), 5),
            ("unsupported_grant_type".to_owned(), 1),
        ]
    );
    assert_eq!(v["days"][29]["failed"].as_u64(), Some(wrong_secret + 10));
    assert!(meaning(&v, "invalid_grant").contains("already used"));

    // Past the window the counts leave the chart and the hourly pruning drops them.
    app.clock.advance(31 * 86_400);
    let u = usage(&app, "dana", &client.id).await;
    assert_eq!((u["failed"].as_u64(), failures(&u).len()), (Some(0), 0));
    let before = app.clock_now() - 31 * 86_400;
    domain::clients::refusals::TokenRefusals::prune(&app.db, before + 1)
        .await
        .unwrap();
    assert_eq!(app.count("client_token_refusals").await, 0);

    // A deleted client's counts go with it.
    app.clients
        .refusals
        .note(&other.id, "invalid_grant", app.clock_now());
    app.clients.refusals.flush(&app.db).await;
    assert_eq!(app.count("client_token_refusals").await, 1);
    domain::clients::delete(
        &app.db,
        domain::audit::Actor::Operator,
        &other.id,
        app.clock_now(),
    )
    .await
    .unwrap();
    assert_eq!(app.count("client_token_refusals").await, 0);
}
