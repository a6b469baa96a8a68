use crate::helpers::*;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let b = app.browser();
    let h = b.get("/healthz").await;
    assert_eq!((h.status, h.body.as_str()), (200, "ok"));
    let r = b.get("/readyz").await;
    assert_eq!((r.status, r.body.as_str()), (200, "ready"));
    assert!(
        h.headers.get("x-request-id").is_some(),
        "every response carries a request id"
    );
}

/// A node that holds no signing key for an algorithm it signs with is not ready:
/// the load balancer must send it nothing (here the RS256 keys vanish behind its
/// back; the change feed makes it reload and notice).
#[tokio::test]
async fn readiness_fails_while_a_signing_algorithm_has_no_key() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = spawn_app().await;
    let b = app.browser();
    assert_eq!(b.get("/readyz").await.status, 200);
    domain::entities::signing_key::Entity::delete_many()
        .filter(domain::entities::signing_key::Column::Alg.eq("RS256"))
        .exec(&app.db)
        .await
        .unwrap();
    let start = tokio::time::Instant::now();
    let r = loop {
        let r = b.get("/readyz").await;
        if r.status != 200 || start.elapsed() > std::time::Duration::from_secs(5) {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(
        (r.status, r.body.as_str()),
        (503, "no RS256 signing key loaded")
    );
    assert_eq!(b.get("/healthz").await.status, 200, "alive all the same");
}

#[tokio::test]
async fn the_sign_in_page_has_labelled_fields_and_refuses_framing() {
    let app = spawn_app().await;
    let r = app.browser().get_html("/login").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains(r#"<label for="f-username""#), "{}", r.body);
    assert!(r.body.contains(r#"id="f-password""#));
    assert!(r.body.contains(r#"name="csrf_token""#));
    assert_eq!(r.headers["x-frame-options"], "DENY");
    assert_eq!(
        r.headers["content-security-policy"],
        "frame-ancestors 'none'"
    );
    assert_eq!(r.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn navigation_follows_the_role() {
    let app = spawn_app().await;
    create_user(&app.db, "dev", domain::accounts::Role::Developer).await;
    let anon = app.browser().get_html("/").await.body;
    assert!(anon.contains(r#"href="/login""#) && !anon.contains(r#"href="/admin""#));

    let d = app.browser();
    d.sign_in("dev", ADMIN_PASSWORD).await;
    let dev = d.get_html("/").await.body;
    assert!(
        dev.contains(r#"href="/developer""#) && !dev.contains(r#"href="/admin""#),
        "{dev}"
    );

    let a = app.browser();
    a.sign_in("admin", ADMIN_PASSWORD).await;
    let admin = a.get_html("/admin/users").await.body;
    assert!(
        admin.contains(r#"href="/admin""#) && admin.contains(r#"data-testid="user-admin""#),
        "{admin}"
    );
}

#[tokio::test]
async fn an_unknown_page_is_a_404_page() {
    let app = spawn_app().await;
    let r = app.browser().get_html("/no/such/page").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("Page not found"));
    // Signed in, the 404 page still shows who you are (it once rendered without the
    // server's state, logging an error and showing everyone as signed out).
    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;
    let r = b.get_html("/no/such/page").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains(r#"data-testid="whoami""#), "{}", r.body);
}

#[tokio::test]
async fn a_form_error_without_javascript_comes_back_to_the_page() {
    let app = spawn_app().await;
    let b = app.browser();
    b.get_html("/login").await; // sets the CSRF cookie
    let token = b.csrf_token().await;
    let r = b
        .client
        .post(format!("{}/api/sign_in", b.base))
        .header("accept", "text/html")
        .header("referer", format!("{}/login", b.base))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "admin"),
            ("password", "wrong password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.contains("/login") && back.contains("__err="), "{back}");
    let page = b.get_html(back.trim_start_matches(&b.base)).await.body;
    assert!(page.contains("Incorrect username or password."), "{page}");
}

#[tokio::test]
async fn a_client_chosen_request_id_is_replaced_and_cannot_show_a_secret_twice() {
    let app = spawn_app().await;
    create_user(&app.db, "dev", domain::accounts::Role::Developer).await;
    let b = app.browser();
    b.sign_in("dev", ADMIN_PASSWORD).await;
    let r = b
        .post(
            "/api/portal/create_client",
            &[
                ("name", "Notebook"),
                ("application_type", "web"),
                ("redirect_uris", "https://notebook.example.edu/cb"),
            ],
        )
        .await;
    let loc = r.location().unwrap_or_else(|| panic!("{}", r.body));
    let id = loc
        .strip_prefix("/developer/clients/")
        .and_then(|s| s.split('?').next())
        .unwrap()
        .to_owned();
    let view = || async {
        let r = b
            .client
            .get(format!("{}/api/portal/client?id={id}", b.base))
            .header("x-request-id", "chosen-by-the-client")
            .send()
            .await
            .unwrap();
        let echoed = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        let body: serde_json::Value = r.json().await.unwrap();
        (echoed, body["new_secret"].as_str().map(str::to_owned))
    };
    let (echoed, first) = view().await;
    assert_ne!(
        echoed, "chosen-by-the-client",
        "the server picks its own id"
    );
    assert!(first.is_some(), "the first view shows the secret");
    let (_, second) = view().await;
    assert_eq!(
        second, None,
        "the secret is shown once, whatever id is sent"
    );
}

/// The browser's redirect hook loads every non-page address from the server; its
/// list of pages must be exactly the router's.
#[tokio::test]
async fn the_client_knows_exactly_which_paths_are_pages() {
    let mut routes: Vec<String> = leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|r| {
            r.path()
                .split('/')
                .map(
                    |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some(name) => format!(":{name}"),
                        None => seg.to_owned(),
                    },
                )
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    routes.sort();
    routes.dedup();
    let mut known: Vec<String> = app::navigation::PAGE_ROUTES
        .iter()
        .map(|s| s.to_string())
        .collect();
    known.sort();
    assert_eq!(routes, known);
}

/// Issue 13, defect 3: without JavaScript a confirmation is shown once. The plain
/// form post's redirect keeps `?notice=` in the address, and sets a cookie naming
/// it; the page shows the notice because they agree and clears the cookie, so a
/// reload (the same address) shows none, and neither does a shared link.
#[tokio::test]
async fn a_plain_form_posts_notice_is_shown_once() {
    let app = spawn_app().await;
    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;
    let token = b.csrf_token().await;
    let r = b
        .client
        .post(format!("{}/api/sign_out", b.base))
        .header("accept", "text/html")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let target = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(target, "/login?notice=signed_out");
    let set: Vec<_> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        set.iter().any(|c| c.starts_with("pc_notice=signed_out;")),
        "{set:?}"
    );

    let text = "You have been signed out.";
    let page = b.get_html(&target).await;
    assert!(
        page.body.contains(text),
        "the redirect's page confirms the action"
    );
    let cleared = page
        .headers
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("pc_notice=;"));
    assert!(cleared, "the page that showed the notice clears its cookie");
    let again = b.get_html(&target).await;
    assert_eq!(again.status, 200);
    assert!(
        !again.body.contains(text),
        "a reload does not confirm it again"
    );
    assert!(again.body.contains("Sign in"));

    let shared = app.browser().get_html(&target).await;
    assert!(
        !shared.body.contains(text),
        "a link with the code confirms nothing"
    );

    // The hydrated page's fetch of the same action gets no cookie: its router
    // takes the code out of the address itself.
    b.sign_in("admin", ADMIN_PASSWORD).await;
    let fetched = b.post("/api/sign_out", &[]).await;
    assert!(!fetched
        .headers
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("pc_notice=")));
}
