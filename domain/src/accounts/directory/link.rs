//! The local account of a directory entry: provisioned at its first sign-in,
//! brought up to date at each later one, in the transaction of its audit event.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use super::ldap::Person;
use super::Directory;
use crate::accounts::manage::map_insert_err;
use crate::accounts::users::{
    parse_display_name, parse_person_name, Email, Provisioned, Role, User, Username,
};
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::{directory_account, user};
use crate::platform::clock::Timestamp;
use crate::DomainError;

/// Why a person the directory accepted cannot be signed in here; the message is
/// for them (and names what an administrator must resolve).
#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Internal(#[from] DomainError),
}

impl From<sea_orm::DbErr> for SettleError {
    fn from(e: sea_orm::DbErr) -> Self {
        SettleError::Internal(e.into())
    }
}

/// Whether the account's password is the directory's.
pub async fn is_linked<C: ConnectionTrait>(conn: &C, user_id: &str) -> Result<bool, DomainError> {
    Ok(directory_account::Entity::find_by_id(user_id.to_owned())
        .one(conn)
        .await?
        .is_some())
}

/// Which of `ids` are directory accounts (one query; for a page of people).
pub async fn linked_among<C: ConnectionTrait>(
    conn: &C,
    ids: &[String],
) -> Result<std::collections::HashSet<String>, DomainError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(directory_account::Entity::find()
        .filter(directory_account::Column::UserId.is_in(ids.iter().map(String::as_str)))
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.user_id)
        .collect())
}

/// What the directory says the account should hold, checked.
struct Wanted {
    username: Username,
    email: Email,
    display_name: String,
    given_name: Option<String>,
    family_name: Option<String>,
    role: Option<Role>,
}

fn wanted(dir: &Directory, p: &Person) -> Result<Wanted, SettleError> {
    let a = &dir.config.attributes;
    let username = p
        .username
        .as_deref()
        .and_then(|u| Username::parse(u).ok())
        .ok_or_else(|| {
            SettleError::Refused(format!(
                "Your directory entry's {} cannot be a username here (3 to 64 letters, digits, \
                 '.', '_' or '-'). Ask an administrator.",
                a.username
            ))
        })?;
    let email = p
        .email
        .as_deref()
        .and_then(|e| Email::parse(e).ok())
        .ok_or_else(|| {
            SettleError::Refused(format!(
                "Your directory entry has no usable e-mail address ({}). Ask an administrator.",
                a.email
            ))
        })?;
    // Names are informative: one the rules here refuse is left out, not fatal.
    let display_name = p
        .display_name
        .as_deref()
        .and_then(|d| parse_display_name(d).ok())
        .unwrap_or_else(|| username.as_str().to_owned());
    let name = |field, v: &Option<String>| {
        v.as_deref()
            .and_then(|s| parse_person_name(field, s).ok())
            .flatten()
    };
    Ok(Wanted {
        given_name: name("given_name", &p.given_name),
        family_name: name("family_name", &p.family_name),
        role: dir.role_for(&p.groups),
        username,
        email,
        display_name,
    })
}

/// The account of the person the directory just accepted: provisioned or brought
/// up to date. Two first sign-ins of one person racing: the unique indexes let one
/// insert, and the other finds its account on a second try.
///
/// A refusal is tried once more too. On PostgreSQL (read committed) each statement
/// sees what was committed before it began, so the loser of the race can look for
/// the account by DN and username before the winner commits and for the e-mail
/// address after: it would see "your address is taken" by its own new account.
/// The second try sees the winner's account whole; a real refusal is refused again.
pub async fn settle(
    db: &sea_orm::DatabaseConnection,
    dir: &Directory,
    person: &Person,
    now: Timestamp,
) -> Result<User, SettleError> {
    let want = wanted(dir, person)?;
    match settle_once(db, dir, person, &want, now).await {
        Err(SettleError::Internal(DomainError::Conflict(_)) | SettleError::Refused(_)) => {
            settle_once(db, dir, person, &want, now).await
        }
        other => other,
    }
}

