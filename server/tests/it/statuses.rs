//! Every user error answers the 4xx of its kind, 5xx only for our own faults: the
//! server functions (one mapping from `AppError`) and the OAuth error page.

use domain::accounts::Role;
use domain::clients::{ApplicationType, NewClient};

use crate::helpers::*;

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn header(r: &Reply, name: &str) -> Option<String> {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn failed_sign_ins_answer_401_then_429_not_500() {
    let app = spawn_app().await;
    let b = app.browser();
    let r = b.sign_in("admin", "wrong password").await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.error_message(), "Incorrect username or password.");
    assert!(header(&r, "www-authenticate").is_some());
    for _ in 0..3 {
        assert_eq!(b.sign_in("admin", "wrong password").await.status, 401);
    }
    let r = b.sign_in("admin", "wrong password").await;
    assert_eq!(r.status, 429, "{}", r.body);
    let retry: i64 = header(&r, "retry-after").unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");

    let r = b.sign_in("", "x").await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["Invalid"]["field"], "username");
    // A call the server cannot even read (a required argument missing).
    let r = b.post("/api/sign_in", &[("username", "admin")]).await;
    assert_eq!(r.status, 400, "{}", r.body);
}

#[tokio::test]
async fn server_functions_answer_401_403_404_409_422_by_the_kind_of_error() {
    let app = spawn_app().await;
    create_user(&app.db, "dev", Role::Developer).await;
    let user = [
        ("username", "newbie"),
        ("email", "newbie@example.edu"),
        ("password", "long enough pw"),
        ("role", "user"),
    ];

    let anon = app.browser();
    let r = anon.post("/api/admin/create_user", &user).await;
    assert_eq!(r.status, 401, "{}", r.body);

    let dev = app.browser();
    dev.sign_in("dev", ADMIN_PASSWORD).await;
    let r = dev.post("/api/admin/create_user", &user).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = dev.get("/api/portal/client?id=no-such-client").await;
    assert_eq!(r.status, 404, "{}", r.body);

    let admin = app.browser();
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let taken = [("username", "admin"), user[1], user[2], user[3]];
    let r = admin.post("/api/admin/create_user", &taken).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(
        r.error_message(),
        "The username 'admin' is already taken.",
        "{}",
        r.body
    );
    let short = [user[0], user[1], ("password", "short"), user[3]];
    let r = admin.post("/api/admin/create_user", &short).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(app.count("users").await, 2);
}

#[tokio::test]
async fn an_oversized_server_function_call_answers_413() {
    let app = spawn_app().await;
    let b = app.browser();
    let token = b.csrf_token().await;
    let big = "x".repeat(3 * 1024 * 1024);
    for with_header in [false, true] {
        let mut req = b.client.post(format!("{}/api/sign_in", b.base)).form(&[
            ("csrf_token", token.as_str()),
            ("username", "admin"),
            ("password", big.as_str()),
        ]);
        if with_header {
            req = req.header("x-csrf-token", &token);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 413, "csrf in header: {with_header}");
    }
}

async fn oauth_error_status(b: &Browser, authorize: &str, reason: &str) -> u16 {
    let loc = b.get_html(authorize).await.location().unwrap();
    assert_eq!(loc, format!("/oauth/error?reason={reason}"));
    let page = b.get_html(&loc).await;
    assert!(
        page.body.contains(r#"data-testid="oauth-error""#),
        "{}",
        page.body
    );
    page.status
}

#[tokio::test]
async fn the_oauth_error_page_answers_4xx() {
    let app = spawn_app().await;
    let rp = register(
        &app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Notebook".into()),
                redirect_uris: Some(vec![REDIRECT.into()]),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Web),
            scopes: vec!["openid".into()],
            ..Default::default()
        },
    )
    .await;
    let b = app.browser();
    let authorize = |client_id: &str, redirect: &str| {
        format!(
            "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid&state=s&code_challenge={CHALLENGE}&code_challenge_method=S256",
            enc(redirect)
        )
    };
    for redirect in [
        "https://evil.example/callback",
        "http://127.0.0.1:9/callback/more",
        "http://127.0.0.1:9/callback?x=1",
        "http://127.0.0.1:9/CALLBACK",
    ] {
        assert_eq!(
            oauth_error_status(&b, &authorize(&rp.id, redirect), "bad_redirect_uri").await,
            400,
            "{redirect}"
        );
    }
    assert_eq!(
        oauth_error_status(&b, &authorize("no-such-client", REDIRECT), "unknown_client").await,
        400
    );
    domain::settings::set_bool(
        &app.db,
        &domain::accounts::AdminCtx::operator(),
        domain::settings::THIRD_PARTY_OAUTH,
        false,
        app.clock_now(),
    )
    .await
    .unwrap();
    assert_eq!(
        oauth_error_status(&b, &authorize(&rp.id, REDIRECT), "third_party_disabled").await,
        403
    );
    assert_eq!(b.get_html("/oauth/error").await.status, 400);
}
