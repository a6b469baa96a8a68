//! The device authorization grant (RFC 8628) as a business: a device asks for a
//! pair of codes, a person enters the short one on `/device` and approves or denies,
//! and the device's polls learn the outcome and, once, receive the tokens.
//!
//! Both codes are stored only as SHA-256. The device code is 256 random bits. The
//! user code is 8 characters from 20 consonants (RFC 8628 §6.1: about 34.5 bits, no
//! vowels so no words, no look-alike digits); what keeps it from being guessed is
//! its ten-minute life together with the throttle on entering codes, which counts
//! failures per person and per address atomically (`accounts::throttle`, as
//! sign-in does). See docs/SECURITY.md ("Device flow").
//!
//! Every change of state is one conditional UPDATE, so a code is approved or denied
//! once, and consumed once: two concurrent polls after approval cannot both win.

use rand::rngs::OsRng;
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    ExprTrait, QueryFilter, Set,
};
use serde_json::json;

use crate::accounts::throttle::{self, Limit, Reservation, ThrottlePolicy};
use crate::accounts::users::User;
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::device_code as dc;
use crate::oauth::access_tokens::RevocationMirror;
use crate::oauth::agents::MayAct;
use crate::oauth::device_policy::{pending_quota_used, DevicePolicy};
use crate::platform::clock::Timestamp;
use crate::platform::secret::{random_token, token_hash};
use crate::{DomainError, DomainResult};

/// RFC 8628 §6.1: consonants only, upper case, no digits.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
pub const USER_CODE_LEN: usize = 8;
/// RFC 8628 §3.5: `slow_down` adds five seconds to the interval, for good.
pub const SLOW_DOWN_STEP_SECS: i64 = 5;
/// Longer input than this is not a user code, whatever it holds.
const MAX_INPUT_LEN: usize = 64;

pub(crate) const PENDING: &str = "pending";
const APPROVED: &str = "approved";
const DENIED: &str = "denied";
const USED: &str = "used";

/// A fresh user code, uniformly drawn from the OS CSPRNG (8 characters, no dash).
pub fn new_user_code() -> String {
    (0..USER_CODE_LEN)
        .map(|_| USER_CODE_ALPHABET[OsRng.gen_range(0..USER_CODE_ALPHABET.len())] as char)
        .collect()
}

/// `WDJBMJHT` as people read it: `WDJB-MJHT`.
pub fn display_user_code(code: &str) -> String {
    if code.len() == USER_CODE_LEN && code.is_ascii() {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_owned()
    }
}

