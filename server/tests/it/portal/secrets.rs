//! Issue 13, defect 9: after a rotation the owner sees which secrets work, when the
//! old one stops and when each was last used; revokes one early (never the only
//! one); and is warned a day before an old secret that is still in use stops.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::*;

async fn service(api: &Api) -> (String, String) {
    let r = api
        .post(
            "/api/v1/clients",
            json!({ "name": "Nightly export", "application_type": "service" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    (
        v["id"].as_str().unwrap().to_owned(),
        v["client_secret"].as_str().unwrap().to_owned(),
    )
}

async fn secrets(api: &Api, id: &str) -> Vec<Value> {
    let r = api.get(&format!("/api/v1/clients/{id}/secrets")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["secrets"].as_array().unwrap().clone()
}

async fn notifications_of(app: &TestApp, user_id: &str, kind: &str) -> usize {
    domain::entities::notification::Entity::find()
        .filter(domain::entities::notification::Column::UserId.eq(user_id))
        .filter(domain::entities::notification::Column::Kind.eq(kind))
        .all(&app.db)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn the_owner_sees_live_secrets_with_their_last_use_and_revokes_the_old_one() {
    let app = spawn_app().await;
    let (dev, api) = Api::developer(&app, "sasha").await;
    let (id, first) = service(&api).await;

    let listed = secrets(&api, &id).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["expires_at"], Value::Null);
    assert_eq!(listed[0]["last_used_at"], Value::Null, "never used yet");
    assert!(listed[0].get("secret_hash").is_none() && !listed[0].to_string().contains("argon2"));
    // The only working secret cannot be revoked: the client would be locked out.
    let only = listed[0]["id"].as_str().unwrap().to_owned();
    let r = api
        .delete(&format!("/api/v1/clients/{id}/secrets/{only}"))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("rotate"), "{}", r.body);

    assert_eq!(cc_token(&app, &id, &first, None).await.0, 200);
    let listed = secrets(&api, &id).await;
    assert_eq!(
        listed[0]["last_used_at"],
        app.clock_now(),
        "the use is seen at once"
    );

    // Rotation with a day's overlap: both work, the old one until then.
    app.clock.advance(60);
    let r = api
        .post(
            &format!("/api/v1/clients/{id}/rotate-secret"),
            json!({ "overlap": "24h" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let second = r.json()["client_secret"].as_str().unwrap().to_owned();
    let rotated_at = app.clock_now();
    let listed = secrets(&api, &id).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["expires_at"], Value::Null, "newest first");
    assert_eq!(listed[1]["id"], only.as_str());
    assert_eq!(listed[1]["expires_at"], rotated_at + 86_400);

    // Someone still uses the old one after the rotation...
    app.clock.advance(60);
    assert_eq!(cc_token(&app, &id, &first, None).await.0, 200);
    app.clients.uses.flush(&app.db).await;
    let row = domain::entities::client_secret_use::Entity::find_by_id(only.clone())
        .one(&app.db)
        .await
        .unwrap()
        .expect("the use is written");
    assert_eq!(row.last_used_at, app.clock_now());

    // ...so a day before it stops, its owner is warned, once (bell and e-mail).
    let outbox = app.count("outbox_emails").await;
    app.clock.advance(3600);
    let now = app.clock_now();
    assert_eq!(
        domain::portal::notify::send_secret_reminders(&app.db, now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        domain::portal::notify::send_secret_reminders(&app.db, now)
            .await
            .unwrap(),
        0,
        "once"
    );
    assert_eq!(
        notifications_of(&app, &dev.id, "client.secret_expiring").await,
        1
    );
    assert_eq!(app.count("outbox_emails").await, outbox + 1);

    // Revoked early: the old secret stops at once, the new one works. (A fresh
    // API token: the clock moved past the first one's lifetime.)
    let api = Api::for_user(&app, &dev).await;
    let other = Api::developer(&app, "mallory").await.1;
    let r = other
        .delete(&format!("/api/v1/clients/{id}/secrets/{only}"))
        .await;
    assert!(r.status == 404 || r.status == 403, "{}", r.body);
    let r = api
        .delete(&format!("/api/v1/clients/{id}/secrets/not-a-secret"))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = api
        .delete(&format!("/api/v1/clients/{id}/secrets/{only}"))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(cc_token(&app, &id, &first, None).await.0, 401);
    assert_eq!(cc_token(&app, &id, &second, None).await.0, 200);
    assert_eq!(secrets(&api, &id).await.len(), 1);
    assert!(app
        .audit_types()
        .await
        .contains(&"client.secret_revoked".to_owned()));
}

#[tokio::test]
async fn an_old_secret_nobody_uses_any_more_ends_quietly() {
    let app = spawn_app().await;
    let (dev, api) = Api::developer(&app, "quinn").await;
    let (id, first) = service(&api).await;
    assert_eq!(cc_token(&app, &id, &first, None).await.0, 200);
    app.clients.uses.flush(&app.db).await;
    app.clock.advance(60);
    let r = api
        .post(
            &format!("/api/v1/clients/{id}/rotate-secret"),
            json!({ "overlap": "1h" }),
        )
        .await;
    assert_eq!(r.status, 200);
    // Used only before the rotation: every deployment switched.
    app.clock.advance(600);
    assert_eq!(
        domain::portal::notify::send_secret_reminders(&app.db, app.clock_now())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        notifications_of(&app, &dev.id, "client.secret_expiring").await,
        0
    );
}

#[tokio::test]
async fn the_portal_form_revokes_only_when_confirmed() {
    let app = spawn_app().await;
    let (_, api) = Api::developer(&app, "robin").await;
    let (id, first) = service(&api).await;
    let r = api
        .post(
            &format!("/api/v1/clients/{id}/rotate-secret"),
            json!({ "overlap": "7d" }),
        )
        .await;
    assert_eq!(r.status, 200);
    let old = secrets(&api, &id).await[1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = signed_in(&app, "robin").await;
    let page = b.get_html(&format!("/developer/clients/{id}")).await;
    assert!(page.body.contains("Working secrets"), "{}", page.body);
    assert!(page.body.contains("Revoke this secret"));

    let unconfirmed = b
        .post(
            "/api/portal/revoke_secret",
            &[("id", &id), ("secret_id", &old)],
        )
        .await;
    assert!(unconfirmed.status >= 400, "{}", unconfirmed.body);
    assert_eq!(
        cc_token(&app, &id, &first, None).await.0,
        200,
        "still works"
    );

    let done = b
        .post(
            "/api/portal/revoke_secret",
            &[("id", &id), ("secret_id", &old), ("confirm", "yes")],
        )
        .await;
    assert!(done.status < 400, "{}", done.body);
    assert!(
        done.location().is_none_or(|l| !l.contains("__err")),
        "{:?} {}",
        done.location(),
        done.body
    );
    assert_eq!(cc_token(&app, &id, &first, None).await.0, 401);
}
