//! A person's TOTP factor: enrolment, confirmation, disabling, and the check of a
//! second step (a TOTP code or a recovery code).
//!
//! Every check of a code takes a failure slot of the atomic throttle first (keys
//! of its own, `second_factor:<user id>` and the address's sign-in key), as a
//! password does; a right code gives it back. A TOTP code is accepted by a
//! conditional update that raises `last_step` only from below the code's step, so
//! the same code (or an older one) never works twice, however many requests race.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde_json::json;

use super::{recovery_codes, totp, Method};
use crate::accounts::throttle::{self, ip_key, Limit, Reservation, ThrottlePolicy};
use crate::accounts::users::User;
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::totp_factor as tf;
use crate::oauth::keys::Kek;
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

/// What the account page shows about the factor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Off,
    /// A secret was shown; no code has confirmed it yet.
    Pending,
    Active {
        recovery_codes_left: u64,
    },
}

/// A new secret, as the account page shows it until confirmed.
#[derive(Clone, Debug)]
pub struct Enrollment {
    pub secret_base32: String,
    pub uri: String,
    pub qr_svg: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error("That code is not right (or was already used). Try the newest code.")]
    Wrong,
    #[error("Too many wrong codes. Try again in {} minute(s).", (*retry_after_secs + 59) / 60)]
    Throttled { retry_after_secs: i64 },
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<sea_orm::DbErr> for CodeError {
    fn from(e: sea_orm::DbErr) -> Self {
        CodeError::Domain(e.into())
    }
}

/// Who checks a code, from where, and when.
pub struct Attempt<'a> {
    pub kek: &'a Kek,
    /// Checks the password of a directory account (`accounts::directory`).
    pub directory: Option<&'a crate::accounts::directory::Directory>,
    pub throttle: ThrottlePolicy,
    pub ip: Option<String>,
    pub now: Timestamp,
}

/// The name the authenticator app shows for the account.
pub const ISSUER_LABEL: &str = "Portcullis";

async fn row<C: ConnectionTrait>(conn: &C, user_id: &str) -> DomainResult<Option<tf::Model>> {
    Ok(tf::Entity::find_by_id(user_id.to_owned()).one(conn).await?)
}

pub async fn status<C: ConnectionTrait>(conn: &C, user_id: &str) -> DomainResult<Status> {
    Ok(match row(conn, user_id).await? {
        None => Status::Off,
        Some(r) if r.confirmed_at.is_none() => Status::Pending,
        Some(_) => Status::Active {
            recovery_codes_left: recovery_codes::remaining(conn, user_id).await?,
        },
    })
}

/// True when the person must give a second factor at sign-in.
pub async fn is_active<C: ConnectionTrait>(conn: &C, user_id: &str) -> DomainResult<bool> {
    Ok(matches!(
        status(conn, user_id).await?,
        Status::Active { .. }
    ))
}

fn enrollment(u: &User, secret: &[u8]) -> Enrollment {
    let uri = totp::otpauth_uri(ISSUER_LABEL, &u.username, secret);
    Enrollment {
        secret_base32: totp::base32(secret),
        qr_svg: totp::qr_svg(&uri).unwrap_or_default(),
        uri,
    }
}

