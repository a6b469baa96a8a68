//! A client's team (issue 13, "past the anchors"): a client belongs to its owner
//! and the co-owners the owner adds, not to one person.
//!
//! - **Co-owners** manage the client like its owner — edit, request scopes,
//!   rotate and revoke secrets, read its usage — and are told what its owner is
//!   told. Only the owner (or an administrator) adds and removes co-owners, offers
//!   the client to someone else and deletes it; a co-owner may leave.
//! - **Transfer** takes the new owner's consent: the owner offers the client to a
//!   developer, who accepts (or declines) within [`OFFER_DAYS`]. On acceptance the
//!   former owner stays on as a co-owner (the new owner may remove them).
//! - **Nobody orphans a client**: when the owner's account is disabled or loses
//!   developer access, any co-owner may take the client over.
//!
//! Every change is one transaction with its audit event (the client is the
//! target; the event names the member) and its notifications.

mod transfer;

pub use transfer::*;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::access::{locked_client, Who};
use super::notify::{notify_user, Message};
use crate::accounts::users::{self, Email, User};
use crate::audit::{self, EventType};
use crate::clients::model::Client;
use crate::entities::{client_member, client_transfer, user};
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

/// How long an ownership offer waits for its recipient.
pub const OFFER_DAYS: i64 = 14;
/// Co-owners a client may have besides its owner.
pub const MAX_CO_OWNERS: usize = 20;
const CO_OWNER: &str = "co_owner";

/// A person's place in a client's team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TeamRole {
    Owner,
    CoOwner,
}

/// One person of a client's team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: TeamRole,
    /// When they joined (the owner: when the client was made or handed over).
    pub added_at: Option<Timestamp>,
    /// An account that is disabled or may no longer develop acts for nobody.
    pub active: bool,
}

/// An offer of the client's ownership waiting for its recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub client_id: String,
    pub client_name: String,
    pub to_user_id: String,
    pub to_name: String,
    /// Who made the offer (a display name), when the account still exists.
    pub from_name: Option<String>,
    pub offered_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A client's team as its page shows it: the owner first, then co-owners by
/// when they joined; and the offer waiting, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub members: Vec<Member>,
    pub offer: Option<Offer>,
    /// What the viewer may do: add and remove co-owners, offer, delete.
    pub viewer_is_owner: bool,
    /// The viewer is a co-owner.
    pub viewer_is_co_owner: bool,
    /// The viewer is a co-owner whose owner left: they may take the client over.
    pub viewer_may_take_over: bool,
}

/// Whether `user_id` is one of the client's co-owners.
pub(crate) async fn is_co_owner<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
    user_id: &str,
) -> DomainResult<bool> {
    Ok(
        client_member::Entity::find_by_id((client_id.to_owned(), user_id.to_owned()))
            .one(conn)
            .await?
            .is_some(),
    )
}

/// A client's co-owners with their accounts, by when they joined.
async fn co_owners<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
) -> DomainResult<Vec<(client_member::Model, user::Model)>> {
    let rows = client_member::Entity::find()
        .filter(client_member::Column::ClientId.eq(client_id))
        .order_by_asc(client_member::Column::AddedAt)
        .order_by_asc(client_member::Column::UserId)
        .all(conn)
        .await?;
    let mut people: std::collections::HashMap<String, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().map(|m| m.user_id.clone())))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|m| people.remove(&m.user_id).map(|u| (m, u)))
        .collect())
}

/// The usernames of a client's co-owners, by when they joined: what the approval
/// queue shows beside the owner. For callers that already checked who may see it.
pub async fn co_owner_names<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
) -> DomainResult<Vec<String>> {
    Ok(co_owners(conn, client_id)
        .await?
        .into_iter()
        .map(|(_, u)| u.username)
        .collect())
}

fn may_act(u: &User) -> bool {
    !u.disabled && u.role.can_develop()
}

/// The owner, or an administrator: who may change the team, offer the client
/// or delete it.
pub(crate) fn require_owner(who: &Who, c: &Client) -> DomainResult<()> {
    if who.is_admin() || c.owner_id.as_deref() == Some(who.user.id.as_str()) {
        Ok(())
    } else {
        Err(DomainError::NotAllowed(
            "only the client's owner (or an administrator) may do this: co-owners manage \
             the client but not its team, its ownership or its deletion"
                .into(),
        ))
    }
}

/// The client's team, for those who may manage the client.
pub async fn team(
    db: &DatabaseConnection,
    who: &Who,
    client_id: &str,
    now: Timestamp,
) -> DomainResult<Team> {
    let c = super::access::client_for(db, who, client_id).await?;
    let mut members = Vec::new();
    let mut owner_active = false;
    if let Some(id) = &c.owner_id {
        if let Some(u) = users::find_by_id(db, id).await? {
            owner_active = may_act(&u);
            members.push(member(u, TeamRole::Owner, None));
        }
    }
    for (m, u) in co_owners(db, client_id).await? {
        members.push(member(
            User::try_from(u)?,
            TeamRole::CoOwner,
            Some(m.added_at),
        ));
    }
    let offer = match client_transfer::Entity::find_by_id(client_id.to_owned())
        .one(db)
        .await?
    {
        Some(t) if t.expires_at > now => Some(offer(db, &c, t).await?),
        _ => None,
    };
    let me = who.user.id.as_str();
    let viewer_is_co_owner = members
        .iter()
        .any(|m| m.role == TeamRole::CoOwner && m.user_id == me);
    Ok(Team {
        viewer_is_owner: c.owner_id.as_deref() == Some(me),
        viewer_is_co_owner,
        viewer_may_take_over: viewer_is_co_owner
            && !owner_active
            && !who.user.disabled
            && who.user.role.can_develop(),
        members,
        offer,
    })
}

