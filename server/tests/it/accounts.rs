use domain::accounts::Role;

use crate::helpers::*;

#[tokio::test]
async fn an_administrator_creates_a_user_and_changes_their_role_with_audit_events() {
    let app = spawn_app().await;
    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;
    let r = b
        .post(
            "/api/admin/create_user",
            &[
                ("username", "Grace"),
                ("email", "grace@Example.EDU"),
                ("display_name", "Grace H"),
                ("password", "a long password"),
                ("role", "developer"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let grace = domain::accounts::find_by_username(&app.db, "grace")
        .await
        .unwrap()
        .expect("created");
    assert_eq!(grace.email, "grace@example.edu");
    assert_eq!(grace.role, Role::Developer);

    let r = b
        .post(
            "/api/admin/set_role",
            &[("user_id", &grace.id), ("role", "admin")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let grace = domain::accounts::find_by_id(&app.db, &grace.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(grace.role, Role::Admin);

    let types = app.audit_types().await;
    assert!(types.contains(&"user.created".to_owned()));
    assert!(types.contains(&"user.role_changed".to_owned()));

    // The new user can sign in with the password the admin set.
    let g = app.browser();
    assert!(g.sign_in("grace", "a long password").await.status < 400);
    assert_eq!(g.shell().await["user"]["role"], "admin");
}

#[tokio::test]
async fn invalid_new_users_get_a_field_error_and_nothing_is_created() {
    let app = spawn_app().await;
    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;
    let before = app.count("users").await;
    for (fields, field) in [
        (
            [
                ("username", "x"),
                ("email", "x@example.edu"),
                ("password", "long enough pw"),
                ("role", "user"),
            ],
            "username",
        ),
        (
            [
                ("username", "xavier"),
                ("email", "not-an-email"),
                ("password", "long enough pw"),
                ("role", "user"),
            ],
            "email",
        ),
        (
            [
                ("username", "xavier"),
                ("email", "x@example.edu"),
                ("password", "short"),
                ("role", "user"),
            ],
            "password",
        ),
        (
            [
                ("username", "xavier"),
                ("email", "x@example.edu"),
                ("password", "long enough pw"),
                ("role", "root"),
            ],
            "role",
        ),
        (
            [
                ("username", "admin"),
                ("email", "x@example.edu"),
                ("password", "long enough pw"),
                ("role", "user"),
            ],
            "",
        ),
    ] {
        let r = b.post("/api/admin/create_user", &fields).await;
        assert!(r.status >= 400, "{fields:?} was accepted");
        let v = r.json();
        if field.is_empty() {
            assert_eq!(
                v["Conflict"], "The username 'admin' is already taken.",
                "{}",
                r.body
            );
        } else {
            assert_eq!(v["Invalid"]["field"], field, "{}", r.body);
        }
    }
    assert_eq!(app.count("users").await, before);
}

#[tokio::test]
async fn only_administrators_may_manage_users() {
    let app = spawn_app().await;
    create_user(&app.db, "dev", Role::Developer).await;
    let b = app.browser();
    b.sign_in("dev", ADMIN_PASSWORD).await;
    let r = b
        .post(
            "/api/admin/set_role",
            &[("user_id", &app.admin.id), ("role", "user")],
        )
        .await;
    assert_eq!(r.json(), serde_json::json!("Forbidden"), "{}", r.body);
    let r = b.get("/api/admin/users").await;
    assert_eq!(r.json(), serde_json::json!("Forbidden"));
    let anonymous = app.browser();
    assert_eq!(
        anonymous.get("/api/admin/users").await.json(),
        serde_json::json!("Unauthenticated")
    );
    assert_eq!(
        domain::accounts::find_by_id(&app.db, &app.admin.id)
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Admin
    );
}

#[tokio::test]
async fn the_last_administrator_cannot_be_demoted() {
    let app = spawn_app().await;
    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;
    let r = b
        .post(
            "/api/admin/set_role",
            &[("user_id", &app.admin.id), ("role", "developer")],
        )
        .await;
    assert!(
        r.error_message().contains("last active administrator"),
        "{}",
        r.body
    );
    assert_eq!(
        domain::accounts::find_by_id(&app.db, &app.admin.id)
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Admin
    );
}

#[tokio::test]
async fn the_user_list_searches_and_paginates() {
    let app = spawn_app().await;
    for i in 0..25 {
        create_user(&app.db, &format!("student{i:02}"), Role::User).await;
    }
    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;
    let p1 = b.get("/api/admin/users?search=student&page=1").await.json();
    assert_eq!(p1["total"], 25);
    assert_eq!(p1["pages"], 2);
    assert_eq!(p1["users"].as_array().unwrap().len(), 20);
    assert_eq!(p1["users"][0]["username"], "student00");
    let p2 = b.get("/api/admin/users?search=student&page=2").await.json();
    assert_eq!(p2["users"].as_array().unwrap().len(), 5);
    assert_eq!(p2["users"][4]["username"], "student24");
}

#[tokio::test]
async fn self_sign_up_is_refused_when_off_and_creates_an_end_user_when_on() {
    let closed = spawn_app().await;
    let b = closed.browser();
    let fields = [
        ("username", "newbie"),
        ("email", "newbie@example.edu"),
        ("password", "a long password"),
        ("password_confirm", "a long password"),
    ];
    let r = b.post("/api/sign_up", &fields).await;
    assert!(
        r.error_message().starts_with("Self sign-up is turned off"),
        "{}",
        r.body
    );
    assert!(domain::accounts::find_by_username(&closed.db, "newbie")
        .await
        .unwrap()
        .is_none());

    let open = spawn_app_with(|s| s.allow_self_signup = true).await;
    let b = open.browser();
    let mismatch = [
        ("username", "newbie"),
        ("email", "newbie@example.edu"),
        ("password", "a long password"),
        ("password_confirm", "another password"),
    ];
    // The error names its field and brings back what was typed, but for the
    // passwords (a form shown again without JavaScript keeps it).
    let refused = b.post("/api/sign_up", &mismatch).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let v = refused.json();
    assert_eq!(v["Fields"]["errors"][0][0], "password_confirm", "{v}");
    let values = v["Fields"]["values"].to_string();
    assert!(
        values.contains("\"newbie\"") && values.contains("newbie@example.edu"),
        "{v}"
    );
    assert!(!refused.body.contains("a long password"), "{v}");
    assert!(!refused.body.contains("another password"), "{v}");
    let r = b.post("/api/sign_up", &fields).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/login?notice=signed_up"),
        "{}",
        r.body
    );
    let u = domain::accounts::find_by_username(&open.db, "newbie")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.role, Role::User);
    assert!(open
        .audit_types()
        .await
        .contains(&"user.signed_up".to_owned()));
}
