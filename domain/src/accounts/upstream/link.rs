//! Which account an upstream identity signs in: the one it is linked to; a new
//! one (provisioned at the first sign-in); or — when an account here already has
//! the address — none until the holder of that account confirms the link,
//! signed in. An address the provider has not verified links nothing.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::flow::{Purpose, Returned};
use super::oidc::Person;
use super::{ProviderConfig, Refusal, UpstreamError, Upstreams};
use crate::accounts::manage::map_insert_err;
use crate::accounts::users::{
    parse_display_name, parse_person_name, Email, Provisioned, User, Username,
};
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::{account_token, upstream_link, user};
use crate::platform::clock::Timestamp;
use crate::platform::secret::{random_token, token_hash};
use crate::DomainError;

/// `account_tokens.purpose` of a link waiting for its account's holder.
const OFFER: &str = "upstream_link_offer";
/// Time to sign in to the account and confirm.
pub const OFFER_TTL_SECS: i64 = 900;

/// Where an identity back from its provider leads.
#[derive(Debug)]
pub enum Outcome {
    /// Sign this account in (linked before, or just provisioned).
    SignIn(User),
    /// An account here has the provider's verified address: the token (for a
    /// cookie) of the link offered to its holder, who confirms it signed in.
    Offer { token: String },
    /// The signed-in person linked the provider to their account.
    Linked(User),
}

/// The account for `back`, settled in one transaction with its audit events.
/// Two first sign-ins of one identity racing: the unique indexes let one
/// provision, and the other finds the account on a second try.
pub async fn settle(
    db: &DatabaseConnection,
    upstreams: &Upstreams,
    back: &Returned,
    ip: Option<String>,
    now: Timestamp,
) -> Result<Outcome, UpstreamError> {
    let Some(provider) = upstreams.get(db, &back.provider).await? else {
        return Err(Refusal::Expired.into());
    };
    let settled = match settle_once(db, &provider, back, now).await {
        Err(UpstreamError::Internal(DomainError::Conflict(_))) => {
            settle_once(db, &provider, back, now).await
        }
        other => other,
    };
    if let Err(UpstreamError::Refused(r)) = &settled {
        super::record_refusal(db, &provider.id, r, ip, now).await?;
    }
    settled
}

async fn settle_once(
    db: &DatabaseConnection,
    provider: &ProviderConfig,
    back: &Returned,
    now: Timestamp,
) -> Result<Outcome, UpstreamError> {
    let person = &back.person;
    let txn = crate::platform::db::write_txn(db).await?;
    let existing = upstream_link::Entity::find_by_id((provider.id.clone(), person.subject.clone()))
        .one(&txn)
        .await?;
    let outcome = match (&back.purpose, existing) {
        (Purpose::Link { user_id }, Some(l)) if &l.user_id == user_id => {
            Outcome::Linked(account(&txn, user_id).await?)
        }
        (Purpose::Link { .. }, Some(_)) => return Err(Refusal::LinkedElsewhere.into()),
        (Purpose::Link { user_id }, None) => {
            let u = account(&txn, user_id).await?;
            insert_link(&txn, provider, person, &u, "account_page", now).await?;
            Outcome::Linked(u)
        }
        (Purpose::SignIn, Some(l)) => {
            let mut am: upstream_link::ActiveModel = l.clone().into();
            am.last_sign_in_at = Set(Some(now));
            am.update(&txn).await?;
            let u = account(&txn, &l.user_id).await?;
            if u.disabled {
                return Err(Refusal::Disabled.into());
            }
            Outcome::SignIn(sync_role(&txn, provider, person, u, now).await?)
        }
        (Purpose::SignIn, None) => {
            let email = person.email.as_deref().and_then(|e| Email::parse(e).ok());
            let holder = match &email {
                Some(e) => {
                    user::Entity::find()
                        .filter(user::Column::Email.eq(e.as_str()))
                        .one(&txn)
                        .await?
                }
                None => None,
            };
            match (holder, email) {
                (Some(h), _) if person.email_verified => {
                    let token = offer(&txn, provider, person, &h, &back.return_to, now).await?;
                    Outcome::Offer { token }
                }
                (Some(_), _) => return Err(Refusal::Unverified.into()),
                (None, _) if !provider.provision => return Err(Refusal::NoAccount.into()),
                (None, None) => return Err(Refusal::NoEmail.into()),
                (None, Some(e)) => {
                    Outcome::SignIn(provision(&txn, provider, person, e, now).await?)
                }
            }
        }
    };
    txn.commit().await?;
    Ok(outcome)
}