/// What a person typed, as a user code: case does not matter, and dashes and spaces
/// are ignored (RFC 8628 §6.1). None when it cannot be one.
pub fn normalize_user_code(input: &str) -> Option<String> {
    if input.len() > MAX_INPUT_LEN {
        return None;
    }
    let code: String = input
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

/// A new device authorization request, checked by the endpoint (client, scopes,
/// resource) before it gets here.
pub struct NewDeviceRequest {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub resource: Option<String>,
    pub ip: Option<String>,
}

/// What asking for codes came to.
#[derive(Clone, Debug)]
pub enum Issued {
    Granted(DeviceGrant),
    /// The client has `max_pending_per_client` requests waiting; the oldest ends
    /// in `retry_after_secs`.
    TooManyPending {
        retry_after_secs: i64,
    },
}

/// RFC 8628 §3.2: what the device is given (the codes in clear, once).
#[derive(Clone, Debug)]
pub struct DeviceGrant {
    pub device_code: String,
    /// As shown, with its dash.
    pub user_code: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// A short, non-secret name of a request for the audit log: the start of the device
/// code's hash (never the codes).
fn request_ref(device_code_hash: &str) -> &str {
    &device_code_hash[..Ord::min(16, device_code_hash.len())]
}

/// Stores a request and records `device_authorization.issued` in one transaction,
/// unless the client already has as many requests waiting as the policy allows:
/// counted and inserted under one lock per client (SQLite's write transaction; a
/// transaction-scoped advisory lock on PostgreSQL), so concurrent requests cannot
/// all pass one count.
pub async fn issue(
    db: &DatabaseConnection,
    r: NewDeviceRequest,
    policy: DevicePolicy,
    now: Timestamp,
) -> DomainResult<Issued> {
    let mut scopes = r.scopes.clone();
    scopes.sort();
    scopes.dedup();
    // A collision of user codes among live requests is ~1 in 10^7 even with a
    // thousand pending: retry a few times on the unique index, then give up.
    for _ in 0..4 {
        let device_code = random_token();
        let user_code = new_user_code();
        let hash = token_hash(&device_code);
        let txn = crate::platform::db::write_txn(db).await?;
        if let Some(retry_after_secs) = pending_quota_used(&txn, &r.client_id, policy, now).await? {
            txn.rollback().await?;
            return Ok(Issued::TooManyPending { retry_after_secs });
        }
        let inserted = dc::ActiveModel {
            device_code_hash: Set(hash.clone()),
            user_code_hash: Set(token_hash(&user_code)),
            client_id: Set(r.client_id.clone()),
            scopes: Set(scopes.join(" ")),
            resource: Set(r.resource.clone()),
            status: Set(PENDING.into()),
            user_id: Set(None),
            grant_id: Set(None),
            auth_time: Set(None),
            interval_secs: Set(policy.interval_secs),
            last_polled_at: Set(None),
            created_at: Set(now),
            expires_at: Set(now + policy.code_secs),
            decided_at: Set(None),
            issued_jti: Set(None),
            issued_jti_exp: Set(None),
        }
        .insert(&txn)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                txn.rollback().await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        audit::record(
            &txn,
            now,
            AuditEvent::new(
                EventType::DeviceAuthorizationIssued,
                Actor::Client(r.client_id.clone()),
            )
            .target("client", &r.client_id)
            .ip(r.ip.clone())
            .data(json!({
                "request": request_ref(&hash),
                "scopes": scopes,
                "resource": r.resource,
                "expires_at": now + policy.code_secs,
            })),
        )
        .await?;
        txn.commit().await?;
        return Ok(Issued::Granted(DeviceGrant {
            device_code,
            user_code: display_user_code(&user_code),
            expires_in: policy.code_secs,
            interval: policy.interval_secs,
        }));
    }
    Err(DomainError::Internal(
        "could not draw an unused user code".into(),
    ))
}

impl ThrottlePolicy {
    /// The limits one entry of a user code counts against: the person (an account
    /// guessing) and the address (many accounts guessing from one place), with the
    /// sign-in policy's numbers (`account_max_failures`, `ip_max_failures`).
    pub fn device_limits(&self, user_id: &str, ip: Option<&str>) -> Vec<Limit> {
        let mut limits = vec![Limit {
            key: format!("device:user:{user_id}"),
            max: self.account_max_failures,
            window_secs: self.window_secs,
            lockout_secs: self.lockout_secs,
        }];
        if let Some(ip) = ip {
            limits.push(Limit {
                key: format!("device-ip:{ip}"),
                max: self.ip_max_failures,
                window_secs: self.window_secs,
                lockout_secs: self.lockout_secs,
            });
        }
        limits
    }
}

/// Why a user code was not accepted. One answer for unknown, expired, used and
/// malformed: no hint whether a code exists.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error("That code is not valid. Check the code on your device and try again; if it has expired, start again on the device.")]
    NotValid,
    #[error("Too many wrong codes. Try again in {} minute(s).", (retry_after_secs + 59) / 60)]
    Throttled { retry_after_secs: i64 },
    /// The app cannot be used now, or not by this account (its words).
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    Internal(#[from] DomainError),
}

impl From<sea_orm::DbErr> for EntryError {
    fn from(e: sea_orm::DbErr) -> Self {
        EntryError::Internal(e.into())
    }
}

/// Who is entering a code, from where.
pub struct Entrant<'a> {
    pub user: &'a User,
    pub ip: Option<&'a str>,
    pub policy: ThrottlePolicy,
}

/// The pending request behind a code a person typed. Check and count are one
/// step: a failure slot is taken on the person's and the address's keys before the
/// code is looked up, and given back only when the code is right — so parallel
/// guesses get no more lookups than the limit, and once it is reached even the right
/// code is refused until the lock ends.
pub async fn find_pending(
    db: &DatabaseConnection,
    who: &Entrant<'_>,
    input: &str,
    now: Timestamp,
) -> Result<dc::Model, EntryError> {
    let limits = who.policy.device_limits(&who.user.id, who.ip);
    let keys: Vec<String> = limits.iter().map(|l| l.key.clone()).collect();
    // A read first, so entries against a locked key cost no write.
    if let Some(retry_after_secs) = throttle::locked_for(db, &keys, now).await? {
        return Err(EntryError::Throttled { retry_after_secs });
    }
    let reserved = match throttle::reserve(db, &limits, now).await? {
        Reservation::Granted(r) => r,
        Reservation::Refused {
            retry_after_secs, ..
        } => return Err(EntryError::Throttled { retry_after_secs }),
    };
    let found = match normalize_user_code(input) {
        Some(code) => {
            dc::Entity::find()
                .filter(dc::Column::UserCodeHash.eq(token_hash(&code)))
                .filter(dc::Column::Status.eq(PENDING))
                .filter(dc::Column::ExpiresAt.gt(now))
                .one(db)
                .await?
        }
        None => None,
    };
    match found {
        Some(row) => {
            let txn = crate::platform::db::write_txn(db).await?;
            throttle::release(&txn, &reserved).await?;
            txn.commit().await?;
            Ok(row)
        }
        // The failure was counted when the slots were taken.
        None if reserved.locked => Err(EntryError::Throttled {
            retry_after_secs: who.policy.lockout_secs,
        }),
        None => Err(EntryError::NotValid),
    }
}

/// The client a pending request is for, when a person may still approve it.
pub async fn usable_client<C: ConnectionTrait>(
    conn: &C,
    row: &dc::Model,
    user: &User,
    now: Timestamp,
) -> Result<crate::clients::Client, EntryError> {
    let client = crate::clients::find(conn, &row.client_id)
        .await?
        .ok_or(EntryError::NotValid)?;
    if client.unusable_reason(now).is_some() {
        return Err(EntryError::Refused(
            "This app is disabled or its registration has expired.",
        ));
    }
    // Seed 003: a client may be limited to verified users of some e-mail domains.
    if let Some(d) = crate::portal::stage::refuses(conn, &client, user).await? {
        return Err(EntryError::Refused(d));
    }
    Ok(client)
}

/// What the person decided on `/device`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// With the answer to who may act for them through the app (`None`: keep
    /// what they said before; `agents::MayAct::from_consent`).
    Approve {
        may_act: Option<MayAct>,
    },
    Deny,
}

