//! The steps of a sign-in after its first (a password, a provider, a passkey):
//! the terms of use, the second factor (a code, a recovery code or a passkey),
//! and the set-up of a required second factor. Each finds the pending sign-in
//! (`second_factor::pending`) behind the browser's cookie and ends it in the
//! transaction that opens the session.

use sea_orm::DatabaseConnection;

use super::{after_terms, open_session, Requirements, SignInRequest, SignInStep, SignedIn};
use crate::accounts::passkeys::{self, webauthn::Relying, PasskeyError};
use crate::accounts::second_factor::factor::{self, Attempt, CodeError};
use crate::accounts::second_factor::pending::{self, Carried, Purpose};
use crate::accounts::second_factor::Method;
use crate::accounts::sessions::SessionPolicy;
use crate::accounts::terms;
use crate::accounts::users::User;
use crate::platform::clock::Timestamp;
use crate::platform::secret::SecretString;
use crate::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum TermsStepError {
    /// No pending sign-in behind the cookie (expired, finished, or none).
    #[error("This sign-in has expired. Sign in again with your password.")]
    Expired,
    /// The box was not ticked, or ticked for terms that changed since.
    #[error("{0}")]
    NotAccepted(&'static str),
    #[error(transparent)]
    Internal(#[from] DomainError),
}

impl From<sea_orm::DbErr> for TermsStepError {
    fn from(e: sea_orm::DbErr) -> Self {
        TermsStepError::Internal(e.into())
    }
}

/// The person whose sign-in `pending_token` waits for them to accept the terms.
pub async fn terms_pending(
    db: &DatabaseConnection,
    pending_token: &str,
    now: Timestamp,
) -> Result<User, TermsStepError> {
    pending::find(db, pending_token, Purpose::Terms, now)
        .await?
        .map(|p| p.user)
        .ok_or(TermsStepError::Expired)
}

/// The terms step of the pending sign-in `pending_token`: the person accepted
/// `accepted` (the version they read), which must be the version in force. Leads
/// on to the second factor or the session; the acceptance is recorded with the
/// session, never before the sign-in is complete.
pub async fn accept_terms(
    db: &DatabaseConnection,
    pending_token: &str,
    accepted: Option<&str>,
    req: &SignInRequest<'_>,
    required: Requirements<'_>,
    sessions_policy: SessionPolicy,
    now: Timestamp,
) -> Result<SignInStep, TermsStepError> {
    let found = pending::find(db, pending_token, Purpose::Terms, now)
        .await?
        .ok_or(TermsStepError::Expired)?;
    let user = found.user;
    // Terms withdrawn meanwhile: nothing left to accept.
    let version = match (required.terms, accepted) {
        (None, _) => None,
        (Some(t), Some(a)) if a == t.version => Some(t.version.as_str()),
        (Some(_), Some(_)) => return Err(TermsStepError::NotAccepted(
            "The terms of use changed while you were reading them: read them again, then accept",
        )),
        (Some(_), None) => {
            return Err(TermsStepError::NotAccepted(
                "Accept the terms of use to go on, or sign out",
            ))
        }
    };
    let txn = crate::platform::db::write_txn(db).await?;
    if !pending::finish(&txn, pending_token, Purpose::Terms).await? {
        txn.rollback().await?;
        return Err(TermsStepError::Expired);
    }
    let carried = Carried {
        accepted_terms: version,
        first: found.first,
    };
    let step = after_terms(&txn, &user, req, required, carried, sessions_policy, now).await?;
    txn.commit().await?;
    Ok(step)
}

#[derive(Debug, thiserror::Error)]
pub enum SecondStepError {
    /// No pending sign-in behind the cookie (expired, finished, or none).
    #[error("This sign-in has expired. Sign in again with your password.")]
    Expired,
    #[error(transparent)]
    Code(#[from] CodeError),
    /// A passkey that did not do (not the person's, expired challenge, …).
    #[error(transparent)]
    Passkey(#[from] PasskeyError),
}

impl From<sea_orm::DbErr> for SecondStepError {
    fn from(e: sea_orm::DbErr) -> Self {
        SecondStepError::Code(e.into())
    }
}

impl From<DomainError> for SecondStepError {
    fn from(e: DomainError) -> Self {
        SecondStepError::Code(e.into())
    }
}

/// What the second step of a pending sign-in can take: a code (the person has
/// an authenticator app; its recovery codes too) and a passkey (they have one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecondStepKinds {
    pub code: bool,
    pub passkey: bool,
}

/// What the pending sign-in `pending_token` can finish with (its page shows those).
pub async fn second_step_kinds(
    db: &DatabaseConnection,
    pending_token: &str,
    now: Timestamp,
) -> Result<SecondStepKinds, SecondStepError> {
    let Some(found) = pending::find(db, pending_token, Purpose::SecondStep, now).await? else {
        return Err(SecondStepError::Expired);
    };
    Ok(SecondStepKinds {
        code: factor::is_active(db, &found.user.id).await?,
        passkey: passkeys::held(db, &found.user.id).await? > 0,
    })
}

/// The second step of the pending sign-in `pending_token`: a TOTP code or a
/// recovery code (`input`), checked and spent (`factor::verify`), then the
/// session — the pending sign-in ends in the same transaction.
pub async fn second_step(
    db: &DatabaseConnection,
    attempt: &Attempt<'_>,
    pending_token: &str,
    input: &str,
    user_agent: Option<String>,
    sessions_policy: SessionPolicy,
) -> Result<SignedIn, SecondStepError> {
    let now = attempt.now;
    let Some(found) = pending::find(db, pending_token, Purpose::SecondStep, now).await? else {
        return Err(SecondStepError::Expired);
    };
    let (method, txn) = factor::verify(db, attempt, &found.user, input).await?;
    let step = Finish {
        pending_token,
        purpose: Purpose::SecondStep,
        ip: attempt.ip.clone(),
        user_agent,
        sessions_policy,
        now,
    };
    step.session(txn, found, method).await
}

/// The options of `navigator.credentials.get` for the second step of the
/// pending sign-in `pending_token`: a challenge bound to its person, who may
/// answer with one of their passkeys only.
pub async fn second_step_passkey_options(
    db: &DatabaseConnection,
    rp: &Relying,
    pending_token: &str,
    now: Timestamp,
) -> Result<serde_json::Value, SecondStepError> {
    let Some(found) = pending::find(db, pending_token, Purpose::SecondStep, now).await? else {
        return Err(SecondStepError::Expired);
    };
    Ok(passkeys::second_step_options(db, rp, &found.user, now).await?)
}

/// The second step of the pending sign-in `pending_token` with one of the
/// person's passkeys (`credential`: the browser's answer to
/// [`second_step_passkey_options`]): checked, its counter written, the pending
/// sign-in ended and the session opened in one transaction (`amr` `pwd swk mfa`,
/// or `fed swk mfa` after a provider).
#[allow(clippy::too_many_arguments)]
pub async fn second_step_passkey(
    db: &DatabaseConnection,
    rp: &Relying,
    pending_token: &str,
    credential: &str,
    ip: Option<String>,
    user_agent: Option<String>,
    sessions_policy: SessionPolicy,
    now: Timestamp,
) -> Result<SignedIn, SecondStepError> {
    let Some(found) = pending::find(db, pending_token, Purpose::SecondStep, now).await? else {
        return Err(SecondStepError::Expired);
    };
    let txn = passkeys::assert_second_step(db, rp, &found.user, credential, now).await?;
    let step = Finish {
        pending_token,
        purpose: Purpose::SecondStep,
        ip,
        user_agent,
        sessions_policy,
        now,
    };
    step.session(txn, found, Method::Passkey).await
}

/// The end of a pending sign-in whose last step was checked in `txn`.
struct Finish<'a> {
    pending_token: &'a str,
    purpose: Purpose,
    ip: Option<String>,
    user_agent: Option<String>,
    sessions_policy: SessionPolicy,
    now: Timestamp,
}

impl Finish<'_> {
    /// Ends the pending sign-in (only once: a second caller finds it gone and
    /// rolls back what it checked), records the terms accepted on the way and
    /// opens the session, `amr` from the first step and `last`.
    async fn session(
        self,
        txn: crate::platform::db::WriteTxn,
        found: pending::Pending,
        last: Method,
    ) -> Result<SignedIn, SecondStepError> {
        if !pending::finish(&txn, self.pending_token, self.purpose).await? {
            txn.rollback().await?;
            return Err(SecondStepError::Expired);
        }
        let user = found.user;
        if let Some(v) = &found.accepted_terms {
            terms::record(&txn, &user, v, self.ip.clone(), self.now).await?;
        }
        let no_password = SecretString::default();
        let req = SignInRequest {
            username: &user.username,
            password: &no_password,
            ip: self.ip,
            user_agent: self.user_agent,
        };
        let amr = last.amr_after(found.first);
        let token = open_session(&txn, &user, &req, amr, self.sessions_policy, self.now).await?;
        txn.commit().await?;
        Ok(SignedIn { user, token })
    }
}

/// The person whose sign-in `pending_token` waits for a required second factor to
/// be set up, and the authenticator app's setup (started now if none is waiting).
pub async fn set_up_enrollment(
    db: &DatabaseConnection,
    kek: &crate::oauth::keys::Kek,
    pending_token: &str,
    now: Timestamp,
) -> Result<(User, factor::Enrollment), SecondStepError> {
    let Some(user) = pending::find(db, pending_token, Purpose::SetUp, now)
        .await?
        .map(|p| p.user)
    else {
        return Err(SecondStepError::Expired);
    };
    let enrollment = match factor::pending(db, kek, &user).await? {
        Some(e) => e,
        None => factor::begin(db, kek, &user, now).await?,
    };
    Ok((user, enrollment))
}

/// The last step of a sign-in that sets up a required second factor: the first
/// code from the app confirms it (`factor::confirm_in`: recovery codes, event,
/// mail), the pending sign-in ends and the session opens — all in one
/// transaction. Returns the session and the recovery codes, to be shown once.
pub async fn set_up_step(
    db: &DatabaseConnection,
    attempt: &Attempt<'_>,
    pending_token: &str,
    code: &str,
    user_agent: Option<String>,
    sessions_policy: SessionPolicy,
) -> Result<(SignedIn, Vec<String>), SecondStepError> {
    let now = attempt.now;
    let Some(found) = pending::find(db, pending_token, Purpose::SetUp, now).await? else {
        return Err(SecondStepError::Expired);
    };
    let (codes, txn) = factor::confirm_in(db, attempt, &found.user, code).await?;
    let step = Finish {
        pending_token,
        purpose: Purpose::SetUp,
        ip: attempt.ip.clone(),
        user_agent,
        sessions_policy,
        now,
    };
    let signed_in = step.session(txn, found, Method::Totp).await?;
    Ok((signed_in, codes))
}
