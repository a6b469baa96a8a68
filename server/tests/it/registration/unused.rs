//! Self-registered clients nobody uses expire: unclaimed, registered longer ago
//! than the setting, and not used since, they are deleted; a used, a claimed or a
//! recent one stays.

use domain::accounts::Role;
use domain::settings::RegistrationMode;

use super::*;

const DAY: i64 = 86_400;

#[tokio::test]
async fn unused_unclaimed_self_registered_clients_expire_the_rest_stay() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let register = |name: &'static str| {
        let app = &app;
        async move {
            register_with(app, None, &service_metadata(name))
                .await
                .json()
        }
    };
    let idle = register("Idle agent").await;
    let busy = register("Busy agent").await;
    let owned = register("Owned agent").await;
    let never_admitted = register("Waiting agent").await;
    let dev = create_user(&app.db, "claire", Role::Developer).await;
    let r = Api::for_user(&app, &dev)
        .await
        .post(
            "/api/v1/registration/claim",
            json!({ "client_id": s(&owned, "client_id"), "registration_access_token": s(&owned, "registration_access_token") }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    admit(&app, s(&idle, "client_id")).await;
    admit(&app, s(&busy, "client_id")).await;

    // A month later the busy one gets a token; a new one registers.
    app.clock.advance(31 * DAY);
    let (status, body) =
        cc_token(&app, s(&busy, "client_id"), s(&busy, "client_secret"), None).await;
    assert_eq!(status, 200, "{body}");
    app.clients.uses.flush(&app.db).await;
    let fresh = register("Fresh agent").await;

    let expired =
        domain::clients::unused::expire_unused(&app.db, &app.clients, 30 * DAY, app.clock_now())
            .await
            .unwrap();
    let mut want = vec![
        s(&idle, "client_id").to_owned(),
        s(&never_admitted, "client_id").to_owned(),
    ];
    want.sort();
    let mut got = expired.clone();
    got.sort();
    assert_eq!(got, want);
    for kept in [&busy, &owned, &fresh] {
        assert!(
            domain::clients::find(&app.db, s(kept, "client_id"))
                .await
                .unwrap()
                .is_some(),
            "{kept}"
        );
    }
    // Gone at once: its secret no longer works, and its admission card went too.
    let (status, _) = cc_token(&app, s(&idle, "client_id"), s(&idle, "client_secret"), None).await;
    assert_eq!(status, 401);
    let ev = app.audit_events_of("client.deleted").await;
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0]["reason"], "unused");
    // Running again finds nothing more.
    assert!(domain::clients::unused::expire_unused(
        &app.db,
        &app.clients,
        30 * DAY,
        app.clock_now()
    )
    .await
    .unwrap()
    .is_empty());
}
