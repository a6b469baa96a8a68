//! What a person changes about their second factor on the account page, beyond
//! enrolling (`factor::begin`/`confirm`): turning it off and new recovery codes.
//! Both need proof besides the session — the current password or a current code —
//! each checked with its atomic throttle; the change and its event are one
//! transaction.

use sea_orm::DatabaseConnection;

use super::factor::{self, Attempt, CodeError};
use crate::accounts::own::{check_current, OwnError};
use crate::accounts::users::Principal;
use crate::platform::password::PasswordHasher;
use crate::platform::secret::SecretString;
use crate::DomainError;

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
) -> Result<sea_orm::DatabaseTransaction, OwnError> {
    match proof {
        Proof::Password(p) if p.expose().is_empty() => {
            Err(OwnError::Problems(vec![DomainError::invalid(
                "current_password",
                "is required (or give a code instead)",
            )]))
        }
        Proof::Password(p) => {
            check_current(db, hasher, a.throttle, who, p, a.ip.clone(), a.now).await?;
            Ok(crate::platform::db::write_txn(db).await?)
        }
        Proof::Code(c) => Ok(factor::verify(db, a, who.user(), c).await?.1),
    }
}

/// Turns the second factor off: secret and recovery codes deleted, event and mail.
pub async fn turn_off(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    a: &Attempt<'_>,
    who: &Principal,
    proof: Proof<'_>,
) -> Result<(), OwnError> {
    if !factor::is_active(db, &who.user().id).await? {
        return Err(DomainError::Conflict("No authenticator app is set up.".into()).into());
    }
    let txn = proven(db, hasher, a, who, proof).await?;
    factor::disable(&txn, who.user(), a.ip.clone(), a.now).await?;
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
