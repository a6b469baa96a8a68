//! Ownership moves with its recipient's consent (an offer, accepted or declined
//! within 14 days, or withdrawn), or to a co-owner once the owner left.

use super::*;

#[tokio::test]
async fn an_accepted_offer_makes_its_recipient_the_owner_and_keeps_the_former_owner_as_a_co_owner()
{
    let app = spawn_app().await;
    let (olga, owner) = Api::developer(&app, "olga").await;
    let (rita, rita_api) = Api::developer(&app, "rita").await;
    let (_, sam) = Api::developer(&app, "sam").await;
    let id = owned_client(&owner).await;

    let r = offer(&owner, &id, "rita@example.edu").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let o = r.json();
    let now = app.clock_now();
    assert_eq!(
        o,
        json!({ "client_id": id, "client_name": "Course planner", "to_user_id": rita.id,
            "to_name": "rita display", "from_name": "olga display",
            "offered_at": now, "expires_at": now + 14 * 86_400 })
    );
    assert_eq!(owner.get(&team_of(&id)).await.json()["offer"], o);
    assert_eq!(offered_ids(&rita_api).await, [id.as_str()]);
    assert!(offered_ids(&sam).await.is_empty());
    // An offer is no access yet.
    assert_eq!(rita_api.get(&path(routes::CLIENT, &id)).await.status, 404);

    // Only its recipient answers it.
    for route in [routes::ACCEPT_TRANSFER, routes::DECLINE_TRANSFER] {
        let r = sam.post(&answer(route, &id), json!({})).await;
        assert_eq!(r.status, 404, "{}", r.body);
    }
    assert_eq!(owner_of(&owner, &id).await, json!(olga.id));
    assert_eq!(app.count("client_transfers").await, 1);

    let r = rita_api
        .post(&answer(routes::ACCEPT_TRANSFER, &id), json!({}))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(owner_of(&rita_api, &id).await, json!(rita.id));
    assert_eq!(owner_of(&owner, &id).await, json!(rita.id));
    assert_eq!(
        members(&rita_api, &id).await,
        [row(&rita, "owner", true), row(&olga, "co_owner", true)]
    );
    // The former owner is a co-owner now: no longer deletes it.
    assert_eq!(owner.delete(&path(routes::CLIENT, &id)).await.status, 403);
    let moved = app.audit_events_of("client.transferred").await;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0]["before"]["owner_id"], json!(olga.id));
    assert_eq!(moved[0]["after"]["owner_id"], json!(rita.id));
    assert_eq!(moved[0]["how"], "accepted");
    assert_eq!(
        app.audit_events_of("client.transfer_offered").await.len(),
        1
    );

    // Taken once.
    let r = rita_api
        .post(&answer(routes::ACCEPT_TRANSFER, &id), json!({}))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(offered_ids(&rita_api).await.is_empty());
    assert_eq!(
        rita_api.get(&team_of(&id)).await.json()["offer"],
        Value::Null
    );
    assert_eq!(app.audit_events_of("client.transferred").await.len(), 1);
}

