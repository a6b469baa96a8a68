//! E-mail verification: the link mailed at sign-up (and by "Resend") is what makes
//! `email_verified` true — in ID tokens, at userinfo, and for clients that accept
//! only some e-mail domains (issue 11, M6). And passwords, wherever they are set,
//! must not be easy to guess.

use serde_json::Value;

use super::*;
use crate::rp::{authorize_as, authorize_path, code_as, exchange, notebook, param, s};

async fn sign_up(b: &Browser, username: &str, email: &str, password: &str) -> Reply {
    b.post(
        "/api/sign_up",
        &[
            ("username", username),
            ("email", email),
            ("password", password),
            ("password_confirm", password),
        ],
    )
    .await
}

async fn verified(b: &Browser) -> Value {
    b.shell().await["user"]["email_verified"].clone()
}

#[tokio::test]
async fn the_link_mailed_at_sign_up_verifies_the_address_for_claims_and_restricted_clients() {
    let (app, sink) = mail_app().await;
    let mut restricted = notebook(&["openid", "email"]);
    restricted.allowed_email_domains = vec!["example.edu".into()];
    let restricted = register(&app, restricted).await;
    let b = app.browser();
    let r = sign_up(&b, "president", "president@example.edu", ADMIN_PASSWORD).await;
    assert!(r.status < 400, "{}", r.body);
    assert!(b.sign_in("president", ADMIN_PASSWORD).await.status < 400);
    assert_eq!(verified(&b).await, false);
    assert!(b
        .get_html("/")
        .await
        .body
        .contains("data-testid=\"unverified-banner\""));

    // Before: the restricted client is refused.
    let path = authorize_path(&restricted, "openid email", "");
    let back = authorize_as(&b, "president", &path).await;
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("access_denied"),
        "{back}"
    );

    let mail = nth_mail(&sink, "president@example.edu", 1).await;
    assert!(
        mail.contains("Subject: Confirm your e-mail address"),
        "{mail}"
    );
    let (token, link) = link_in(&mail, "/verify-email");
    // Opening the page (as a mail scanner would) verifies nothing; its button does.
    assert_eq!(b.get_html(&link).await.status, 200);
    assert_eq!(verified(&b).await, false);
    let done = b.post("/api/verify_email", &[("token", &token)]).await;
    assert_eq!(
        done.location().as_deref(),
        Some("/?notice=email_verified"),
        "{}",
        done.body
    );
    assert_eq!(verified(&b).await, true);
    assert!(!b.get_html("/").await.body.contains("unverified-banner"));

    // After: the restricted client signs them in, and the claims say verified.
    let code = code_as(&b, "president", &restricted, "openid email").await;
    let t = exchange(&app, &restricted, &code).await;
    assert_eq!(peek(s(&t, "id_token"))["email_verified"], true);
    let info: Value = reqwest::Client::new()
        .get(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(s(&t, "access_token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["email_verified"], true, "{info}");
    // The link worked once.
    let again = b.post("/api/verify_email", &[("token", &token)]).await;
    assert_eq!(again.status, 403, "{}", again.body);
    assert!(app
        .audit_types()
        .await
        .contains(&"user.email_verified".to_owned()));
    // Its mail is scrubbed once delivered, and its token stored only hashed.
    outbox_delivered(&app).await;
    assert!(!stored_text(&app).await.contains(&token));
}

#[tokio::test]
async fn resend_replaces_the_link_and_is_throttled() {
    let (app, sink) = mail_app().await;
    let b = app.browser();
    assert!(
        sign_up(&b, "ann", "ann@example.edu", ADMIN_PASSWORD)
            .await
            .status
            < 400
    );
    assert!(b.sign_in("ann", ADMIN_PASSWORD).await.status < 400);
    let (first, _) = link_in(
        &nth_mail(&sink, "ann@example.edu", 1).await,
        "/verify-email",
    );
    for n in 2..=4 {
        let r = b.post("/api/resend_verification", &[]).await;
        assert_eq!(
            r.location().as_deref(),
            Some("/?notice=verification_sent"),
            "{}",
            r.body
        );
        nth_mail(&sink, "ann@example.edu", n).await;
    }
    let r = b.post("/api/resend_verification", &[]).await;
    assert_eq!(r.status, 429, "{}", r.body);
    // Only the newest link works.
    let (newest, _) = link_in(
        &nth_mail(&sink, "ann@example.edu", 4).await,
        "/verify-email",
    );
    assert_eq!(
        b.post("/api/verify_email", &[("token", &first)])
            .await
            .status,
        403
    );
    let ok = b.post("/api/verify_email", &[("token", &newest)]).await;
    assert_eq!(
        ok.location().as_deref(),
        Some("/?notice=email_verified"),
        "{}",
        ok.body
    );
    // Signed out, there is nothing to resend.
    let anon = app.browser();
    assert_eq!(anon.post("/api/resend_verification", &[]).await.status, 401);
}

#[tokio::test]
async fn a_guessable_password_is_refused_at_sign_up_saying_why() {
    let (app, _sink) = mail_app().await;
    let b = app.browser();
    for (pw, why) in [
        ("password1234", "very common password"),
        ("qwertyuiop12", "too easy to guess"),
        ("zorblatt.quenby2024", "too easy to guess"),
    ] {
        let r = sign_up(&b, "zorblatt", "zorblatt.quenby@example.edu", pw).await;
        assert_eq!(r.status, 422, "{pw}: {}", r.body);
        assert!(
            r.error_message().contains(why),
            "{pw}: {}",
            r.error_message()
        );
    }
    assert_eq!(app.count("users").await, 1, "only the administrator");
    let ok = sign_up(
        &b,
        "zorblatt",
        "zorblatt.quenby@example.edu",
        "juniper lantern oboe 7",
    )
    .await;
    assert!(ok.status < 400, "{}", ok.body);
}
