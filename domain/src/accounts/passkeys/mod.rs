//! Passkeys (WebAuthn, issue 15): a person registers one on their account page
//! and signs in with it, without a password — a discoverable credential with
//! user verification, so two factors at once (`amr` `swk mfa`) — or gives it as
//! the second step after a password (`pwd swk mfa`, `sign_in::steps`).
//!
//! Each ceremony's challenge is random, stored only as its SHA-256 for five
//! minutes, and taken once (a delete whose rows-affected decides). The browser's
//! answer is checked in [`webauthn`]; the signature counter must grow (a cloned
//! authenticator replaying an old count is refused).

pub mod webauthn;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use self::webauthn::{b64, Credential, PublicKey, Relying};
use crate::accounts::users::User;
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::{passkey, user, webauthn_challenge};
use crate::platform::clock::Timestamp;
use crate::platform::secret::{random_token, token_hash};
use crate::{DomainError, DomainResult};

/// Time for the browser's dialog, the PIN or the fingerprint.
pub const CHALLENGE_TTL_SECS: i64 = 300;
/// A passkey's name: what the person calls the device.
pub const NAME_MAX: usize = 60;
/// Passkeys one account may hold.
pub const MAX_PER_ACCOUNT: u64 = 20;

const REGISTER: &str = "register";
const SIGN_IN: &str = "sign_in";
/// The second step of a sign-in: the challenge is bound to its person.
const SECOND_STEP: &str = "second_step";

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// Refused for a reason the person can act on (the message says which).
    #[error("{0}")]
    Refused(String),
    #[error("This account is disabled. Contact an administrator.")]
    Disabled,
    #[error(transparent)]
    Internal(#[from] DomainError),
}

impl From<sea_orm::DbErr> for PasskeyError {
    fn from(e: sea_orm::DbErr) -> Self {
        PasskeyError::Internal(e.into())
    }
}

impl From<webauthn::Refused> for PasskeyError {
    fn from(r: webauthn::Refused) -> Self {
        PasskeyError::Refused(r.0.to_owned())
    }
}

fn expired() -> PasskeyError {
    PasskeyError::Refused("This passkey request expired or was already used. Try again.".into())
}

async fn challenge<C: ConnectionTrait>(
    conn: &C,
    purpose: &str,
    user_id: Option<&str>,
    now: Timestamp,
) -> DomainResult<String> {
    webauthn_challenge::Entity::delete_many()
        .filter(webauthn_challenge::Column::ExpiresAt.lte(now))
        .exec(conn)
        .await?;
    let c = random_token();
    webauthn_challenge::Entity::insert(webauthn_challenge::ActiveModel {
        challenge_hash: Set(token_hash(&c)),
        purpose: Set(purpose.to_owned()),
        user_id: Set(user_id.map(str::to_owned)),
        expires_at: Set(now + CHALLENGE_TTL_SECS),
    })
    .exec(conn)
    .await?;
    Ok(c)
}

/// Takes the challenge once: true for the one caller that took it, in time.
async fn take<C: ConnectionTrait>(
    conn: &C,
    challenge: &str,
    purpose: &str,
    user_id: Option<&str>,
    now: Timestamp,
) -> DomainResult<bool> {
    let mut q = webauthn_challenge::Entity::delete_many()
        .filter(webauthn_challenge::Column::ChallengeHash.eq(token_hash(challenge)))
        .filter(webauthn_challenge::Column::Purpose.eq(purpose))
        .filter(webauthn_challenge::Column::ExpiresAt.gt(now));
    if let Some(u) = user_id {
        q = q.filter(webauthn_challenge::Column::UserId.eq(u));
    }
    Ok(q.exec(conn).await?.rows_affected == 1)
}

/// The options of `navigator.credentials.create` for `user` (`publicKey`,
/// base64url where WebAuthn wants bytes).
pub async fn register_options(
    db: &DatabaseConnection,
    rp: &Relying,
    u: &User,
    now: Timestamp,
) -> DomainResult<serde_json::Value> {
    let c = challenge(db, REGISTER, Some(&u.id), now).await?;
    let exclude: Vec<serde_json::Value> = passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(u.id.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| json!({ "type": "public-key", "id": p.credential_id }))
        .collect();
    Ok(json!({
        "challenge": c,
        "rp": { "id": rp.rp_id, "name": "Portcullis" },
        "user": { "id": b64(u.id.as_bytes()), "name": u.username, "displayName": u.display_name },
        "pubKeyCredParams": [
            { "type": "public-key", "alg": webauthn::ES256 },
            { "type": "public-key", "alg": webauthn::RS256 },
        ],
        "timeout": CHALLENGE_TTL_SECS * 1000,
        "attestation": "none",
        "authenticatorSelection": {
            "residentKey": "required", "requireResidentKey": true,
            "userVerification": "required",
        },
        "excludeCredentials": exclude,
    }))
}

