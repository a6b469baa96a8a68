//! What ends or bounds a token besides its expiry — issue 11's findings on the
//! token path (H1, M3, L4, L5, L6, L7 and the missing PKCE verifier), black-box over
//! HTTP as a relying party, an administrator and an attacker would meet them.

use domain::accounts::{AdminCtx, Role};
use domain::clients::{ApplicationType, NewClient};
use serde_json::Value;

use crate::helpers::*;
use crate::rp::*;

const API: &str = "https://api.example.edu/registrations";
const PAYROLL: &str = "https://payroll.example.edu";

async fn apis(app: &TestApp) {
    let ctx = AdminCtx::operator();
    for (name, aud, scopes) in [
        (
            "Registrations",
            API,
            &["registrations:read", "registrations:write"][..],
        ),
        ("Payroll", PAYROLL, &["payroll:read"][..]),
    ] {
        let r = domain::apis::create_resource(&app.db, &ctx, name, aud, START)
            .await
            .unwrap();
        for s in scopes {
            domain::apis::add_scope(&app.db, &ctx, &r.id, s, "Do things", false, START)
                .await
                .unwrap();
        }
    }
}

async fn web(app: &TestApp, scopes: &[&str], grants: &[&str]) -> Creds {
    let mut grant_types = vec!["authorization_code".to_owned(), "refresh_token".to_owned()];
    grant_types.extend(grants.iter().map(|g| g.to_string()));
    register(
        app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Research Notebook".into()),
                redirect_uris: Some(vec![REDIRECT.into()]),
                grant_types: Some(grant_types),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Web),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
    )
    .await
}

async fn service(app: &TestApp, scopes: &[&str]) -> Creds {
    register(
        app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Nightly sync".into()),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Service),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
    )
    .await
}

async fn admin_browser(app: &TestApp) -> Browser {
    let b = app.browser();
    assert!(b.sign_in("admin", ADMIN_PASSWORD).await.status < 400);
    b
}

fn scope_of(v: &Value) -> String {
    v["scope"].as_str().unwrap_or_default().to_owned()
}

/// H1: an administrator takes `registrations:write` away from a client. Its
/// refresh tokens must stop minting it (through every rotation), its live tokens —
/// the person's and its own app-only ones — must stop being active, and the
/// consents people gave it must shrink, at once.
#[tokio::test]
async fn taking_a_scope_from_a_client_bounds_its_consents_refresh_tokens_and_live_tokens_at_once() {
    let app = spawn_app().await;
    apis(&app).await;
    create_user(&app.db, "alice", Role::User).await;
    let rp = web(
        &app,
        &["openid", "registrations:write"],
        &["client_credentials"],
    )
    .await;
    let b = app.browser();
    let code = code_as(&b, "alice", &rp, "openid registrations:write").await;
    let t = exchange(&app, &rp, &code).await;
    let person_token = s(&t, "access_token").to_owned();
    let mut rt = s(&t, "refresh_token").to_owned();
    let (status, own) = token(&app, &rp, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200, "{own}");
    let app_token = s(&own, "access_token").to_owned();
    for tok in [&person_token, &app_token] {
        assert_eq!(introspect(&app, &rp, tok).await["active"], true);
    }

    let admin = admin_browser(&app).await;
    let r = admin
        .post(
            "/api/portal/remove_scope",
            &[("id", &rp.id), ("scope", "registrations:write")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);

    for tok in [&person_token, &app_token] {
        assert_eq!(
            introspect(&app, &rp, tok).await,
            serde_json::json!({"active": false}),
            "a live token carrying the removed scope is inactive at once"
        );
    }
    assert_eq!(userinfo(&app, &person_token).await, 401);
    for _ in 0..4 {
        app.clock.advance(10);
        let (status, v) = refresh(&app, &rp, &rt).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(
            scope_of(&v),
            "openid",
            "a refresh never mints the scope again"
        );
        assert!(!scope_of(&peek(s(&v, "access_token"))).contains("registrations"));
        rt = s(&v, "refresh_token").to_owned();
    }
    let (status, v) = token(
        &app,
        &rp,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("scope", "registrations:write"),
        ],
    )
    .await;
    assert_eq!((status, &v["error"]), (400, &Value::from("invalid_scope")));
    let alice = domain::accounts::find_by_username(&app.db, "alice")
        .await
        .unwrap()
        .unwrap();
    let grant = domain::oauth::consents::find(&app.db, &alice.id, &rp.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        grant.scopes,
        vec!["openid".to_owned()],
        "the consent shrank"
    );
    let (_, v) = token(
        &app,
        &rp,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "registrations:write"),
        ],
    )
    .await;
    assert_eq!(v["error"], "invalid_scope");
}

