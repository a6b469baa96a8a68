//! Changing an account's e-mail address (the account page): the new address waits
//! in an `account_tokens` row of purpose `email_change` (its `email` is the new
//! address) until the link mailed to it is opened; the account keeps its old
//! address, and its verification state, until then (docs/SECURITY.md, "The
//! account page").

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde_json::json;

use super::recovery::{
    consume, forget, issue_for, Purpose, RecoveryError, RecoveryPolicy, HOUR, VERIFY_PATH,
};
use super::users::{Email, User};
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::{account_token, user};
use crate::platform::clock::Timestamp;
use crate::DomainError;

/// A link for a new address was opened: the address becomes the account's, verified
/// (the link proved it reaches the person), in one transaction with the audit event.
pub(super) async fn confirm(
    db: &DatabaseConnection,
    row: account_token::Model,
    ip: Option<String>,
    now: Timestamp,
) -> Result<User, RecoveryError> {
    let txn = crate::platform::db::write_txn(db).await?;
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
    let old = current.email.clone();
    let mut am: user::ActiveModel = current.into();
    am.email = Set(row.email.clone());
    am.email_verified = Set(true);
    am.updated_at = Set(now);
    // Someone else may have taken the address since it was asked for: the unique
    // index decides, and the link is not used up.
    let updated = am.update(&txn).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DomainError::Conflict(
            "Another account has this e-mail address now. Choose another one.".into(),
        ),
        _ => e.into(),
    })?;
    // Links sent to the old address prove nothing about the new one.
    forget(&txn, &updated.id, Purpose::Verify).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::UserEmailChanged, Actor::User(updated.id.clone()))
            .target("user", &updated.id)
            .ip(ip)
            .data(json!({ "from": old, "to": updated.email })),
    )
    .await?;
    txn.commit().await?;
    Ok(updated.try_into()?)
}

/// Queues the link for a new address `to` (in the caller's transaction): the
/// account keeps its address until the link is opened.
pub(crate) async fn send_change_link<C: ConnectionTrait>(
    conn: &C,
    policy: &RecoveryPolicy,
    u: &User,
    to: &Email,
    now: Timestamp,
) -> Result<(), DomainError> {
    let token = issue_for(
        conn,
        u,
        to.as_str(),
        Purpose::EmailChange,
        policy.verification_ttl_secs,
        now,
    )
    .await?;
    let body = format!(
        "Hello {name},\n\nplease confirm that {email} is to be the e-mail address of your \
         Portcullis account '{username}' by opening this link within {hours} hours:\n\n\
         {base}{VERIFY_PATH}?token={token}\n\nUntil then your account keeps its current \
         address. If you did not ask for this, ignore this message.\n",
        name = u.display_name,
        email = to.as_str(),
        username = u.username,
        hours = policy.verification_ttl_secs / HOUR,
        base = policy.base_url,
    );
    crate::portal::notify::enqueue_link_email(
        conn,
        to.as_str(),
        "Confirm your new e-mail address",
        &body,
        now,
    )
    .await
}

/// The new address waiting for its link, if any (shown on the account page).
pub async fn pending_email<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    now: Timestamp,
) -> Result<Option<String>, DomainError> {
    Ok(account_token::Entity::find()
        .filter(account_token::Column::UserId.eq(user_id))
        .filter(account_token::Column::Purpose.eq(Purpose::EmailChange.as_str()))
        .filter(account_token::Column::ExpiresAt.gt(now))
        .one(conn)
        .await?
        .map(|r| r.email))
}
