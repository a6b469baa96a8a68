//! An administrator sees and revokes a person's authorization.

use super::setup;
use crate::helpers::*;
use crate::rp::*;

/// Issue 16: administrators see any person's authorizations and revoke one for
/// them; nobody else may look.
#[tokio::test]
async fn an_administrator_sees_and_revokes_a_persons_authorization() {
    let (app, rp) = setup().await;
    let alice_id = domain::accounts::find_by_username(&app.db, "alice")
        .await
        .unwrap()
        .unwrap()
        .id;
    let alice = app.browser();
    let tokens = exchange(
        &app,
        &rp,
        &code_as(&alice, "alice", &rp, "openid profile").await,
    )
    .await;
    let access = s(&tokens, "access_token");

    // bob (not an administrator) may not look.
    let bob = app.browser();
    bob.sign_in("bob", ADMIN_PASSWORD).await;
    let r = bob
        .get(&format!("/api/admin/user_apps?user_id={alice_id}"))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    let admin = app.browser();
    admin.sign_in(&app.admin.username, ADMIN_PASSWORD).await;
    let seen = admin
        .get(&format!("/api/admin/user_apps?user_id={alice_id}"))
        .await
        .json();
    assert_eq!(seen["username"], "alice");
    let listed = &seen["list"]["apps"][0];
    assert_eq!(listed["client_id"], rp.id.as_str());
    let grant_id = s(listed, "grant_id").to_owned();
    let page = admin
        .get_html(&format!("/admin/users/{alice_id}/apps"))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Revoke for this person"),
        "{}",
        page.body
    );
    let r = admin.get("/api/admin/user_apps?user_id=no-such-user").await;
    assert_eq!(r.status, 404, "{}", r.body);

    // Unconfirmed: nothing. A grant of someone else's under alice's id: not found.
    let r = admin
        .post(
            "/api/admin/revoke_user_app",
            &[("user_id", &alice_id), ("grant_id", &grant_id)],
        )
        .await;
    assert!(
        r.status >= 400 && r.error_message().contains("confirm"),
        "{}",
        r.body
    );
    let bob_id = domain::accounts::find_by_username(&app.db, "bob")
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = admin
        .post(
            "/api/admin/revoke_user_app",
            &[
                ("user_id", &bob_id),
                ("grant_id", &grant_id),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("NotFound"), "{}", r.body);
    assert_eq!(introspect(&app, &rp, access).await["active"], true);

    let r = admin
        .post(
            "/api/admin/revoke_user_app",
            &[
                ("user_id", &alice_id),
                ("grant_id", &grant_id),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(introspect(&app, &rp, access).await["active"], false);
    assert_eq!(app.count("grants").await, 0);
    let ev = app.audit_events_of("grant.revoked").await;
    assert_eq!(ev.last().unwrap()["user"], alice_id.as_str());
}