async fn account<C: ConnectionTrait>(conn: &C, user_id: &str) -> Result<User, UpstreamError> {
    let row = user::Entity::find_by_id(user_id.to_owned())
        .one(conn)
        .await?
        .ok_or(Refusal::Expired)?;
    Ok(row.try_into()?)
}

async fn insert_link<C: ConnectionTrait>(
    conn: &C,
    provider: &ProviderConfig,
    person: &Person,
    u: &User,
    how: &str,
    now: Timestamp,
) -> Result<(), UpstreamError> {
    let has_one = upstream_link::Entity::find()
        .filter(upstream_link::Column::UserId.eq(u.id.as_str()))
        .filter(upstream_link::Column::Provider.eq(provider.id.as_str()))
        .count(conn)
        .await?
        > 0;
    if has_one {
        return Err(Refusal::AlreadyLinked.into());
    }
    upstream_link::Entity::insert(upstream_link::ActiveModel {
        provider: Set(provider.id.clone()),
        subject: Set(person.subject.clone()),
        user_id: Set(u.id.clone()),
        email: Set(person.email.clone()),
        linked_at: Set(now),
        last_sign_in_at: Set(None),
    })
    .exec(conn)
    .await
    .map_err(map_insert_err)?;
    audit::record(
        conn,
        now,
        AuditEvent::new(EventType::UserUpstreamLinked, Actor::User(u.id.clone()))
            .target("user", &u.id)
            .data(json!({
                "provider": provider.id, "subject": person.subject,
                "email": person.email, "how": how,
            })),
    )
    .await?;
    Ok(())
}

/// The offer of a link to the holder of the address.
async fn offer<C: ConnectionTrait>(
    conn: &C,
    provider: &ProviderConfig,
    person: &Person,
    holder: &user::Model,
    return_to: &str,
    now: Timestamp,
) -> Result<String, UpstreamError> {
    let token = random_token();
    account_token::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(holder.id.clone()),
        purpose: Set(OFFER.to_owned()),
        email: Set(holder.email.clone()),
        created_at: Set(now),
        expires_at: Set(now + OFFER_TTL_SECS),
        detail: Set(Some(
            json!({
                "provider": provider.id, "subject": person.subject,
                "email": person.email, "return_to": return_to,
            })
            .to_string(),
        )),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// A link offered to the holder of an address, waiting for them.
#[derive(Clone, Debug)]
pub struct Offered {
    pub user_id: String,
    /// The account's username: the person signs in to it to confirm.
    pub username: String,
    pub provider: String,
    pub subject: String,
    pub email: Option<String>,
    pub return_to: String,
}

/// The offer behind `token`, while it stands.
pub async fn offered<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    now: Timestamp,
) -> Result<Option<Offered>, DomainError> {
    let Some(row) = account_token::Entity::find_by_id(token_hash(token))
        .filter(account_token::Column::Purpose.eq(OFFER))
        .filter(account_token::Column::ExpiresAt.gt(now))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let Some(u) = user::Entity::find_by_id(row.user_id.clone())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let d: serde_json::Value = row
        .detail
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let text = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let (Some(provider), Some(subject)) = (text("provider"), text("subject")) else {
        return Ok(None);
    };
    Ok(Some(Offered {
        user_id: row.user_id,
        username: u.username,
        provider,
        subject,
        email: text("email"),
        return_to: text("return_to").unwrap_or_else(|| "/".into()),
    }))
}

