//! `/api/v1/registration`: administrators set the mode and mint, list and revoke
//! initial access tokens; developers may not.

use serde_json::json;

use super::*;

#[tokio::test]
async fn administrators_set_the_mode_and_mint_tokens_over_rest() {
    let app = spawn_app().await;
    let admin = Api::admin(&app).await;
    let (_, dev) = Api::developer(&app, "dev").await;
    assert_eq!(
        admin.get("/api/v1/registration").await.json(),
        json!({"mode": "off"})
    );
    for r in [
        dev.get("/api/v1/registration").await,
        dev.put("/api/v1/registration", json!({"mode": "open"}))
            .await,
        dev.get("/api/v1/registration/tokens").await,
        dev.post("/api/v1/registration/tokens", json!({"label": "x"}))
            .await,
    ] {
        assert_eq!(r.status, 403, "{}", r.body);
    }
    let r = admin
        .put("/api/v1/registration", json!({"mode": "token"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = admin
        .put("/api/v1/registration", json!({"mode": "sometimes"}))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        admin.get("/api/v1/registration").await.json()["mode"],
        "token"
    );

    let r = admin
        .post(
            "/api/v1/registration/tokens",
            json!({"label": "l".repeat(limits::INITIAL_TOKEN_LABEL + 1)}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = admin
        .post(
            "/api/v1/registration/tokens",
            json!({"label": "pilot", "max_uses": 0}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = admin
        .post(
            "/api/v1/registration/tokens",
            json!({"label": "pilot", "max_uses": 2}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let minted = r.json();
    let token = s(&minted, "token");
    let created = register_with(&app, Some(token), &web_metadata("Via REST token")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let list = admin.get("/api/v1/registration/tokens").await.json();
    assert_eq!(list[0]["uses"], 1, "{list}");
    assert!(list[0].get("token").is_none() && list[0].get("token_hash").is_none());

    let r = admin
        .delete(&format!("/api/v1/registration/tokens/{}", s(&minted, "id")))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let refused = register_with(&app, Some(token), &web_metadata("After revoke")).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    let types = app.audit_types().await;
    for t in [
        "initial_access_token.minted",
        "initial_access_token.revoked",
        "settings.changed",
    ] {
        assert!(types.contains(&t.to_owned()), "{t}");
    }
}