/// H1, the same rule at issuance whoever changed the client: even when a consent
/// still lists a scope (here the client row is changed behind the portal's back, as
/// an older process or an operator's SQL could), a refresh issues only what the
/// client holds now.
#[tokio::test]
async fn a_refresh_never_mints_a_scope_its_client_no_longer_holds() {
    let app = spawn_app().await;
    apis(&app).await;
    create_user(&app.db, "alice", Role::User).await;
    let rp = web(&app, &["openid", "registrations:write"], &[]).await;
    let b = app.browser();
    let code = code_as(&b, "alice", &rp, "openid registrations:write").await;
    let t = exchange(&app, &rp, &code).await;
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(&format!(
            "UPDATE clients SET scopes = '[\"openid\"]' WHERE id = '{}'",
            rp.id
        ))
        .await
        .unwrap();
    let (status, v) = refresh(&app, &rp, s(&t, "refresh_token")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(scope_of(&v), "openid");
}

/// L4: a password change, or disabling the account, ends what the old credentials
/// obtained — refresh tokens, code-flow access tokens and the password grant's
/// 9-hour tokens — and re-enabling the account does not bring them back.
#[tokio::test]
async fn a_password_change_or_a_disable_ends_the_persons_refresh_and_password_grant_tokens() {
    let app = spawn_app().await;
    apis(&app).await;
    create_user(&app.db, "alice", Role::User).await;
    let rp = web(&app, &["openid", "registrations:read"], &["password"]).await;
    let password_grant = |password: &'static str| {
        let (app, rp) = (&app, &rp);
        async move {
            token(
                app,
                rp,
                &[
                    ("grant_type", "password"),
                    ("username", "alice"),
                    ("password", password),
                ],
            )
            .await
        }
    };
    let b = app.browser();
    let code = code_as(&b, "alice", &rp, "openid registrations:read").await;
    let t = exchange(&app, &rp, &code).await;
    let (status, pg) = password_grant(ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "{pg}");
    let nine_hours = s(&pg, "access_token").to_owned();
    let code_token = s(&t, "access_token").to_owned();
    for tok in [&nine_hours, &code_token] {
        assert_eq!(introspect(&app, &rp, tok).await["active"], true);
    }

    app.clock.advance(60);
    let admin = AdminCtx::operator();
    domain::accounts::set_password(
        &app.db,
        &app.revocations,
        &domain::platform::password::PasswordHasher::new(),
        &admin,
        "alice",
        &domain::platform::secret::SecretString::new("a brand new passphrase 99"),
        app.clock_now(),
    )
    .await
    .unwrap();
    for tok in [&nine_hours, &code_token] {
        assert_eq!(
            introspect(&app, &rp, tok).await["active"],
            false,
            "tokens from before the change are dead"
        );
    }
    let (status, v) = refresh(&app, &rp, s(&t, "refresh_token")).await;
    assert_eq!((status, &v["error"]), (400, &Value::from("invalid_grant")));
    let (status, fresh) = password_grant("a brand new passphrase 99").await;
    assert_eq!(status, 200, "{fresh}");
    let fresh = s(&fresh, "access_token").to_owned();
    assert_eq!(introspect(&app, &rp, &fresh).await["active"], true);

    // Disabled, then enabled again: what was issued before the disable stays dead.
    app.clock.advance(60);
    domain::accounts::set_disabled(
        &app.db,
        &app.revocations,
        &admin,
        "alice",
        true,
        app.clock_now(),
    )
    .await
    .unwrap();
    app.clock.advance(60);
    domain::accounts::set_disabled(
        &app.db,
        &app.revocations,
        &admin,
        "alice",
        false,
        app.clock_now(),
    )
    .await
    .unwrap();
    assert_eq!(introspect(&app, &rp, &fresh).await["active"], false);
}

/// L5: rotation must not extend a refresh family's life; the refresh lifetime is an
/// absolute cap counted from the first issuance.
#[tokio::test]
async fn refresh_rotation_never_extends_the_family_past_its_first_lifetime() {
    let app = spawn_app_with(|s| s.tokens.refresh_token_ttl_secs = 1000).await;
    create_user(&app.db, "alice", Role::User).await;
    let rp = web(&app, &["openid"], &[]).await;
    let b = app.browser();
    let code = code_as(&b, "alice", &rp, "openid").await;
    let t = exchange(&app, &rp, &code).await;
    app.clock.advance(600);
    let (status, v) = refresh(&app, &rp, s(&t, "refresh_token")).await;
    assert_eq!(status, 200, "{v}");
    let rotated = s(&v, "refresh_token").to_owned();
    app.clock.advance(600);
    let (status, v) = refresh(&app, &rp, &rotated).await;
    assert_eq!(
        (status, &v["error"]),
        (400, &Value::from("invalid_grant")),
        "1,200 s after the first issuance the family is over: {v}"
    );
}

