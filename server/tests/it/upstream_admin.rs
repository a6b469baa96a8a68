//! Issue 15: administrators add, change and remove upstream OpenID providers on
//! a page (`/admin/sign-in-providers`), beside the settings file's. A provider
//! is saved only when its issuer answers; its secret is sealed and never shown
//! again; every server process sharing the database learns of the change at
//! once (the change feed's `upstream` topic); removing one removes the links of
//! people to it. A provider may take `private_key_jwt`: the app signs its
//! client assertion with its own keys, which the provider reads from the app's
//! `jwks_uri`. All against a real provider (a second Portcullis).

use std::time::{Duration, Instant};

use domain::accounts::upstream::ClientAuth;
use domain::accounts::Role;
use serde_json::Value;

use crate::helpers::upstream::{Federation, Known, PROVIDER};
use crate::helpers::*;

async fn admin(app: &TestApp) -> Browser {
    let b = app.browser();
    let r = b.sign_in("admin", ADMIN_PASSWORD).await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    b
}

/// The names of the "Continue with …" buttons a signed-out visitor of `base` sees.
async fn buttons(base: &str) -> Vec<String> {
    let b = Browser {
        client: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: base.to_owned(),
    };
    let v = b.get("/api/upstream_options").await.json();
    v["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits (up to 5 s) until `base` shows `expected`; how long it took. Real
/// time: another process's change feed is what is waited for.
#[allow(clippy::disallowed_methods)]
async fn until_shown(base: &str, expected: &[&str]) -> Duration {
    let start = Instant::now();
    loop {
        let got = buttons(base).await;
        if got == expected {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{base} still shows {got:?}, not {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn with(form: &[(String, String)], field: &str, value: &str) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = form.iter().filter(|(k, _)| k != field).cloned().collect();
    f.push((field.to_owned(), value.to_owned()));
    f
}

#[tokio::test]
async fn an_administrator_adds_changes_and_removes_a_provider_and_every_node_follows() {
    // Caches on, as in production: only the change feed can tell node B.
    let f = Federation::start_with(Known::Admin(ClientAuth::ClientSecretPost), |s| {
        s.cache_ttl_ms = 600_000
    })
    .await;
    let (node_b, _) = spawn_second_server(&f.app).await;
    assert!(buttons(&f.app.base).await.is_empty());
    assert!(buttons(&node_b).await.is_empty(), "cached: nothing yet");
    let a = admin(&f.app).await;
    let page = a.get("/api/admin/sign-in-providers").await.json();
    assert_eq!(page["providers"], serde_json::json!([]));
    assert_eq!(
        page["redirect_uri"],
        format!("{}/api/upstream_callback", f.app.settings.issuer)
    );

    let form = f.form(ClientAuth::ClientSecretPost);
    let r = f.add_by_admin(&a, &form).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/admin/sign-in-providers?notice=provider_added"),
        "{} {}",
        r.status,
        r.body
    );
    let lag = until_shown(&node_b, &["Campus IdM"]).await;
    println!("node B showed the new provider after {lag:?}");
    assert_eq!(buttons(&f.app.base).await, ["Campus IdM"]);

    // The secret: sealed in the row, in no event, never sent back.
    let sealed: Vec<Value> = {
        use sea_orm::{EntityTrait, QuerySelect};
        domain::entities::upstream_provider::Entity::find()
            .select_only()
            .column(domain::entities::upstream_provider::Column::SecretSealed)
            .into_json()
            .all(&f.app.db)
            .await
            .unwrap()
    };
    let sealed = sealed[0].to_string();
    assert!(!sealed.contains(&f.client.secret), "sealed: {sealed}");
    let added = f.app.audit_events_of("upstream_provider.added").await;
    assert_eq!(added.len(), 1);
    assert!(!added[0].to_string().contains(&f.client.secret));
    let listed = a.get("/api/admin/sign-in-providers").await;
    assert!(!listed.body.contains(&f.client.secret));
    let p = &listed.json()["providers"][0];
    assert_eq!(p["client_auth"], "client_secret_post");
    assert_eq!(p["fixed"], false);

    // People continue with it (the secret in the body: client_secret_post).
    f.person("ada", Role::User, true).await;
    let b = f.app.browser();
    let r = f.sign_in(&b, "ada", "/apps").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/apps"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(b.signed_in_as().await.as_deref(), Some("ada"));
    assert_eq!(f.app.count("upstream_links").await, 1);
    // The page counts the people linked (the list and the provider's own page).
    let listed = a.get("/api/admin/sign-in-providers").await.json();
    assert_eq!(listed["providers"][0]["linked"], 1, "{listed}");
    let one = a
        .get(&format!("/api/admin/sign-in-provider?id={PROVIDER}"))
        .await
        .json();
    assert_eq!(one["linked"], 1, "{one}");
    assert_eq!(one["name"], "Campus IdM", "{one}");

    // A change (the secret left empty: kept) reaches node B too.
    let changed = with(&with(&form, "name", "Campus sign-in"), "client_secret", "");
    let changed: Vec<(String, String)> =
        changed.into_iter().filter(|(k, _)| k != "issuer").collect();
    let refs: Vec<(&str, &str)> = changed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = a.post("/api/admin/sign-in-providers/change", &refs).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/admin/sign-in-providers?notice=provider_changed"),
        "{} {}",
        r.status,
        r.body
    );
    until_shown(&node_b, &["Campus sign-in"]).await;
    let ev = f.app.audit_events_of("upstream_provider.changed").await;
    assert_eq!(ev[0]["secret_changed"], false, "{}", ev[0]);
    let c = f.app.browser();
    let r = f.sign_in(&c, "ada", "/").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/"),
        "the kept secret still works: {}",
        r.body
    );

    // Removed: gone on both nodes, with its links.
    let r = a
        .post("/api/admin/sign-in-providers/remove", &[("id", PROVIDER)])
        .await;
    assert_eq!(r.status, 422, "not without the confirmation: {}", r.body);
    assert_eq!(buttons(&f.app.base).await, ["Campus sign-in"]);
    let r = a
        .post(
            "/api/admin/sign-in-providers/remove",
            &[("id", PROVIDER), ("confirm", "on")],
        )
        .await;
    assert_eq!(
        r.location().as_deref(),
        Some("/admin/sign-in-providers?notice=provider_removed"),
        "{} {}",
        r.status,
        r.body
    );
    until_shown(&node_b, &[]).await;
    assert_eq!(f.app.count("upstream_links").await, 0);
    let ev = f.app.audit_events_of("upstream_provider.removed").await;
    assert_eq!(ev[0]["links_removed"], 1, "{}", ev[0]);
    // A sign-in started before the removal finds nothing to finish.
    let d = node_b.clone();
    let d = Browser {
        client: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: d,
    };
    let r = d
        .post(
            "/api/upstream_start",
            &[("provider", PROVIDER), ("return_to", "/")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
}

#[tokio::test]
async fn a_bad_provider_is_refused_field_by_field_and_nothing_is_stored() {
    // The settings file already has "campus" for campus.example.
    let f = Federation::start(|_| {}).await;
    let a = admin(&f.app).await;
    let form = with(
        &with(&f.form(ClientAuth::ClientSecretBasic), "id", "campus-2"),
        "domains",
        "",
    );
    let refused = |r: &Reply, field: &str, words: &str| {
        assert_eq!(r.status, 422, "{field}: {}", r.body);
        let v = r.json();
        let text = v.to_string();
        assert!(
            text.contains(field) && text.contains(words),
            "{field} {words}: {text}"
        );
    };

    // Every problem at once, and what was typed comes back (not the secret).
    let empty: Vec<(String, String)> = vec![("client_auth".into(), "client_secret_basic".into())];
    let r = f.add_by_admin(&a, &with(&empty, "scopes", "profile")).await;
    assert_eq!(r.status, 422, "{}", r.body);
    for field in [
        "\"id\"",
        "\"name\"",
        "\"issuer\"",
        "\"client_id\"",
        "\"client_secret\"",
    ] {
        assert!(r.body.contains(field), "{field}: {}", r.body);
    }
    let r = f
        .add_by_admin(
            &a,
            &with(&with(&form, "name", ""), "client_secret", "typed secret"),
        )
        .await;
    refused(&r, "name", "1 to 60");
    assert!(
        !r.body.contains("typed secret"),
        "the secret is not sent back: {}",
        r.body
    );
    assert!(
        r.body.contains("campus-2"),
        "what was typed comes back: {}",
        r.body
    );

    for (field, value, words) in [
        ("id", "Campus!", "a–z"),
        ("id", PROVIDER, "another provider has this id"),
        ("issuer", "http://idp.campus.example", "https"),
        ("issuer", "https://idp.example/?x=1", "query"),
        ("client_auth", "client_secret_jwt", "choose how"),
        ("timeout_secs", "600", "1 to 60"),
        ("default_role", "root", "choose user"),
        ("domains", "campus.example", "already goes to Campus IdM"),
        ("username_claim", "user name", "no spaces"),
    ] {
        let r = f.add_by_admin(&a, &with(&form, field, value)).await;
        refused(&r, field, words);
    }
    // An issuer that does not answer, or whose document names another issuer.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://localhost:{}", l.local_addr().unwrap().port())
    };
    let r = f.add_by_admin(&a, &with(&form, "issuer", &closed)).await;
    refused(&r, "issuer", "did not answer");
    let other = format!("{}/", f.provider.settings.issuer);
    let r = f.add_by_admin(&a, &with(&form, "issuer", &other)).await;
    refused(&r, "issuer", "exactly this address");

    // Not an administrator: no page, no change.
    create_user(&f.app.db, "dev", Role::Developer).await;
    let dev = f.app.browser();
    assert!(dev.sign_in("dev", ADMIN_PASSWORD).await.status < 400);
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = dev.post("/api/admin/sign-in-providers/add", &refs).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(dev.get("/api/admin/sign-in-providers").await.status, 403);
    // The settings file's provider is listed but not the page's to change.
    let listed = a.get("/api/admin/sign-in-providers").await.json();
    assert_eq!(listed["providers"][0]["fixed"], true, "{listed}");
    let r = a
        .post(
            "/api/admin/sign-in-providers/remove",
            &[("id", PROVIDER), ("confirm", "on")],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);

    assert_eq!(f.app.count("upstream_providers").await, 0);
    assert!(f
        .app
        .audit_events_of("upstream_provider.added")
        .await
        .is_empty());
    // The good form is accepted (nothing above was refused for its own sake).
    let r = f.add_by_admin(&a, &form).await;
    assert!(r.location().is_some(), "{} {}", r.status, r.body);
    assert_eq!(f.app.count("upstream_providers").await, 1);
}

#[tokio::test]
async fn with_private_key_jwt_the_app_proves_itself_with_its_own_signing_key() {
    let f = Federation::start_with(Known::Admin(ClientAuth::PrivateKeyJwt), |_| {}).await;
    assert!(
        f.client.secret.is_empty(),
        "a key-only client at the provider"
    );
    let a = admin(&f.app).await;
    let r = f.add_by_admin(&a, &f.form(ClientAuth::PrivateKeyJwt)).await;
    assert!(r.location().is_some(), "{} {}", r.status, r.body);

    f.person("ada", Role::User, true).await;
    let b = f.app.browser();
    let r = f.sign_in(&b, "ada", "/apps").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/apps"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(b.signed_in_as().await.as_deref(), Some("ada"));
    // The provider authenticated the app by its assertion (whose `jti` it
    // keeps against replay).
    assert_eq!(f.provider.count("client_assertion_jtis").await, 1);

    // The same provider as a secret client: the provider refuses a
    // client_secret_basic app that has no secret to give (nothing signs it in).
    let secretless = with(
        &f.form(ClientAuth::ClientSecretBasic),
        "client_secret",
        "not the secret",
    );
    let changed: Vec<(String, String)> = secretless
        .into_iter()
        .filter(|(k, _)| k != "issuer")
        .collect();
    let refs: Vec<(&str, &str)> = changed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = a.post("/api/admin/sign-in-providers/change", &refs).await;
    assert!(r.location().is_some(), "{} {}", r.status, r.body);
    let c = f.app.browser();
    let r = f.sign_in(&c, "ada", "/").await;
    assert_eq!(
        r.location()
            .and_then(|l| query_param(&l, "upstream_error"))
            .as_deref(),
        Some("failed"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(c.signed_in_as().await, None);
}
