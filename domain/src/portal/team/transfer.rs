//! Ownership passing: an offer the recipient accepts or declines, and a co-owner
//! taking over from an owner who left (see the module above).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use super::{developer, is_co_owner, may_act, offer, require_owner, Offer, CO_OWNER, OFFER_DAYS};
use crate::accounts::users;
use crate::audit::{self, EventType};
use crate::clients::authenticate::SecretCache;
use crate::clients::model::Client;
use crate::entities::{client_member, client_transfer};
use crate::platform::clock::Timestamp;
use crate::portal::access::{locked_client, Who};
use crate::portal::notify::{notify_team, notify_user, Message};
use crate::{DomainError, DomainResult};

/// The owner (or an administrator) offers the client to another developer; an
/// earlier offer is replaced.
pub async fn offer_transfer(
    db: &DatabaseConnection,
    who: &Who,
    client_id: &str,
    login: &str,
    now: Timestamp,
) -> DomainResult<Offer> {
    who.require_developer()?;
    let txn = crate::platform::db::write_txn(db).await?;
    let c = locked_client(&txn, who, client_id).await?;
    require_owner(who, &c)?;
    let u = developer(&txn, "new_owner", login).await?;
    if c.owner_id.as_deref() == Some(u.id.as_str()) {
        return Err(DomainError::invalid(
            "new_owner",
            "they own this client already",
        ));
    }
    client_transfer::Entity::delete_by_id(client_id.to_owned())
        .exec(&txn)
        .await?;
    let row = client_transfer::ActiveModel {
        client_id: Set(client_id.to_owned()),
        to_user_id: Set(u.id.clone()),
        offered_by: Set(Some(who.user.id.clone())),
        offered_at: Set(now),
        expires_at: Set(now + OFFER_DAYS * 86_400),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        who.event(EventType::ClientTransferOffered, client_id)
            .data(who.extra(json!({ "to_user_id": u.id, "expires_at": row.expires_at }))),
    )
    .await?;
    notify_user(
        &txn,
        &u,
        &Message {
            kind: "client.transfer_offered",
            title: format!("{} offers you \"{}\"", who.user.display_name, c.metadata.name),
            body: format!(
                "{} offers you the ownership of the client \"{}\" ({}). Accept or decline it within {OFFER_DAYS} days.",
                who.user.display_name, c.metadata.name, c.id
            ),
            link: Some("/developer#offers".into()),
        },
        now,
    )
    .await?;
    let o = offer(&txn, &c, row).await?;
    txn.commit().await?;
    Ok(o)
}

