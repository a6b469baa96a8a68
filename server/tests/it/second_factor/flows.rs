//! Enrolment, the second step of sign-in, replay, throttling and recovery codes.

use domain::accounts::Role;
use serde_json::Value;

use super::*;
use crate::helpers::*;

#[tokio::test]
async fn after_enrolment_sign_in_needs_a_code_and_each_code_works_once() {
    let app = spawn_app().await;
    create_user(&app.db, "ann", Role::User).await;
    let (secret, _) = enrolled(&app, &app.browser(), "ann").await;
    assert!(app
        .audit_types()
        .await
        .contains(&"user.second_factor_enrolled".to_owned()));

    // The password alone makes no session.
    let b = app.browser();
    password_step(&b, "ann", "/apps").await;
    assert_eq!(b.signed_in_as().await, None);
    // The code that confirmed the enrolment is spent: refused at sign-in.
    let r = second_step(&b, &code_now(&app, &secret), "/apps").await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(b.signed_in_as().await, None);

    app.clock.advance(30);
    let code = code_now(&app, &secret);
    let r = second_step(&b, &code, "/apps").await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    assert_eq!(r.location().as_deref(), Some("/apps"));
    assert_eq!(b.signed_in_as().await.as_deref(), Some("ann"));

    // The same code again, in another browser with the right password: refused.
    let other = app.browser();
    password_step(&other, "ann", "/").await;
    let replay = second_step(&other, &code, "/").await;
    assert_eq!(replay.status, 422, "{}", replay.body);
    assert!(
        replay.error_message().contains("already used"),
        "{}",
        replay.body
    );
    assert_eq!(other.signed_in_as().await, None);
    // Without a pending sign-in in the browser there is nothing to finish.
    let stranger = app.browser();
    let r = second_step(&stranger, &code_now(&app, &secret), "/").await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(stranger.signed_in_as().await, None);
}

#[tokio::test]
async fn the_secret_is_sealed_at_rest() {
    let app = spawn_app().await;
    create_user(&app.db, "ann", Role::User).await;
    let (secret, codes) = enrolled(&app, &app.browser(), "ann").await;
    use sea_orm::EntityTrait;
    let rows = domain::entities::totp_factor::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let b64 = base64_of(&secret);
    assert!(!rows[0].secret_sealed.contains(&b64));
    let kek = domain::oauth::keys::Kek::from_setting(&app.settings.key_encryption_key);
    assert_eq!(kek.open(&rows[0].secret_sealed).unwrap(), secret);
    let stored = domain::entities::recovery_code::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    for c in &codes {
        assert!(stored
            .iter()
            .all(|s| !s.code_hash.contains(&c.replace('-', ""))));
    }
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// A burst of wrong codes against one pending sign-in gets no more checks than
/// the limit; the rest, and then the right code, are 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_codes_are_throttled_atomically() {
    const BURST: usize = 40;
    let app = spawn_app().await;
    let limit = app.settings.throttle.account_max_failures as usize;
    create_user(&app.db, "ann", Role::User).await;
    let (secret, _) = enrolled(&app, &app.browser(), "ann").await;
    app.clock.advance(30);
    let failed = || async {
        app.audit_types()
            .await
            .iter()
            .filter(|t| *t == "user.second_factor_failed")
            .count()
    };
    let failed_before = failed().await;
    let b = app.browser();
    password_step(&b, "ann", "/").await;
    let csrf = b.csrf_token().await;
    let url = format!("{}/api/sign_in_second_step", app.base);
    let statuses = burst(BURST, |i| {
        let (http, url, csrf) = (b.client.clone(), url.clone(), csrf.clone());
        async move {
            let wrong = format!("{:06}", 100_000 + i);
            http.post(url)
                .form(&[("csrf_token", csrf.as_str()), ("code", wrong.as_str())])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    })
    .await;
    let count = |s: u16| statuses.iter().filter(|x| **x == s).count();
    println!(
        "second step: {BURST} wrong codes at once: 422: {}, 429: {}",
        count(422),
        count(429)
    );
    // The attempt that takes the last slot locks and says so (429).
    assert_eq!(count(422), limit - 1, "{statuses:?}");
    assert_eq!(count(429), BURST - (limit - 1), "{statuses:?}");
    assert_eq!(failed().await - failed_before, limit);
    // Locked: even the right code is refused now, and no session exists.
    let r = second_step(&b, &code_now(&app, &secret), "/").await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(b.signed_in_as().await, None);
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = spawn_app().await;
    create_user(&app.db, "ann", Role::User).await;
    let (_, codes) = enrolled(&app, &app.browser(), "ann").await;
    let b = app.browser();
    password_step(&b, "ann", "/").await;
    // Case and dashes do not matter.
    let typed = codes[3].to_lowercase().replace('-', " ");
    let r = second_step(&b, &typed, "/").await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    assert_eq!(b.signed_in_as().await.as_deref(), Some("ann"));
    assert!(app
        .audit_types()
        .await
        .contains(&"user.recovery_code_used".to_owned()));
    let v: Value = b.get("/api/second_factor").await.json();
    assert_eq!(v["recovery_codes_left"], 9);

    let again = app.browser();
    password_step(&again, "ann", "/").await;
    let r = second_step(&again, &codes[3], "/").await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(again.signed_in_as().await, None);
    // Another one still works.
    let r = second_step(&again, &codes[4], "/").await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
}

#[tokio::test]
async fn turning_it_off_needs_the_password_and_a_confirmation() {
    let app = spawn_app().await;
    create_user(&app.db, "ann", Role::User).await;
    let b = app.browser();
    let (_, codes) = enrolled(&app, &b, "ann").await;
    let unconfirmed = b
        .post("/api/totp_disable", &[("current_password", ADMIN_PASSWORD)])
        .await;
    assert_eq!(unconfirmed.status, 422, "{}", unconfirmed.body);
    let wrong = b
        .post(
            "/api/totp_disable",
            &[("current_password", "not it at all"), ("confirm", "on")],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert_eq!(b.get("/api/second_factor").await.json()["status"], "active");
    let r = b
        .post(
            "/api/totp_disable",
            &[("current_password", ADMIN_PASSWORD), ("confirm", "on")],
        )
        .await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    assert_eq!(b.get("/api/second_factor").await.json()["status"], "off");
    assert_eq!(app.count("recovery_codes").await, 0);
    let types = app.audit_types().await;
    assert!(types.contains(&"user.second_factor_disabled".to_owned()));
    // Password only again.
    let fresh = app.browser();
    assert!(fresh.sign_in("ann", ADMIN_PASSWORD).await.status < 400);
    assert_eq!(fresh.signed_in_as().await.as_deref(), Some("ann"));
    drop(codes);
    // The person was told by mail both times.
    let mails: i64 = app.count("outbox_emails").await;
    assert!(mails >= 2, "{mails}");
}
