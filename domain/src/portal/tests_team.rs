//! A client's team (issue 13) on a real SQLite file: what a co-owner may and may
//! not do, who is told, how ownership passes, and that nobody orphans a client.

use super::*;
use crate::accounts::manage::set_role;
use crate::clients::secrets::Overlap;
use crate::portal::edits::{delete, list_clients, rotate_secret, set_enabled};
use crate::portal::team::{
    add_co_owner, answer_transfer, offer_transfer, offers_for, remove_co_owner, take_over, team,
    TeamRole,
};

async fn kinds(w: &World, user: &Who) -> Vec<String> {
    crate::portal::notify::list(&w.db, &user.user.id, 1, 100)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

/// The data of the latest audit event of this type.
async fn last_event(w: &World, event: &str) -> serde_json::Value {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let row = crate::entities::audit_event::Entity::find()
        .filter(crate::entities::audit_event::Column::EventType.eq(event))
        .order_by_desc(crate::entities::audit_event::Column::Id)
        .one(&w.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {event} event"));
    serde_json::from_str(&row.data).unwrap()
}

#[tokio::test]
async fn a_co_owner_manages_the_client_and_is_told_but_neither_deletes_it_nor_changes_the_team() {
    let w = world().await;
    let ada = w.developer("ada", "ada@example.org").await;
    let bob = w.developer("bob", "bob@example.org").await;
    let eve = w.developer("eve", "eve@example.org").await;
    let id = w.web_client(&ada).await;

    // A stranger sees nothing; by address, bob becomes a co-owner and is told.
    assert!(matches!(
        team(&w.db, &bob, &id, NOW).await,
        Err(DomainError::NotFound)
    ));
    add_co_owner(&w.db, &ada, &id, "bob@EXAMPLE.org", NOW)
        .await
        .unwrap();
    assert_eq!(kinds(&w, &bob).await, ["client.member_added"]);
    let t = team(&w.db, &bob, &id, NOW).await.unwrap();
    let roles: Vec<_> = t
        .members
        .iter()
        .map(|m| (m.username.as_str(), m.role))
        .collect();
    assert_eq!(
        roles,
        [("ada", TeamRole::Owner), ("bob", TeamRole::CoOwner)]
    );
    assert!(t.viewer_is_co_owner && !t.viewer_is_owner && !t.viewer_may_take_over);

    // Listed among bob's clients; he may disable it (a change), not delete it.
    let mine = list_clients(&w.db, &bob, false, "", Default::default(), 1, 20)
        .await
        .unwrap();
    assert_eq!(
        mine.items.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );
    // Refused in words: what only the owner may do, and why.
    let owner_only = |r: crate::DomainResult<()>| match r {
        Err(DomainError::NotAllowed(m)) => assert!(m.contains("only the client's owner"), "{m}"),
        other => panic!("{other:?}"),
    };
    owner_only(delete(&w.db, &w.cache, &bob, &id, NOW).await.map(drop));
    owner_only(add_co_owner(&w.db, &bob, &id, "eve", NOW).await.map(drop));
    owner_only(offer_transfer(&w.db, &bob, &id, "eve", NOW).await.map(drop));
    assert!(matches!(
        remove_co_owner(&w.db, &bob, &id, &ada.user.id, NOW).await,
        Err(DomainError::NotAllowed(_)) | Err(DomainError::NotFound)
    ));

    // What bob does is recorded as a co-owner's act; the administrator's as theirs.
    rotate_secret(&w.db, &w.hasher, &w.cache, &bob, &id, Overlap::None, NOW)
        .await
        .unwrap();
    let rotated = last_event(&w, "client.secret_rotated").await;
    assert_eq!(rotated["acting_as"], "co_owner", "{rotated}");

    // The team hears what the owner hears: an administrator disables the client.
    set_enabled(&w.db, &w.cache, &w.admin, &id, false, "", NOW)
        .await
        .unwrap();
    assert_eq!(
        last_event(&w, "client.disabled").await["acting_as"],
        "administrator"
    );
    assert!(kinds(&w, &ada)
        .await
        .contains(&"client.disabled".to_string()));
    assert!(kinds(&w, &bob)
        .await
        .contains(&"client.disabled".to_string()));
    assert!(!kinds(&w, &eve)
        .await
        .contains(&"client.disabled".to_string()));

    // Refused without storing: nobody, the owner, twice.
    for login in ["nobody", "ada", "bob", "not an address@"] {
        assert!(
            matches!(
                add_co_owner(&w.db, &ada, &id, login, NOW).await,
                Err(DomainError::Invalid {
                    field: "member",
                    ..
                })
            ),
            "{login}"
        );
    }
    assert_eq!(team(&w.db, &ada, &id, NOW).await.unwrap().members.len(), 2);

    // Bob leaves: the client is no longer his.
    remove_co_owner(&w.db, &bob, &id, &bob.user.id, NOW)
        .await
        .unwrap();
    assert!(matches!(
        team(&w.db, &bob, &id, NOW).await,
        Err(DomainError::NotFound)
    ));
    assert!(
        list_clients(&w.db, &bob, false, "", Default::default(), 1, 20)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn ownership_passes_only_when_the_recipient_accepts_and_an_offer_is_taken_once() {
    let w = world().await;
    let ada = w.developer("ada", "ada@example.org").await;
    let bob = w.developer("bob", "bob@example.org").await;
    let eve = w.developer("eve", "eve@example.org").await;
    let id = w.web_client(&ada).await;

    offer_transfer(&w.db, &ada, &id, "bob", NOW).await.unwrap();
    // Still ada's; bob sees the offer, eve cannot take it.
    assert_eq!(
        find(&w.db, &id).await.unwrap().unwrap().owner_id.as_deref(),
        Some(ada.user.id.as_str())
    );
    assert_eq!(offers_for(&w.db, &bob, NOW).await.unwrap().len(), 1);
    assert!(matches!(
        answer_transfer(&w.db, &w.cache, &eve, &id, true, NOW).await,
        Err(DomainError::NotFound)
    ));
    // Expired offers are not offers.
    let later = NOW + crate::portal::team::OFFER_DAYS * DAY + 1;
    assert!(offers_for(&w.db, &bob, later).await.unwrap().is_empty());
    assert!(matches!(
        answer_transfer(&w.db, &w.cache, &bob, &id, true, later).await,
        Err(DomainError::NotFound)
    ));

    // Two answers at once: one takes the offer.
    let (a, b) = tokio::join!(
        answer_transfer(&w.db, &w.cache, &bob, &id, true, NOW + 1),
        answer_transfer(&w.db, &w.cache, &bob, &id, true, NOW + 1),
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    assert_eq!(
        find(&w.db, &id).await.unwrap().unwrap().owner_id.as_deref(),
        Some(bob.user.id.as_str())
    );
    let t = team(&w.db, &ada, &id, NOW + 1).await.unwrap();
    let roles: Vec<_> = t
        .members
        .iter()
        .map(|m| (m.username.as_str(), m.role))
        .collect();
    assert_eq!(
        roles,
        [("bob", TeamRole::Owner), ("ada", TeamRole::CoOwner)]
    );
    assert!(t.offer.is_none());
    assert!(kinds(&w, &ada)
        .await
        .contains(&"client.transfer_answered".to_string()));

    // Declining leaves it where it was.
    offer_transfer(&w.db, &bob, &id, "eve@example.org", NOW + 2)
        .await
        .unwrap();
    answer_transfer(&w.db, &w.cache, &eve, &id, false, NOW + 3)
        .await
        .unwrap();
    assert_eq!(
        find(&w.db, &id).await.unwrap().unwrap().owner_id.as_deref(),
        Some(bob.user.id.as_str())
    );
    assert!(offers_for(&w.db, &eve, NOW + 3).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_co_owner_takes_over_only_once_the_owner_can_no_longer_manage_the_client() {
    let w = world().await;
    let ada = w.developer("ada", "ada@example.org").await;
    let bob = w.developer("bob", "bob@example.org").await;
    let cy = w.developer("cyd", "cyd@example.org").await;
    let id = w.web_client(&ada).await;
    add_co_owner(&w.db, &ada, &id, "bob", NOW).await.unwrap();
    add_co_owner(&w.db, &ada, &id, "cyd", NOW).await.unwrap();

    assert!(matches!(
        take_over(&w.db, &w.cache, &bob, &id, NOW).await,
        Err(DomainError::Conflict(_))
    ));
    // Ada leaves the developers; both co-owners try at once: one owns it.
    set_role(&w.db, &AdminCtx::operator(), "ada", Role::User, NOW)
        .await
        .unwrap();
    assert!(
        team(&w.db, &bob, &id, NOW)
            .await
            .unwrap()
            .viewer_may_take_over
    );
    let (a, b) = tokio::join!(
        take_over(&w.db, &w.cache, &bob, &id, NOW + 1),
        take_over(&w.db, &w.cache, &cy, &id, NOW + 1),
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    let owner = find(&w.db, &id).await.unwrap().unwrap().owner_id.unwrap();
    assert!(owner == bob.user.id || owner == cy.user.id);
    // The former owner stays listed, marked as unable to act.
    let t = team(&w.db, &w.admin, &id, NOW + 1).await.unwrap();
    let ada_row = t.members.iter().find(|m| m.username == "ada").unwrap();
    assert!(ada_row.role == TeamRole::CoOwner && !ada_row.active);
}

#[tokio::test]
async fn an_expired_offer_can_be_neither_answered_nor_withdrawn() {
    let w = world().await;
    let ada = w.developer("ada", "ada@example.org").await;
    let _bob = w.developer("bob", "bob@example.org").await;
    let id = w.web_client(&ada).await;
    offer_transfer(&w.db, &ada, &id, "bob", NOW).await.unwrap();
    let later = NOW + crate::portal::team::OFFER_DAYS * DAY + 1;
    assert!(team(&w.db, &ada, &id, later).await.unwrap().offer.is_none());
    assert!(matches!(
        crate::portal::team::cancel_transfer(&w.db, &ada, &id, later).await,
        Err(DomainError::NotFound)
    ));
    crate::portal::team::cancel_transfer(&w.db, &ada, &id, NOW + 1)
        .await
        .unwrap();
}
