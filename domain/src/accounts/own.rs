//! The account page: a signed-in person's own profile, password, e-mail address and
//! sessions (docs/IDENTITY.md, "The account page").
//!
//! Every change that needs the current password checks it through
//! `sign_in::check_credentials`, so a wrong guess here counts against the same
//! atomic throttle as one on the sign-in page. Every session that ends goes
//! through `oauth::logout::end_sessions` (the apps are told by back-channel logout).

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};

use super::directory;
use super::recovery::{self, RecoveryPolicy};
use super::sessions::SessionPolicy;
use super::sign_in::{check_credentials, Passwords, SignInError, SignInRequest};
use super::throttle::{self, Limit, Reservation, ThrottlePolicy};
use super::users::{parse_display_name, parse_person_name, Email, Principal, Role, User};
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::{session, user};
use crate::oauth::access_tokens::RevocationMirror;
use crate::oauth::logout::{end_sessions, Ending};
use crate::platform::clock::Timestamp;
use crate::platform::password::PasswordHasher;
use crate::platform::secret::{token_hash, SecretString};
use crate::{DomainError, DomainResult};

#[derive(Debug, thiserror::Error)]
pub enum OwnError {
    /// What the form sent is wrong, every problem at once (nothing changed).
    #[error("the form has {} problem(s)", .0.len())]
    Problems(Vec<DomainError>),
    #[error("Too many failed attempts. Try again in {} minute(s).", (*retry_after_secs + 59) / 60)]
    Throttled { retry_after_secs: i64 },
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<sea_orm::DbErr> for OwnError {
    fn from(e: sea_orm::DbErr) -> Self {
        OwnError::Domain(e.into())
    }
}

/// What the account page shows about the person.
#[derive(Clone, Debug)]
pub struct Profile {
    pub username: String,
    pub role: Role,
    pub display_name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: String,
    pub email_verified: bool,
    /// A new address waiting for its link to be opened.
    pub pending_email: Option<String>,
    /// The account is an LDAP directory's: its password and address are changed
    /// there (`accounts::directory`).
    pub directory: bool,
}

pub async fn profile(
    db: &DatabaseConnection,
    who: &Principal,
    now: Timestamp,
) -> DomainResult<Profile> {
    let u = super::users::find_by_id(db, &who.user().id)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok(Profile {
        pending_email: super::email_change::pending_email(db, &u.id, now).await?,
        directory: directory::link::is_linked(db, &u.id).await?,
        username: u.username,
        role: u.role,
        display_name: u.display_name,
        given_name: u.given_name,
        family_name: u.family_name,
        email: u.email,
        email_verified: u.email_verified,
    })
}

/// What the profile form sends: the display name and the optional given and
/// family names (empty = none).
#[derive(Clone, Debug, Default)]
pub struct ProfileUpdate {
    pub display_name: String,
    pub given_name: String,
    pub family_name: String,
}

/// Sets the person's names (bounded as at sign-up); every problem reported at
/// once. The audit event lists what changed, from and to.
pub async fn update_profile(
    db: &DatabaseConnection,
    who: &Principal,
    update: &ProfileUpdate,
    ip: Option<String>,
    now: Timestamp,
) -> Result<User, OwnError> {
    let display = parse_display_name(&update.display_name);
    let given = parse_person_name("given_name", &update.given_name);
    let family = parse_person_name("family_name", &update.family_name);
    let (name, given, family) = match (display, given, family) {
        (Ok(n), Ok(g), Ok(f)) => (n, g, f),
        (d, g, f) => {
            let problems = [d.err(), g.err(), f.err()].into_iter().flatten();
            return Err(OwnError::Problems(problems.collect()));
        }
    };
    let txn = crate::platform::db::write_txn(db).await?;
    let current = user::Entity::find_by_id(who.user().id.clone())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let mut changed = serde_json::Map::new();
    let mut note = |field: &str, from: Value, to: Value| {
        if from != to {
            changed.insert(field.into(), json!({ "from": from, "to": to }));
        }
    };
    note("display_name", json!(current.display_name), json!(name));
    note("given_name", json!(current.given_name), json!(given));
    note("family_name", json!(current.family_name), json!(family));
    if changed.is_empty() {
        return Ok(current.try_into()?);
    }
    let mut am: user::ActiveModel = current.into();
    am.display_name = Set(name);
    am.given_name = Set(given);
    am.family_name = Set(family);
    am.updated_at = Set(now);
    let updated = am.update(&txn).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(
            EventType::UserProfileUpdated,
            Actor::User(updated.id.clone()),
        )
        .target("user", &updated.id)
        .ip(ip)
        .data(Value::Object(changed)),
    )
    .await?;
    txn.commit().await?;
    Ok(updated.try_into()?)
}

