use crate::helpers::*;

#[tokio::test]
async fn an_administrator_signs_in_with_a_secure_session_cookie() {
    let app = spawn_app().await;
    let b = app.browser();
    assert_eq!(b.signed_in_as().await, None);

    let r = b.sign_in("admin", ADMIN_PASSWORD).await;
    assert!(r.status < 400, "sign-in failed: {} {}", r.status, r.body);
    let cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("pc_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(b.signed_in_as().await.as_deref(), Some("admin"));
    assert_eq!(b.shell().await["user"]["role"], "admin");
    assert_eq!(app.count("sessions").await, 1);
    assert!(app
        .audit_types()
        .await
        .contains(&"session.signed_in".to_owned()));
}

#[tokio::test]
async fn sessions_are_stored_hashed_never_as_the_cookie_value() {
    let app = spawn_app().await;
    let b = app.browser();
    let r = b.sign_in("admin", ADMIN_PASSWORD).await;
    let cookie = r.headers.get("set-cookie").unwrap().to_str().unwrap();
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    use sea_orm::EntityTrait;
    let rows = domain::entities::session::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].id, token);
    assert_eq!(rows[0].id, domain::platform::secret::token_hash(&token));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_error_and_no_session() {
    let app = spawn_app().await;
    let b = app.browser();
    let wrong = b.sign_in("admin", "not the password").await;
    let unknown = b.sign_in("nobody", "not the password").await;
    assert!(wrong.status >= 400 && unknown.status >= 400);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.error_message(), "Incorrect username or password.");
    assert_eq!(unknown.error_message(), wrong.error_message());
    assert_eq!(b.signed_in_as().await, None);
    assert_eq!(app.count("sessions").await, 0);
    let failures = app
        .audit_types()
        .await
        .iter()
        .filter(|t| *t == "session.sign_in_failed")
        .count();
    assert_eq!(failures, 2);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_a_clear_message_until_the_lockout_ends() {
    let app = spawn_app().await;
    let b = app.browser();
    for _ in 0..4 {
        assert_eq!(
            b.sign_in("admin", "wrong password").await.error_message(),
            "Incorrect username or password."
        );
    }
    let fifth = b.sign_in("admin", "wrong password").await;
    assert_eq!(
        fifth.error_message(),
        "Too many failed sign-in attempts. Try again in 15 minute(s)."
    );
    // Locked: even the right password is refused, and nothing is created.
    let right = b.sign_in("admin", ADMIN_PASSWORD).await;
    assert!(
        right
            .error_message()
            .starts_with("Too many failed sign-in attempts"),
        "{}",
        right.body
    );
    assert_eq!(app.count("sessions").await, 0);

    app.clock.advance(15 * 60 + 1);
    let after = b.sign_in("admin", ADMIN_PASSWORD).await;
    assert!(after.status < 400, "{}", after.body);
    assert_eq!(b.signed_in_as().await.as_deref(), Some("admin"));
}

#[tokio::test]
async fn unknown_accounts_are_throttled_like_real_ones() {
    let app = spawn_app().await;
    let b = app.browser();
    for _ in 0..4 {
        b.sign_in("ghost", "wrong password").await;
    }
    assert!(b
        .sign_in("ghost", "wrong password")
        .await
        .error_message()
        .starts_with("Too many failed"));
}

#[tokio::test]
async fn many_failures_from_one_address_lock_that_address_for_every_account() {
    let app = spawn_app_with(|s| s.throttle.ip_max_failures = 6).await;
    let b = app.browser();
    for i in 0..6 {
        b.sign_in(&format!("user{i}"), "wrong password").await;
    }
    let r = b.sign_in("admin", ADMIN_PASSWORD).await;
    assert!(
        r.error_message()
            .starts_with("Too many failed sign-in attempts"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;
    assert_eq!(app.count("sessions").await, 1);
    let r = b.post("/api/sign_out", &[]).await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(r.location().as_deref(), Some("/login?notice=signed_out"));
    assert_eq!(b.signed_in_as().await, None);
    assert_eq!(app.count("sessions").await, 0);
    assert!(app
        .audit_types()
        .await
        .contains(&"session.signed_out".to_owned()));
}

#[tokio::test]
async fn idle_and_absolute_session_expiry_are_enforced() {
    let app = spawn_app().await;
    let idle = app.settings.session.idle_timeout_secs;
    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;
    app.clock.advance(idle - 10);
    assert_eq!(
        b.signed_in_as().await.as_deref(),
        Some("admin"),
        "activity within the idle window keeps it"
    );
    app.clock.advance(idle);
    assert_eq!(b.signed_in_as().await, None, "idle too long");

    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;
    let absolute = app.settings.session.absolute_timeout_secs;
    let step = idle / 2;
    let mut elapsed = 0;
    while elapsed + step < absolute {
        app.clock.advance(step);
        elapsed += step;
        assert!(
            b.signed_in_as().await.is_some(),
            "still within the absolute lifetime at {elapsed}s"
        );
    }
    app.clock.advance(absolute - elapsed);
    assert_eq!(b.signed_in_as().await, None, "absolute lifetime over");
}

#[tokio::test]
async fn return_to_only_redirects_within_this_site() {
    let app = spawn_app().await;
    for (given, expected) in [
        ("/admin/users", "/admin/users"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
    ] {
        let b = app.browser();
        let r = b
            .post(
                "/api/sign_in",
                &[
                    ("username", "admin"),
                    ("password", ADMIN_PASSWORD),
                    ("return_to", given),
                ],
            )
            .await;
        assert_eq!(r.location().as_deref(), Some(expected), "return_to={given}");
    }
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_and_loses_its_sessions() {
    let app = spawn_app().await;
    let dev = create_user(&app.db, "dev", domain::accounts::Role::Developer).await;
    let dev_browser = app.browser();
    dev_browser.sign_in("dev", ADMIN_PASSWORD).await;
    assert_eq!(dev_browser.signed_in_as().await.as_deref(), Some("dev"));

    let admin = app.browser();
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let r = admin
        .post(
            "/api/admin/set_disabled",
            &[
                ("user_id", &dev.id),
                ("disabled", "true"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);

    assert_eq!(dev_browser.signed_in_as().await, None);
    let again = app.browser().sign_in("dev", ADMIN_PASSWORD).await;
    assert_eq!(
        again.error_message(),
        "This account is disabled. Contact an administrator."
    );
}