/// Starts (or starts over) an enrolment: a new secret, sealed, inactive until a
/// code confirms it. Refused while a factor is active (disable it first).
pub async fn begin(
    db: &DatabaseConnection,
    kek: &Kek,
    u: &User,
    now: Timestamp,
) -> DomainResult<Enrollment> {
    use rand::RngCore;
    let mut secret = [0u8; totp::SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let sealed = kek.seal(&secret)?;
    let txn = crate::platform::db::write_txn(db).await?;
    if let Some(r) = row(&txn, &u.id).await? {
        if r.confirmed_at.is_some() {
            return Err(DomainError::Conflict(
                "An authenticator app is already set up. Turn it off first to set up another."
                    .into(),
            ));
        }
        tf::Entity::delete_by_id(u.id.clone()).exec(&txn).await?;
    }
    tf::ActiveModel {
        user_id: Set(u.id.clone()),
        secret_sealed: Set(sealed),
        confirmed_at: Set(None),
        last_step: Set(-1),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(enrollment(u, &secret))
}

/// The enrolment waiting for its first code, shown again (e.g. after a reload).
pub async fn pending(
    db: &DatabaseConnection,
    kek: &Kek,
    u: &User,
) -> DomainResult<Option<Enrollment>> {
    match row(db, &u.id).await? {
        Some(r) if r.confirmed_at.is_none() => {
            Ok(Some(enrollment(u, &kek.open(&r.secret_sealed)?)))
        }
        _ => Ok(None),
    }
}

/// The throttle's keys for second-step guesses of `user_id`: apart from the
/// password's (a right password clears that account key, which must not reset
/// the count of wrong codes), plus the address's sign-in key.
fn limits(policy: ThrottlePolicy, user_id: &str, ip: Option<&str>) -> Vec<Limit> {
    let mut limits = vec![Limit {
        key: format!("second_factor:{user_id}"),
        max: policy.account_max_failures,
        window_secs: policy.window_secs,
        lockout_secs: policy.lockout_secs,
    }];
    if let Some(ip) = ip {
        limits.push(Limit {
            key: ip_key(ip),
            max: policy.ip_max_failures,
            window_secs: policy.window_secs,
            lockout_secs: policy.lockout_secs,
        });
    }
    limits
}

/// Raises `last_step` to `step` if it is below: true for the one request that did.
async fn claim_step<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    step: i64,
    confirming: bool,
) -> DomainResult<bool> {
    let mut q = tf::Entity::update_many()
        .col_expr(tf::Column::LastStep, Expr::value(step))
        .filter(tf::Column::UserId.eq(user_id))
        .filter(tf::Column::LastStep.lt(step));
    q = if confirming {
        q.filter(tf::Column::ConfirmedAt.is_null())
    } else {
        q.filter(tf::Column::ConfirmedAt.is_not_null())
    };
    Ok(q.exec(conn).await?.rows_affected == 1)
}

/// Checks `input` — a TOTP code, or a recovery code when `recovery` (or when it is
/// no 6-digit code) — for `u`, throttled; spends it. `confirming` checks the
/// pending secret of an enrolment instead of the active one. `on_success` runs in
/// the transaction that spends the code (the caller's change and its event).
pub(crate) async fn check(
    db: &DatabaseConnection,
    a: &Attempt<'_>,
    u: &User,
    input: &str,
    confirming: bool,
) -> Result<(Method, crate::platform::db::WriteTxn), CodeError> {
    let limits = limits(a.throttle, &u.id, a.ip.as_deref());
    let keys: Vec<String> = limits.iter().map(|l| l.key.clone()).collect();
    if let Some(retry_after_secs) = throttle::locked_for(db, &keys, a.now).await? {
        return Err(CodeError::Throttled { retry_after_secs });
    }
    let reserved = match throttle::reserve(db, &limits, a.now).await? {
        Reservation::Granted(r) => r,
        Reservation::Refused {
            retry_after_secs, ..
        } => return Err(CodeError::Throttled { retry_after_secs }),
    };
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let is_totp = digits.len() == totp::DIGITS && digits.bytes().all(|b| b.is_ascii_digit());
    let txn = crate::platform::db::write_txn(db).await?;
    let method = if is_totp {
        let secret = match row(&txn, &u.id).await? {
            Some(r) if r.confirmed_at.is_some() != confirming => {
                Some(a.kek.open(&r.secret_sealed)?)
            }
            _ => None,
        };
        match secret.and_then(|s| totp::matching_step(&s, &digits, a.now)) {
            Some(step) if claim_step(&txn, &u.id, step, confirming).await? => Some(Method::Totp),
            _ => None,
        }
    } else if !confirming
        && is_active(&txn, &u.id).await?
        && recovery_codes::spend(&txn, &u.id, input).await?
    {
        audit::record(
            &txn,
            a.now,
            AuditEvent::new(EventType::UserRecoveryCodeUsed, Actor::User(u.id.clone()))
                .target("user", &u.id)
                .ip(a.ip.clone())
                .data(json!({ "left": recovery_codes::remaining(&txn, &u.id).await? })),
        )
        .await?;
        Some(Method::RecoveryCode)
    } else {
        None
    };
    match method {
        Some(m) => {
            throttle::release(&txn, &reserved).await?;
            throttle::clear(&txn, &limits[0].key).await?;
            Ok((m, txn))
        }
        None => {
            txn.rollback().await?;
            let txn = crate::platform::db::write_txn(db).await?;
            audit::record(
                &txn,
                a.now,
                AuditEvent::new(EventType::UserSecondFactorFailed, Actor::Anonymous)
                    .target("user", &u.id)
                    .ip(a.ip.clone())
                    .data(json!({ "locked": reserved.locked, "confirming": confirming })),
            )
            .await?;
            txn.commit().await?;
            if reserved.locked {
                Err(CodeError::Throttled {
                    retry_after_secs: a.throttle.lockout_secs,
                })
            } else {
                Err(CodeError::Wrong)
            }
        }
    }
}

/// Confirms the pending enrolment with a first code: the factor is active from now
/// on, and the ten recovery codes (returned, to be shown once) are made.
pub async fn confirm(
    db: &DatabaseConnection,
    a: &Attempt<'_>,
    u: &User,
    code: &str,
) -> Result<Vec<String>, CodeError> {
    let (codes, txn) = confirm_in(db, a, u, code).await?;
    txn.commit().await?;
    Ok(codes)
}

/// [`confirm`], leaving the transaction to the caller (a sign-in that sets up a
/// required factor opens its session in it).
pub(crate) async fn confirm_in(
    db: &DatabaseConnection,
    a: &Attempt<'_>,
    u: &User,
    code: &str,
) -> Result<(Vec<String>, crate::platform::db::WriteTxn), CodeError> {
    let (_, txn) = check(db, a, u, code, true).await?;
    tf::Entity::update_many()
        .col_expr(tf::Column::ConfirmedAt, Expr::value(a.now))
        .filter(tf::Column::UserId.eq(&u.id))
        .exec(&txn)
        .await?;
    let codes = recovery_codes::replace(&txn, &u.id, a.now).await?;
    audit::record(
        &txn,
        a.now,
        AuditEvent::new(
            EventType::UserSecondFactorEnrolled,
            Actor::User(u.id.clone()),
        )
        .target("user", &u.id)
        .ip(a.ip.clone())
        .data(json!({ "factor": "totp" })),
    )
    .await?;
    crate::accounts::second_factor::notice::queue(&txn, u, true, a.now).await?;
    Ok((codes, txn))
}

/// The second step of a sign-in (or a re-check on the account page): a TOTP code
/// or a recovery code, spent. The transaction is the caller's to finish.
pub async fn verify(
    db: &DatabaseConnection,
    a: &Attempt<'_>,
    u: &User,
    input: &str,
) -> Result<(Method, crate::platform::db::WriteTxn), CodeError> {
    check(db, a, u, input, false).await
}

/// Turns the factor off (the caller checked the password or a code, or is an
/// administrator resetting it): the secret and the recovery codes are deleted,
/// with the event (by `actor`), in `txn`.
pub async fn disable<C: ConnectionTrait>(
    txn: &C,
    u: &User,
    actor: Actor,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<bool> {
    let gone = tf::Entity::delete_by_id(u.id.clone())
        .exec(txn)
        .await?
        .rows_affected
        == 1;
    recovery_codes::forget(txn, &u.id).await?;
    if gone {
        audit::record(
            txn,
            now,
            AuditEvent::new(EventType::UserSecondFactorDisabled, actor)
                .target("user", &u.id)
                .ip(ip)
                .data(json!({ "factor": "totp" })),
        )
        .await?;
        crate::accounts::second_factor::notice::queue(txn, u, false, now).await?;
    }
    Ok(gone)
}

/// New recovery codes (the caller checked the password or a code): the old ones stop working.
pub async fn regenerate<C: ConnectionTrait>(
    txn: &C,
    u: &User,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<Vec<String>> {
    if !is_active(txn, &u.id).await? {
        return Err(DomainError::Conflict(
            "Set up an authenticator app first.".into(),
        ));
    }
    let codes = recovery_codes::replace(txn, &u.id, now).await?;
    audit::record(
        txn,
        now,
        AuditEvent::new(
            EventType::UserRecoveryCodesRegenerated,
            Actor::User(u.id.clone()),
        )
        .target("user", &u.id)
        .ip(ip),
    )
    .await?;
    Ok(codes)
}