/// `e` reported against the form field `field` (the domain names it `password`).
fn as_field(e: DomainError, field: &'static str) -> DomainError {
    match e {
        DomainError::Invalid { message, .. } => DomainError::Invalid { field, message },
        other => other,
    }
}

/// Why a directory account's password is not changed here.
pub const DIRECTORY_PASSWORD: &str = "is kept by your organisation's directory: change it there";

/// Checks the current password with the sign-in throttle (check and count in one
/// atomic step): a wrong one is a failed sign-in for the account and the address.
pub(crate) async fn check_current(
    db: &DatabaseConnection,
    passwords: Passwords<'_>,
    throttle_policy: ThrottlePolicy,
    who: &Principal,
    current: &SecretString,
    ip: Option<String>,
    now: Timestamp,
) -> Result<(), OwnError> {
    let req = SignInRequest {
        username: &who.user().username,
        password: current,
        ip,
        user_agent: None,
    };
    match check_credentials(db, passwords, throttle_policy, &req, now).await {
        Ok(_) => Ok(()),
        Err(SignInError::InvalidCredentials) => {
            Err(OwnError::Problems(vec![DomainError::invalid(
                "current_password",
                "is not correct",
            )]))
        }
        Err(SignInError::Throttled { retry_after_secs }) => {
            Err(OwnError::Throttled { retry_after_secs })
        }
        Err(SignInError::Disabled) => Err(DomainError::Forbidden.into()),
        Err(e @ (SignInError::Directory(_) | SignInError::DirectoryUnavailable)) => {
            Err(OwnError::Problems(vec![DomainError::invalid(
                "current_password",
                e.to_string(),
            )]))
        }
        Err(SignInError::Internal(e)) => Err(e.into()),
    }
}