#[tokio::test]
async fn a_declined_replaced_or_withdrawn_offer_leaves_the_client_with_its_owner() {
    let app = spawn_app().await;
    let (olga, owner) = Api::developer(&app, "olga").await;
    let (_, rita) = Api::developer(&app, "rita").await;
    let (_, sam) = Api::developer(&app, "sam").await;
    create_user(&app.db, "ursula", Role::User).await;
    let id = owned_client(&owner).await;

    for login in ["olga", "ursula", "nobody"] {
        let r = offer(&owner, &id, login).await;
        assert_eq!(r.status, 400, "{login}: {}", r.body);
        assert_eq!(r.json()["field"], "new_owner");
    }
    assert_eq!(app.count("client_transfers").await, 0);

    assert_eq!(offer(&owner, &id, "rita").await.status, 201);
    let decline = answer(routes::DECLINE_TRANSFER, &id);
    assert_eq!(rita.post(&decline, json!({})).await.status, 204);
    assert_eq!(owner_of(&owner, &id).await, json!(olga.id));
    assert!(offered_ids(&rita).await.is_empty());
    assert_eq!(owner.get(&team_of(&id)).await.json()["offer"], Value::Null);
    assert_eq!(
        app.audit_events_of("client.transfer_declined").await.len(),
        1
    );
    let accept = answer(routes::ACCEPT_TRANSFER, &id);
    assert_eq!(rita.post(&accept, json!({})).await.status, 404);

    // A new offer replaces the one waiting.
    assert_eq!(offer(&owner, &id, "rita").await.status, 201);
    assert_eq!(offer(&owner, &id, "sam").await.status, 201);
    assert!(offered_ids(&rita).await.is_empty());
    assert_eq!(offered_ids(&sam).await, [id.as_str()]);
    assert_eq!(app.count("client_transfers").await, 1);

    let r = owner.delete(&path(routes::TRANSFER, &id)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(offered_ids(&sam).await.is_empty());
    assert_eq!(sam.post(&accept, json!({})).await.status, 404);
    assert_eq!(owner.delete(&path(routes::TRANSFER, &id)).await.status, 404);
    assert_eq!(
        app.audit_events_of("client.transfer_cancelled").await.len(),
        1
    );
    assert_eq!(owner_of(&owner, &id).await, json!(olga.id));
    assert!(app.audit_events_of("client.transferred").await.is_empty());
}

#[tokio::test]
async fn a_co_owner_takes_over_the_client_only_once_its_owner_is_disabled() {
    let app = spawn_app().await;
    let (olga, owner) = Api::developer(&app, "olga").await;
    let (carl, carl_api) = Api::developer(&app, "carl").await;
    let (_, sam) = Api::developer(&app, "sam").await;
    let id = owned_client(&owner).await;
    assert_eq!(add(&owner, &id, "carl").await.status, 201);
    assert_eq!(offer(&owner, &id, "sam").await.status, 201);
    let take_over = path(routes::TAKE_OVER, &id);

    let r = carl_api.get(&path(routes::TEAM, &id)).await;
    assert_eq!(r.json()["you_may_take_over"], false, "{}", r.body);
    let r = carl_api.post(&take_over, json!({})).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.json()["error"], "conflict");
    assert_eq!(sam.post(&take_over, json!({})).await.status, 404);
    assert_eq!(owner_of(&owner, &id).await, json!(olga.id));

    domain::accounts::set_disabled(
        &app.db,
        &app.revocations,
        &AdminCtx::operator(),
        "olga",
        true,
        app.clock_now(),
    )
    .await
    .unwrap();
    let team = members(&carl_api, &id).await;
    assert_eq!(team[0], row(&olga, "owner", false));
    // The team tells the co-owner they may take it over now.
    let r = carl_api.get(&path(routes::TEAM, &id)).await;
    assert_eq!(r.json()["you_may_take_over"], true, "{}", r.body);
    assert_eq!(sam.post(&take_over, json!({})).await.status, 404);

    let r = carl_api.post(&take_over, json!({})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(owner_of(&carl_api, &id).await, json!(carl.id));
    assert_eq!(
        members(&carl_api, &id).await,
        [row(&carl, "owner", true), row(&olga, "co_owner", false)]
    );
    let moved = app.audit_events_of("client.transferred").await;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0]["after"]["owner_id"], json!(carl.id));
    assert_eq!(moved[0]["how"], "owner_left");
    // The former owner's offer went with their ownership.
    assert!(offered_ids(&sam).await.is_empty());
    let accept = answer(routes::ACCEPT_TRANSFER, &id);
    assert_eq!(sam.post(&accept, json!({})).await.status, 404);
    // The owner takes nothing over.
    assert_eq!(carl_api.post(&take_over, json!({})).await.status, 403);
}