async fn settle_once(
    db: &sea_orm::DatabaseConnection,
    dir: &Directory,
    person: &Person,
    want: &Wanted,
    now: Timestamp,
) -> Result<User, SettleError> {
    let txn = crate::platform::db::write_txn(db).await?;
    let by_dn = directory_account::Entity::find()
        .filter(directory_account::Column::Dn.eq(person.dn.as_str()))
        .one(&txn)
        .await?;
    let account = match &by_dn {
        Some(link) => {
            user::Entity::find_by_id(link.user_id.clone())
                .one(&txn)
                .await?
        }
        None => {
            user::Entity::find()
                .filter(user::Column::Username.eq(want.username.as_str()))
                .one(&txn)
                .await?
        }
    };
    let user = match account {
        Some(row) => {
            let linked = match by_dn {
                Some(link) => Some(link),
                None => {
                    directory_account::Entity::find_by_id(row.id.clone())
                        .one(&txn)
                        .await?
                }
            };
            let Some(link) = linked else {
                return Err(SettleError::Refused(format!(
                    "An account named {} already exists here and signs in with its own \
                     password. Ask an administrator.",
                    row.username
                )));
            };
            let mut link: directory_account::ActiveModel = link.into();
            link.dn = Set(person.dn.clone());
            link.synced_at = Set(now);
            link.update(&txn).await.map_err(map_insert_err)?;
            sync(&txn, dir, row, want, now).await?
        }
        None => provision(&txn, dir, person, want, now).await?,
    };
    txn.commit().await?;
    Ok(user)
}

async fn provision(
    txn: &sea_orm::DatabaseTransaction,
    dir: &Directory,
    person: &Person,
    want: &Wanted,
    now: Timestamp,
) -> Result<User, SettleError> {
    if user::Entity::find()
        .filter(user::Column::Email.eq(want.email.as_str()))
        .one(txn)
        .await?
        .is_some()
    {
        return Err(SettleError::Refused(
            "An account with your directory e-mail address already exists here. Ask an \
             administrator."
                .into(),
        ));
    }
    let model = Provisioned {
        username: &want.username,
        email: &want.email,
        display_name: want.display_name.clone(),
        given_name: want.given_name.clone(),
        family_name: want.family_name.clone(),
        role: want.role.unwrap_or(dir.config.default_role),
        // The directory's addresses count as verified only when the operator says so.
        email_verified: dir.config.trust_email,
    }
    .row(now)
    .insert(txn)
    .await
    .map_err(map_insert_err)?;
    directory_account::ActiveModel {
        user_id: Set(model.id.clone()),
        dn: Set(person.dn.clone()),
        provisioned_at: Set(now),
        synced_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(map_insert_err)?;
    audit::record(
        txn,
        now,
        Provisioned::event(&model, json!({ "source": "ldap", "dn": person.dn })),
    )
    .await?;
    Ok(model.try_into()?)
}

/// Brings a linked account up to what the directory says; one audit event names
/// what changed (none when nothing did).
async fn sync(
    txn: &sea_orm::DatabaseTransaction,
    dir: &Directory,
    row: user::Model,
    want: &Wanted,
    now: Timestamp,
) -> Result<User, SettleError> {
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    let mut note = |k: &str, old: serde_json::Value, new: serde_json::Value| {
        if old != new {
            before.insert(k.into(), old);
            after.insert(k.into(), new);
        }
    };
    let email_changed = row.email != want.email.as_str();
    let email_verified = if email_changed {
        dir.config.trust_email
    } else {
        row.email_verified || dir.config.trust_email
    };
    let role = want.role.map(Role::as_str).unwrap_or(row.role.as_str());
    note("email", json!(row.email), json!(want.email.as_str()));
    note(
        "email_verified",
        json!(row.email_verified),
        json!(email_verified),
    );
    note(
        "display_name",
        json!(row.display_name),
        json!(want.display_name),
    );
    note("given_name", json!(row.given_name), json!(want.given_name));
    note(
        "family_name",
        json!(row.family_name),
        json!(want.family_name),
    );
    note("role", json!(row.role), json!(role));
    if after.is_empty() {
        return Ok(row.try_into()?);
    }
    if email_changed
        && user::Entity::find()
            .filter(user::Column::Email.eq(want.email.as_str()))
            .one(txn)
            .await?
            .is_some()
    {
        return Err(SettleError::Refused(
            "Your directory e-mail address is another account's here. Ask an administrator.".into(),
        ));
    }
    let id = row.id.clone();
    let role = role.to_owned();
    let mut am: user::ActiveModel = row.into();
    am.email = Set(want.email.as_str().to_owned());
    am.email_verified = Set(email_verified);
    am.display_name = Set(want.display_name.clone());
    am.given_name = Set(want.given_name.clone());
    am.family_name = Set(want.family_name.clone());
    am.role = Set(role);
    am.updated_at = Set(now);
    let model = am.update(txn).await.map_err(map_insert_err)?;
    audit::record(
        txn,
        now,
        AuditEvent::new(EventType::UserDirectorySynced, Actor::System)
            .target("user", &id)
            .data(json!({ "source": "ldap", "before": before, "after": after })),
    )
    .await?;
    Ok(model.try_into()?)
}
