//! Creating and changing accounts: sign-up, administrators' changes to roles,
//! passwords and access, the user listing (the first administrator is
//! `first_admin`'s).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::recovery::RecoveryPolicy;
use super::users::{parse_display_name, AdminCtx, Email, Role, User, Username};
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::user;
use crate::oauth::access_tokens::RevocationMirror;
use crate::platform::clock::Timestamp;
use crate::platform::page::{page_bounds, Page};
use crate::platform::password::PasswordHasher;
use crate::platform::secret::SecretString;
use crate::{DomainError, DomainResult};

/// Input for a new account.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub password: SecretString,
    pub role: Role,
}

pub(crate) struct ValidNewUser {
    username: Username,
    email: Email,
    display_name: String,
}

pub(crate) fn validate_new(n: &NewUser) -> DomainResult<ValidNewUser> {
    let username = Username::parse(&n.username)?;
    let email = Email::parse(&n.email)?;
    let display_name = if n.display_name.trim().is_empty() {
        username.as_str().to_owned()
    } else {
        parse_display_name(&n.display_name)?
    };
    PasswordHasher::validate(&n.password)?;
    crate::platform::strength::check(
        &n.password,
        &[username.as_str(), email.as_str(), &display_name],
    )?;
    Ok(ValidNewUser {
        username,
        email,
        display_name,
    })
}

pub(crate) async fn ensure_unique<C: ConnectionTrait>(
    conn: &C,
    username: &Username,
    email: &Email,
) -> DomainResult<()> {
    if user::Entity::find()
        .filter(user::Column::Username.eq(username.as_str()))
        .one(conn)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict(format!(
            "the username '{}' is already taken",
            username.as_str()
        )));
    }
    if user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(conn)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict(
            "an account with that e-mail address already exists".into(),
        ));
    }
    Ok(())
}

pub(crate) fn map_insert_err(e: sea_orm::DbErr) -> DomainError {
    // Two concurrent registrations can both pass `ensure_unique`; the unique index
    // decides, and the loser gets the same message.
    if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = e.sql_err() {
        DomainError::Conflict("that username or e-mail address is already taken".into())
    } else {
        e.into()
    }
}

/// `terms`: the version of the terms of use the person accepted (a sign-up).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_user(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    new: NewUser,
    actor: Actor,
    event: EventType,
    verify: Option<&RecoveryPolicy>,
    terms: Option<&str>,
    now: Timestamp,
) -> DomainResult<User> {
    let v = validate_new(&new)?;
    ensure_unique(db, &v.username, &v.email).await?;
    let hash = hasher.hash(&new.password).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let txn = crate::platform::db::write_txn(db).await?;
    let model = user::ActiveModel {
        id: Set(id.clone()),
        username: Set(v.username.as_str().to_owned()),
        email: Set(v.email.as_str().to_owned()),
        display_name: Set(v.display_name),
        given_name: Set(None),
        family_name: Set(None),
        password_hash: Set(Some(hash)),
        role: Set(new.role.as_str().to_owned()),
        disabled: Set(false),
        // Only a self sign-up gives an address nobody vouched for.
        email_verified: Set(event != EventType::UserSignedUp),
        created_at: Set(now),
        updated_at: Set(now),
        tokens_valid_after: Set(None),
        terms_version: Set(terms.map(str::to_owned)),
        terms_accepted_at: Set(terms.map(|_| now)),
    }
    .insert(&txn)
    .await
    .map_err(map_insert_err)?;
    let actor = match actor {
        Actor::Anonymous => Actor::User(id.clone()),
        a => a,
    };
    audit::record(
        &txn,
        now,
        AuditEvent::new(event, actor)
            .target("user", &id)
            .data(json!({
                "after": { "username": model.username, "email": model.email, "role": model.role, "email_verified": model.email_verified },
                "terms_version": terms,
            })),
    )
    .await?;
    let user: User = model.try_into()?;
    if let Some(policy) = verify {
        // The verification mail exists exactly when the account does.
        super::recovery::send_verification(&txn, policy, &user, now).await?;
    }
    txn.commit().await?;
    Ok(user)
}

/// An administrator (or the operator) creates an account with any role.
pub async fn create_user(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    ctx: &AdminCtx,
    new: NewUser,
    now: Timestamp,
) -> DomainResult<User> {
    insert_user(
        db,
        hasher,
        new,
        ctx.actor.clone(),
        EventType::UserCreated,
        None,
        None,
        now,
    )
    .await
}

