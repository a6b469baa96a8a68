//! Account recovery and e-mail verification: one-time links mailed to the person.
//!
//! A link carries a random token (256 bits, `secret::random_token`); the database
//! keeps only its SHA-256 (`account_tokens`), the person, the purpose, the address it
//! went to, and when it expires. Issuing a token deletes the person's earlier ones of
//! the same purpose; using one deletes its row, and that delete is the check (of two
//! uses at once exactly one deletes it); a password change deletes every reset
//! token. The mail goes through the outbox in the same transaction, marked so its
//! body is replaced once delivered (see docs/SECURITY.md, "Account recovery").

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde_json::json;

use crate::accounts::throttle::{self, Limit, Reservation};
use crate::accounts::users::{Email, User, Username};
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::{account_token, user};
use crate::oauth::access_tokens::RevocationMirror;
use crate::platform::clock::Timestamp;
use crate::platform::password::PasswordHasher;
use crate::platform::secret::{random_token, token_hash, SecretString};
use crate::DomainError;

/// The portal pages the mailed links open.
pub const RESET_PATH: &str = "/reset-password";
pub const VERIFY_PATH: &str = "/verify-email";

/// How long links live, where they point, and how often they may be asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryPolicy {
    /// The server's public base URL (the issuer), without a trailing slash.
    pub base_url: String,
    pub reset_ttl_secs: i64,
    pub verification_ttl_secs: i64,
    /// Reset requests for one address or username per window (whether or not it
    /// exists: the count must not tell).
    pub resets_per_address: i32,
    /// Reset requests from one client address per window.
    pub resets_per_ip: i32,
    /// Verification mails one person may ask for per window ("Resend").
    pub verification_mails: i32,
    /// The window (and lock) of those counts: the sign-in throttle's window, which
    /// is also how long the clean-up job keeps counters.
    pub window_secs: i64,
}

impl Default for RecoveryPolicy {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:3000".into(),
            reset_ttl_secs: 30 * 60,
            verification_ttl_secs: 24 * 3600,
            resets_per_address: 3,
            resets_per_ip: 20,
            verification_mails: 3,
            window_secs: 15 * 60,
        }
    }
}

pub(super) const HOUR: i64 = 3600;

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    /// Unknown, used, replaced or expired: one message for all, nothing to tell apart.
    #[error("This link is invalid or has expired. Ask for a new one.")]
    InvalidLink,
    #[error("This account is disabled. Contact an administrator.")]
    Disabled,
    #[error("Too many requests. Try again in {} minute(s).", (*retry_after_secs + 59) / 60)]
    Throttled { retry_after_secs: i64 },
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<sea_orm::DbErr> for RecoveryError {
    fn from(e: sea_orm::DbErr) -> Self {
        RecoveryError::Domain(e.into())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Purpose {
    Reset,
    Verify,
    /// A new address the person asked for on the account page: the row's `email`
    /// is the new address; the account keeps its old one until the link is used.
    EmailChange,
}

impl Purpose {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Purpose::Reset => "password_reset",
            Purpose::Verify => "email_verification",
            Purpose::EmailChange => "email_change",
        }
    }
}

/// A new token for `u`, replacing the ones issued before for the same purpose.
async fn issue<C: ConnectionTrait>(
    conn: &C,
    u: &User,
    purpose: Purpose,
    ttl_secs: i64,
    now: Timestamp,
) -> Result<String, DomainError> {
    issue_for(conn, u, &u.email, purpose, ttl_secs, now).await
}

