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
    assert!(domain::accounts::find_by_username(&app.db, "mallory")
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
    let rp = register(
        &app,
        domain::clients::NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Notebook".into()),
                redirect_uris: Some(vec![crate::rp::REDIRECT.into()]),
                ..Default::default()
            },
            application_type: Some(domain::clients::ApplicationType::Web),
            scopes: vec!["openid".into()],
            ..Default::default()
        },
    )
    .await;
    let b = app.browser();
    let token = b.csrf_token().await;
    // The consent form's endpoint relies on the middleware alone: the token in the
    // header and nowhere else is enough...
    let decline = [
        ("response_type", "code"),
        ("client_id", rp.id.as_str()),
        ("redirect_uri", crate::rp::REDIRECT),
        ("code_challenge", crate::rp::CHALLENGE),
        ("code_challenge_method", "S256"),
        ("decision", "deny"),
    ];
    let post = |header: Option<&str>| {
        let mut req = b
            .client
            .post(format!("{}/oauth/consent", b.base))
            .form(&decline);
        if let Some(h) = header {
            req = req.header("x-csrf-token", h);
        }
        req.send()
    };
    let r = post(Some(&token)).await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "the header alone is accepted");
    // ...and without it, or with a wrong one, the request is refused.
    assert_eq!(post(None).await.unwrap().status().as_u16(), 403);
    assert_eq!(post(Some("wrong")).await.unwrap().status().as_u16(), 403);
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

/// The CSRF cookie is set only with a response that carries its token (a page or
/// the shell): a side request's new cookie (a browser's favicon fetch racing the
/// next page) must never replace the cookie whose token the page's forms hold.
#[tokio::test]
async fn only_pages_and_the_shell_set_the_csrf_cookie() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let sets_cookie = |r: &reqwest::Response| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap_or_default().starts_with("pc_csrf="))
    };
    // What a browser sends for a favicon, a script, an image: Fetch Metadata says
    // it is not a page (and a missing favicon is answered by the HTML 404 page).
    for (side, dest) in [
        ("/favicon.ico", "image"),
        ("/no-such-file.png", "image"),
        ("/pkg/portcullis.js", "script"),
        ("/login", "iframe"),
    ] {
        let r = http
            .get(format!("{}{side}", app.base))
            .header("sec-fetch-dest", dest)
            .send()
            .await
            .unwrap();
        assert!(!sets_cookie(&r), "{side} ({dest}) set a CSRF cookie");
    }
    let r = http
        .get(format!("{}/login", app.base))
        .header("accept", "text/html")
        .header("sec-fetch-dest", "document")
        .send()
        .await
        .unwrap();
    assert!(sets_cookie(&r), "a page sets it");
    let r = http
        .get(format!("{}/api/shell", app.base))
        .send()
        .await
        .unwrap();
    assert!(sets_cookie(&r), "the shell sets it");
}