/// The owner (or an administrator) withdraws the waiting offer.
pub async fn cancel_transfer(
    db: &DatabaseConnection,
    who: &Who,
    client_id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::platform::db::write_txn(db).await?;
    let c = locked_client(&txn, who, client_id).await?;
    require_owner(who, &c)?;
    // An expired offer is no offer (the page and the lists no longer show it).
    let gone = client_transfer::Entity::delete_many()
        .filter(client_transfer::Column::ClientId.eq(client_id))
        .filter(client_transfer::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?
        .rows_affected;
    if gone == 0 {
        return Err(DomainError::NotFound);
    }
    audit::record(
        &txn,
        now,
        who.event(EventType::ClientTransferCancelled, client_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Offers waiting for the caller, soonest to expire first.
pub async fn offers_for(
    db: &DatabaseConnection,
    who: &Who,
    now: Timestamp,
) -> DomainResult<Vec<Offer>> {
    let rows = client_transfer::Entity::find()
        .filter(client_transfer::Column::ToUserId.eq(who.user.id.as_str()))
        .filter(client_transfer::Column::ExpiresAt.gt(now))
        .order_by_asc(client_transfer::Column::ExpiresAt)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for t in rows {
        if let Some(c) = crate::clients::store::find(db, &t.client_id).await? {
            out.push(offer(db, &c, t).await?);
        }
    }
    Ok(out)
}

/// The recipient answers an offer: accepting makes them the owner (the former
/// owner stays a co-owner), declining ends the offer. Either way the offer is
/// taken once: of two answers at once, one finds it gone.
pub async fn answer_transfer(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    client_id: &str,
    accept: bool,
    now: Timestamp,
) -> DomainResult<()> {
    who.require_developer()?;
    let txn = crate::platform::db::write_txn(db).await?;
    let row = client_transfer::Entity::find_by_id(client_id.to_owned())
        .filter(client_transfer::Column::ToUserId.eq(who.user.id.as_str()))
        .filter(client_transfer::Column::ExpiresAt.gt(now))
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let taken = client_transfer::Entity::delete_many()
        .filter(client_transfer::Column::ClientId.eq(client_id))
        .filter(client_transfer::Column::ToUserId.eq(who.user.id.as_str()))
        .filter(client_transfer::Column::OfferedAt.eq(row.offered_at))
        .exec(&txn)
        .await?
        .rows_affected;
    if taken != 1 {
        return Err(DomainError::NotFound);
    }
    let current = crate::clients::store::find_for_update(&txn, client_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let name = current.metadata.name.clone();
    if accept {
        hand_over(&txn, who, &current, "accepted", now).await?;
    } else {
        audit::record(
            &txn,
            now,
            who.event(EventType::ClientTransferDeclined, client_id),
        )
        .await?;
    }
    if let Some(by) = &row.offered_by {
        if let Some(u) = users::find_by_id(&txn, by).await? {
            let (title, body) = if accept {
                (
                    format!("{} owns \"{name}\" now", who.user.display_name),
                    format!(
                        "{} accepted your offer: they own the client \"{name}\" ({client_id}) now. You stay on its team as a co-owner until they remove you.",
                        who.user.display_name
                    ),
                )
            } else {
                (
                    format!("{} declined \"{name}\"", who.user.display_name),
                    format!(
                        "{} declined your offer of the client \"{name}\" ({client_id}); it stays yours.",
                        who.user.display_name
                    ),
                )
            };
            let link = Some(format!("/developer/clients/{client_id}"));
            notify_user(
                &txn,
                &u,
                &Message {
                    kind: "client.transfer_answered",
                    title,
                    body,
                    link,
                },
                now,
            )
            .await?;
        }
    }
    txn.commit().await?;
    if accept {
        cache.invalidate_client(client_id);
    }
    Ok(())
}

/// A co-owner takes over a client whose owner left (disabled, no longer a
/// developer, or gone).
pub async fn take_over(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    client_id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    who.require_developer()?;
    let txn = crate::platform::db::write_txn(db).await?;
    let current = locked_client(&txn, who, client_id).await?;
    if !is_co_owner(&txn, client_id, &who.user.id).await? {
        return Err(DomainError::Forbidden);
    }
    let owner = match &current.owner_id {
        Some(id) => users::find_by_id(&txn, id).await?,
        None => None,
    };
    if owner.as_ref().is_some_and(may_act) {
        return Err(DomainError::Conflict(
            "the owner can still manage this client: ask them to offer it to you".into(),
        ));
    }
    hand_over(&txn, who, &current, "owner_left", now).await?;
    // An offer the former owner made is theirs no longer to make.
    client_transfer::Entity::delete_by_id(client_id.to_owned())
        .exec(&txn)
        .await?;
    notify_team(
        &txn,
        &current.id,
        None,
        &Message {
            kind: "client.taken_over",
            title: format!(
                "{} owns \"{}\" now",
                who.user.display_name, current.metadata.name
            ),
            body: format!(
                "The owner of the client \"{}\" ({}) can no longer manage it, so {} took it over.",
                current.metadata.name, current.id, who.user.display_name
            ),
            link: Some(format!("/developer/clients/{}", current.id)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    cache.invalidate_client(client_id);
    Ok(())
}

/// Makes `who` the owner: the former owner (if any) becomes a co-owner, `who`'s
/// own co-owner row goes.
async fn hand_over<C: ConnectionTrait>(
    txn: &C,
    who: &Who,
    current: &Client,
    how: &str,
    now: Timestamp,
) -> DomainResult<()> {
    let mut next = current.clone();
    next.owner_id = Some(who.user.id.clone());
    crate::clients::store::save(txn, &next, now).await?;
    client_member::Entity::delete_many()
        .filter(client_member::Column::ClientId.eq(current.id.as_str()))
        .filter(client_member::Column::UserId.eq(who.user.id.as_str()))
        .exec(txn)
        .await?;
    if let Some(former) = &current.owner_id {
        client_member::ActiveModel {
            client_id: Set(current.id.clone()),
            user_id: Set(former.clone()),
            role: Set(CO_OWNER.into()),
            added_at: Set(now),
            added_by: Set(Some(who.user.id.clone())),
        }
        .insert(txn)
        .await?;
    }
    audit::record(
        txn,
        now,
        who.event(EventType::ClientTransferred, &current.id)
            .data(who.extra(json!({
                "before": { "owner_id": current.owner_id },
                "after": { "owner_id": who.user.id },
                "how": how,
            }))),
    )
    .await
}