/// As [`issue`], for the address `email` (a new one, for an e-mail change).
pub(super) async fn issue_for<C: ConnectionTrait>(
    conn: &C,
    u: &User,
    email: &str,
    purpose: Purpose,
    ttl_secs: i64,
    now: Timestamp,
) -> Result<String, DomainError> {
    forget(conn, &u.id, purpose).await?;
    let token = random_token();
    account_token::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(u.id.clone()),
        purpose: Set(purpose.as_str().to_owned()),
        email: Set(email.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + ttl_secs),
        detail: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

pub(super) async fn forget<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    purpose: Purpose,
) -> Result<(), DomainError> {
    account_token::Entity::delete_many()
        .filter(account_token::Column::UserId.eq(user_id))
        .filter(account_token::Column::Purpose.eq(purpose.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Every verification and address-change link of a person stops working (an
/// administrator set their address).
pub(crate) async fn forget_address_links<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
) -> Result<(), DomainError> {
    forget(conn, user_id, Purpose::Verify).await?;
    forget(conn, user_id, Purpose::EmailChange).await
}

/// Every reset link of a person stops working (their password changed).
pub(crate) async fn forget_resets<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
) -> Result<(), DomainError> {
    forget(conn, user_id, Purpose::Reset).await
}

/// The live token row behind `token`, if any (read only).
async fn find<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    purpose: Purpose,
    now: Timestamp,
) -> Result<Option<account_token::Model>, DomainError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    Ok(account_token::Entity::find_by_id(token_hash(token))
        .filter(account_token::Column::Purpose.eq(purpose.as_str()))
        .filter(account_token::Column::ExpiresAt.gt(now))
        .one(conn)
        .await?)
}