/// Checks a passkey's name: one line, 1–60 characters.
pub fn parse_name(name: &str) -> DomainResult<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(DomainError::invalid(
            "name",
            "Give the passkey a name, e.g. the device it is on.",
        ));
    }
    crate::platform::text::check_len("name", n, NAME_MAX)?;
    crate::platform::text::check_chars("name", n, false)?;
    Ok(n.to_owned())
}

/// Registers the credential `credential` (the page's JSON) as `name` for `u`.
pub async fn register(
    db: &DatabaseConnection,
    rp: &Relying,
    u: &User,
    name: &str,
    credential: &str,
    ip: Option<String>,
    now: Timestamp,
) -> Result<(), PasskeyError> {
    let name = parse_name(name)?;
    let c = Credential::parse(credential)?;
    let new = webauthn::registration(&c, rp)?;
    let id = b64(&new.id);
    let txn = crate::platform::db::write_txn(db).await?;
    if !take(&txn, &new.challenge, REGISTER, Some(&u.id), now).await? {
        return Err(expired());
    }
    if passkey::Entity::find_by_id(id.clone())
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(PasskeyError::Refused(
            "That passkey is already registered here.".into(),
        ));
    }
    if held(&txn, &u.id).await? >= MAX_PER_ACCOUNT {
        return Err(PasskeyError::Refused(format!(
            "An account holds at most {MAX_PER_ACCOUNT} passkeys. Remove one first."
        )));
    }
    passkey::ActiveModel {
        credential_id: Set(id.clone()),
        user_id: Set(u.id.clone()),
        name: Set(name.clone()),
        public_key: Set(
            serde_json::to_string(&new.key).map_err(|e| DomainError::Internal(e.to_string()))?
        ),
        sign_count: Set(i64::from(new.sign_count)),
        created_at: Set(now),
        last_used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::UserPasskeyAdded, Actor::User(u.id.clone()))
            .target("user", &u.id)
            .ip(ip)
            .data(json!({ "name": name, "credential_id": id, "alg": new.key.alg })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The options of `navigator.credentials.get` for a sign-in: any passkey of this
/// site (discoverable), with user verification.
pub async fn sign_in_options(
    db: &DatabaseConnection,
    rp: &Relying,
    now: Timestamp,
) -> DomainResult<serde_json::Value> {
    let c = challenge(db, SIGN_IN, None, now).await?;
    Ok(json!({
        "challenge": c,
        "rpId": rp.rp_id,
        "timeout": CHALLENGE_TTL_SECS * 1000,
        "userVerification": "required",
        "allowCredentials": [],
    }))
}

/// The person whose passkey signed the sign-in challenge: the assertion checked,
/// the challenge taken, the counter and last use written — one transaction.
pub async fn authenticate(
    db: &DatabaseConnection,
    rp: &Relying,
    credential: &str,
    now: Timestamp,
) -> Result<User, PasskeyError> {
    let (u, txn) = assert_in(db, rp, credential, SIGN_IN, None, now).await?;
    txn.commit().await?;
    Ok(u)
}

/// How many passkeys `user_id` holds.
pub async fn held<C: ConnectionTrait>(conn: &C, user_id: &str) -> DomainResult<u64> {
    Ok(passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(user_id))
        .count(conn)
        .await?)
}

/// The options of `navigator.credentials.get` for the second step of `u`'s
/// sign-in: a challenge only `u` can answer, naming `u`'s passkeys.
pub async fn second_step_options(
    db: &DatabaseConnection,
    rp: &Relying,
    u: &User,
    now: Timestamp,
) -> DomainResult<serde_json::Value> {
    let c = challenge(db, SECOND_STEP, Some(&u.id), now).await?;
    let allow: Vec<serde_json::Value> = list(db, &u.id)
        .await?
        .into_iter()
        .map(|p| json!({ "type": "public-key", "id": p.id }))
        .collect();
    Ok(json!({
        "challenge": c,
        "rpId": rp.rp_id,
        "timeout": CHALLENGE_TTL_SECS * 1000,
        "userVerification": "required",
        "allowCredentials": allow,
    }))
}

