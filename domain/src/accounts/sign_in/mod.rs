//! Signing in: throttling, password verification and session creation in one place.
//! The first step is here (a password, or a provider or passkey that proved the
//! person); the steps after it are in [`steps`].

mod steps;

pub use steps::{
    accept_terms, second_step, second_step_kinds, second_step_passkey, second_step_passkey_options,
    set_up_enrollment, set_up_step, terms_pending, SecondStepError, SecondStepKinds,
    TermsStepError,
};

use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::accounts::directory::{self, ldap::Outcome, link::SettleError, Directory};
use crate::accounts::second_factor::factor;
use crate::accounts::second_factor::pending::{self, Carried, FirstStep, Purpose};
use crate::accounts::second_factor::{self, policy, Method};
use crate::accounts::sessions::{self, SessionPolicy};
use crate::accounts::terms::{self, Terms};
use crate::accounts::throttle::{self, Reservation, ThrottlePolicy};
use crate::accounts::users::{Role, User};
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::platform::clock::Timestamp;
use crate::platform::password::PasswordHasher;
use crate::platform::secret::SecretString;
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
    /// The directory accepted the password but its entry cannot be an account
    /// here (a name or address another account holds): the message says which.
    #[error("{0}")]
    Directory(String),
    /// The directory did not answer: the person may try again later.
    #[error(
        "The directory that checks your password is not answering. Try again in a few minutes."
    )]
    DirectoryUnavailable,
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

/// What checks a password: the local hash, or the directory (`accounts::directory`)
/// for an account that is the directory's and for a name no local account has.
#[derive(Clone, Copy)]
pub struct Passwords<'a> {
    pub hasher: &'a PasswordHasher,
    pub directory: Option<&'a Directory>,
}

pub struct SignInRequest<'a> {
    pub username: &'a str,
    pub password: &'a SecretString,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Checks a username and password with the same throttling, timing and audit as
/// the sign-in page: the one path both the page and the OAuth password grant use.
///
/// The attempt takes its failure slots (account, and address when known) before the
/// password is verified, in one atomic step per key (`throttle::reserve`): a burst of
/// parallel guesses gets no more verifications than the limit, and once the last slot
/// is taken even the right password is refused until the lock ends.
pub async fn check_credentials(
    db: &DatabaseConnection,
    passwords: Passwords<'_>,
    throttle_policy: ThrottlePolicy,
    req: &SignInRequest<'_>,
    now: Timestamp,
) -> Result<User, SignInError> {
    let limits = throttle_policy.sign_in_limits(req.username, req.ip.as_deref());
    let keys: Vec<String> = limits.iter().map(|l| l.key.clone()).collect();
    // A read first, so guesses against a locked key cost no write.
    if let Some(retry_after_secs) = throttle::locked_for(db, &keys, now).await? {
        return Err(SignInError::Throttled { retry_after_secs });
    }
    let reserved = match throttle::reserve(db, &limits, now).await? {
        Reservation::Granted(r) => r,
        Reservation::Refused {
            retry_after_secs, ..
        } => return Err(SignInError::Throttled { retry_after_secs }),
    };

    let found = crate::accounts::users::find_by_username(db, req.username).await?;
    let linked = match &found {
        Some(u) => directory::link::is_linked(db, &u.id).await?,
        None => false,
    };
    let checked = match passwords.directory {
        // The directory's accounts, and names no local account has.
        Some(dir) if linked || found.is_none() => {
            match by_directory(db, dir, req, now).await {
                Ok(Some(user)) => (Some(user), true),
                Ok(None) => (found, false),
                Err(e) => {
                    // Not a wrong password: the slots go back.
                    let txn = crate::platform::db::write_txn(db).await?;
                    throttle::release(&txn, &reserved).await?;
                    if let SignInError::Directory(why) = &e {
                        let ev = AuditEvent::new(EventType::SessionSignInFailed, Actor::Anonymous)
                            .ip(req.ip.clone())
                            .data(json!({
                                "username": req.username.trim().to_lowercase(),
                                "directory": why,
                            }));
                        audit::record(&txn, now, ev).await?;
                    }
                    txn.commit().await?;
                    return Err(e);
                }
            }
        }
        _ => {
            let stored = match &found {
                Some(u) if !linked => {
                    crate::entities::user::Entity::find_password_hash(db, &u.id).await?
                }
                _ => None,
            };
            // Always one argon2 verification, real or dummy: equal timing either way.
            let ok = passwords
                .hasher
                .verify(stored.as_deref(), req.password)
                .await;
            (found, ok)
        }
    };

    match checked {
        (Some(user), true) => {
            // The right password was no failure: give the slots back and forget the
            // account's earlier failures.
            let txn = crate::platform::db::write_txn(db).await?;
            throttle::release(&txn, &reserved).await?;
            throttle::clear(&txn, &throttle::account_key(req.username)).await?;
            txn.commit().await?;
            if user.disabled {
                return Err(SignInError::Disabled);
            }
            Ok(user)
        }
        (found, _) => {
            // The failure was counted when the slots were taken.
            let locked = reserved.locked;
            let txn = crate::platform::db::write_txn(db).await?;
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

/// The directory's answer for the attempt: the account (provisioned or brought up
/// to date) when it accepted the password, `None` when it did not.
async fn by_directory(
    db: &DatabaseConnection,
    dir: &Directory,
    req: &SignInRequest<'_>,
    now: Timestamp,
) -> Result<Option<User>, SignInError> {
    let outcome = dir
        .authenticate(req.username, req.password)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "LDAP directory unavailable");
            SignInError::DirectoryUnavailable
        })?;
    match outcome {
        Outcome::Accepted(person) => match directory::link::settle(db, dir, &person, now).await {
            Ok(user) => Ok(Some(user)),
            Err(SettleError::Refused(why)) => {
                tracing::warn!(dn = %person.dn, reason = %why, "directory sign-in refused");
                Err(SignInError::Directory(why))
            }
            Err(SettleError::Internal(e)) => Err(e.into()),
        },
        Outcome::Ambiguous => {
            tracing::warn!("the LDAP user filter matched more than one entry");
            Ok(None)
        }
        Outcome::NoSuchPerson | Outcome::WrongPassword => Ok(None),
    }
}

