//! A client's later life: secret rotation, deletion, expiry reminders, and how the
//! consent screen presents it.

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn rotated_secrets_overlap_for_the_chosen_window_then_stop() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Bot", "service", "").await;
    let old = shown_secret(&dev, &id).await;

    let r = dev
        .post(
            "/api/portal/rotate_secret",
            &[("id", &id), ("overlap", "1h")],
        )
        .await;
    assert!(
        r.location().unwrap().contains("secret_rotated"),
        "{}",
        r.body
    );
    let new = shown_secret(&dev, &id).await;
    assert_ne!(old, new);
    assert_eq!(
        cc_token(&app, &id, &old, None).await.0,
        200,
        "old works in the overlap"
    );
    assert_eq!(cc_token(&app, &id, &new, None).await.0, 200);
    app.clock.advance(3601);
    assert_eq!(
        cc_token(&app, &id, &old, None).await.0,
        401,
        "old stops after 1 h"
    );
    assert_eq!(cc_token(&app, &id, &new, None).await.0, 200);

    // No overlap: the previous secret stops at once.
    dev.post(
        "/api/portal/rotate_secret",
        &[("id", &id), ("overlap", "none")],
    )
    .await;
    let newest = shown_secret(&dev, &id).await;
    assert_eq!(cc_token(&app, &id, &new, None).await.0, 401);
    assert_eq!(cc_token(&app, &id, &newest, None).await.0, 200);
    let r = dev
        .post(
            "/api/portal/rotate_secret",
            &[("id", &id), ("overlap", "1y")],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("overlap"), "{}", r.body);
}

#[tokio::test]
async fn deleting_needs_the_name_and_stops_the_clients_tokens() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Bot", "service", "").await;
    let secret = shown_secret(&dev, &id).await;
    let (_, body) = cc_token(&app, &id, &secret, None).await;
    let token = body["access_token"].as_str().unwrap().to_owned();
    let r = dev
        .post(
            "/api/portal/delete_client",
            &[("id", &id), ("confirm_name", "bot")],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("confirm"), "{}", r.body);
    let r = dev
        .post(
            "/api/portal/delete_client",
            &[("id", &id), ("confirm_name", "Bot")],
        )
        .await;
    assert!(
        r.location().unwrap().contains("client_deleted"),
        "{}",
        r.body
    );
    assert!(domain::clients::find(&app.db, &id).await.unwrap().is_none());
    // Its access token is no longer active (introspected by another client).
    let other = register(
        &app,
        domain::clients::NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("RS".into()),
                ..Default::default()
            },
            application_type: Some(domain::clients::ApplicationType::Service),
            ..Default::default()
        },
    )
    .await;
    let r: Value = reqwest::Client::new()
        .post(format!("{}/oauth/introspect", app.base))
        .basic_auth(&other.id, Some(&other.secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["active"], false);
}

#[tokio::test]
async fn expiry_reminders_are_sent_once_even_when_the_job_runs_again() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Bot", "service", "").await;
    let before_outbox = app.count("outbox_emails").await;

    app.clock.advance(340 * 86_400); // 25 days left
    let now = app.clock_now();
    assert_eq!(
        domain::portal::notify::send_expiry_reminders(&app.db, now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        domain::portal::notify::send_expiry_reminders(&app.db, now)
            .await
            .unwrap(),
        0
    );
    app.clock.advance(3600);
    assert_eq!(
        domain::portal::notify::send_expiry_reminders(&app.db, app.clock_now())
            .await
            .unwrap(),
        0,
        "the 30-day reminder is not repeated"
    );
    app.clock.advance(19 * 86_400); // 6 days left: the 7-day reminder
    assert_eq!(
        domain::portal::notify::send_expiry_reminders(&app.db, app.clock_now())
            .await
            .unwrap(),
        1
    );
    dev.sign_in("ada", ADMIN_PASSWORD).await;
    let notes = dev.get("/api/portal/notifications").await.json();
    assert_eq!(notes["total"], 2);
    assert!(notes["items"][0]["title"]
        .as_str()
        .unwrap()
        .contains("expires in"));
    assert_eq!(app.count("outbox_emails").await, before_outbox + 2);
    assert_eq!(app.count("expiry_reminders").await, 2);
    let _ = id;
}

#[tokio::test]
async fn the_consent_screen_shows_the_clients_logo_owner_and_links() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let r = dev
        .post(
            "/api/portal/create_client",
            &[
                ("name", "Notebook"),
                ("application_type", "web"),
                ("redirect_uris", "https://n.example/cb"),
                ("logo_uri", "https://n.example/logo.png"),
                ("policy_uri", "https://n.example/privacy"),
                ("tos_uri", "https://n.example/terms"),
            ],
        )
        .await;
    let id = r.location().unwrap()["/developer/clients/".len()..]
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let user = app.browser();
    user.sign_in("admin", ADMIN_PASSWORD).await;
    let q = format!("client_id={id}&scope=openid");
    let v = user
        .get(&format!(
            "/api/consent_details?query={}",
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        ))
        .await
        .json();
    assert_eq!(v["client_name"], "Notebook");
    assert_eq!(v["owner"], "ada display");
    assert_eq!(v["logo_uri"], "https://n.example/logo.png");
    assert_eq!(v["policy_uri"], "https://n.example/privacy");
    assert_eq!(v["tos_uri"], "https://n.example/terms");
}
