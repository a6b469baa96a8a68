//! Finding M2: the check and the count of failed sign-ins are one atomic step, so a
//! burst of parallel guesses gets no more password verifications than the limit —
//! at the sign-in page, at the OAuth password grant, and across two servers sharing
//! the database. The real password inside the burst does not sign in once locked.

use domain::accounts::Role;
use domain::clients::{ApplicationType, NewClient};
use serde_json::Value;

use crate::helpers::*;

const BURST: usize = 200;
/// Where the real password sits in the burst (as in the review).
const REAL: usize = 150;

struct Attempt {
    /// A session cookie was set: the attempt signed in.
    signed_in: bool,
    message: String,
}

/// Posts to the sign-in server function as a browser would (CSRF cookie and token).
async fn attempt(b: reqwest::Client, url: String, csrf: String, password: String) -> Attempt {
    let r = b
        .post(url)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "admin"),
            ("password", password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let signed_in = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap_or_default().contains("pc_session="));
    let body = r.text().await.unwrap();
    let reply = Reply {
        status: 0,
        headers: Default::default(),
        body,
    };
    Attempt {
        signed_in,
        message: reply.error_message(),
    }
}

fn password(i: usize) -> String {
    if i == REAL {
        ADMIN_PASSWORD.to_owned()
    } else {
        format!("wrong guess number {i}")
    }
}

fn report(what: &str, attempts: &[Attempt], evaluated: u64, limit: i32) {
    let signed_in = attempts.iter().filter(|a| a.signed_in).count();
    let incorrect = attempts
        .iter()
        .filter(|a| a.message == "Incorrect username or password.")
        .count();
    println!(
        "{what}: {} attempts, {evaluated} passwords verified (limit {limit}), \
         {incorrect} answered 'incorrect', {signed_in} signed in; #{REAL} (the real password): {:?}",
        attempts.len(),
        attempts[REAL].message
    );
}