/// Records the person's decision on the request behind `input`: an approval stores
/// the consent (the same grant the authorization endpoint records, so the app is on
/// My apps and can be revoked there), both record their event, all in one
/// transaction, and only while the request is still pending.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    db: &DatabaseConnection,
    revocations: &RevocationMirror,
    who: &Entrant<'_>,
    input: &str,
    decision: Decision,
    auth_time: Timestamp,
    now: Timestamp,
) -> Result<dc::Model, EntryError> {
    let row = find_pending(db, who, input, now).await?;
    let client = usable_client(db, &row, who.user, now).await?;
    let user_id = who.user.id.clone();
    let ip = who.ip.map(str::to_owned);
    let txn = crate::platform::db::write_txn(db).await?;
    let (status, grant_id, event) = match decision {
        Decision::Approve { may_act } => {
            let scopes = crate::oauth::ScopeSet::parse_vec(&row.scopes);
            let g =
                crate::oauth::consents::allow(&txn, &user_id, &client.id, &scopes, ip.clone(), now)
                    .await?;
            if let Some(m) = &may_act {
                crate::oauth::agents::apply_may_act(&txn, revocations, &g.id, m, ip.clone(), now)
                    .await?;
            }
            (APPROVED, Some(g.id), EventType::DeviceAuthorizationApproved)
        }
        Decision::Deny => (DENIED, None, EventType::DeviceAuthorizationDenied),
    };
    let won = dc::Entity::update_many()
        .col_expr(dc::Column::Status, Expr::value(status))
        .col_expr(dc::Column::UserId, Expr::value(Some(user_id.clone())))
        .col_expr(dc::Column::GrantId, Expr::value(grant_id.clone()))
        .col_expr(dc::Column::AuthTime, Expr::value(Some(auth_time)))
        .col_expr(dc::Column::DecidedAt, Expr::value(Some(now)))
        .filter(dc::Column::DeviceCodeHash.eq(&row.device_code_hash))
        .filter(dc::Column::Status.eq(PENDING))
        .filter(dc::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?
        .rows_affected;
    if won != 1 {
        // Decided by another tab a moment ago, or just expired.
        txn.rollback().await?;
        return Err(EntryError::NotValid);
    }
    audit::record(
        &txn,
        now,
        AuditEvent::new(event, Actor::User(user_id.clone()))
            .target("client", &client.id)
            .ip(ip)
            .data(json!({
                "request": request_ref(&row.device_code_hash),
                "scopes": crate::oauth::ScopeSet::parse_vec(&row.scopes),
                "grant": grant_id,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// What a poll of the token endpoint learns (RFC 8628 §3.5).
#[derive(Debug)]
pub enum Poll {
    /// Approved, and this poll consumed it: issue the tokens.
    Approved(Box<dc::Model>),
    Pending,
    /// Polled sooner than the interval: the interval has grown by five seconds.
    SlowDown,
    Denied,
    Expired,
    /// Unknown, another client's, or already consumed.
    Invalid,
}

/// One poll by `client_id` with `device_code`.
pub async fn poll<C: ConnectionTrait>(
    conn: &C,
    device_code: &str,
    client_id: &str,
    now: Timestamp,
) -> DomainResult<Poll> {
    let hash = token_hash(device_code);
    let Some(row) = dc::Entity::find_by_id(hash.clone()).one(conn).await? else {
        return Ok(Poll::Invalid);
    };
    // RFC 8628 §3.4: the code was issued to this client and no other.
    if row.client_id != client_id || row.status == USED {
        return Ok(Poll::Invalid);
    }
    if row.expires_at <= now {
        return Ok(Poll::Expired);
    }
    match row.status.as_str() {
        APPROVED => {
            // Consumed by one conditional UPDATE: of two concurrent polls, one wins.
            let won = dc::Entity::update_many()
                .col_expr(dc::Column::Status, Expr::value(USED))
                .col_expr(dc::Column::LastPolledAt, Expr::value(Some(now)))
                .filter(dc::Column::DeviceCodeHash.eq(&hash))
                .filter(dc::Column::Status.eq(APPROVED))
                .exec(conn)
                .await?
                .rows_affected;
            Ok(if won == 1 {
                Poll::Approved(Box::new(row))
            } else {
                Poll::Invalid
            })
        }
        DENIED => Ok(Poll::Denied),
        _ => {
            // On time when the last poll is at least `interval` ago; checked and noted
            // in one statement, so parallel polls cannot all be on time.
            let col = |c: dc::Column| Expr::col((dc::Entity, c));
            let on_time = dc::Entity::update_many()
                .col_expr(dc::Column::LastPolledAt, Expr::value(Some(now)))
                .filter(dc::Column::DeviceCodeHash.eq(&hash))
                .filter(dc::Column::Status.eq(PENDING))
                .filter(
                    Condition::any()
                        .add(dc::Column::LastPolledAt.is_null())
                        .add(
                            col(dc::Column::LastPolledAt)
                                .add(col(dc::Column::IntervalSecs))
                                .lte(now),
                        ),
                )
                .exec(conn)
                .await?
                .rows_affected;
            if on_time == 1 {
                return Ok(Poll::Pending);
            }
            dc::Entity::update_many()
                .col_expr(
                    dc::Column::IntervalSecs,
                    col(dc::Column::IntervalSecs).add(SLOW_DOWN_STEP_SECS),
                )
                .col_expr(dc::Column::LastPolledAt, Expr::value(Some(now)))
                .filter(dc::Column::DeviceCodeHash.eq(&hash))
                .exec(conn)
                .await?;
            Ok(Poll::SlowDown)
        }
    }
}

/// Notes the access token issued from a device code, so revoking the consent can
/// revoke it (as `codes::record_code_issuance` does for codes).
pub async fn record_issuance<C: ConnectionTrait>(
    conn: &C,
    device_code_hash: &str,
    jti: &str,
    exp: Timestamp,
) -> DomainResult<()> {
    dc::Entity::update_many()
        .col_expr(dc::Column::IssuedJti, Expr::value(Some(jti)))
        .col_expr(dc::Column::IssuedJtiExp, Expr::value(Some(exp)))
        .filter(dc::Column::DeviceCodeHash.eq(device_code_hash))
        .exec(conn)
        .await?;
    Ok(())
}

/// The live access tokens issued from device codes under a consent.
pub async fn issued_under_grant<C: ConnectionTrait>(
    conn: &C,
    grant_id: &str,
    now: Timestamp,
) -> DomainResult<Vec<(String, Timestamp)>> {
    Ok(dc::Entity::find()
        .filter(dc::Column::GrantId.eq(grant_id))
        .filter(dc::Column::IssuedJtiExp.gt(now))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|r| Some((r.issued_jti?, r.issued_jti_exp?)))
        .collect())
}

/// Clean-up: requests past their expiry whose issued access token (if any) has
/// expired too.
pub async fn purge<C: ConnectionTrait>(conn: &C, now: Timestamp) -> DomainResult<u64> {
    Ok(dc::Entity::delete_many()
        .filter(dc::Column::ExpiresAt.lt(now))
        .filter(
            Condition::any()
                .add(dc::Column::IssuedJtiExp.is_null())
                .add(dc::Column::IssuedJtiExp.lt(now)),
        )
        .exec(conn)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_eight_consonants_shown_with_a_dash() {
        for _ in 0..200 {
            let c = new_user_code();
            assert_eq!(c.len(), USER_CODE_LEN);
            assert!(c.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)), "{c}");
            let shown = display_user_code(&c);
            assert_eq!(shown.len(), 9);
            assert_eq!(normalize_user_code(&shown).as_deref(), Some(c.as_str()));
        }
    }

    #[test]
    fn entry_ignores_case_dashes_and_spaces_and_refuses_the_rest() {
        assert_eq!(
            normalize_user_code(" wdjb mjht ").as_deref(),
            Some("WDJBMJHT")
        );
        assert_eq!(
            normalize_user_code("WDJB-MJHT").as_deref(),
            Some("WDJBMJHT")
        );
        assert_eq!(
            normalize_user_code("WD-JB-MJ-HT").as_deref(),
            Some("WDJBMJHT")
        );
        for bad in [
            "",
            "WDJBMJH",
            "WDJBMJHTX",
            "WDJBMJHA",
            "WDJBMJH1",
            "ŴDJBMJHT",
        ] {
            assert_eq!(normalize_user_code(bad), None, "{bad}");
        }
        assert_eq!(normalize_user_code(&"-".repeat(10_000)), None);
    }
}
