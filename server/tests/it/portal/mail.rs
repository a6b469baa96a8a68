//! Notifications e-mailed over a real SMTP listener on loopback, or kept in the
//! outbox without one.

use super::clients::ask_scopes;
use crate::helpers::*;

#[tokio::test]
async fn notifications_are_e_mailed_over_smtp_and_kept_in_the_outbox_without_it() {
    let (sink, port) = SmtpSink::start().await;
    let app = spawn_app_with(|s| {
        s.smtp = Some(server::settings::SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            username: None,
            password: None,
            from: "Portcullis <portcullis@example.edu>".into(),
            tls: "none".into(),
            poll_interval_ms: 50,
        });
    })
    .await;
    registrations_api(&app).await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Sync", "service", "").await;
    ask_scopes(&dev, &id, &["registrations:write"], "Nightly sync").await;
    // The administrator's e-mail arrives at the SMTP listener.
    let mut got = Vec::new();
    for _ in 0..200 {
        got = sink.mails();
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(got.len(), 1, "one e-mail to the one administrator");
    assert_eq!(got[0].0, vec!["admin@example.edu".to_owned()]);
    assert!(got[0].1.contains("New request for"), "{}", got[0].1);
    // ... and is marked sent in the outbox.
    for _ in 0..200 {
        let sent = domain::entities::outbox_email::Entity::find()
            .all(&app.db)
            .await
            .unwrap();
        if sent.iter().all(|m| m.sent_at.is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    use sea_orm::EntityTrait;
    let rows = domain::entities::outbox_email::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(rows.iter().all(|m| m.sent_at.is_some()), "{rows:?}");

    // Without SMTP nothing is dropped: the mail waits in the outbox, visible to admins.
    let plain = spawn_app().await;
    registrations_api(&plain).await;
    let dev = developer(&plain, "ada").await;
    let id = register_in_portal(&dev, "Sync", "service", "").await;
    ask_scopes(&dev, &id, &["registrations:write"], "Nightly sync").await;
    let adm = signed_in(&plain, "admin").await;
    let outbox = adm.get("/api/admin/outbox").await.json();
    assert_eq!(outbox["smtp_configured"], false);
    assert_eq!(outbox["total"], 1);
    assert!(outbox["items"][0]["sent"].is_null());
    assert_eq!(outbox["items"][0]["to"], "admin@example.edu");
    // Developers cannot read the outbox.
    assert!(dev
        .get("/api/admin/outbox")
        .await
        .body
        .contains("Forbidden"));
}