/// Holds the real password back until the burst has used up the limit: where a
/// parallel burst puts it is up to the scheduler, and a real password verified
/// among the first guesses rightly signs in and forgets the failures before it
/// (which made these tests fail now and then). Waits at most ten seconds, so a
/// throttle that verifies fewer guesses than the limit still gets the attempt.
async fn after_the_limit(i: usize, verified: impl Fn() -> u64, limit: i32) {
    if i != REAL {
        return;
    }
    for _ in 0..1000 {
        if verified() >= limit as u64 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

fn assert_locked_out(attempts: &[Attempt], evaluated: u64, limit: i32) {
    assert!(
        evaluated <= limit as u64,
        "{evaluated} passwords verified in a burst against a limit of {limit}"
    );
    assert!(
        !attempts[REAL].signed_in,
        "the real password inside the burst signed in after the limit was reached"
    );
    assert!(
        attempts[REAL]
            .message
            .starts_with("Too many failed sign-in attempts"),
        "{}",
        attempts[REAL].message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_at_the_sign_in_page_get_no_more_verifications_than_the_limit() {
    let app = spawn_app().await;
    let limit = app.settings.throttle.account_max_failures;
    let b = app.browser();
    let csrf = b.csrf_token().await;
    let url = format!("{}/api/sign_in", app.base);
    let before = app.hasher.verifications();
    let attempts = burst(BURST, |i| {
        let (client, url, csrf, hasher) = (
            b.client.clone(),
            url.clone(),
            csrf.clone(),
            app.hasher.clone(),
        );
        async move {
            after_the_limit(i, || hasher.verifications() - before, limit).await;
            attempt(client, url, csrf, password(i)).await
        }
    })
    .await;
    let evaluated = app.hasher.verifications() - before;
    report("sign-in page", &attempts, evaluated, limit);
    assert_locked_out(&attempts, evaluated, limit);
    assert_eq!(app.count("sessions").await, 0);
    // Still locked afterwards, for the real password too.
    let again = b.sign_in("admin", ADMIN_PASSWORD).await;
    assert!(
        again
            .error_message()
            .starts_with("Too many failed sign-in attempts"),
        "{}",
        again.body
    );
}

/// Two servers on one database, as two processes behind a load balancer: the
/// counters live in the database, so the limit holds for both together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_spread_over_two_servers_share_one_limit() {
    let app = spawn_app().await;
    let limit = app.settings.throttle.account_max_failures;
    let (second_base, second_hasher) = spawn_second_server(&app).await;
    let b = app.browser();
    let csrf = b.csrf_token().await;
    let before = app.hasher.verifications() + second_hasher.verifications();
    let attempts = burst(BURST, |i| {
        let base = if i % 2 == 0 { &app.base } else { &second_base };
        let (client, url, csrf) = (
            b.client.clone(),
            format!("{base}/api/sign_in"),
            csrf.clone(),
        );
        let (one, two) = (app.hasher.clone(), second_hasher.clone());
        async move {
            let verified = || one.verifications() + two.verifications() - before;
            after_the_limit(i, verified, limit).await;
            attempt(client, url, csrf, password(i)).await
        }
    })
    .await;
    let evaluated = app.hasher.verifications() + second_hasher.verifications() - before;
    report("sign-in page, two servers", &attempts, evaluated, limit);
    assert_locked_out(&attempts, evaluated, limit);
}

/// The password grant goes through the same check (`domain::accounts::sign_in::check_credentials`):
/// the burst gets at most the limit of verifications, and the refused attempts are
/// 429 with `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_at_the_password_grant_get_no_more_verifications_than_the_limit() {
    let app = spawn_app().await;
    let limit = app.settings.throttle.account_max_failures;
    create_user(&app.db, "student", Role::User).await;
    let svc = register(
        &app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Campus app".into()),
                redirect_uris: Some(vec!["https://app.example.edu/cb".into()]),
                grant_types: Some(vec!["password".into()]),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Web),
            ..Default::default()
        },
    )
    .await;
    let http = reqwest::Client::new();
    // The client's own secret is verified once here, so that the burst below
    // verifies only passwords.
    let r = http
        .post(format!("{}/oauth/introspect", app.base))
        .basic_auth(&svc.id, Some(&svc.secret))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let before = app.hasher.verifications();
    let url = format!("{}/oauth/token", app.base);
    let replies = burst(BURST, |i| {
        let (http, url, svc) = (http.clone(), url.clone(), svc.clone());
        let hasher = app.hasher.clone();
        async move {
            after_the_limit(i, || hasher.verifications() - before, limit).await;
            let r = http
                .post(url)
                .basic_auth(&svc.id, Some(&svc.secret))
                .form(&[
                    ("grant_type", "password"),
                    ("username", "student"),
                    ("password", password(i).as_str()),
                ])
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let retry_after = r.headers().contains_key("retry-after");
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (status, retry_after, body)
        }
    })
    .await;
    let evaluated = app.hasher.verifications() - before;
    let count = |s: u16| replies.iter().filter(|r| r.0 == s).count();
    println!(
        "password grant: {BURST} attempts, {evaluated} passwords verified (limit {limit}); \
         200: {}, 400: {}, 429: {}; #{REAL} (the real password): {} {}",
        count(200),
        count(400),
        count(429),
        replies[REAL].0,
        replies[REAL].2
    );
    assert!(
        evaluated <= limit as u64,
        "{evaluated} passwords verified in a burst against a limit of {limit}"
    );
    let (status, retry_after, body) = &replies[REAL];
    assert_eq!(
        *status, 429,
        "the real password is refused once locked: {body}"
    );
    assert!(*retry_after);
    assert_eq!(body["error"], "invalid_grant");
    for (status, retry_after, body) in &replies {
        match status {
            400 => assert_eq!(body["error"], "invalid_grant"),
            429 => assert!(*retry_after && body["error"] == "invalid_grant", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(count(400) <= limit as usize);
}