/// Uses `row` up: true for exactly one of any number of concurrent callers.
pub(super) async fn consume<C: ConnectionTrait>(
    conn: &C,
    row: &account_token::Model,
    now: Timestamp,
) -> Result<bool, DomainError> {
    Ok(account_token::Entity::delete_many()
        .filter(account_token::Column::TokenHash.eq(row.token_hash.as_str()))
        .filter(account_token::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

/// Queues the verification mail for `u`'s address (at sign-up, or "Resend"), in the
/// caller's transaction.
pub(crate) async fn send_verification<C: ConnectionTrait>(
    conn: &C,
    policy: &RecoveryPolicy,
    u: &User,
    now: Timestamp,
) -> Result<(), DomainError> {
    let token = issue(conn, u, Purpose::Verify, policy.verification_ttl_secs, now).await?;
    let body = format!(
        "Hello {name},\n\nplease confirm that {email} is your e-mail address on Portcullis by \
         opening this link within {hours} hours:\n\n{base}{VERIFY_PATH}?token={token}\n\n\
         If you did not create an account, ignore this message.\n",
        name = u.display_name,
        email = u.email,
        hours = policy.verification_ttl_secs / HOUR,
        base = policy.base_url,
    );
    crate::portal::notify::enqueue_link_email(
        conn,
        &u.email,
        "Confirm your e-mail address",
        &body,
        now,
    )
    .await?;
    audit::record(
        conn,
        now,
        AuditEvent::new(EventType::UserVerificationSent, Actor::System)
            .target("user", &u.id)
            .data(json!({ "email": u.email })),
    )
    .await
}

/// The account a reset request names: a username, or an e-mail address.
async fn named<C: ConnectionTrait>(conn: &C, who: &str) -> Result<Option<User>, DomainError> {
    let found = if who.contains('@') {
        let Ok(email) = Email::parse(who) else {
            return Ok(None);
        };
        user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(conn)
            .await?
    } else {
        let Ok(name) = Username::parse(who) else {
            return Ok(None);
        };
        user::Entity::find()
            .filter(user::Column::Username.eq(name.as_str()))
            .one(conn)
            .await?
    };
    found.map(User::try_from).transpose()
}

/// "Forgot your password?": mails a reset link when `who` (username or address)
/// names an enabled account.
///
/// The answer is the same whether or not it does (no account enumeration): the
/// throttle counts the name as typed, existing or not, and the lookup and the mail
/// happen in a task of their own after the answer, so neither the reply nor its
/// time depends on the account.
pub async fn request_reset(
    db: &DatabaseConnection,
    policy: &RecoveryPolicy,
    who: &str,
    ip: Option<String>,
    now: Timestamp,
) -> Result<(), RecoveryError> {
    let who = who.trim().to_owned();
    if who.is_empty() {
        return Err(DomainError::invalid("who", "is required").into());
    }
    crate::platform::text::check_len("who", &who, limits::EMAIL)?;
    let mut limits = vec![Limit {
        key: format!("reset:{}", token_hash(&who.to_lowercase())),
        max: policy.resets_per_address,
        window_secs: policy.window_secs,
        lockout_secs: policy.window_secs,
    }];
    if let Some(ip) = &ip {
        limits.push(Limit {
            key: format!("reset-ip:{ip}"),
            max: policy.resets_per_ip,
            window_secs: policy.window_secs,
            lockout_secs: policy.window_secs,
        });
    }
    // Check and count in one step; a request is never given its slot back.
    if let Reservation::Refused {
        retry_after_secs, ..
    } = throttle::reserve(db, &limits, now).await?
    {
        return Err(RecoveryError::Throttled { retry_after_secs });
    }
    let (db, policy) = (db.clone(), policy.clone());
    tokio::spawn(async move {
        if let Err(e) = mail_reset(&db, &policy, &who, ip, now).await {
            tracing::error!(error = %e, "could not queue a password reset mail");
        }
    });
    Ok(())
}

async fn mail_reset(
    db: &DatabaseConnection,
    policy: &RecoveryPolicy,
    who: &str,
    ip: Option<String>,
    now: Timestamp,
) -> Result<(), DomainError> {
    let txn = crate::platform::db::write_txn(db).await?;
    // Disabled accounts get no link (and the answer does not say so), nor do the
    // directory's: their password is not ours to reset.
    let Some(u) = named(&txn, who).await?.filter(|u| !u.disabled) else {
        txn.rollback().await?;
        return Ok(());
    };
    if super::directory::link::is_linked(&txn, &u.id).await? {
        txn.rollback().await?;
        return Ok(());
    }
    let token = issue(&txn, &u, Purpose::Reset, policy.reset_ttl_secs, now).await?;
    let body = format!(
        "Hello {name},\n\nsomeone (hopefully you) asked to reset the password of your \
         Portcullis account '{username}'. To choose a new password, open this link within \
         {minutes} minutes:\n\n{base}{RESET_PATH}?token={token}\n\nThe link works once. If \
         you did not ask for it, ignore this message: your password stays as it is.\n",
        name = u.display_name,
        username = u.username,
        minutes = policy.reset_ttl_secs / 60,
        base = policy.base_url,
    );
    crate::portal::notify::enqueue_link_email(
        &txn,
        &u.email,
        "Reset your Portcullis password",
        &body,
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::UserPasswordResetRequested, Actor::Anonymous)
            .target("user", &u.id)
            .ip(ip),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The account a reset link is for, while the link is good (the reset page asks
/// before showing its form).
pub async fn reset_link_user(
    db: &DatabaseConnection,
    token: &str,
    now: Timestamp,
) -> Result<User, RecoveryError> {
    Ok(reset_link(db, token, now).await?.1)
}

async fn reset_link(
    db: &DatabaseConnection,
    token: &str,
    now: Timestamp,
) -> Result<(account_token::Model, User), RecoveryError> {
    let row = find(db, token, Purpose::Reset, now)
        .await?
        .ok_or(RecoveryError::InvalidLink)?;
    let u = crate::accounts::users::find_by_id(db, &row.user_id)
        .await?
        .ok_or(RecoveryError::InvalidLink)?;
    if u.disabled {
        return Err(RecoveryError::Disabled);
    }
    Ok((row, u))
}

/// Sets a new password through a reset link. The link is used up; every session of
/// the person ends (the apps are told by back-channel logout), their refresh and
/// access tokens are revoked, and their sign-in failures are forgotten, in one
/// transaction with the audit event. The person then signs in with the new password
/// (the caller sends them to the sign-in page).
pub async fn reset_password(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    revocations: &RevocationMirror,
    token: &str,
    password: &SecretString,
    ip: Option<String>,
    now: Timestamp,
) -> Result<User, RecoveryError> {
    let (row, u) = reset_link(db, token, now).await?;
    PasswordHasher::validate(password)?;
    crate::platform::strength::check(password, &[&u.username, &u.email, &u.display_name])?;
    let hash = hasher.hash(password).await?;

    let txn = crate::platform::db::write_txn(db).await?;
    // The delete is the check: of concurrent uses that all read the row above,
    // exactly one deletes it (PostgreSQL makes the others wait for its commit and
    // then finds nothing to delete; SQLite runs writers one at a time).
    if !consume(&txn, &row, now).await? {
        return Err(RecoveryError::InvalidLink);
    }
    let current = user::Entity::find_by_id(row.user_id.clone())
        .one(&txn)
        .await?
        .ok_or(RecoveryError::InvalidLink)?;
    if current.disabled {
        return Err(RecoveryError::Disabled);
    }
    let mut am: user::ActiveModel = current.into();
    am.password_hash = Set(Some(hash));
    am.updated_at = Set(now);
    // As an administrator's password change (`manage::set_password`): nothing
    // obtained with the old password goes on.
    am.tokens_valid_after = Set(Some(now));
    let updated = am.update(&txn).await?;
    forget_resets(&txn, &updated.id).await?;
    crate::oauth::logout::end_sessions(&txn, crate::oauth::logout::Ending::AllOf(&updated.id), now)
        .await?;
    let revoked =
        crate::oauth::codes::revoke_all_for_user(&txn, revocations, &updated.id, now).await?;
    throttle::clear(&txn, &throttle::account_key(&updated.username)).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(
            EventType::UserPasswordReset,
            Actor::User(updated.id.clone()),
        )
        .target("user", &updated.id)
        .ip(ip)
        .data(json!({ "refresh_tokens_revoked": revoked })),
    )
    .await?;
    txn.commit().await?;
    Ok(updated.try_into()?)
}

/// Marks the address a verification link was sent to as verified, if it is still
/// the person's address.
pub async fn verify_email(
    db: &DatabaseConnection,
    token: &str,
    ip: Option<String>,
    now: Timestamp,
) -> Result<User, RecoveryError> {
    let row = match find(db, token, Purpose::Verify, now).await? {
        Some(row) => row,
        None => match find(db, token, Purpose::EmailChange, now).await? {
            Some(row) => return super::email_change::confirm(db, row, ip, now).await,
            None => return Err(RecoveryError::InvalidLink),
        },
    };
    let txn = crate::platform::db::write_txn(db).await?;
    if !consume(&txn, &row, now).await? {
        return Err(RecoveryError::InvalidLink);
    }
    let current = user::Entity::find_by_id(row.user_id.clone())
        .one(&txn)
        .await?
        .ok_or(RecoveryError::InvalidLink)?;
    // A link for an address the account no longer has proves nothing.
    if current.email != row.email {
        return Err(RecoveryError::InvalidLink);
    }
    if current.disabled {
        return Err(RecoveryError::Disabled);
    }
    if current.email_verified {
        txn.commit().await?;
        return Ok(current.try_into()?);
    }
    let mut am: user::ActiveModel = current.into();
    am.email_verified = Set(true);
    am.updated_at = Set(now);
    let updated = am.update(&txn).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(
            EventType::UserEmailVerified,
            Actor::User(updated.id.clone()),
        )
        .target("user", &updated.id)
        .ip(ip)
        .data(json!({ "email": updated.email })),
    )
    .await?;
    txn.commit().await?;
    Ok(updated.try_into()?)
}

/// "Resend": a new verification mail for the signed-in person, at most
/// `verification_mails` a window.
pub async fn resend_verification(
    db: &DatabaseConnection,
    policy: &RecoveryPolicy,
    who: &crate::accounts::users::Principal,
    now: Timestamp,
) -> Result<(), RecoveryError> {
    let Some(u) = crate::accounts::users::find_by_id(db, &who.id).await? else {
        return Err(DomainError::NotFound.into());
    };
    if u.email_verified {
        return Ok(());
    }
    let limits = [Limit {
        key: format!("verify-mail:{}", u.id),
        max: policy.verification_mails,
        window_secs: policy.window_secs,
        lockout_secs: policy.window_secs,
    }];
    if let Reservation::Refused {
        retry_after_secs, ..
    } = throttle::reserve(db, &limits, now).await?
    {
        return Err(RecoveryError::Throttled { retry_after_secs });
    }
    let txn = crate::platform::db::write_txn(db).await?;
    send_verification(&txn, policy, &u, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes expired links (a periodic job); returns how many.
pub async fn purge_expired<C: ConnectionTrait>(
    conn: &C,
    now: Timestamp,
) -> Result<u64, DomainError> {
    Ok(account_token::Entity::delete_many()
        .filter(account_token::Column::ExpiresAt.lte(now))
        .exec(conn)
        .await?
        .rows_affected)
}