/// `u`'s passkey answered the second-step challenge made for `u`: checked, the
/// challenge taken and the counter written in the returned transaction, which
/// the caller commits with the session (or drops).
pub async fn assert_second_step(
    db: &DatabaseConnection,
    rp: &Relying,
    u: &User,
    credential: &str,
    now: Timestamp,
) -> Result<crate::platform::db::WriteTxn, PasskeyError> {
    let (_, txn) = assert_in(db, rp, credential, SECOND_STEP, Some(&u.id), now).await?;
    Ok(txn)
}

/// Checks an assertion against the stored key and takes its challenge (made for
/// `purpose`, and for `owner` when given: then the passkey must be `owner`'s
/// too). Refusals that are recorded (a counter gone backwards, a disabled
/// account) commit their event before they return.
async fn assert_in(
    db: &DatabaseConnection,
    rp: &Relying,
    credential: &str,
    purpose: &str,
    owner: Option<&str>,
    now: Timestamp,
) -> Result<(User, crate::platform::db::WriteTxn), PasskeyError> {
    let unknown = || {
        match owner {
        Some(_) => PasskeyError::Refused(
            "That passkey is not one of this account's. Use a passkey you added to it.".into(),
        ),
        None => PasskeyError::Refused(
            "That passkey is not registered here. Sign in with your password, then add it on your account page."
                .into(),
        ),
    }
    };
    let c = Credential::parse(credential)?;
    let id = b64(&c.id()?);
    let row = passkey::Entity::find_by_id(id.clone())
        .one(db)
        .await?
        .ok_or_else(unknown)?;
    if owner.is_some_and(|o| o != row.user_id) {
        return Err(unknown());
    }
    let key: PublicKey = serde_json::from_str(&row.public_key)
        .map_err(|e| DomainError::Internal(format!("stored passkey key: {e}")))?;
    let asserted = webauthn::assertion(&c, &key, rp)?;
    if asserted
        .user_handle
        .as_deref()
        .is_some_and(|h| h != row.user_id.as_bytes())
    {
        return Err(unknown());
    }
    let txn = crate::platform::db::write_txn(db).await?;
    if !take(&txn, &asserted.challenge, purpose, owner, now).await? {
        return Err(expired());
    }
    let stored = row.sign_count;
    let new = i64::from(asserted.sign_count);
    if (stored != 0 || new != 0) && new <= stored {
        // A copy of the authenticator, or a replay: refused and recorded.
        audit::record(
            &txn,
            now,
            AuditEvent::new(EventType::SessionSignInFailed, Actor::Anonymous)
                .target("user", &row.user_id)
                .data(json!({ "passkey": id, "counter": { "stored": stored, "sent": new } })),
        )
        .await?;
        txn.commit().await?;
        return Err(PasskeyError::Refused(
            "That passkey's counter went backwards, as a copied authenticator's would. It was refused; tell an administrator if you did not copy it.".into(),
        ));
    }
    let u: User = user::Entity::find_by_id(row.user_id.clone())
        .one(&txn)
        .await?
        .ok_or_else(unknown)?
        .try_into()?;
    if u.disabled {
        // Refused, recorded; the passkey is not marked as used.
        audit::record(
            &txn,
            now,
            AuditEvent::new(EventType::SessionSignInFailed, Actor::Anonymous)
                .target("user", &u.id)
                .data(json!({ "passkey": id, "disabled": true })),
        )
        .await?;
        txn.commit().await?;
        return Err(PasskeyError::Disabled);
    }
    let mut am: passkey::ActiveModel = row.clone().into();
    am.sign_count = Set(new);
    am.last_used_at = Set(Some(now));
    am.update(&txn).await?;
    Ok((u, txn))
}

/// One of a person's passkeys, for their page.
#[derive(Clone, Debug)]
pub struct Passkey {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

pub async fn list<C: ConnectionTrait>(conn: &C, user_id: &str) -> DomainResult<Vec<Passkey>> {
    Ok(passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(user_id))
        .order_by_asc(passkey::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|p| Passkey {
            id: p.credential_id,
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        })
        .collect())
}

/// Removes `u`'s passkey `id` (another's: `NotFound`).
pub async fn remove(
    db: &DatabaseConnection,
    u: &User,
    id: &str,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::platform::db::write_txn(db).await?;
    let Some(row) = passkey::Entity::find_by_id(id.to_owned())
        .filter(passkey::Column::UserId.eq(u.id.as_str()))
        .one(&txn)
        .await?
    else {
        return Err(DomainError::NotFound);
    };
    passkey::Entity::delete_by_id(row.credential_id.clone())
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::UserPasskeyRemoved, Actor::User(u.id.clone()))
            .target("user", &u.id)
            .ip(ip)
            .data(json!({ "name": row.name, "credential_id": row.credential_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