fn member(u: User, role: TeamRole, added_at: Option<Timestamp>) -> Member {
    Member {
        active: may_act(&u),
        user_id: u.id,
        username: u.username,
        display_name: u.display_name,
        email: u.email,
        role,
        added_at,
    }
}

async fn offer<C: ConnectionTrait>(
    conn: &C,
    c: &Client,
    t: client_transfer::Model,
) -> DomainResult<Offer> {
    let to = users::find_by_id(conn, &t.to_user_id).await?;
    let from = match &t.offered_by {
        Some(id) => users::find_by_id(conn, id).await?,
        None => None,
    };
    Ok(Offer {
        client_id: c.id.clone(),
        client_name: c.metadata.name.clone(),
        to_user_id: t.to_user_id,
        to_name: to.map(|u| u.display_name).unwrap_or_default(),
        from_name: from.map(|u| u.display_name),
        offered_at: t.offered_at,
        expires_at: t.expires_at,
    })
}

/// A developer named by username or e-mail address. Accounts that cannot
/// develop and unknown names are one answer, so the form is no directory of who
/// is not a developer.
async fn developer<C: ConnectionTrait>(
    conn: &C,
    field: &'static str,
    login: &str,
) -> DomainResult<User> {
    let login = login.trim();
    if login.is_empty() {
        return Err(DomainError::invalid(
            field,
            "enter a developer's username or e-mail address",
        ));
    }
    crate::platform::text::check_len(field, login, limits::EMAIL)?;
    let found = if login.contains('@') {
        match Email::parse(login) {
            Ok(e) => user::Entity::find()
                .filter(user::Column::Email.eq(e.as_str()))
                .one(conn)
                .await?
                .map(User::try_from)
                .transpose()?,
            Err(_) => None,
        }
    } else {
        users::find_by_username(conn, login).await?
    };
    found.filter(may_act).ok_or_else(|| {
        DomainError::invalid(field, "no developer has that username or e-mail address")
    })
}

/// The owner (or an administrator) adds a developer as a co-owner.
pub async fn add_co_owner(
    db: &DatabaseConnection,
    who: &Who,
    client_id: &str,
    login: &str,
    now: Timestamp,
) -> DomainResult<Member> {
    who.require_developer()?;
    let txn = crate::platform::db::write_txn(db).await?;
    let c = locked_client(&txn, who, client_id).await?;
    require_owner(who, &c)?;
    let u = developer(&txn, "member", login).await?;
    if c.owner_id.as_deref() == Some(u.id.as_str()) {
        return Err(DomainError::invalid(
            "member",
            "they own this client already",
        ));
    }
    if is_co_owner(&txn, client_id, &u.id).await? {
        return Err(DomainError::invalid(
            "member",
            "they are a co-owner already",
        ));
    }
    let count = client_member::Entity::find()
        .filter(client_member::Column::ClientId.eq(client_id))
        .all(&txn)
        .await?
        .len();
    if count >= MAX_CO_OWNERS {
        return Err(DomainError::invalid(
            "member",
            format!("a client has at most {MAX_CO_OWNERS} co-owners"),
        ));
    }
    client_member::ActiveModel {
        client_id: Set(client_id.to_owned()),
        user_id: Set(u.id.clone()),
        role: Set(CO_OWNER.into()),
        added_at: Set(now),
        added_by: Set(Some(who.user.id.clone())),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        who.event(EventType::ClientMemberAdded, client_id)
            .data(who.extra(json!({ "user_id": u.id, "role": CO_OWNER }))),
    )
    .await?;
    notify_user(
        &txn,
        &u,
        &Message {
            kind: "client.member_added",
            title: format!("You co-own \"{}\" now", c.metadata.name),
            body: format!(
                "{} added you as a co-owner of the client \"{}\" ({}): you can change it, rotate its secrets and read its usage, and you are told what happens to it.",
                who.user.display_name, c.metadata.name, c.id
            ),
            link: Some(format!("/developer/clients/{}", c.id)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(member(u, TeamRole::CoOwner, Some(now)))
}

/// Removes a co-owner: the owner or an administrator removes anyone, a co-owner
/// only themself (leaving).
pub async fn remove_co_owner(
    db: &DatabaseConnection,
    who: &Who,
    client_id: &str,
    user_id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::platform::db::write_txn(db).await?;
    let c = locked_client(&txn, who, client_id).await?;
    if user_id != who.user.id {
        require_owner(who, &c)?;
    }
    let gone = client_member::Entity::delete_many()
        .filter(client_member::Column::ClientId.eq(client_id))
        .filter(client_member::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if gone == 0 {
        return Err(DomainError::NotFound);
    }
    audit::record(
        &txn,
        now,
        who.event(EventType::ClientMemberRemoved, client_id)
            .data(who.extra(json!({ "user_id": user_id, "role": CO_OWNER }))),
    )
    .await?;
    if user_id != who.user.id {
        if let Some(u) = users::find_by_id(&txn, user_id).await? {
            notify_user(
                &txn,
                &u,
                &Message {
                    kind: "client.member_removed",
                    title: format!("You no longer co-own \"{}\"", c.metadata.name),
                    body: format!(
                        "{} removed you from the team of the client \"{}\" ({}).",
                        who.user.display_name, c.metadata.name, c.id
                    ),
                    link: None,
                },
                now,
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}
