//! The profile form: display name and the optional given and family names (OIDC
//! Core §5.1), which apps granted `profile` receive in the ID token and at userinfo.

use domain::accounts::Role;
use serde_json::Value;

use super::*;
use crate::rp::{code_as, exchange, notebook, s};

async fn save(b: &Browser, display: &str, given: &str, family: &str) -> Reply {
    b.post(
        "/api/update_profile",
        &[
            ("display_name", display),
            ("given_name", given),
            ("family_name", family),
        ],
    )
    .await
}

async fn userinfo(app: &TestApp, access_token: &str) -> Value {
    let r = reqwest::Client::new()
        .get(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn given_and_family_names_reach_apps_granted_profile_and_only_those() {
    let app = spawn_app().await;
    create_user(&app.db, "alice", Role::User).await;
    let b = app.browser();
    assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status < 400);

    // Never given: the claims are absent, not empty.
    let rp = register(&app, notebook(&["openid", "profile"])).await;
    let tokens = exchange(
        &app,
        &rp,
        &code_as(&b, "alice", &rp, "openid profile").await,
    )
    .await;
    let id = peek(s(&tokens, "id_token"));
    assert!(
        id.get("given_name").is_none() && id.get("family_name").is_none(),
        "{id}"
    );

    let r = save(&b, "Ada L.", "  Ada ", "Lovelace").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/account?notice=profile_saved"),
        "{}",
        r.body
    );
    let me = account(&b).await;
    assert_eq!(
        (me["given_name"].as_str(), me["family_name"].as_str()),
        (Some("Ada"), Some("Lovelace"))
    );
    assert_eq!(me["display_name"], "Ada L.");

    let tokens = exchange(
        &app,
        &rp,
        &code_as(&b, "alice", &rp, "openid profile").await,
    )
    .await;
    let id = peek(s(&tokens, "id_token"));
    assert_eq!(
        (id["given_name"].as_str(), id["family_name"].as_str()),
        (Some("Ada"), Some("Lovelace")),
        "{id}"
    );
    assert_eq!(id["name"], "Ada L.");
    let info = userinfo(&app, s(&tokens, "access_token")).await;
    assert_eq!(
        (info["given_name"].as_str(), info["family_name"].as_str()),
        (Some("Ada"), Some("Lovelace")),
        "{info}"
    );

    // Without `profile`, none of it.
    let plain = register(&app, notebook(&["openid"])).await;
    let tokens = exchange(&app, &plain, &code_as(&b, "alice", &plain, "openid").await).await;
    let info = userinfo(&app, s(&tokens, "access_token")).await;
    assert!(
        info.get("given_name").is_none() && info.get("name").is_none(),
        "{info}"
    );

    // Cleared: absent again; the change is audited from and to.
    let r = save(&b, "Ada L.", "", "Lovelace").await;
    assert!(r.location().is_some(), "{}", r.body);
    let tokens = exchange(
        &app,
        &rp,
        &code_as(&b, "alice", &rp, "openid profile").await,
    )
    .await;
    let info = userinfo(&app, s(&tokens, "access_token")).await;
    assert!(info.get("given_name").is_none(), "{info}");
    assert_eq!(info["family_name"], "Lovelace");
    let last = {
        use domain::entities::audit_event;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        audit_event::Entity::find()
            .filter(audit_event::Column::EventType.eq("user.profile_updated"))
            .order_by_desc(audit_event::Column::Id)
            .one(&app.db)
            .await
            .unwrap()
            .expect("audited")
    };
    let data: Value = serde_json::from_str(&last.data).unwrap();
    assert_eq!(data["given_name"]["from"], "Ada", "{data}");
    assert!(data["given_name"]["to"].is_null(), "{data}");
    assert!(
        data.get("family_name").is_none(),
        "only what changed: {data}"
    );

    let discovery: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let supported = discovery["claims_supported"].to_string();
    assert!(supported.contains("\"given_name\"") && supported.contains("\"family_name\""));
}

#[tokio::test]
async fn every_bad_name_is_reported_at_once_and_nothing_changes() {
    let app = spawn_app().await;
    create_user(&app.db, "alice", Role::User).await;
    let b = app.browser();
    assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status < 400);
    let before = account(&b).await;
    let long = "x".repeat(limits::PERSON_NAME + 1);
    let r = save(&b, "  ", &long, "Love\u{7}lace").await;
    assert_eq!(r.status, 422, "{}", r.body);
    let mut fields: Vec<String> = field_errors(&r).into_iter().map(|(f, _)| f).collect();
    fields.sort();
    assert_eq!(fields, ["display_name", "family_name", "given_name"]);
    assert_eq!(account(&b).await, before, "nothing changed");
}
