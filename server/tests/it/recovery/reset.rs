//! "Forgot your password?": the mailed link, used once, within its time, by the
//! person it was sent to; it ends everything the old password had obtained.

use domain::accounts::Role;
use sea_orm::EntityTrait;
use serde_json::Value;

use super::*;
use crate::rp::{code_as, exchange, notebook, refresh, s};

const NEW_PASSWORD: &str = "juniper lantern oboe 7";

async fn ask_reset(b: &Browser, who: &str) -> Reply {
    b.post("/api/request_password_reset", &[("who", who)]).await
}

async fn reset(b: &Browser, token: &str, password: &str) -> Reply {
    b.post(
        "/api/reset_password",
        &[
            ("token", token),
            ("password", password),
            ("password_confirm", password),
        ],
    )
    .await
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_mailed_link_and_everything_else_ends() {
    let (app, sink) = mail_app().await;
    create_user(&app.db, "alice", Role::User).await;
    // Before: a session in another browser, and an app's refresh token.
    let rp = register(&app, notebook(&["openid"])).await;
    let elsewhere = app.browser();
    let code = code_as(&elsewhere, "alice", &rp, "openid").await;
    let tokens = exchange(&app, &rp, &code).await;
    let refresh_token = s(&tokens, "refresh_token").to_owned();
    assert_eq!(elsewhere.signed_in_as().await.as_deref(), Some("alice"));

    let b = app.browser();
    let asked = ask_reset(&b, "alice").await;
    assert_eq!(
        asked.location().as_deref(),
        Some("/login?notice=reset_requested")
    );
    let mail = nth_mail(&sink, "alice@example.edu", 1).await;
    assert!(
        mail.contains("Subject: Reset your Portcullis password"),
        "{mail}"
    );
    let (token, link) = link_in(&mail, "/reset-password");
    assert!(token.len() >= 43, "256 random bits: {token}");

    // The link's page names the account; a weak password is refused and keeps the link.
    let page = b.get_html(&link).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("data-testid=\"reset-username\">alice<"),
        "{}",
        page.body
    );
    let weak = reset(&b, &token, "password1234").await;
    assert_eq!(weak.status, 422, "{}", weak.body);
    assert!(
        weak.error_message().contains("too easy to guess"),
        "{}",
        weak.body
    );

    app.clock.advance(60);
    let done = reset(&b, &token, NEW_PASSWORD).await;
    assert_eq!(
        done.location().as_deref(),
        Some("/login?notice=password_reset"),
        "{}",
        done.body
    );

    // Every session ended (the person signs in anew), the refresh token is dead.
    assert_eq!(
        elsewhere.signed_in_as().await,
        None,
        "the other session ended"
    );
    let (status, v) = refresh(&app, &rp, &refresh_token).await;
    assert_eq!(
        (status, &v["error"]),
        (400, &Value::from("invalid_grant")),
        "{v}"
    );
    assert_eq!(app.count("sessions").await, 0);
    // The old password no longer works; the new one does.
    assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status >= 400);
    assert!(b.sign_in("alice", NEW_PASSWORD).await.status < 400);
    // Used once: the same link does not work again.
    let again = reset(&app.browser(), &token, "another fine passphrase 8").await;
    assert_eq!(again.status, 403, "{}", again.body);
    assert!(again.error_message().contains("invalid or has expired"));
    let types = app.audit_types().await;
    for t in ["user.password_reset_requested", "user.password_reset"] {
        assert!(types.contains(&t.to_owned()), "{t} in {types:?}");
    }
}

#[tokio::test]
async fn an_unknown_account_gets_the_same_answer_and_no_mail() {
    let (app, sink) = mail_app().await;
    create_user(&app.db, "alice", Role::User).await;
    let mut answers = Vec::new();
    for who in ["alice", "alice@example.edu", "nobody", "nobody@example.edu"] {
        let r = ask_reset(&app.browser(), who).await;
        answers.push((who, r.status, r.location(), r.body));
    }
    for (who, status, location, body) in &answers {
        assert_eq!(
            (status, location, body),
            (&answers[0].1, &answers[0].2, &answers[0].3),
            "{who} is answered as alice is"
        );
    }
    // Both names of alice's account reached her; the others reached no one.
    nth_mail(&sink, "alice@example.edu", 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mails = sink.mails();
    assert_eq!(mails.len(), 2, "{mails:?}");
    // And the throttle counts a name whether or not it exists: the fourth request
    // for one name is refused alike.
    for who in ["alice", "nobody"] {
        let b = app.browser();
        for _ in 0..2 {
            assert!(ask_reset(&b, who).await.status < 400);
        }
        let r = ask_reset(&b, who).await;
        assert_eq!(r.status, 429, "{who}: {}", r.body);
    }
}

#[tokio::test]
async fn of_two_parallel_uses_of_one_link_exactly_one_sets_the_password() {
    let (app, sink) = mail_app().await;
    create_user(&app.db, "alice", Role::User).await;
    let b = app.browser();
    ask_reset(&b, "alice").await;
    let (token, _) = link_in(
        &nth_mail(&sink, "alice@example.edu", 1).await,
        "/reset-password",
    );
    let passwords = ["juniper lantern oboe 1", "juniper lantern oboe 2"];
    let browsers = [app.browser(), app.browser()];
    for b in &browsers {
        b.csrf_token().await;
    }
    let replies = burst(2, |i| {
        let b = Browser {
            client: browsers[i].client.clone(),
            base: browsers[i].base.clone(),
        };
        let token = token.clone();
        async move { reset(&b, &token, passwords[i]).await }
    })
    .await;
    let won: Vec<usize> = (0..2)
        .filter(|&i| replies[i].location().as_deref() == Some("/login?notice=password_reset"))
        .collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        replies
            .iter()
            .map(|r| (r.status, &r.body))
            .collect::<Vec<_>>()
    );
    let lost = &replies[1 - won[0]];
    assert_eq!(lost.status, 403, "{}", lost.body);
    assert!(
        app.browser()
            .sign_in("alice", passwords[won[0]])
            .await
            .status
            < 400
    );
    assert!(
        app.browser()
            .sign_in("alice", passwords[1 - won[0]])
            .await
            .status
            >= 400
    );
}