/// Self sign-up (only when enabled by settings; the caller checks that): always an
/// end user, whose address is unverified until they open the link mailed to it.
/// `terms`: the terms of use in force (`None`: none configured); the person must
/// have accepted exactly that version (`accepted`), which the account records.
/// A name the LDAP directory's people sign in with is taken (`directory`): nobody
/// squats on a colleague's name before their first sign-in.
#[allow(clippy::too_many_arguments)]
pub async fn sign_up(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    directory: Option<&super::directory::Directory>,
    recovery: &RecoveryPolicy,
    mut new: NewUser,
    terms: Option<&super::terms::Terms>,
    accepted: Option<&str>,
    now: Timestamp,
) -> DomainResult<User> {
    new.role = Role::User;
    let terms = match terms {
        None => None,
        Some(t) if accepted == Some(t.version.as_str()) => Some(t.version.as_str()),
        Some(_) if accepted.is_some() => return Err(DomainError::invalid(
            "accept_terms",
            "The terms of use changed while you were reading them: read them again, then accept",
        )),
        Some(_) => {
            return Err(DomainError::invalid(
                "accept_terms",
                "Accept the terms of use to create an account",
            ))
        }
    };
    if let Some(dir) = directory {
        let name = Username::parse(&new.username)?;
        match dir.has(name.as_str()).await {
            Ok(false) => {}
            Ok(true) => {
                return Err(DomainError::Conflict(format!(
                    "the username '{}' is already taken",
                    name.as_str()
                )))
            }
            Err(e) => {
                tracing::warn!(error = %e, "LDAP directory unavailable at sign-up");
                return Err(DomainError::Unavailable(
                    "Sign-up cannot check the directory just now. Try again in a few minutes."
                        .into(),
                ));
            }
        }
    }
    insert_user(
        db,
        hasher,
        new,
        Actor::Anonymous,
        EventType::UserSignedUp,
        Some(recovery),
        terms,
        now,
    )
    .await
}
/// Resolves a user by id or username (CLI and admin pages accept either).
pub(crate) async fn resolve<C: ConnectionTrait>(conn: &C, who: &str) -> DomainResult<user::Model> {
    if !crate::platform::text::could_exist(who) {
        return Err(DomainError::NotFound);
    }
    let by_name = Username::parse(who).map(|u| u.0).unwrap_or_default();
    user::Entity::find()
        .filter(
            Condition::any()
                .add(user::Column::Id.eq(who))
                .add(user::Column::Username.eq(by_name)),
        )
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)
}

pub(crate) async fn active_admin_count<C: ConnectionTrait>(conn: &C) -> DomainResult<u64> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::Disabled.eq(false))
        .count(conn)
        .await?)
}

pub async fn set_role(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    who: &str,
    role: Role,
    now: Timestamp,
) -> DomainResult<User> {
    let txn = crate::platform::db::write_txn(db).await?;
    let current = resolve(&txn, who).await?;
    let before = current.role.clone();
    if before == role.as_str() {
        txn.rollback().await?;
        return current.try_into();
    }
    if before == Role::Admin.as_str() && !current.disabled && active_admin_count(&txn).await? <= 1 {
        return Err(DomainError::Conflict(
            "this is the last active administrator; make another administrator first".into(),
        ));
    }
    let mut am: user::ActiveModel = current.into();
    am.role = Set(role.as_str().to_owned());
    am.updated_at = Set(now);
    let updated = am.update(&txn).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::UserRoleChanged, ctx.actor.clone())
            .target("user", &updated.id)
            .data(json!({ "before": { "role": before }, "after": { "role": updated.role } })),
    )
    .await?;
    txn.commit().await?;
    updated.try_into()
}

