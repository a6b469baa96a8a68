//! Changing one's own e-mail address: it stays pending until the link mailed to the
//! new address is opened; until then the account keeps its old address, verified
//! or not, for claims and for clients restricted to some e-mail domains.

use domain::accounts::{self, AdminCtx, NewUser, Role};
use domain::platform::password::PasswordHasher;
use domain::platform::secret::SecretString;

use super::*;
use crate::recovery::{link_in, mail_app, mail_count, nth_mail};
use crate::rp::{authorize_as, authorize_path, code_as, exchange, notebook, param, s};

async fn change_email(b: &Browser, current: &str, email: &str) -> Reply {
    b.post(
        "/api/change_email",
        &[("current_password", current), ("email", email)],
    )
    .await
}

/// An account created by an administrator (its address counts as verified).
async fn person(app: &TestApp, username: &str, email: &str) {
    let new = NewUser {
        username: username.into(),
        email: email.into(),
        display_name: format!("{username} display"),
        password: SecretString::new(ADMIN_PASSWORD),
        role: Role::User,
    };
    accounts::create_user(
        &app.db,
        &PasswordHasher::new(),
        &AdminCtx::operator(),
        new,
        START,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_new_address_counts_only_once_the_link_mailed_to_it_is_opened() {
    let (app, sink) = mail_app().await;
    let mut restricted = notebook(&["openid", "email"]);
    restricted.allowed_email_domains = vec!["example.edu".into()];
    let restricted = register(&app, restricted).await;
    person(&app, "carol", "carol@example.org").await;
    let b = app.browser();
    assert!(b.sign_in("carol", ADMIN_PASSWORD).await.status < 400);

    let r = change_email(&b, ADMIN_PASSWORD, "carol@example.edu").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/account?notice=email_change_sent"),
        "{}",
        r.body
    );
    // Pending: the account keeps its verified old address.
    let a = account(&b).await;
    assert_eq!(a["email"], "carol@example.org", "{a}");
    assert_eq!(a["email_verified"], true, "{a}");
    assert_eq!(a["pending_email"], "carol@example.edu", "{a}");
    assert_eq!(b.shell().await["user"]["email"], "carol@example.org");
    // The restricted client does not take the unproven address.
    let path = authorize_path(&restricted, "openid email", "");
    let back = authorize_as(&b, "carol", &path).await;
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("access_denied"),
        "{back}"
    );

    // The link went to the new address, a notice to the old one.
    let mail = nth_mail(&sink, "carol@example.edu", 1).await;
    assert!(
        mail.contains("Subject: Confirm your new e-mail address"),
        "{mail}"
    );
    let notice = nth_mail(&sink, "carol@example.org", 1).await;
    assert!(notice.contains("carol@example.edu"), "{notice}");
    assert!(
        !notice.contains("token="),
        "no link in the notice: {notice}"
    );
    let (token, _) = link_in(&mail, "/verify-email");
    let done = b.post("/api/verify_email", &[("token", &token)]).await;
    assert_eq!(
        done.location().as_deref(),
        Some("/?notice=email_verified"),
        "{}",
        done.body
    );

    let a = account(&b).await;
    assert_eq!(a["email"], "carol@example.edu", "{a}");
    assert_eq!(a["email_verified"], true, "{a}");
    assert_eq!(a["pending_email"], Value::Null, "{a}");
    let code = code_as(&b, "carol", &restricted, "openid email").await;
    let t = exchange(&app, &restricted, &code).await;
    let id = peek(s(&t, "id_token"));
    assert_eq!(
        (&id["email"], &id["email_verified"]),
        (&Value::from("carol@example.edu"), &Value::from(true))
    );
    // Used once.
    let again = b.post("/api/verify_email", &[("token", &token)]).await;
    assert_eq!(again.status, 403, "{}", again.body);
    let types = app.audit_types().await;
    for t in ["user.email_change_requested", "user.email_changed"] {
        assert!(types.contains(&t.to_owned()), "{t} in {types:?}");
    }
}

#[tokio::test]
async fn an_unverified_address_stays_unverified_while_a_change_is_pending() {
    let (app, sink) = mail_app().await;
    let mut restricted = notebook(&["openid", "email"]);
    restricted.allowed_email_domains = vec!["example.edu".into()];
    let restricted = register(&app, restricted).await;
    let b = app.browser();
    let r = b
        .post(
            "/api/sign_up",
            &[
                ("username", "dora"),
                ("email", "dora@example.edu"),
                ("password", ADMIN_PASSWORD),
                ("password_confirm", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert!(b.sign_in("dora", ADMIN_PASSWORD).await.status < 400);
    let r = change_email(&b, ADMIN_PASSWORD, "dora2@example.edu").await;
    assert!(r.status < 400, "{}", r.body);
    let a = account(&b).await;
    assert_eq!(
        (&a["email"], &a["email_verified"]),
        (&Value::from("dora@example.edu"), &Value::from(false)),
        "{a}"
    );
    let back = authorize_as(&b, "dora", &authorize_path(&restricted, "openid email", "")).await;
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("access_denied"),
        "{back}"
    );
    // The sign-up link for the old address no longer verifies anything new: the
    // change link does.
    let mail = nth_mail(&sink, "dora2@example.edu", 1).await;
    let (token, _) = link_in(&mail, "/verify-email");
    assert!(
        b.post("/api/verify_email", &[("token", &token)])
            .await
            .status
            < 400
    );
    let back = authorize_as(&b, "dora", &authorize_path(&restricted, "openid email", "")).await;
    assert!(param(&back, "code").is_some(), "{back}");
}

#[tokio::test]
async fn an_address_change_needs_the_current_password_and_a_free_valid_address() {
    let (app, sink) = mail_app().await;
    person(&app, "carol", "carol@example.org").await;
    person(&app, "bob", "bob@example.org").await;
    let b = app.browser();
    assert!(b.sign_in("carol", ADMIN_PASSWORD).await.status < 400);

    let r = change_email(&b, "wrong password", "carol@example.edu").await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(field_errors(&r)[0].0, "current_password");
    let r = change_email(&b, "", "not an address").await;
    assert_eq!(r.status, 422, "{}", r.body);
    let fields: Vec<String> = field_errors(&r).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["current_password", "email"]);
    // What was typed comes back with the errors.
    assert!(r.body.contains("not an address"), "{}", r.body);
    let r = change_email(&b, ADMIN_PASSWORD, "bob@example.org").await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(field_errors(&r)[0].0, "email");
    let r = change_email(
        &b,
        ADMIN_PASSWORD,
        &format!("{}@example.edu", "x".repeat(300)),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);

    // Nothing changed and nothing was mailed.
    let a = account(&b).await;
    assert_eq!(
        (&a["email"], &a["pending_email"]),
        (&Value::from("carol@example.org"), &Value::Null),
        "{a}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.mails().len(), 0, "{:?}", sink.mails());
    assert_eq!(mail_count(&sink, "carol@example.edu"), 0);
}
