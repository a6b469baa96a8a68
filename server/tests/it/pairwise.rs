//! Pairwise subject identifiers (OpenID Connect Core §8.1, OIDC Registration §5;
//! seed 001's "Subject Type" and "Sector Identifier URI", issue 17): the same
//! person gets a different, stable `sub` in each sector, the same in the ID
//! token, the access token, userinfo, introspection and an `id_token_hint`; a
//! sector identifier document must list every redirect URI.

use domain::accounts::Role;
use serde_json::{json, Value};

use crate::client_fields::{sector_document, serve_json};
use crate::helpers::*;
use crate::rp::*;

async fn app() -> TestApp {
    let app = spawn_app_with(|s| s.outbound.allow_private_addresses = true).await;
    create_user(&app.db, "alice", Role::User).await;
    create_user(&app.db, "bob", Role::User).await;
    app
}

/// A notebook client made pairwise by an administrator, in the sector of `sector`
/// (a sector identifier document's URL), or of its redirect host when `None`.
async fn pairwise_client(app: &TestApp, admin: &Api, sector: Option<&str>) -> Creds {
    let rp = register(app, notebook(&["openid", "profile"])).await;
    let mut edit = json!({ "subject_type": "pairwise" });
    if let Some(uri) = sector {
        edit["sector_identifier_uri"] = json!(uri);
    }
    let r = admin.put(&format!("/api/v1/clients/{}", rp.id), edit).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["subject_type"], "pairwise");
    rp
}

