//! `/api/v1/users/{id}/authorizations`: administrators list a person's apps with
//! the agents acting through each, and revoke one for them over REST.

use super::*;

#[tokio::test]
async fn administrators_list_and_revoke_a_persons_authorizations_over_rest() {
    let w = world().await;
    let app = &w.app;
    let [t1, t2, t3] = chain(&w).await;
    let alice = domain::accounts::find_by_username(&app.db, "alice")
        .await
        .unwrap()
        .unwrap();
    let admin = Api::admin(app).await;
    let path = format!("/api/v1/users/{}/authorizations", alice.id);
    let r = admin.get(&path).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let list = r.json();
    let one = &list[0];
    assert_eq!(one["client_id"], w.y.id.as_str(), "{list}");
    assert!(one["scopes"].as_array().unwrap().contains(&json!(READ)));
    let agents = one["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 3, "{list}");
    assert!(agents
        .iter()
        .any(|a| a["name"] == "Summariser agent" && a["depth"] == 3));

    // Only administrators; an unknown person or grant is 404, changing nothing.
    let dev = create_user(&app.db, "devon", Role::Developer).await;
    assert_eq!(Api::for_user(app, &dev).await.get(&path).await.status, 403);
    assert_eq!(
        admin
            .get("/api/v1/users/nobody/authorizations")
            .await
            .status,
        404
    );
    let grant = s(one, "grant_id").to_owned();
    let r = admin
        .delete(&format!("/api/v1/users/{}/authorizations/{grant}", dev.id))
        .await;
    assert_eq!(r.status, 404, "another person's grant: {}", r.body);
    assert!(active(app, &w.y, &w.t0).await);

    let r = admin.delete(&format!("{path}/{grant}")).await;
    assert_eq!(r.status, 204, "{}", r.body);
    // Everything derived from it stops at once, and the list is empty.
    for t in [&w.t0, &t1, &t2, &t3] {
        assert!(!active(app, &w.y, t).await);
    }
    assert_eq!(admin.get(&path).await.json(), json!([]));
    let ev = app.audit_events_of("grant.revoked").await;
    assert!(!ev.is_empty());
}