/// L6: only a token's own client and the resource servers of its API learn about
/// it at introspection; a developer's fresh service client learns nothing.
#[tokio::test]
async fn introspection_answers_only_the_tokens_client_and_its_apis_resource_servers() {
    let app = spawn_app().await;
    apis(&app).await;
    create_user(&app.db, "alice", Role::User).await;
    let rp = web(&app, &["openid", "registrations:read"], &[]).await;
    let registrations_api = service(&app, &[]).await;
    let payroll_api = service(&app, &[]).await;
    let stranger = service(&app, &[]).await;
    allow_introspection(&app, API, &registrations_api.id).await;
    allow_introspection(&app, PAYROLL, &payroll_api.id).await;
    let b = app.browser();
    let code = code_as(&b, "alice", &rp, "openid registrations:read").await;
    let person_token = s(&exchange(&app, &rp, &code).await, "access_token").to_owned();

    let v = introspect(&app, &registrations_api, &person_token).await;
    assert_eq!(v["active"], true, "the API's resource server may: {v}");
    assert!(v["sub"].is_string());
    assert_eq!(introspect(&app, &rp, &person_token).await["active"], true);
    for other in [&stranger, &payroll_api] {
        assert_eq!(
            introspect(&app, other, &person_token).await,
            serde_json::json!({"active": false}),
            "no sub, no scopes for a client with no business with the token"
        );
    }
}

/// A code issued with a PKCE challenge and redeemed without a verifier is a failed
/// verification (`invalid_grant`), and the attempt spends the code.
#[tokio::test]
async fn a_code_redeemed_without_its_verifier_is_invalid_grant_and_spent() {
    let app = spawn_app().await;
    create_user(&app.db, "alice", Role::User).await;
    let rp = web(&app, &["openid"], &[]).await;
    let b = app.browser();
    let code = code_as(&b, "alice", &rp, "openid").await;
    let without = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let (status, v) = token(&app, &rp, &without).await;
    assert_eq!(
        (status, &v["error"]),
        (400, &Value::from("invalid_grant")),
        "{v}"
    );
    let (status, v) = token(
        &app,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(
        (status, &v["error"]),
        (400, &Value::from("invalid_grant")),
        "the code did not stay usable: {v}"
    );
}

/// M3: a client gets tokens only for the APIs whose scopes it was granted and asks
/// for; consenting to `openid` never yields a token for the payroll API, and the
/// consent page names the API each permission opens.
#[tokio::test]
async fn a_client_gets_audiences_only_of_the_scopes_it_holds_and_asks_for() {
    let app = spawn_app().await;
    apis(&app).await;
    create_user(&app.db, "alice", Role::User).await;
    let bare = service(&app, &[]).await;
    let (status, v) = token(
        &app,
        &bare,
        &[("grant_type", "client_credentials"), ("resource", PAYROLL)],
    )
    .await;
    assert_eq!(
        (status, &v["error"]),
        (400, &Value::from("invalid_target")),
        "{v}"
    );

    let reader = service(&app, &["registrations:read", "payroll:read"]).await;
    let (status, v) = token(
        &app,
        &reader,
        &[("grant_type", "client_credentials"), ("resource", PAYROLL)],
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let claims = peek(s(&v, "access_token"));
    assert_eq!(claims["aud"], PAYROLL);
    assert_eq!(claims["scope"], "payroll:read", "only that API's scopes");

    // A person consenting to `openid` only: no payroll token, not even asked.
    let rp = web(&app, &["openid", "payroll:read"], &[]).await;
    let b = app.browser();
    let loc = authorize_as(
        &b,
        "alice",
        &authorize_path(&rp, "openid", &format!("&resource={}", enc(PAYROLL))),
    )
    .await;
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(param(&loc, "error").as_deref(), Some("invalid_target"));

    // Asked with a payroll scope: the consent page says which API it is for.
    let path = authorize_path(
        &rp,
        "openid payroll:read",
        &format!("&resource={}", enc(PAYROLL)),
    );
    let consent = b.get(&path).await.location().expect("to the consent page");
    assert!(consent.starts_with("/oauth/consent?"), "{consent}");
    let page = b.get_html(&consent).await.body;
    assert!(page.contains("at Payroll"), "the consent names the API");
    let code = param(&authorize_as(&b, "alice", &path).await, "code").unwrap();
    let t = exchange(&app, &rp, &code).await;
    assert_eq!(peek(s(&t, "access_token"))["aud"], PAYROLL);
}

/// L7: a database failure while handling an authorization request reaches the log,
/// never the client (its redirect URI or its page) as text.
#[tokio::test]
async fn a_database_failure_at_authorization_leaks_no_internals() {
    let app = spawn_app().await;
    create_user(&app.db, "alice", Role::User).await;
    let rp = web(&app, &["openid"], &[]).await;
    let b = app.browser();
    assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status < 400);
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("ALTER TABLE grants RENAME TO grants_elsewhere")
        .await
        .unwrap();
    let r = b.get(&authorize_path(&rp, "openid", "")).await;
    let seen = format!("{} {}", r.location().unwrap_or_default(), r.body).to_lowercase();
    app.db
        .execute_unprepared("ALTER TABLE grants_elsewhere RENAME TO grants")
        .await
        .unwrap();
    for secret in ["grants", "database", "sql", "relation", "no such table"] {
        assert!(!seen.contains(secret), "'{secret}' leaked: {seen}");
    }
    assert!(seen.contains("server_error"), "{seen}");
}
