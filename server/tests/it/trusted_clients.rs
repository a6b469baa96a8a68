//! Seed 001's "Pre-Authorization" and "Persist Client Authorizations" (issue 17),
//! black-box: a client an administrator pre-authorized gets a code without a
//! consent page — the consent is recorded for the person (My apps lists it, the
//! audit log says nobody clicked) — unless the request says `prompt=consent`; the
//! third-party switch and the e-mail-domain restriction still apply. A client
//! that does not persist consent shows the consent page every time, and
//! `prompt=none` gets `consent_required`.

use domain::accounts::Role;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::rp::*;

async fn setup() -> (TestApp, Creds) {
    let app = spawn_app().await;
    create_user(&app.db, "alice", Role::User).await;
    create_user(&app.db, "bob", Role::User).await;
    let rp = register(&app, notebook(&["openid", "profile", "email"])).await;
    (app, rp)
}

/// An administrator's edit of the client through the REST API.
async fn admin_sets(app: &TestApp, rp: &Creds, body: Value) {
    let r = Api::admin(app)
        .await
        .put(&format!("/api/v1/clients/{}", rp.id), body)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// `path` as `user`, signed in, without following the consent page.
async fn open(b: &Browser, user: &str, path: &str) -> String {
    if b.signed_in_as().await.as_deref() != Some(user) {
        assert!(b.sign_in(user, ADMIN_PASSWORD).await.status < 400);
    }
    b.get(path).await.location().expect("authorize redirects")
}

/// The audit events of `kind`, oldest first.
async fn events(app: &TestApp, kind: &str) -> Vec<domain::entities::audit_event::Model> {
    use domain::entities::audit_event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq(kind))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_pre_authorized_client_gets_a_code_without_consent_and_the_grant_is_the_persons() {
    let (app, rp) = setup().await;
    admin_sets(&app, &rp, json!({ "pre_authorized": true })).await;
    let alice = app.browser();
    let loc = open(&alice, "alice", &authorize_path(&rp, "openid profile", "")).await;
    assert!(loc.starts_with(REDIRECT), "no consent page: {loc}");
    assert_eq!(param(&loc, "state").as_deref(), Some("s"));
    let tokens = exchange(&app, &rp, &param(&loc, "code").unwrap()).await;
    assert!(tokens["id_token"].is_string(), "{tokens}");

    // The grant the consent page would have written: listed under My apps.
    let apps = alice.get("/api/apps/list").await.json();
    assert_eq!(apps["apps"][0]["client_id"], rp.id.as_str(), "{apps}");
    let grant_id = s(&apps["apps"][0], "grant_id").to_owned();
    // Audited as pre-authorized, not as the person's click.
    let alice_id = domain::accounts::find_by_username(&app.db, "alice")
        .await
        .unwrap()
        .unwrap()
        .id;
    let created = events(&app, "grant.created").await;
    assert_eq!(created.len(), 1);
    let data: Value = serde_json::from_str(&created[0].data).unwrap();
    assert_eq!(created[0].actor_kind, "system", "nobody clicked");
    assert_eq!(data["pre_authorized"], true, "{data}");
    assert_eq!(data["user"], alice_id.as_str(), "{data}");
    assert_eq!(created[0].target_id.as_deref(), Some(rp.id.as_str()));

    // A wider request widens the same grant, audited the same way.
    let loc = open(&alice, "alice", &authorize_path(&rp, "openid email", "")).await;
    assert!(loc.starts_with(REDIRECT), "{loc}");
    let changed = events(&app, "grant.changed").await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].actor_kind, "system");
    assert_eq!(app.count("grants").await, 1);

    // prompt=consent still shows the page (OIDC Core §3.1.2.1).
    let loc = open(
        &alice,
        "alice",
        &authorize_path(&rp, "openid", "&prompt=consent"),
    )
    .await;
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");

    // prompt=none succeeds without ever having consented.
    let bob = app.browser();
    let loc = open(&bob, "bob", &authorize_path(&rp, "openid", "&prompt=none")).await;
    assert!(
        loc.starts_with(REDIRECT) && param(&loc, "code").is_some(),
        "{loc}"
    );

    // The person can withdraw it like any other.
    let r = alice
        .post(
            "/api/apps/revoke",
            &[("grant_id", grant_id.as_str()), ("confirm", "yes")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert!(alice.get("/api/apps/list").await.json()["apps"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn pre_authorization_does_not_pass_the_third_party_switch_or_the_email_domains() {
    let (app, rp) = setup().await;
    admin_sets(&app, &rp, json!({ "pre_authorized": true })).await;
    let ctx = domain::accounts::AdminCtx::operator();
    domain::settings::set_bool(
        &app.db,
        &ctx,
        domain::settings::THIRD_PARTY_OAUTH,
        false,
        app.clock_now(),
    )
    .await
    .unwrap();
    let alice = app.browser();
    let loc = open(&alice, "alice", &authorize_path(&rp, "openid", "")).await;
    assert_eq!(loc, "/oauth/error?reason=third_party_disabled");

    let only_elsewhere = register(
        &app,
        domain::clients::NewClient {
            first_party: true,
            pre_authorized: true,
            allowed_email_domains: vec!["elsewhere.example".into()],
            ..notebook(&["openid", "profile"])
        },
    )
    .await;
    let loc = open(
        &alice,
        "alice",
        &authorize_path(&only_elsewhere, "openid", ""),
    )
    .await;
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("access_denied"),
        "{loc}"
    );
    assert_eq!(app.count("grants").await, 0, "no consent recorded");
}

#[tokio::test]
async fn a_native_app_cannot_be_pre_authorized() {
    // Any app on the device can use a public client's id (RFC 8252 §8.6).
    let app = spawn_app().await;
    let native = domain::clients::create(
        &app.db,
        &domain::platform::password::PasswordHasher::new(),
        domain::audit::Actor::Operator,
        domain::clients::NewClient {
            application_type: Some(domain::clients::ApplicationType::Native),
            ..notebook(&["openid"])
        },
        app.clock_now(),
    )
    .await
    .unwrap()
    .client;
    let path = format!("/api/v1/clients/{}", native.id);
    let admin = Api::admin(&app).await;
    let r = admin.put(&path, json!({ "pre_authorized": true })).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["field"], "pre_authorized", "{}", r.body);
    assert_eq!(admin.get(&path).await.json()["pre_authorized"], false);
}

#[tokio::test]
async fn a_client_that_does_not_persist_consent_asks_every_time() {
    let (app, rp) = setup().await;
    admin_sets(&app, &rp, json!({ "persist_consent": false })).await;
    let alice = app.browser();
    // The first time: the consent page, then a code.
    let loc = authorize_as(&alice, "alice", &authorize_path(&rp, "openid", "")).await;
    assert!(param(&loc, "code").is_some(), "{loc}");
    assert_eq!(
        app.count("grants").await,
        1,
        "the consent is still recorded"
    );
    // The second time, for the same scopes: the consent page again.
    let loc = open(&alice, "alice", &authorize_path(&rp, "openid", "")).await;
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");
    let page = alice.get_html(&loc).await.body;
    assert!(page.contains("Research Notebook"), "{page}");
    // Nobody may answer for the person: prompt=none cannot succeed.
    let loc = open(
        &alice,
        "alice",
        &authorize_path(&rp, "openid", "&prompt=none"),
    )
    .await;
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("consent_required"),
        "{loc}"
    );
    // Allowing again keeps one grant (listed under My apps).
    let loc = authorize_as(&alice, "alice", &authorize_path(&rp, "openid", "")).await;
    assert!(param(&loc, "code").is_some(), "{loc}");
    assert_eq!(app.count("grants").await, 1);
    let apps = alice.get("/api/apps/list").await.json();
    assert_eq!(apps["apps"][0]["client_id"], rp.id.as_str(), "{apps}");

    // Pre-authorization wins: no page, and prompt=none succeeds.
    admin_sets(&app, &rp, json!({ "pre_authorized": true })).await;
    let loc = open(&alice, "alice", &authorize_path(&rp, "openid", "")).await;
    assert!(loc.starts_with(REDIRECT), "{loc}");
    let loc = open(
        &alice,
        "alice",
        &authorize_path(&rp, "openid", "&prompt=none"),
    )
    .await;
    assert!(param(&loc, "code").is_some(), "{loc}");
}
