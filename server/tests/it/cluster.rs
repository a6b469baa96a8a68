//! One truth across processes (issue 14): what one server does, another server on
//! the same database knows within moments, not after its caches' TTL. Both servers
//! here cache for ten minutes, so only the change feed can explain a prompt answer.

use std::time::Duration;

use tokio::time::Instant;

use domain::accounts::AdminCtx;
use domain::audit::Actor;
use domain::clients::{ApplicationType, ClientPatch, NewClient};
use serde_json::Value;
use server::settings::Settings;

use crate::helpers::*;

const API: &str = "https://api.example.edu/cluster";
/// Far longer than any test: a TTL cannot be what makes a change visible.
const TTL_MS: u64 = 600_000;
/// How long a change may take to reach the other server before the test fails.
const PATIENCE: Duration = Duration::from_secs(5);

async fn service(app: &TestApp, name: &str, scopes: &[&str]) -> Creds {
    register(
        app,
        NewClient {
            metadata: ClientPatch {
                name: Some(name.into()),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Service),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
    )
    .await
}

async fn setup() -> (TestApp, String, Creds, Creds) {
    setup_with(|_| {}).await
}

async fn setup_with(tweak: impl FnOnce(&mut Settings)) -> (TestApp, String, Creds, Creds) {
    let app = spawn_app_with(|s| {
        s.cache_ttl_ms = TTL_MS;
        tweak(s);
    })
    .await;
    let ctx = AdminCtx::operator();
    let r = domain::apis::create_resource(&app.db, &ctx, "Cluster", API, START)
        .await
        .unwrap();
    domain::apis::add_scope(&app.db, &ctx, &r.id, "cluster:read", "Read", false, START)
        .await
        .unwrap();
    let svc = service(&app, "Worker", &["cluster:read"]).await;
    let rs = service(&app, "Resource server", &[]).await;
    allow_introspection(&app, API, &rs.id).await;
    let (second, _) = spawn_second_server(&app).await;
    (app, second, svc, rs)
}

async fn token(base: &str, svc: &Creds) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .basic_auth(&svc.id, Some(&svc.secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

async fn introspect(base: &str, rs: &Creds, token: &str) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{base}/oauth/introspect"))
        .basic_auth(&rs.id, Some(&rs.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Asks `check` until it holds, for at most [`PATIENCE`]; returns how long it took.
pub(crate) async fn within_patience<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < PATIENCE,
            "{what}: not seen by the other server within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = start.elapsed();
    println!("{what}: seen by the other server after {took:?}");
    took
}

#[tokio::test]
async fn a_token_revoked_on_one_server_is_inactive_on_the_other_within_moments() {
    let (app, second, svc, rs) = setup().await;
    let r = token(&app.base, &svc).await;
    assert_eq!(r.status(), 200);
    let at = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The second server loads its copy of the revocation list: the token is live.
    assert_eq!(introspect(&second, &rs, &at).await["active"], true);

    let r = reqwest::Client::new()
        .post(format!("{}/oauth/revoke", app.base))
        .basic_auth(&svc.id, Some(&svc.secret))
        .form(&[("token", at.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        introspect(&app.base, &rs, &at).await["active"],
        false,
        "at once where it was revoked"
    );
    within_patience("a revocation", || async {
        introspect(&second, &rs, &at).await["active"] == false
    })
    .await;
}

#[tokio::test]
async fn on_postgresql_a_notification_wakes_the_feed_before_its_next_poll() {
    if backend() != "postgres" {
        println!("SQLite has no notifications: its feed is polled (the tests above)");
        return;
    }
    // The poll is a minute away: only the notification can be this fast.
    let (app, second, svc, _) = setup_with(|s| s.change_poll_ms = 60_000).await;
    assert_eq!(token(&second, &svc).await.status(), 200, "cached now");
    domain::clients::delete(&app.db, Actor::Operator, &svc.id, app.clock_now())
        .await
        .unwrap();
    within_patience("a notified deletion", || {
        let (second, svc) = (second.clone(), svc.clone());
        async move { token(&second, &svc).await.status() == 401 }
    })
    .await;
}

#[tokio::test]
async fn a_client_deleted_by_another_writer_gets_no_token_from_any_server() {
    let (app, second, svc, _) = setup().await;
    for base in [&app.base, &second] {
        assert_eq!(token(base, &svc).await.status(), 200, "{base}: cached now");
    }
    // Another writer, straight to the database (as the CLI does; the real CLI
    // process is the test below): no server's cache is told.
    domain::clients::delete(&app.db, Actor::Operator, &svc.id, app.clock_now())
        .await
        .unwrap();
    for base in [app.base.clone(), second.clone()] {
        within_patience("a deleted client", || {
            let base = base.clone();
            let svc = svc.clone();
            async move { token(&base, &svc).await.status() == 401 }
        })
        .await;
    }
}

#[tokio::test]
async fn without_the_feed_only_the_ttl_would_tell() {
    // The control: with the feed off, the other server keeps its copy (the TTL is
    // ten minutes), which is what the tests above would see if the feed broke.
    let app = spawn_app_with(|s| {
        s.cache_ttl_ms = TTL_MS;
        s.change_poll_ms = 0;
    })
    .await;
    let svc = service(&app, "Worker", &[]).await;
    assert_eq!(token(&app.base, &svc).await.status(), 200);
    domain::clients::delete(&app.db, Actor::Operator, &svc.id, app.clock_now())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        token(&app.base, &svc).await.status(),
        200,
        "served from the cache: nothing told this process"
    );
}

async fn jwks_kids(base: &str) -> Vec<String> {
    let v: Value = reqwest::get(format!("{base}/oauth/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

async fn signing_kid(base: &str, svc: &Creds) -> String {
    let r = token(base, svc).await;
    assert_eq!(r.status(), 200);
    let at = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    jsonwebtoken::decode_header(&at).unwrap().kid.unwrap()
}

/// Rotates the keys as the node whose hourly check comes first does.
async fn rotate_as_some_node(app: &TestApp) {
    let t = &app.settings.tokens;
    let policy = domain::oauth::keys::KeyPolicy {
        rotate_after_secs: t.signing_key_rotation_days * 86_400,
        publish_retired_for_secs: t.access_token_secs_max() + 3600,
        prepublish_secs: 600,
    };
    let kek = domain::oauth::keys::Kek::from_setting(&app.settings.key_encryption_key);
    domain::oauth::keys::ensure_and_load(&app.db, &kek, policy, app.clock_now())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_rotated_key_is_in_every_nodes_jwks_before_any_node_signs_with_it() {
    let (app, second, svc, _) = setup().await;
    let first = signing_kid(&second, &svc).await;
    assert_eq!(signing_kid(&app.base, &svc).await, first, "one key set");
    let before = jwks_kids(&second).await;
    assert_eq!(
        before.len(),
        3,
        "two signing keys, one encryption key: {before:?}"
    );

    app.clock
        .advance(app.settings.tokens.signing_key_rotation_days * 86_400 + 1);
    rotate_as_some_node(&app).await;
    // The successor reaches both JWKS promptly...
    let mut successors = Vec::new();
    for base in [app.base.clone(), second.clone()] {
        within_patience("a new key in the JWKS", || {
            let base = base.clone();
            async move { jwks_kids(&base).await.len() == 6 }
        })
        .await;
        let kids = jwks_kids(&base).await;
        successors = kids.into_iter().filter(|k| !before.contains(k)).collect();
    }
    // ...and signs nothing during its pre-publication.
    for base in [&app.base, &second] {
        assert_eq!(
            signing_kid(base, &svc).await,
            first,
            "{base}: pre-published"
        );
    }

    // Once it is due, the next check makes it sign, on every node.
    app.clock.advance(600);
    rotate_as_some_node(&app).await;
    for base in [app.base.clone(), second.clone()] {
        let svc = svc.clone();
        within_patience("the successor signing", || {
            let (base, svc, first) = (base.clone(), svc.clone(), first.clone());
            async move { signing_kid(&base, &svc).await != first }
        })
        .await;
        let kid = signing_kid(&base, &svc).await;
        assert!(
            successors.contains(&kid),
            "{base}: signs with the successor published before: {kid} {successors:?}"
        );
    }
    assert!(
        jwks_kids(&second).await.contains(&first),
        "the old key verifies what it signed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_started_together_on_an_empty_database_share_one_schema_and_one_key_set() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let node = |_: usize| {
        let mut s = test_settings(url.clone());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        s.bind = format!("127.0.0.1:{port}").parse().unwrap();
        s.issuer = format!("http://127.0.0.1:{port}");
        server::startup::Application::build(
            s,
            std::sync::Arc::new(domain::platform::clock::ManualClock::new(START)),
        )
    };
    let (a, b, c) = tokio::join!(node(0), node(1), node(2));
    let mut bases = Vec::new();
    for app in [a, b, c] {
        let app = app.expect("every node starts");
        bases.push(format!("http://{}", app.local_addr()));
        tokio::spawn(app.run_until_stopped());
    }
    let first = jwks_kids(&bases[0]).await;
    assert_eq!(
        first.len(),
        3,
        "one key per algorithm and one for encryption: {first:?}"
    );
    for base in &bases[1..] {
        assert_eq!(jwks_kids(base).await, first, "{base}: the same JWKS");
    }
}

#[tokio::test]
async fn a_client_deleted_by_the_cli_process_is_refused_by_the_running_servers() {
    let (app, second, svc, _) = setup().await;
    for base in [&app.base, &second] {
        assert_eq!(token(base, &svc).await.status(), 200, "{base}: cached now");
    }
    // The real `portcullis client delete`, a process of its own on the same database.
    let out = cli_process(&app, &["client", "delete", &svc.id]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for base in [app.base.clone(), second.clone()] {
        within_patience("a client deleted by the CLI process", || {
            let (base, svc) = (base.clone(), svc.clone());
            async move { token(&base, &svc).await.status() == 401 }
        })
        .await;
    }
}

/// The real `portcullis` binary with `args`, a process of its own on the app's
/// database.
pub(crate) async fn cli_process(app: &TestApp, args: &[&str]) -> std::process::Output {
    let env = [
        (
            "PORTCULLIS_DATABASE_URL",
            app.settings.database_url.expose().to_owned(),
        ),
        (
            "PORTCULLIS_SESSION_SECRET",
            app.settings.session_secret.expose().to_owned(),
        ),
        (
            "PORTCULLIS_KEY_ENCRYPTION_KEY",
            app.settings.key_encryption_key.expose().to_owned(),
        ),
    ];
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// `portcullis client disable` / `enable` (an operator's admission of a
/// self-registered client): every running server follows at once.
#[tokio::test]
async fn a_client_disabled_and_enabled_by_the_cli_is_followed_by_every_server() {
    let (app, second, svc, _) = setup().await;
    for base in [&app.base, &second] {
        assert_eq!(token(base, &svc).await.status(), 200, "{base}: cached now");
    }
    let out = cli_process(&app, &["client", "disable", &svc.id]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for base in [app.base.clone(), second.clone()] {
        within_patience("a client disabled by the CLI process", || {
            let (base, svc) = (base.clone(), svc.clone());
            async move { token(&base, &svc).await.status() == 401 }
        })
        .await;
    }
    // Twice is an error, one line, changing nothing.
    let out = cli_process(&app, &["client", "disable", &svc.id]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("already disabled"), "{err}");
    let out = cli_process(&app, &["client", "enable", "no-such-client"]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));

    let out = cli_process(&app, &["client", "enable", &svc.id]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for base in [app.base.clone(), second.clone()] {
        within_patience("a client enabled by the CLI process", || {
            let (base, svc) = (base.clone(), svc.clone());
            async move { token(&base, &svc).await.status() == 200 }
        })
        .await;
    }
    let types = app.audit_types().await;
    assert!(
        types.contains(&"client.disabled".to_owned())
            && types.contains(&"client.enabled".to_owned())
    );
}

/// A secret made on one node is shown once on the page view another node serves
/// (behind a load balancer without sticky sessions), and only once across both.
#[tokio::test]
async fn a_new_secret_is_shown_once_by_whichever_node_serves_the_page() {
    let (app, second, _, _) = setup().await;
    let b = developer(&app, "dev").await;
    let id = register_in_portal(&b, "Notebook", "web", "https://notebook.example.edu/cb").await;
    // The same browser (its session cookie), now talking to the other node.
    let view = |base: String| {
        let (client, id) = (b.client.clone(), id.clone());
        async move {
            let body: Value = client
                .get(format!("{base}/api/portal/client?id={id}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["new_secret"].as_str().map(str::to_owned)
        }
    };
    let secret = view(second.clone()).await.expect("shown by the other node");
    assert_eq!(view(app.base.clone()).await, None, "once, across nodes");
    assert_eq!(view(second.clone()).await, None);
    // It is the client's secret.
    let r = token(
        &second,
        &Creds {
            id: id.clone(),
            secret,
        },
    )
    .await;
    assert_ne!(r.status(), 401, "the secret authenticates the client");
    // Nothing of it stays in the database once shown.
    assert_eq!(
        app.count("shown_once").await,
        0,
        "taken views leave nothing behind"
    );
}

/// Where the authorization endpoint of `base` sends a signed-out browser asking
/// for a code for `client_id`: the sign-in page, or an error page.
async fn authorize_goes(base: &str, client_id: &str) -> String {
    let url = format!(
        "{base}/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid&state=s&code_challenge={}&code_challenge_method=S256",
        enc("https://rp.example.edu/cb"),
        crate::rp::CHALLENGE,
    );
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    r.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The authorization endpoint reads the client and the third-party switch from
/// memory, like the token endpoint: a switch thrown and a client deleted by the CLI
/// are followed by every server at `/authorize` too.
#[tokio::test]
async fn the_authorization_endpoint_follows_the_third_party_switch_and_a_deleted_client() {
    let (app, second, _, _) = setup().await;
    let web = register(
        &app,
        NewClient {
            metadata: ClientPatch {
                name: Some("Web app".into()),
                redirect_uris: Some(vec!["https://rp.example.edu/cb".into()]),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Web),
            scopes: vec!["openid".into()],
            ..Default::default()
        },
    )
    .await;
    for base in [&app.base, &second] {
        let to = authorize_goes(base, &web.id).await;
        assert!(to.starts_with("/login"), "{base}: cached now: {to}");
    }
    let run = |args: &'static [&'static str]| {
        let app = &app;
        async move {
            let out = cli_process(app, args).await;
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    run(&["third-party-oauth", "off"]).await;
    for base in [app.base.clone(), second.clone()] {
        within_patience("third-party OAuth turned off by the CLI", || {
            let (base, id) = (base.clone(), web.id.clone());
            async move {
                authorize_goes(&base, &id).await == "/oauth/error?reason=third_party_disabled"
            }
        })
        .await;
    }
    run(&["third-party-oauth", "on"]).await;
    for base in [app.base.clone(), second.clone()] {
        within_patience("third-party OAuth turned on again", || {
            let (base, id) = (base.clone(), web.id.clone());
            async move { authorize_goes(&base, &id).await.starts_with("/login") }
        })
        .await;
    }
    let out = cli_process(&app, &["client", "delete", &web.id]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for base in [app.base.clone(), second.clone()] {
        within_patience("a client deleted by the CLI, at /authorize", || {
            let (base, id) = (base.clone(), web.id.clone());
            async move { authorize_goes(&base, &id).await.contains("unknown_client") }
        })
        .await;
    }
}
