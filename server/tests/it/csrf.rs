use crate::helpers::*;

#[tokio::test]
async fn a_post_without_a_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;
    let users_before = app.count("users").await;
    let r = b
        .post_raw(
            "/api/admin/create_user",
            &[
                ("username", "mallory"),
                ("email", "m@example.edu"),
                ("password", "long enough password"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(
        r.body
            .contains("security token (CSRF) is missing or invalid"),
        "{}",
        r.body
    );
    assert_eq!(app.count("users").await, users_before);
}

#[tokio::test]
async fn a_token_from_another_browser_is_refused() {
    let app = spawn_app().await;
    let victim = app.browser();
    victim.sign_in("admin", ADMIN_PASSWORD).await;
    let attacker = app.browser();
    let attacker_token = attacker.csrf_token().await;
    let r = victim
        .post_raw(
            "/api/admin/create_user",
            &[
                ("csrf_token", &attacker_token),
                ("username", "mallory"),
                ("email", "m@example.edu"),
                ("password", "long enough password"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(domain::users::find_by_username(&app.db, "mallory")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_first_post_without_any_cookie_is_refused() {
    let app = spawn_app().await;
    let r = app
        .browser()
        .post_raw(
            "/api/sign_in",
            &[
                ("csrf_token", "x"),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn the_token_may_also_come_in_a_header() {
    let app = spawn_app().await;
    let b = app.browser();
    let token = b.csrf_token().await;
    let r = b
        .client
        .post(format!("{}/api/sign_in", b.base))
        .header("x-csrf-token", &token)
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().as_u16() < 400);
    let r = b
        .client
        .post(format!("{}/api/sign_out", b.base))
        .header("x-csrf-token", "wrong")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        403,
        "a wrong header token is not rescued by a right form field"
    );
}