#[tokio::test]
async fn a_link_expires_after_thirty_minutes() {
    let (app, sink) = mail_app().await;
    create_user(&app.db, "alice", Role::User).await;
    let b = app.browser();
    ask_reset(&b, "alice").await;
    let (token, link) = link_in(
        &nth_mail(&sink, "alice@example.edu", 1).await,
        "/reset-password",
    );
    app.clock.advance(30 * 60);
    let page = b.get_html(&link).await;
    assert!(
        page.body.contains("invalid or has expired"),
        "{}",
        page.body
    );
    let r = reset(&b, &token, NEW_PASSWORD).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        b.sign_in("alice", ADMIN_PASSWORD).await.status < 400,
        "unchanged"
    );
}

#[tokio::test]
async fn a_second_request_replaces_the_first_link() {
    let (app, sink) = mail_app().await;
    create_user(&app.db, "alice", Role::User).await;
    let b = app.browser();
    ask_reset(&b, "alice").await;
    let (first, _) = link_in(
        &nth_mail(&sink, "alice@example.edu", 1).await,
        "/reset-password",
    );
    ask_reset(&b, "alice").await;
    let (second, _) = link_in(
        &nth_mail(&sink, "alice@example.edu", 2).await,
        "/reset-password",
    );
    assert_ne!(first, second);
    assert_eq!(reset(&b, &first, NEW_PASSWORD).await.status, 403);
    let r = reset(&b, &second, NEW_PASSWORD).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/login?notice=password_reset"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_link_is_stored_only_hashed_and_its_mail_is_scrubbed_once_sent() {
    let (app, sink) = mail_app().await;
    create_user(&app.db, "alice", Role::User).await;
    ask_reset(&app.browser(), "alice").await;
    let (token, _) = link_in(
        &nth_mail(&sink, "alice@example.edu", 1).await,
        "/reset-password",
    );
    let rows = super::outbox_delivered(&app).await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].scrub_after_send);
    assert!(!rows[0].body.contains("token="), "{}", rows[0].body);
    let tokens = domain::entities::account_token::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        tokens[0].token_hash,
        domain::platform::secret::token_hash(&token)
    );
    let stored = stored_text(&app).await;
    assert!(!stored.contains(&token), "the token is nowhere in clear");
    // Administrators reading the outbox see no link either.
    let admin = app.browser();
    assert!(admin.sign_in("admin", ADMIN_PASSWORD).await.status < 400);
    let outbox = admin.get("/api/admin/outbox").await.body;
    assert!(!outbox.contains(&token));
}

#[tokio::test]
async fn a_disabled_account_gets_no_link_and_cannot_use_one() {
    let (app, sink) = mail_app().await;
    create_user(&app.db, "alice", Role::User).await;
    create_user(&app.db, "bob", Role::User).await;
    let b = app.browser();
    ask_reset(&b, "alice").await;
    let (token, _) = link_in(
        &nth_mail(&sink, "alice@example.edu", 1).await,
        "/reset-password",
    );
    let admin = domain::accounts::AdminCtx::operator();
    for who in ["alice", "bob"] {
        domain::accounts::set_disabled(
            &app.db,
            &app.revocations,
            &admin,
            who,
            true,
            app.clock_now(),
        )
        .await
        .unwrap();
    }
    let r = reset(&b, &token, NEW_PASSWORD).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.error_message().contains("disabled"), "{}", r.body);
    let asked = ask_reset(&b, "bob").await;
    assert_eq!(
        asked.location().as_deref(),
        Some("/login?notice=reset_requested")
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(mail_count(&sink, "bob@example.edu"), 0);
}