/// The holder of the account, signed in as `signed_in`, confirms the offered
/// link: made, the offer spent, the event written — one transaction.
pub async fn confirm(
    db: &DatabaseConnection,
    upstreams: &Upstreams,
    token: &str,
    signed_in: &User,
    now: Timestamp,
) -> Result<Offered, UpstreamError> {
    let txn = crate::platform::db::write_txn(db).await?;
    let Some(o) = offered(&txn, token, now).await? else {
        return Err(Refusal::Expired.into());
    };
    // Only the holder of the address's account: anyone else signed in here is
    // not who the provider vouched for.
    if o.user_id != signed_in.id {
        return Err(Refusal::Expired.into());
    }
    let Some(provider) = upstreams.get(&txn, &o.provider).await? else {
        return Err(Refusal::Expired.into());
    };
    let spent = account_token::Entity::delete_many()
        .filter(account_token::Column::TokenHash.eq(token_hash(token)))
        .filter(account_token::Column::Purpose.eq(OFFER))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !spent {
        return Err(Refusal::Expired.into());
    }
    if upstream_link::Entity::find_by_id((o.provider.clone(), o.subject.clone()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(Refusal::LinkedElsewhere.into());
    }
    let person = Person {
        subject: o.subject.clone(),
        email: o.email.clone(),
        ..Person::default()
    };
    insert_link(&txn, &provider, &person, signed_in, "verified_email", now).await?;
    txn.commit().await?;
    Ok(o)
}

async fn provision<C: ConnectionTrait>(
    conn: &C,
    provider: &ProviderConfig,
    person: &Person,
    email: Email,
    now: Timestamp,
) -> Result<User, UpstreamError> {
    let username = free_username(conn, person, &email).await?;
    let display_name = person
        .display_name
        .as_deref()
        .and_then(|d| parse_display_name(d).ok())
        .unwrap_or_else(|| username.as_str().to_owned());
    let name = |field, v: &Option<String>| {
        v.as_deref()
            .and_then(|s| parse_person_name(field, s).ok())
            .flatten()
    };
    let role = provider
        .role_for(&person.role_values)
        .unwrap_or(provider.default_role);
    let model = Provisioned {
        username: &username,
        email: &email,
        display_name,
        given_name: name("given_name", &person.given_name),
        family_name: name("family_name", &person.family_name),
        role,
        email_verified: person.email_verified,
    }
    .row(now)
    .insert(conn)
    .await
    .map_err(map_insert_err)?;
    audit::record(
        conn,
        now,
        Provisioned::event(
            &model,
            json!({ "source": "oidc", "provider": provider.id, "subject": person.subject }),
        ),
    )
    .await?;
    let user: User = model.try_into()?;
    insert_link(conn, provider, person, &user, "provisioned", now).await?;
    Ok(user)
}

/// The username a new account gets: the provider's, else the address's local
/// part, made free with a number when taken.
async fn free_username<C: ConnectionTrait>(
    conn: &C,
    person: &Person,
    email: &Email,
) -> Result<Username, UpstreamError> {
    let local = email
        .as_str()
        .rsplit_once('@')
        .map(|(l, _)| l)
        .unwrap_or("");
    let cleaned: String = local
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(56)
        .collect();
    let mut bases: Vec<Username> = Vec::new();
    for b in [person.username.as_deref(), Some(cleaned.as_str())]
        .into_iter()
        .flatten()
    {
        if let Ok(u) = Username::parse(b) {
            bases.push(u);
        }
    }
    for base in &bases {
        if !taken(conn, base.as_str()).await? {
            return Ok(base.clone());
        }
    }
    let base = bases
        .first()
        .map(|b| b.as_str().chars().take(56).collect::<String>())
        .unwrap_or_else(|| "user".into());
    for n in 2..=50 {
        if let Ok(u) = Username::parse(&format!("{base}-{n}")) {
            if !taken(conn, u.as_str()).await? {
                return Ok(u);
            }
        }
    }
    // Fifty taken: a random suffix.
    let suffix: String = random_token()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    Username::parse(&format!("{base}-{}", suffix.to_ascii_lowercase())).map_err(UpstreamError::from)
}

async fn taken<C: ConnectionTrait>(conn: &C, name: &str) -> Result<bool, DomainError> {
    Ok(user::Entity::find()
        .filter(user::Column::Username.eq(name))
        .count(conn)
        .await?
        > 0)
}

/// The role the provider's claim gives, when roles come from the provider.
async fn sync_role<C: ConnectionTrait>(
    conn: &C,
    provider: &ProviderConfig,
    person: &Person,
    u: User,
    now: Timestamp,
) -> Result<User, UpstreamError> {
    let Some(role) = provider.role_for(&person.role_values) else {
        return Ok(u);
    };
    if role == u.role {
        return Ok(u);
    }
    let Some(row) = user::Entity::find_by_id(u.id.clone()).one(conn).await? else {
        return Err(Refusal::Expired.into());
    };
    let mut am: user::ActiveModel = row.into();
    am.role = Set(role.as_str().to_owned());
    am.updated_at = Set(now);
    let model = am.update(conn).await?;
    audit::record(
        conn,
        now,
        AuditEvent::new(EventType::UserRoleChanged, Actor::System)
            .target("user", &u.id)
            .data(json!({
                "source": "oidc", "provider": provider.id,
                "before": u.role.as_str(), "after": role.as_str(),
            })),
    )
    .await?;
    Ok(model.try_into()?)
}

/// One of a person's linked identities, for their account page.
#[derive(Clone, Debug)]
pub struct Linked {
    pub provider: String,
    pub email: Option<String>,
    pub linked_at: Timestamp,
    pub last_sign_in_at: Option<Timestamp>,
}

/// The identities linked to `user_id`, oldest first.
pub async fn links_of<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
) -> Result<Vec<Linked>, DomainError> {
    Ok(upstream_link::Entity::find()
        .filter(upstream_link::Column::UserId.eq(user_id))
        .order_by_asc(upstream_link::Column::LinkedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|l| Linked {
            provider: l.provider,
            email: l.email,
            linked_at: l.linked_at,
            last_sign_in_at: l.last_sign_in_at,
        })
        .collect())
}

