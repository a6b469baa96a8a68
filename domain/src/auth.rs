//! Signing in: throttling, password verification and session creation in one place.

use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::clock::Timestamp;
use crate::password::PasswordHasher;
use crate::secret::SecretString;
use crate::sessions::{self, SessionPolicy};
use crate::throttle::{self, ThrottlePolicy};
use crate::users::{self, User};
use crate::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Same error, same work, for an unknown account and a wrong password.
    #[error("Incorrect username or password.")]
    InvalidCredentials,
    #[error("This account is disabled. Contact an administrator.")]
    Disabled,
    #[error("Too many failed sign-in attempts. Try again in {} minute(s).", minutes(*retry_after_secs))]
    Throttled { retry_after_secs: i64 },
    #[error(transparent)]
    Internal(#[from] DomainError),
}

fn minutes(secs: i64) -> i64 {
    (secs + 59) / 60
}

impl From<sea_orm::DbErr> for SignInError {
    fn from(e: sea_orm::DbErr) -> Self {
        SignInError::Internal(e.into())
    }
}

#[derive(Debug)]
pub struct SignedIn {
    pub user: User,
    /// The session token for the cookie.
    pub token: String,
}

pub struct SignInRequest<'a> {
    pub username: &'a str,
    pub password: &'a SecretString,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Checks a username and password with the same throttling, timing and audit as
/// the sign-in page: the one path both the page and the OAuth password grant use.
pub async fn check_credentials(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    throttle_policy: ThrottlePolicy,
    req: &SignInRequest<'_>,
    now: Timestamp,
) -> Result<User, SignInError> {
    let account_key = throttle::account_key(req.username);
    let mut keys = vec![account_key.clone()];
    if let Some(ip) = &req.ip {
        keys.push(throttle::ip_key(ip));
    }
    if let Some(retry_after_secs) = throttle::locked_for(db, &keys, now).await? {
        return Err(SignInError::Throttled { retry_after_secs });
    }

    let found = users::find_by_username(db, req.username).await?;
    let stored = match &found {
        Some(u) => crate::entities::user::Entity::find_password_hash(db, &u.id).await?,
        None => None,
    };
    // Always one argon2 verification, real or dummy: equal timing either way.
    let ok = hasher.verify(stored.as_deref(), req.password).await;

    match found {
        Some(user) if ok => {
            if user.disabled {
                return Err(SignInError::Disabled);
            }
            throttle::clear(db, &account_key).await?;
            Ok(user)
        }
        found => {
            let txn = crate::db::write_txn(db).await?;
            let mut locked = throttle::record_failure(
                &txn,
                &account_key,
                throttle_policy.account_max_failures,
                throttle_policy,
                now,
            )
            .await?;
            if let Some(ip) = &req.ip {
                locked |= throttle::record_failure(
                    &txn,
                    &throttle::ip_key(ip),
                    throttle_policy.ip_max_failures,
                    throttle_policy,
                    now,
                )
                .await?;
            }
            let mut ev = AuditEvent::new(EventType::SessionSignInFailed, Actor::Anonymous)
                .ip(req.ip.clone())
                .data(json!({ "username": req.username.trim().to_lowercase(), "locked": locked }));
            if let Some(u) = &found {
                ev = ev.target("user", &u.id);
            }
            audit::record(&txn, now, ev).await?;
            txn.commit().await?;
            if locked {
                Err(SignInError::Throttled {
                    retry_after_secs: throttle_policy.lockout_secs,
                })
            } else {
                Err(SignInError::InvalidCredentials)
            }
        }
    }
}

pub async fn sign_in(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    sessions_policy: SessionPolicy,
    throttle_policy: ThrottlePolicy,
    req: SignInRequest<'_>,
    now: Timestamp,
) -> Result<SignedIn, SignInError> {
    let user = check_credentials(db, hasher, throttle_policy, &req, now).await?;
    let txn = crate::db::write_txn(db).await?;
    let token = sessions::create(
        &txn,
        &user.id,
        req.ip.clone(),
        req.user_agent,
        sessions_policy,
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::SessionSignedIn, Actor::User(user.id.clone()))
            .target("user", &user.id)
            .ip(req.ip),
    )
    .await?;
    txn.commit().await?;
    Ok(SignedIn { user, token })
}

/// Ends the session behind `token`, recording who signed out.
pub async fn sign_out(
    db: &DatabaseConnection,
    token: &str,
    ip: Option<String>,
    now: Timestamp,
) -> Result<(), DomainError> {
    let txn = crate::db::write_txn(db).await?;
    if let Some(user_id) = sessions::revoke(&txn, token).await? {
        audit::record(
            &txn,
            now,
            AuditEvent::new(EventType::SessionSignedOut, Actor::User(user_id.clone()))
                .target("user", user_id)
                .ip(ip),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
