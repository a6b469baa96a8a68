//! Findings M5 and L2: failed client authentication at the token, introspection and
//! revocation endpoints is throttled per (client id, address), per address and per
//! client id with 429 + `Retry-After`, the argon2 work an attack causes is bounded,
//! a person's sign-in is not starved by it, and every failure looks and costs the
//! same. Addresses come from `X-Forwarded-For` (the server trusts it here, as behind
//! a proxy), so one test can be many callers.

use domain::clients::{ApplicationType, NewClient};
use serde_json::Value;

use crate::helpers::*;

/// The documented policy: the defaults of `[throttle.clients]` (docs/SECURITY.md).
struct Policy {
    pair_max_failures: i32,
    ip_max_failures: i32,
    client_max_failures: i32,
    lockout_secs: i64,
    client_lockout_secs: i64,
}

const P: Policy = Policy {
    pair_max_failures: 10,
    ip_max_failures: 50,
    client_max_failures: 100,
    lockout_secs: 300,
    client_lockout_secs: 60,
};

async fn behind_proxy() -> TestApp {
    spawn_app_with(|s| s.trust_proxy_headers = true).await
}

async fn service(app: &TestApp, name: &str) -> Creds {
    register(
        app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some(name.into()),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Service),
            ..Default::default()
        },
    )
    .await
}

struct Answer {
    status: u16,
    retry_after: Option<i64>,
    body: Value,
}

async fn post_as(base: &str, endpoint: &str, id: &str, secret: &str, ip: &str) -> Answer {
    let form: &[(&str, &str)] = match endpoint {
        "token" => &[("grant_type", "client_credentials")],
        _ => &[("token", "not-a-token")],
    };
    let r = reqwest::Client::new()
        .post(format!("{base}/oauth/{endpoint}"))
        .basic_auth(id, Some(secret))
        .header("x-forwarded-for", ip)
        .form(form)
        .send()
        .await
        .unwrap();
    Answer {
        status: r.status().as_u16(),
        retry_after: r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok()),
        body: r.json().await.unwrap_or(Value::Null),
    }
}

async fn token(app: &TestApp, c: &Creds, ip: &str) -> Answer {
    post_as(&app.base, "token", &c.id, &c.secret, ip).await
}

/// `n` token requests at once with wrong secrets; `who(i)` gives the client id and
/// the address of request `i`.
async fn wrong_secrets(
    app: &TestApp,
    n: usize,
    who: impl Fn(usize) -> (String, String),
) -> Vec<Answer> {
    let base = app.base.clone();
    burst(n, |i| {
        let (id, ip) = who(i);
        let base = base.clone();
        async move { post_as(&base, "token", &id, &format!("wrong-secret-{i}"), &ip).await }
    })
    .await
}

fn tally(answers: &[Answer]) -> (usize, usize) {
    let n = |s| answers.iter().filter(|a| a.status == s).count();
    (n(401), n(429))
}

/// Every refusal is 429 `invalid_client` with a `Retry-After` of at most `lockout`.
fn assert_throttled(a: &Answer, lockout: i64) {
    assert_eq!(a.status, 429, "{}", a.body);
    assert_eq!(a.body["error"], "invalid_client");
    let secs = a.retry_after.expect("Retry-After");
    assert!((1..=lockout).contains(&secs), "Retry-After: {secs}");
}