async fn userinfo_json(app: &TestApp, token: &str) -> Value {
    let r = reqwest::Client::new()
        .get(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Every place a client reads the person's `sub` from, for one sign-in; asserts
/// they agree and returns it.
async fn sub_seen_by(app: &TestApp, b: &Browser, user: &str, rp: &Creds) -> String {
    let tokens = exchange(app, rp, &code_as(b, user, rp, "openid profile").await).await;
    let sub = peek(s(&tokens, "id_token"))["sub"]
        .as_str()
        .unwrap()
        .to_owned();
    let access = s(&tokens, "access_token");
    assert_eq!(peek(access)["sub"], sub.as_str(), "the access token's sub");
    assert_eq!(
        userinfo_json(app, access).await["sub"],
        sub.as_str(),
        "userinfo's sub"
    );
    for t in [access, s(&tokens, "refresh_token")] {
        let i = introspect(app, rp, t).await;
        assert_eq!(i["active"], true, "{i}");
        assert_eq!(i["sub"], sub.as_str(), "introspection's sub");
    }
    sub
}

#[tokio::test]
async fn each_sector_sees_its_own_stable_sub_and_every_endpoint_agrees() {
    let app = app().await;
    let admin = Api::admin(&app).await;
    // Two sectors: the hosts of their documents differ (both list the notebook's
    // redirect URI); a third client stays public.
    let one = sector_document(&[REDIRECT]).await;
    let other = sector_document(&[REDIRECT])
        .await
        .replace("127.0.0.1", "localhost");
    let a = pairwise_client(&app, &admin, Some(&one)).await;
    let b = pairwise_client(&app, &admin, Some(&other)).await;
    let public = register(&app, notebook(&["openid", "profile"])).await;

    let alice = app.browser();
    let alice_id = domain::accounts::find_by_username(&app.db, "alice")
        .await
        .unwrap()
        .unwrap()
        .id;
    let at_a = sub_seen_by(&app, &alice, "alice", &a).await;
    let at_b = sub_seen_by(&app, &alice, "alice", &b).await;
    let at_public = sub_seen_by(&app, &alice, "alice", &public).await;
    assert_eq!(at_public, alice_id, "a public client sees the account id");
    assert_ne!(at_a, at_b, "two sectors cannot match alice up");
    assert_ne!(at_a, alice_id);
    assert_ne!(at_b, alice_id);
    assert_eq!(
        sub_seen_by(&app, &alice, "alice", &a).await,
        at_a,
        "stable: the same sub on every sign-in"
    );
    // A second client in sector `one` sees the same sub as the first.
    let a2 = pairwise_client(&app, &admin, Some(&one)).await;
    assert_eq!(sub_seen_by(&app, &alice, "alice", &a2).await, at_a);
    // Another person in the same sector has another sub.
    let bob = app.browser();
    assert_ne!(sub_seen_by(&app, &bob, "bob", &a).await, at_a);

    // The ID token of a pairwise client names this session's person: signing
    // out with it as a hint needs no confirmation (RP-Initiated Logout §2).
    let tokens = exchange(&app, &a, &code_as(&alice, "alice", &a, "openid").await).await;
    let r = alice
        .get(&format!(
            "/oauth/end_session?id_token_hint={}",
            s(&tokens, "id_token")
        ))
        .await;
    let to = r.location().unwrap_or_default();
    assert!(!to.starts_with("/oauth/logout?"), "no question asked: {to}");
    assert_eq!(alice.signed_in_as().await, None);
}

#[tokio::test]
async fn without_a_document_the_redirect_host_is_the_sector() {
    let app = app().await;
    let admin = Api::admin(&app).await;
    // Both redirect to 127.0.0.1: one sector, one sub.
    let a = pairwise_client(&app, &admin, None).await;
    let b = pairwise_client(&app, &admin, None).await;
    let alice = app.browser();
    let at_a = sub_seen_by(&app, &alice, "alice", &a).await;
    assert_eq!(sub_seen_by(&app, &alice, "alice", &b).await, at_a);
    assert_eq!(at_a.len(), 43, "base64url of a SHA-256 HMAC: {at_a}");
}

#[tokio::test]
async fn a_sector_document_must_list_every_redirect_uri_and_a_pairwise_client_keeps_its_sector() {
    let app = app().await;
    let admin = Api::admin(&app).await;
    let doc = sector_document(&[REDIRECT]).await;
    let rp = register(&app, notebook(&["openid"])).await;
    let path = format!("/api/v1/clients/{}", rp.id);
    let before = admin.get(&path).await.json();
    let refused = |r: Reply, field: &str| {
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.json()["field"], field, "{}", r.body);
    };

    // A redirect URI the document does not list.
    let r = admin
        .put(
            &path,
            json!({ "sector_identifier_uri": doc,
                    "redirect_uris": [REDIRECT, "http://127.0.0.1:9/elsewhere"] }),
        )
        .await;
    refused(r, "redirect_uris");
    // A document nobody serves, and one that is not a list.
    let gone = doc.replace("/sector.json", "/missing.json");
    refused(
        admin
            .put(&path, json!({ "sector_identifier_uri": gone }))
            .await,
        "sector_identifier_uri",
    );
    // JSON, but not a list of redirect URIs.
    let not_a_list = serve_json(json!({ "redirect_uris": [REDIRECT] })).await;
    refused(
        admin
            .put(&path, json!({ "sector_identifier_uri": not_a_list }))
            .await,
        "sector_identifier_uri",
    );
    // Pairwise with redirect URIs on two hosts needs a document.
    let r = admin
        .put(
            &path,
            json!({ "subject_type": "pairwise",
                    "redirect_uris": [REDIRECT, "http://localhost:9/callback"] }),
        )
        .await;
    refused(r, "sector_identifier_uri");
    assert_eq!(admin.get(&path).await.json(), before, "nothing changed");

    // Pairwise in the document's sector; a move to another sector is refused.
    let r = admin
        .put(
            &path,
            json!({ "subject_type": "pairwise", "sector_identifier_uri": doc }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let elsewhere = sector_document(&[REDIRECT])
        .await
        .replace("127.0.0.1", "localhost");
    let pairwise = admin.get(&path).await.json();
    refused(
        admin
            .put(&path, json!({ "sector_identifier_uri": elsewhere }))
            .await,
        "sector_identifier_uri",
    );
    assert_eq!(
        admin.get(&path).await.json(),
        pairwise,
        "still in its sector"
    );
}

/// OIDC Back-Channel Logout §2.4: the logout token names the person by the `sub`
/// the app knows — its pairwise one.
#[tokio::test]
async fn a_pairwise_apps_logout_token_carries_its_pairwise_sub() {
    use crate::logout::{app_for_logout, logout_client, receiver, sign_in_to, verify_logout_token};
    let app = app_for_logout(true).await;
    let inbox = receiver(0).await;
    let rp = logout_client(&app, "Pairwise notebook", Some(&inbox.url)).await;
    let r = Api::admin(&app)
        .await
        .put(
            &format!("/api/v1/clients/{}", rp.id),
            json!({ "subject_type": "pairwise" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let browser = app.browser();
    let tokens = sign_in_to(&app, &browser, "alice", &rp).await;
    let sub = peek(s(&tokens, "id_token"))["sub"].clone();
    let alice = domain::accounts::find_by_username(&app.db, "alice")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(sub, json!(alice.id), "pairwise");
    browser
        .get(&format!(
            "/oauth/end_session?id_token_hint={}",
            s(&tokens, "id_token")
        ))
        .await;
    assert_eq!(browser.signed_in_as().await, None, "signed out by the hint");
    let got = inbox.wait_for(1).await;
    let claims = verify_logout_token(&app, &got[0], &rp.id).await;
    assert_eq!(claims["sub"], sub);
}