/// A new password for the signed-in person. Every other session of theirs ends (the
/// apps are told), every refresh token and earlier access token is revoked, reset
/// links are forgotten; the session `session_token` stays. One transaction with the
/// audit event.
#[allow(clippy::too_many_arguments)]
pub async fn change_password(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    throttle_policy: ThrottlePolicy,
    revocations: &RevocationMirror,
    who: &Principal,
    session_token: &str,
    current: &SecretString,
    new: &SecretString,
    confirm: &SecretString,
    ip: Option<String>,
    now: Timestamp,
) -> Result<(), OwnError> {
    let u = who.user();
    if directory::link::is_linked(db, &u.id).await? {
        return Err(OwnError::Problems(vec![DomainError::invalid(
            "new_password",
            DIRECTORY_PASSWORD,
        )]));
    }
    let mut problems = Vec::new();
    if current.expose().is_empty() {
        problems.push(DomainError::invalid("current_password", "is required"));
    }
    if let Err(e) = PasswordHasher::validate(new).and_then(|_| {
        crate::platform::strength::check(new, &[&u.username, &u.email, &u.display_name])
    }) {
        problems.push(as_field(e, "new_password"));
    } else if new.expose() == current.expose() {
        problems.push(DomainError::invalid(
            "new_password",
            "must differ from the current one",
        ));
    }
    if new.expose() != confirm.expose() {
        problems.push(DomainError::invalid(
            "new_password_confirm",
            "does not match the new password",
        ));
    }
    if !problems.is_empty() {
        return Err(OwnError::Problems(problems));
    }
    let local = Passwords {
        hasher,
        directory: None,
    };
    check_current(db, local, throttle_policy, who, current, ip.clone(), now).await?;
    let hash = hasher.hash(new).await?;

    let txn = crate::platform::db::write_txn(db).await?;
    let row = user::Entity::find_by_id(u.id.clone())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let mut am: user::ActiveModel = row.into();
    am.password_hash = Set(Some(hash));
    am.updated_at = Set(now);
    // As a reset (`recovery::reset_password`): access tokens obtained before end.
    am.tokens_valid_after = Set(Some(now));
    let updated = am.update(&txn).await?;
    recovery::forget_resets(&txn, &updated.id).await?;
    let others = other_session_ids(&txn, &updated.id, session_token).await?;
    let ended = end_sessions(&txn, Ending::OwnOf(&updated.id, &others), now).await?;
    let revoked =
        crate::oauth::codes::revoke_all_for_user(&txn, revocations, &updated.id, now).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(
            EventType::UserPasswordChanged,
            Actor::User(updated.id.clone()),
        )
        .target("user", &updated.id)
        .ip(ip)
        .data(json!({
            "by": "account_page",
            "other_sessions_ended": ended.sessions,
            "refresh_tokens_revoked": revoked,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Asks for a new e-mail address. The account keeps its current (verified or not)
/// address until the link mailed to the new one is opened (`recovery::verify_email`):
/// `email_verified` and the e-mail-domain restriction never see an address nobody
/// proved. The old address gets a notice.
#[allow(clippy::too_many_arguments)]
pub async fn request_email_change(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    throttle_policy: ThrottlePolicy,
    policy: &RecoveryPolicy,
    who: &Principal,
    current: &SecretString,
    new_email: &str,
    ip: Option<String>,
    now: Timestamp,
) -> Result<String, OwnError> {
    let u = who.user();
    let mut problems = Vec::new();
    if current.expose().is_empty() {
        problems.push(DomainError::invalid("current_password", "is required"));
    }
    match Email::parse(new_email) {
        Err(e) => problems.push(as_field(e, "email")),
        Ok(e) if e.as_str().eq_ignore_ascii_case(&u.email) => {
            problems.push(DomainError::invalid("email", "is already your address"))
        }
        Ok(_) => {}
    }
    if !problems.is_empty() {
        return Err(OwnError::Problems(problems));
    }
    let to = Email::parse(new_email)?;
    if directory::link::is_linked(db, &u.id).await? {
        return Err(OwnError::Problems(vec![DomainError::invalid(
            "email",
            "comes from your organisation's directory: change it there",
        )]));
    }
    let local = Passwords {
        hasher,
        directory: None,
    };
    check_current(db, local, throttle_policy, who, current, ip.clone(), now).await?;
    // Only after the password: whoever merely holds a session is not told which
    // addresses have accounts.
    if user::Entity::find()
        .filter(user::Column::Email.eq(to.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(OwnError::Problems(vec![DomainError::invalid(
            "email",
            "belongs to another account",
        )]));
    }
    // A person who knows their password still may not mail any address at will.
    let limits = [Limit {
        key: format!("email-change:{}", u.id),
        max: policy.verification_mails,
        window_secs: policy.window_secs,
        lockout_secs: policy.window_secs,
    }];
    if let Reservation::Refused {
        retry_after_secs, ..
    } = throttle::reserve(db, &limits, now).await?
    {
        return Err(OwnError::Throttled { retry_after_secs });
    }

    let txn = crate::platform::db::write_txn(db).await?;
    let fresh = super::users::find_by_id(&txn, &u.id)
        .await?
        .ok_or(DomainError::NotFound)?;
    super::email_change::send_change_link(&txn, policy, &fresh, &to, now).await?;
    let notice = format!(
        "Hello {name},\n\nsomeone signed in to your Portcullis account '{username}' asked to \
         change its e-mail address from {old} to {new}. The change happens only when the link \
         sent to the new address is opened; until then this address stays the account's.\n\n\
         If this was not you, change your password and tell an administrator.\n",
        name = fresh.display_name,
        username = fresh.username,
        old = fresh.email,
        new = to.as_str(),
    );
    crate::portal::notify::enqueue_email(
        &txn,
        &fresh.email,
        "Your Portcullis e-mail address is about to change",
        &notice,
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(
            EventType::UserEmailChangeRequested,
            Actor::User(fresh.id.clone()),
        )
        .target("user", &fresh.id)
        .ip(ip)
        .data(json!({ "to": to.as_str() })),
    )
    .await?;
    txn.commit().await?;
    Ok(to.as_str().to_owned())
}

/// One of the person's live sessions, as the account page lists it.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    /// Names the session on the page: a hash of its stored id, so neither the
    /// cookie nor the `sid` apps know can be derived from it.
    pub handle: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session this request came with.
    pub current: bool,
}

fn handle_of(stored_id: &str) -> String {
    token_hash(stored_id)
}

async fn own_sessions<C: sea_orm::ConnectionTrait>(
    conn: &C,
    user_id: &str,
) -> DomainResult<Vec<session::Model>> {
    Ok(session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .all(conn)
        .await?)
}

async fn other_session_ids<C: sea_orm::ConnectionTrait>(
    conn: &C,
    user_id: &str,
    session_token: &str,
) -> DomainResult<Vec<String>> {
    let mine = token_hash(session_token);
    Ok(own_sessions(conn, user_id)
        .await?
        .into_iter()
        .map(|s| s.id)
        .filter(|id| *id != mine)
        .collect())
}

/// The person's live sessions, newest first.
pub async fn list_sessions(
    db: &DatabaseConnection,
    who: &Principal,
    session_token: &str,
    policy: SessionPolicy,
    now: Timestamp,
) -> DomainResult<Vec<SessionInfo>> {
    let mine = token_hash(session_token);
    let mut out: Vec<SessionInfo> = own_sessions(db, &who.user().id)
        .await?
        .into_iter()
        .filter(|s| now < s.expires_at && now - s.last_seen_at < policy.idle_timeout_secs)
        .map(|s| SessionInfo {
            handle: handle_of(&s.id),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            ip: s.ip,
            user_agent: s.user_agent,
            current: s.id == mine,
        })
        .collect();
    out.sort_by_key(|s| std::cmp::Reverse((s.current, s.created_at)));
    Ok(out)
}

/// Ends the person's session named `handle` (NotFound for anyone else's, or an
/// unknown one: nothing tells them apart). Returns whether it was the current one.
pub async fn end_session(
    db: &DatabaseConnection,
    who: &Principal,
    session_token: &str,
    handle: &str,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<bool> {
    if handle.is_empty() || handle.len() > 100 {
        return Err(DomainError::NotFound);
    }
    let user_id = who.user().id.clone();
    let txn = crate::platform::db::write_txn(db).await?;
    let Some(target) = own_sessions(&txn, &user_id)
        .await?
        .into_iter()
        .find(|s| handle_of(&s.id) == handle)
    else {
        return Err(DomainError::NotFound);
    };
    let current = target.id == token_hash(session_token);
    let ids = [target.id];
    let ended = end_sessions(&txn, Ending::OwnOf(&user_id, &ids), now).await?;
    record_ended(&txn, &user_id, ip, &ended, "one", now).await?;
    txn.commit().await?;
    Ok(current)
}

/// "Sign out everywhere else": every session of the person but the current one.
pub async fn end_other_sessions(
    db: &DatabaseConnection,
    who: &Principal,
    session_token: &str,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<u64> {
    let user_id = who.user().id.clone();
    let txn = crate::platform::db::write_txn(db).await?;
    let others = other_session_ids(&txn, &user_id, session_token).await?;
    let ended = end_sessions(&txn, Ending::OwnOf(&user_id, &others), now).await?;
    record_ended(&txn, &user_id, ip, &ended, "everywhere_else", now).await?;
    txn.commit().await?;
    Ok(ended.sessions)
}

async fn record_ended<C: sea_orm::ConnectionTrait>(
    conn: &C,
    user_id: &str,
    ip: Option<String>,
    ended: &crate::oauth::logout::Ended,
    which: &str,
    now: Timestamp,
) -> DomainResult<()> {
    audit::record(
        conn,
        now,
        AuditEvent::new(EventType::SessionSignedOut, Actor::User(user_id.to_owned()))
            .target("user", user_id)
            .ip(ip)
            .data(json!({
                "by": "account_page",
                "which": which,
                "sessions": ended.sessions,
                "apps_told_by_back_channel": ended.back_channel,
            })),
    )
    .await
}