/// Issue 14: the counts live in the database, so an attacker spreading guesses over
/// the nodes of a cluster gets no more than from one node. (What each node keeps in
/// memory — the locks it has seen, for at most `throttle::local::REMEMBER_SECS` —
/// only ever refuses sooner.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_spread_over_two_nodes_count_toward_one_limit() {
    let app = behind_proxy().await;
    let (second, second_hasher) = spawn_second_server(&app).await;
    let svc = service(&app, "Clustered bot").await;
    let before = app.hasher.verifications() + second_hasher.verifications();
    let bases = [app.base.clone(), second.clone()];
    let id = svc.id.clone();
    let answers = burst(300, |i| {
        let (base, id) = (bases[i % 2].clone(), id.clone());
        async move { post_as(&base, "token", &id, &format!("wrong-{i}"), "198.51.100.9").await }
    })
    .await;
    let hashed = app.hasher.verifications() + second_hasher.verifications() - before;
    let (unauthorized, throttled) = tally(&answers);
    println!("300 wrong secrets over two nodes: {hashed} argon2 runs, {unauthorized} x 401, {throttled} x 429");
    assert_eq!(unauthorized + throttled, 300);
    assert!(
        unauthorized <= P.pair_max_failures as usize,
        "{unauthorized} failures counted across the nodes"
    );
    assert!(
        hashed <= P.pair_max_failures as u64,
        "{hashed} verifications"
    );
    // Locked on both nodes, also for the real secret.
    for base in [&app.base, &second] {
        assert_throttled(
            &post_as(base, "token", &svc.id, &svc.secret, "198.51.100.9").await,
            P.lockout_secs,
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secrets_from_one_address_lock_only_that_client_at_that_address() {
    let app = behind_proxy().await;
    let p = &P;
    let svc = service(&app, "Meeting bot").await;
    let before = app.hasher.verifications();
    let answers = wrong_secrets(&app, 300, |_| (svc.id.clone(), "198.51.100.7".into())).await;
    let hashed = app.hasher.verifications() - before;
    let (unauthorized, throttled) = tally(&answers);
    println!("300 wrong secrets from one address: {hashed} argon2 runs, {unauthorized} x 401, {throttled} x 429");
    assert!(
        hashed <= p.pair_max_failures as u64,
        "{hashed} verifications"
    );
    assert_eq!(unauthorized + throttled, 300);
    assert!(unauthorized <= p.pair_max_failures as usize);
    for a in answers.iter().filter(|a| a.status == 429) {
        assert_throttled(a, p.lockout_secs);
    }
    // The real secret, never verified here, from the locked address: refused too.
    assert_throttled(&token(&app, &svc, "198.51.100.7").await, p.lockout_secs);
    // From anywhere else the real client is not locked out.
    assert_eq!(token(&app, &svc, "198.51.100.8").await.status, 200);
    // Introspection and revocation share the throttle.
    for endpoint in ["introspect", "revoke"] {
        let a = post_as(&app.base, endpoint, &svc.id, "wrong", "198.51.100.7").await;
        assert_throttled(&a, p.lockout_secs);
    }
}

/// Behind the proxy, a client writes its own `X-Forwarded-For` entries and the proxy
/// appends the address it really came from. Forging a new address on every request
/// must not make one attacker many callers: the address that counts is the one the
/// proxy appended. (With the leftmost entry, as before, this burst cost 100 argon2
/// runs and no lock.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_forwarded_address_does_not_escape_the_throttle() {
    let app = behind_proxy().await;
    let p = &P;
    let svc = service(&app, "Meeting bot").await;
    let before = app.hasher.verifications();
    let answers = wrong_secrets(&app, 100, |i| {
        let forged = format!("10.{}.{}.{}", i / 65_536 % 256, i / 256 % 256, i % 256);
        (svc.id.clone(), format!("{forged}, 198.51.100.9"))
    })
    .await;
    let hashed = app.hasher.verifications() - before;
    let (unauthorized, throttled) = tally(&answers);
    println!("100 wrong secrets, each with a forged address: {hashed} argon2 runs, {unauthorized} x 401, {throttled} x 429");
    assert!(
        hashed <= p.pair_max_failures as u64,
        "{hashed} verifications"
    );
    assert!(unauthorized <= p.pair_max_failures as usize);
    assert_eq!(unauthorized + throttled, 100);
    // The real address is locked for this client, whatever it writes in front.
    assert_throttled(
        &token(&app, &svc, "203.0.113.50, 198.51.100.9").await,
        p.lockout_secs,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secrets_for_one_client_from_many_addresses_hit_a_short_ceiling() {
    let app = behind_proxy().await;
    let p = &P;
    let svc = service(&app, "Meeting bot").await;
    let warm = service(&app, "Warm client").await;
    let other = service(&app, "Other client").await;
    // A client whose secret this server has verified before the attack.
    assert_eq!(token(&app, &warm, "192.0.2.1").await.status, 200);

    let before = app.hasher.verifications();
    let n = 300;
    let answers = wrong_secrets(&app, n, |i| {
        // Each address stays below the per-address limits.
        let id = if i % 2 == 0 { &svc.id } else { &warm.id };
        (id.clone(), format!("10.1.{}.{}", i / 200, i % 200))
    })
    .await;
    let hashed = app.hasher.verifications() - before;
    let (unauthorized, throttled) = tally(&answers);
    println!("{n} wrong secrets for two clients from {n} addresses: {hashed} argon2 runs, {unauthorized} x 401, {throttled} x 429");
    assert!(
        hashed <= 2 * p.client_max_failures as u64,
        "{hashed} verifications for two clients"
    );
    assert_eq!(unauthorized + throttled, n);
    for a in answers.iter().filter(|a| a.status == 429) {
        assert_throttled(a, p.client_lockout_secs);
    }
    // The real client's secret, not verified yet, is refused from a new address...
    assert_throttled(
        &token(&app, &svc, "203.0.113.1").await,
        p.client_lockout_secs,
    );
    // ... while a secret verified before the attack keeps working (no lock check on
    // the cached path), and other clients are not affected.
    assert_eq!(token(&app, &warm, "203.0.113.2").await.status, 200);
    assert_eq!(token(&app, &other, "203.0.113.3").await.status, 200);
    // The ceiling's lock is short.
    app.clock.advance(p.client_lockout_secs + 1);
    assert_eq!(token(&app, &svc, "203.0.113.1").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_client_ids_from_one_address_lock_that_address() {
    let app = behind_proxy().await;
    let p = &P;
    let svc = service(&app, "Meeting bot").await;
    let before = app.hasher.verifications();
    let n = 2 * p.ip_max_failures as usize;
    let answers = wrong_secrets(&app, n, |i| {
        (format!("no-such-client-{i}"), "192.0.2.50".into())
    })
    .await;
    let hashed = app.hasher.verifications() - before;
    let (unauthorized, throttled) = tally(&answers);
    println!("{n} unknown client ids from one address: {hashed} argon2 runs, {unauthorized} x 401, {throttled} x 429");
    assert!(hashed <= p.ip_max_failures as u64, "{hashed} verifications");
    assert_eq!(unauthorized + throttled, n);
    for a in answers.iter().filter(|a| a.status == 429) {
        assert_throttled(a, p.lockout_secs);
    }
    assert_throttled(&token(&app, &svc, "192.0.2.50").await, p.lockout_secs);
    assert_eq!(token(&app, &svc, "192.0.2.51").await.status, 200);
}

/// The review's measurement: 400 wrong secrets for a real client slowed every
/// sign-in from 0.03 s to 3–5 s (one argon2 queue). Timings are printed, never
/// asserted; what is asserted is the mechanism: the attack's argon2 work is bounded
/// by the per-client ceiling (and runs in its own lane, see `domain::platform::password`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Wall-clock times are printed for the benchmark notes, never asserted on.
#[allow(clippy::disallowed_methods)]
async fn a_person_signs_in_while_wrong_client_secrets_flood_the_token_endpoint() {
    let app = behind_proxy().await;
    let p = &P;
    let svc = service(&app, "Meeting bot").await;
    let timed_sign_in = || async {
        let b = app.browser();
        let csrf = b.csrf_token().await;
        let started = std::time::Instant::now();
        let r = b
            .post_raw(
                "/api/sign_in",
                &[
                    ("csrf_token", &csrf),
                    ("username", "admin"),
                    ("password", ADMIN_PASSWORD),
                ],
            )
            .await;
        let took = started.elapsed();
        assert!(
            r.headers
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().unwrap().contains("pc_session=")),
            "the person signs in: {}",
            r.body
        );
        took
    };
    let quiet = timed_sign_in().await;

    let before = app.hasher.verifications();
    let base = app.base.clone();
    let id = svc.id.clone();
    let started = std::time::Instant::now();
    let attack = tokio::spawn(async move {
        burst(400, |i| {
            let (base, id) = (base.clone(), id.clone());
            async move {
                let ip = format!("10.2.{}.{}", i / 200, i % 200);
                post_as(&base, "token", &id, &format!("wrong-{i}"), &ip)
                    .await
                    .status
            }
        })
        .await
    });
    // Let the attack's requests reach the server first.
    while app.hasher.verifications() == before {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let during = timed_sign_in().await;
    let statuses = attack.await.unwrap();
    let attack_took = started.elapsed();
    let hashed = app.hasher.verifications() - before;
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    println!(
        "sign-in alone: {:.3} s; during 400 wrong client secrets: {:.3} s \
         (the 400 requests took {:.3} s); the attack caused {} argon2 runs (ceiling {}), {throttled} x 429",
        quiet.as_secs_f64(),
        during.as_secs_f64(),
        attack_took.as_secs_f64(),
        hashed.saturating_sub(1),
        p.client_max_failures
    );
    // One of the runs is the person's own password.
    assert!(
        hashed <= p.client_max_failures as u64 + 1,
        "{hashed} verifications"
    );
    assert!(throttled >= 400 - p.client_max_failures as usize);
}

/// Finding L2: unknown, disabled and expired clients, a public client given a
/// secret, and a wrong secret all get the same answer, and each costs exactly one
/// argon2 verification (an unknown id used to answer 20 times faster).
#[tokio::test]
async fn every_client_authentication_failure_looks_the_same_and_costs_the_same() {
    use domain::entities::client;
    use sea_orm::{ActiveModelTrait, Set};
    let app = spawn_app().await;
    let known = service(&app, "Known").await;
    let disabled = service(&app, "Disabled").await;
    let expired = service(&app, "Expired").await;
    let now = app.clock_now();
    for (id, m) in [
        (
            &disabled.id,
            client::ActiveModel {
                disabled: Set(true),
                ..Default::default()
            },
        ),
        (
            &expired.id,
            client::ActiveModel {
                expires_at: Set(Some(now - 1)),
                ..Default::default()
            },
        ),
    ] {
        client::ActiveModel {
            id: Set(id.clone()),
            ..m
        }
        .update(&app.db)
        .await
        .unwrap();
    }
    let public = register_public(&app).await;
    let cases = [
        (
            "unknown client id",
            "no-such-client".to_owned(),
            known.secret.clone(),
        ),
        (
            "wrong secret",
            known.id.clone(),
            "not-the-secret".to_owned(),
        ),
        (
            "disabled client, right secret",
            disabled.id.clone(),
            disabled.secret.clone(),
        ),
        (
            "expired client, right secret",
            expired.id.clone(),
            expired.secret.clone(),
        ),
        (
            "public client given a secret",
            public,
            "some-secret".to_owned(),
        ),
    ];
    let mut bodies = Vec::new();
    for (what, id, secret) in cases {
        let before = app.hasher.verifications();
        let a = post_as(&app.base, "token", &id, &secret, "ignored").await;
        let runs = app.hasher.verifications() - before;
        println!("{what}: {} {} ({runs} argon2 runs)", a.status, a.body);
        assert_eq!(a.status, 401, "{what}");
        assert_eq!(
            runs, 1,
            "{what}: one verification, like every other failure"
        );
        bodies.push((what, a.body));
    }
    for (what, body) in &bodies {
        assert_eq!(body, &bodies[0].1, "{what} answers like {}", bodies[0].0);
    }
    assert_eq!(bodies[0].1["error"], "invalid_client");
}

async fn register_public(app: &TestApp) -> String {
    domain::clients::create(
        &app.db,
        &domain::platform::password::PasswordHasher::new(),
        domain::audit::Actor::Operator,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Phone app".into()),
                redirect_uris: Some(vec!["com.example.app:/cb".into()]),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Native),
            ..Default::default()
        },
        app.clock_now(),
    )
    .await
    .unwrap()
    .client
    .id
}