/// Where a right password leads.
#[derive(Debug)]
pub enum SignInStep {
    Done(Box<SignedIn>),
    /// The person has a second factor: no session yet. The token is for the
    /// pending sign-in's cookie (`second_factor::pending`).
    SecondFactor {
        pending: String,
    },
    /// An administrator requires a second factor of the person's role and they
    /// have none: they set one up before any session is made (same cookie).
    SetUp {
        pending: String,
    },
    /// The person has not accepted the terms of use in force: they do, before
    /// any other step (same cookie).
    Terms {
        pending: String,
    },
}

/// What the settings require of a sign-in before it makes a session.
#[derive(Clone, Copy, Debug, Default)]
pub struct Requirements<'a> {
    /// The roles an administrator requires a second factor of
    /// (`second_factor::policy`).
    pub second_factor_roles: &'a [Role],
    /// The terms of use in force (`accounts::terms`).
    pub terms: Option<&'a Terms>,
}

/// The password step.
pub async fn sign_in(
    db: &DatabaseConnection,
    passwords: Passwords<'_>,
    sessions_policy: SessionPolicy,
    throttle_policy: ThrottlePolicy,
    required: Requirements<'_>,
    req: SignInRequest<'_>,
    now: Timestamp,
) -> Result<SignInStep, SignInError> {
    let user = check_credentials(db, passwords, throttle_policy, &req, now).await?;
    let txn = crate::platform::db::write_txn(db).await?;
    if terms::needs(required.terms, &user) {
        let pending =
            pending::begin(&txn, &user.id, Purpose::Terms, Carried::default(), now).await?;
        txn.commit().await?;
        return Ok(SignInStep::Terms { pending });
    }
    let step = after_terms(
        &txn,
        &user,
        &req,
        required,
        Carried::default(),
        sessions_policy,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(step)
}

/// A sign-in without a password: an upstream OpenID provider
/// (`accounts::upstream`, `Method::Upstream`) — the same next steps as after a
/// right password: the terms, the second factor or its set-up — or a passkey
/// (`accounts::passkeys`, `Method::Passkey`), two factors already: only the
/// terms. Then the session, whose `amr` names the method.
pub async fn without_password(
    db: &DatabaseConnection,
    user: &User,
    method: Method,
    req: &SignInRequest<'_>,
    required: Requirements<'_>,
    sessions_policy: SessionPolicy,
    now: Timestamp,
) -> Result<SignInStep, DomainError> {
    let txn = crate::platform::db::write_txn(db).await?;
    // What the next steps must know: how the first step was made.
    let carried = Carried {
        accepted_terms: None,
        first: match method {
            Method::Upstream => FirstStep::Upstream,
            Method::Passkey => FirstStep::Passkey,
            Method::Password | Method::Totp | Method::RecoveryCode => FirstStep::Password,
        },
    };
    let step = if terms::needs(required.terms, user) {
        let pending = pending::begin(&txn, &user.id, Purpose::Terms, carried, now).await?;
        SignInStep::Terms { pending }
    } else {
        after_terms(&txn, user, req, required, carried, sessions_policy, now).await?
    };
    txn.commit().await?;
    Ok(step)
}

/// The steps after the terms: the second factor, its set-up, or the session
/// (which records the terms accepted on the way, `carried.accepted_terms`).
///
/// The second step is asked of a person with an authenticator app, and of a
/// person whose role an administrator requires a second factor of and who has a
/// passkey (it is their second factor); such a person with neither sets one up.
/// A passkey does not otherwise make a second step: with no recovery codes
/// behind it, a lost device would lock its holder out (docs/SECURITY.md).
pub(crate) async fn after_terms(
    txn: &sea_orm::DatabaseTransaction,
    user: &User,
    req: &SignInRequest<'_>,
    required: Requirements<'_>,
    carried: Carried<'_>,
    sessions_policy: SessionPolicy,
    now: Timestamp,
) -> Result<SignInStep, DomainError> {
    if carried.first != FirstStep::Passkey {
        let required_of_role = policy::covers(required.second_factor_roles, user.role);
        if factor::is_active(txn, &user.id).await?
            || (required_of_role && crate::accounts::passkeys::held(txn, &user.id).await? > 0)
        {
            let pending = pending::begin(txn, &user.id, Purpose::SecondStep, carried, now).await?;
            return Ok(SignInStep::SecondFactor { pending });
        }
        if required_of_role {
            let pending = pending::begin(txn, &user.id, Purpose::SetUp, carried, now).await?;
            return Ok(SignInStep::SetUp { pending });
        }
    }
    if let Some(v) = carried.accepted_terms {
        terms::record(txn, user, v, req.ip.clone(), now).await?;
    }
    let amr = Method::Password.amr_after(carried.first);
    let token = open_session(txn, user, req, amr, sessions_policy, now).await?;
    Ok(SignInStep::Done(Box::new(SignedIn {
        user: user.clone(),
        token,
    })))
}

/// A session for `user`, signed in as `amr` says (stored RFC 8176 values; None:
/// a password), with its event, in `txn`.
pub(crate) async fn open_session(
    txn: &sea_orm::DatabaseTransaction,
    user: &User,
    req: &SignInRequest<'_>,
    amr: Option<&str>,
    policy: SessionPolicy,
    now: Timestamp,
) -> Result<String, DomainError> {
    let token = sessions::create(
        txn,
        &user.id,
        req.ip.clone(),
        req.user_agent.clone(),
        amr,
        policy,
        now,
    )
    .await?;
    audit::record(
        txn,
        now,
        AuditEvent::new(EventType::SessionSignedIn, Actor::User(user.id.clone()))
            .target("user", &user.id)
            .ip(req.ip.clone())
            .data(json!({ "amr": second_factor::amr_values(amr) })),
    )
    .await?;
    Ok(token)
}

/// Ends the session behind `token`, recording who signed out, and queues the
/// back-channel logouts of the apps it signed in to. Returns what the sign-out page
/// must still do: the apps' front-channel pages.
pub async fn sign_out(
    db: &DatabaseConnection,
    token: &str,
    ip: Option<String>,
    now: Timestamp,
) -> Result<crate::oauth::logout::Ended, DomainError> {
    use crate::oauth::logout::{end_sessions, Ending};
    let txn = crate::platform::db::write_txn(db).await?;
    let ended = end_sessions(&txn, Ending::Session(token), now).await?;
    if let Some(user_id) = &ended.user_id {
        audit::record(
            &txn,
            now,
            AuditEvent::new(EventType::SessionSignedOut, Actor::User(user_id.clone()))
                .target("user", user_id)
                .ip(ip)
                .data(serde_json::json!({
                    "apps_told_by_back_channel": ended.back_channel,
                    "apps_told_by_front_channel": ended.front_channel.len(),
                })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(ended)
}
