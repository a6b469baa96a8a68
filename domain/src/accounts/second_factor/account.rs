//! What a person changes about their second factor on the account page, beyond
//! enrolling (`factor::begin`/`confirm`): turning it off and new recovery codes,
//! both needing proof besides the session — the current password or a current
//! code — each checked with its atomic throttle; and an administrator's reset. A
//! change and its event are one transaction.

use sea_orm::DatabaseConnection;

use super::factor::{self, Attempt, CodeError};
use crate::accounts::own::{check_current, OwnError};
use crate::accounts::users::{AdminCtx, Principal, Role, User};
use crate::audit::Actor;
use crate::platform::clock::Timestamp;
use crate::platform::password::PasswordHasher;
use crate::platform::secret::SecretString;
use crate::{DomainError, DomainResult};

/// What a person gave to prove it is them.
pub enum Proof<'a> {
    Password(&'a SecretString),
    Code(&'a str),
}

impl From<CodeError> for OwnError {
    fn from(e: CodeError) -> Self {
        match e {
            CodeError::Wrong => OwnError::Problems(vec![DomainError::invalid(
                "code",
                "is not right (or was already used)",
            )]),
            CodeError::Throttled { retry_after_secs } => OwnError::Throttled { retry_after_secs },
            CodeError::Domain(d) => OwnError::Domain(d),
        }
    }
}

/// A transaction opened once `proof` is checked (a code is spent in it).
async fn proven(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    a: &Attempt<'_>,
    who: &Principal,
    proof: Proof<'_>,
) -> Result<crate::platform::db::WriteTxn, OwnError> {
    match proof {
        Proof::Password(p) if p.expose().is_empty() => {
            Err(OwnError::Problems(vec![DomainError::invalid(
                "current_password",
                "is required (or give a code instead)",
            )]))
        }
        Proof::Password(p) => {
            let passwords = crate::accounts::sign_in::Passwords {
                hasher,
                directory: a.directory,
            };
            check_current(db, passwords, a.throttle, who, p, a.ip.clone(), a.now).await?;
            Ok(crate::platform::db::write_txn(db).await?)
        }
        Proof::Code(c) => Ok(factor::verify(db, a, who.user(), c).await?.1),
    }
}

/// Turns the second factor off: secret and recovery codes deleted, event and mail.
/// Refused while an administrator requires a second factor of the person's role
/// (`required`: the roles the settings name).
pub async fn turn_off(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    a: &Attempt<'_>,
    who: &Principal,
    proof: Proof<'_>,
    required: &[Role],
) -> Result<(), OwnError> {
    let me = who.user();
    if !factor::is_active(db, &me.id).await? {
        return Err(DomainError::Conflict("No authenticator app is set up.".into()).into());
    }
    if super::policy::covers(required, me.role) {
        return Err(DomainError::Conflict(format!(
            "Two-step sign-in is required for your role ({}), so it cannot be turned off. \
             If you lose your phone, use a recovery code, or ask an administrator to reset it.",
            me.role.as_str()
        ))
        .into());
    }
    let txn = proven(db, hasher, a, who, proof).await?;
    factor::disable(&txn, me, Actor::User(me.id.clone()), a.ip.clone(), a.now).await?;
    txn.commit().await?;
    Ok(())
}

/// Ten new recovery codes (to be shown once); the old ones stop working.
pub async fn new_recovery_codes(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    a: &Attempt<'_>,
    who: &Principal,
    proof: Proof<'_>,
) -> Result<Vec<String>, OwnError> {
    if !factor::is_active(db, &who.user().id).await? {
        return Err(DomainError::Conflict("Set up an authenticator app first.".into()).into());
    }
    let txn = proven(db, hasher, a, who, proof).await?;
    let codes = factor::regenerate(&txn, who.user(), a.ip.clone(), a.now).await?;
    txn.commit().await?;
    Ok(codes)
}

/// An administrator (or the operator) resets a person's second factor — a lost
/// phone and no recovery code left: the secret and recovery codes are deleted, the
/// event names the administrator, and the person is told by mail. When a second
/// factor is required of their role, they set up a new one at their next sign-in.
/// Their sessions stay (each was made with the factor just reset).
/// `who`: the account's id or username.
pub async fn reset(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    who: &str,
    now: Timestamp,
) -> DomainResult<User> {
    let txn = crate::platform::db::write_txn(db).await?;
    let u: User = crate::accounts::manage::resolve(&txn, who)
        .await?
        .try_into()?;
    if !factor::disable(&txn, &u, ctx.actor().clone(), None, now).await? {
        return Err(DomainError::Conflict(format!(
            "{} has no two-step sign-in to reset.",
            u.username
        )));
    }
    txn.commit().await?;
    Ok(u)
}