/// An administrator sets a person's e-mail address (they lost the old mailbox,
/// or typed it wrong at sign-up). The new address is the account's at once but
/// **not verified** — an administrator typing it proves nothing about who reads
/// it — so a verification link goes to it, and a notice to the old one. Pending
/// verification and address-change links stop working. Another account's address
/// is a conflict; the same address changes nothing.
pub async fn set_email(
    db: &DatabaseConnection,
    policy: &RecoveryPolicy,
    ctx: &AdminCtx,
    who: &str,
    email: &str,
    now: Timestamp,
) -> DomainResult<User> {
    let email = Email::parse(email)?;
    let txn = crate::platform::db::write_txn(db).await?;
    let current = resolve(&txn, who).await?;
    if current.email == email.as_str() {
        txn.rollback().await?;
        return current.try_into();
    }
    let old = current.email.clone();
    let mut am: user::ActiveModel = current.into();
    am.email = Set(email.as_str().to_owned());
    am.email_verified = Set(false);
    am.updated_at = Set(now);
    let updated = am.update(&txn).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            DomainError::Conflict("another account has this e-mail address".into())
        }
        _ => e.into(),
    })?;
    super::recovery::forget_address_links(&txn, &updated.id).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::UserEmailChanged, ctx.actor.clone())
            .target("user", &updated.id)
            .data(json!({ "from": old, "to": updated.email, "verified": false })),
    )
    .await?;
    let user: User = updated.try_into()?;
    super::recovery::send_verification(&txn, policy, &user, now).await?;
    crate::portal::notify::enqueue_email(
        &txn,
        &old,
        "Your e-mail address on Portcullis was changed",
        &format!(
            "Hello {name},\n\nan administrator changed the e-mail address of your Portcullis \
             account ({username}) from this address to {new}. Mail for the account now goes \
             there.\n\nIf you did not ask for this, contact your administrators.\n",
            name = user.display_name,
            username = user.username,
            new = user.email,
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Sets a new password and ends every session of the account.
pub async fn set_password(
    db: &DatabaseConnection,
    revocations: &RevocationMirror,
    hasher: &PasswordHasher,
    ctx: &AdminCtx,
    who: &str,
    password: &SecretString,
    now: Timestamp,
) -> DomainResult<User> {
    PasswordHasher::validate(password)?;
    let known = resolve(db, who).await?;
    if super::directory::link::is_linked(db, &known.id).await? {
        // A local password beside the directory's would be a second way in that
        // the directory's disabling does not close.
        return Err(DomainError::invalid(
            "password",
            "is kept by the LDAP directory for this account: change it there",
        ));
    }
    crate::platform::strength::check(
        password,
        &[&known.username, &known.email, &known.display_name],
    )?;
    let hash = hasher.hash(password).await?;
    let txn = crate::platform::db::write_txn(db).await?;
    let current = resolve(&txn, who).await?;
    let mut am: user::ActiveModel = current.into();
    am.password_hash = Set(Some(hash));
    am.updated_at = Set(now);
    // Whatever was obtained with the old password ends with it: sessions, refresh
    // tokens, and access tokens (including the password grant's 9-hour ones, which
    // are not stored anywhere to revoke one by one).
    am.tokens_valid_after = Set(Some(now));
    let updated = am.update(&txn).await?;
    // Reset links mailed before lead to the old password's account no more.
    super::recovery::forget_resets(&txn, &updated.id).await?;
    // Every app the person is signed in to is told (back-channel logout).
    crate::oauth::logout::end_sessions(&txn, crate::oauth::logout::Ending::AllOf(&updated.id), now)
        .await?;
    crate::oauth::codes::revoke_all_for_user(&txn, revocations, &updated.id, now).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::UserPasswordChanged, ctx.actor.clone())
            .target("user", &updated.id),
    )
    .await?;
    txn.commit().await?;
    updated.try_into()
}

/// Disables or re-enables an account; disabling ends its sessions at once.
pub async fn set_disabled(
    db: &DatabaseConnection,
    revocations: &RevocationMirror,
    ctx: &AdminCtx,
    who: &str,
    disabled: bool,
    now: Timestamp,
) -> DomainResult<User> {
    let txn = crate::platform::db::write_txn(db).await?;
    let current = resolve(&txn, who).await?;
    if current.disabled == disabled {
        txn.rollback().await?;
        return current.try_into();
    }
    if disabled && current.role == Role::Admin.as_str() && active_admin_count(&txn).await? <= 1 {
        return Err(DomainError::Conflict(
            "the last active administrator cannot be disabled".into(),
        ));
    }
    let mut am: user::ActiveModel = current.into();
    am.disabled = Set(disabled);
    am.updated_at = Set(now);
    if disabled {
        // Re-enabling the account later must not bring its old tokens back.
        am.tokens_valid_after = Set(Some(now));
    }
    let updated = am.update(&txn).await?;
    if disabled {
        crate::oauth::logout::end_sessions(
            &txn,
            crate::oauth::logout::Ending::AllOf(&updated.id),
            now,
        )
        .await?;
        crate::oauth::codes::revoke_all_for_user(&txn, revocations, &updated.id, now).await?;
    }
    let event = if disabled {
        EventType::UserDisabled
    } else {
        EventType::UserEnabled
    };
    audit::record(
        &txn,
        now,
        AuditEvent::new(event, ctx.actor.clone()).target("user", &updated.id),
    )
    .await?;
    txn.commit().await?;
    updated.try_into()
}

/// Users ordered by username, optionally filtered by a substring of username, e-mail
/// or display name.
pub async fn list(
    db: &DatabaseConnection,
    search: &str,
    page: u64,
    per_page: u64,
) -> DomainResult<Page<User>> {
    let (page, per_page) = page_bounds(page, per_page, limits::PER_PAGE);
    let mut q = user::Entity::find().order_by_asc(user::Column::Username);
    let search = crate::platform::text::search("search", search)?;
    if !search.is_empty() {
        let pat = format!("%{}%", search.to_lowercase().replace(['%', '_'], ""));
        q = q.filter(
            Condition::any()
                .add(user::Column::Username.like(&pat))
                .add(user::Column::Email.like(&pat))
                .add(user::Column::DisplayName.like(&pat)),
        );
    }
    let paginator = q.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let items = paginator
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(User::try_from)
        .collect::<DomainResult<Vec<_>>>()?;
    Ok(Page {
        items,
        page,
        per_page,
        total,
    })
}
