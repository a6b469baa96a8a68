//! The device flow's consent asks who may act for the person through the app
//! (RFC 8693 `may_act`), as the authorization endpoint's does, when the app asks
//! for access to an API; the answer is stored with the consent.

use super::*;

/// A public device client that may ask for the registrations API.
async fn api_tv(app: &TestApp) -> String {
    registrations_api(app).await;
    public_client(
        app,
        "Lab terminal",
        &[DEVICE_GRANT, "refresh_token"],
        &["openid", READ],
    )
    .await
}

#[tokio::test]
async fn the_device_consent_asks_who_may_act_and_stores_the_answer() {
    let app = spawn_app().await;
    let client_id = api_tv(&app).await;
    let alice = signed_in_user(&app, "alice").await;

    // Without an API, nothing to ask.
    let plain = tv(&app).await;
    let d = authorize_device(&app, &plain, "openid").await;
    let v = details(&alice, d["user_code"].as_str().unwrap()).await;
    assert_eq!(v["Consent"]["consent"]["agents"], Value::Null, "{v}");

    let d = authorize_device(&app, &client_id, &format!("openid {READ}")).await;
    let code = d["user_code"].as_str().unwrap();
    let v = details(&alice, code).await;
    assert_eq!(v["Consent"]["consent"]["agents"]["current"], "any", "{v}");
    let page = alice
        .get_html(&format!("/device?user_code={}", enc(code)))
        .await;
    assert!(
        page.body.contains(r#"data-testid="consent-agents""#),
        "{}",
        page.body
    );

    // A made-up answer is refused and decides nothing.
    let r = decide_with(&alice, code, "allow", &[("agents", "sideways")]).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let device_code = d["device_code"].as_str().unwrap();
    assert_eq!(
        poll_error(&app, &client_id, device_code).await,
        "authorization_pending"
    );

    let r = decide_with(&alice, code, "allow", &[("agents", "none")]).await;
    assert!(r.status < 400, "{}", r.body);
    let (status, tokens) = poll(&app, &client_id, device_code).await;
    assert_eq!(status, 200, "{tokens}");
    let apps = alice.get("/api/apps/list").await.json();
    assert_eq!(apps["apps"][0]["may_act"], "none", "{apps}");
    // The next device request shows what the person said.
    app.clock.advance(10);
    let d = authorize_device(&app, &client_id, &format!("openid {READ}")).await;
    let v = details(&alice, d["user_code"].as_str().unwrap()).await;
    assert_eq!(v["Consent"]["consent"]["agents"]["current"], "none", "{v}");
}