/// Removes the person's link to `provider`. Refused when it is their only way
/// in (no password here, no directory, no other link): they set a password first.
pub async fn unlink(
    db: &DatabaseConnection,
    u: &User,
    provider: &str,
    ip: Option<String>,
    now: Timestamp,
) -> Result<(), DomainError> {
    let txn = crate::platform::db::write_txn(db).await?;
    let links = upstream_link::Entity::find()
        .filter(upstream_link::Column::UserId.eq(u.id.as_str()))
        .all(&txn)
        .await?;
    let Some(link) = links.iter().find(|l| l.provider == provider) else {
        return Err(DomainError::NotFound);
    };
    let has_password = user::Entity::find_password_hash(&txn, &u.id)
        .await?
        .is_some();
    let directory = crate::accounts::directory::link::is_linked(&txn, &u.id).await?;
    if links.len() == 1 && !has_password && !directory {
        return Err(DomainError::Conflict(
            "this is the only way you sign in: set a password first (Forgot your password? \
             on the sign-in page sends a link), then remove it"
                .into(),
        ));
    }
    upstream_link::Entity::delete_by_id((link.provider.clone(), link.subject.clone()))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::UserUpstreamUnlinked, Actor::User(u.id.clone()))
            .target("user", &u.id)
            .ip(ip)
            .data(json!({ "provider": link.provider, "subject": link.subject })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
