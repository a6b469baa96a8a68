//! Accounts and roles.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::clock::Timestamp;
use crate::entities::user;
use crate::password::PasswordHasher;
use crate::secret::SecretString;
use crate::{sessions, DomainError, DomainResult};

/// What a user may do. Everyone is at least an end user; developers manage their own
/// OAuth clients; administrators manage everything (and can do what developers do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Developer,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Developer, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Developer => "developer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> DomainResult<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "user" | "end-user" | "enduser" => Ok(Role::User),
            "developer" | "dev" => Ok(Role::Developer),
            "admin" | "administrator" => Ok(Role::Admin),
            other => Err(DomainError::invalid(
                "role",
                format!("unknown role '{other}' (expected user, developer or admin)"),
            )),
        }
    }

    pub fn can_develop(self) -> bool {
        self >= Role::Developer
    }
}

/// A login name: 3–64 characters of a–z, 0–9, `.`, `_`, `-`, stored lower-case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> DomainResult<Self> {
        let s = s.trim().to_ascii_lowercase();
        if s.len() < limits::USERNAME_MIN || s.len() > limits::USERNAME {
            return Err(DomainError::invalid(
                "username",
                format!(
                    "must be {} to {} characters long",
                    limits::USERNAME_MIN,
                    limits::USERNAME
                ),
            ));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        {
            return Err(DomainError::invalid(
                "username",
                "may contain only letters, digits, '.', '_' and '-'",
            ));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(DomainError::invalid(
                "username",
                "must start with a letter or digit",
            ));
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, with the domain lower-cased. Deliberately modest validation:
/// one `@`, a non-empty local part, a domain with a dot, no spaces or controls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> DomainResult<Self> {
        let s = s.trim();
        let bad = || DomainError::invalid("email", "is not a valid e-mail address");
        crate::text::check_len("email", s, limits::EMAIL)?;
        crate::text::check_chars("email", s, false)?;
        if s.chars().any(char::is_whitespace) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty() || local.contains('@') || domain.len() < 3 || !domain.contains('.') {
            return Err(bad());
        }
        if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
            return Err(bad());
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

fn parse_display_name(s: &str) -> DomainResult<String> {
    let s = crate::text::line("display_name", s, limits::DISPLAY_NAME)?;
    if s.is_empty() {
        return Err(DomainError::invalid("display_name", "is required"));
    }
    Ok(s)
}

/// An account as the rest of the program sees it: never with its password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    /// Whether the address is known to be the person's. Accounts an administrator
    /// or the operator creates count as verified (they vouch for the address); self
    /// sign-ups do not until e-mail verification exists. A client's e-mail domain
    /// restriction is satisfied only by a verified address (issue 11, M6).
    pub email_verified: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Access tokens issued for this person before this time are no longer
    /// accepted (a password change or a disable ends them).
    pub tokens_valid_after: Option<Timestamp>,
}

impl TryFrom<user::Model> for User {
    type Error = DomainError;
    fn try_from(m: user::Model) -> DomainResult<Self> {
        Ok(User {
            role: Role::parse(&m.role).map_err(|_| {
                DomainError::Internal(format!("user {} has bad role {}", m.id, m.role))
            })?,
            id: m.id,
            username: m.username,
            email: m.email,
            display_name: m.display_name,
            disabled: m.disabled,
            email_verified: m.email_verified,
            created_at: m.created_at,
            updated_at: m.updated_at,
            tokens_valid_after: m.tokens_valid_after,
        })
    }
}

/// Proof that the caller may perform administrator operations. It can only be made
/// from an administrator's account or by an operator at the server's command line.
#[derive(Clone, Debug)]
pub struct AdminCtx {
    actor: Actor,
}

impl AdminCtx {
    pub fn for_user(u: &User) -> Option<Self> {
        (u.role == Role::Admin && !u.disabled).then(|| Self {
            actor: Actor::User(u.id.clone()),
        })
    }
    /// The operator running the `portcullis` CLI on the server machine.
    pub fn operator() -> Self {
        Self {
            actor: Actor::Operator,
        }
    }
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// Input for a new account.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub password: SecretString,
    pub role: Role,
}

struct ValidNewUser {
    username: Username,
    email: Email,
    display_name: String,
}

fn validate_new(n: &NewUser) -> DomainResult<ValidNewUser> {
    let username = Username::parse(&n.username)?;
    let email = Email::parse(&n.email)?;
    let display_name = if n.display_name.trim().is_empty() {
        username.as_str().to_owned()
    } else {
        parse_display_name(&n.display_name)?
    };
    PasswordHasher::validate(&n.password)?;
    Ok(ValidNewUser {
        username,
        email,
        display_name,
    })
}

async fn ensure_unique<C: ConnectionTrait>(
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

fn map_insert_err(e: sea_orm::DbErr) -> DomainError {
    // Two concurrent registrations can both pass `ensure_unique`; the unique index
    // decides, and the loser gets the same message.
    if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = e.sql_err() {
        DomainError::Conflict("that username or e-mail address is already taken".into())
    } else {
        e.into()
    }
}

async fn insert_user(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    new: NewUser,
    actor: Actor,
    event: EventType,
    now: Timestamp,
) -> DomainResult<User> {
    let v = validate_new(&new)?;
    ensure_unique(db, &v.username, &v.email).await?;
    let hash = hasher.hash(&new.password).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let txn = crate::db::write_txn(db).await?;
    let model = user::ActiveModel {
        id: Set(id.clone()),
        username: Set(v.username.as_str().to_owned()),
        email: Set(v.email.as_str().to_owned()),
        display_name: Set(v.display_name),
        password_hash: Set(Some(hash)),
        role: Set(new.role.as_str().to_owned()),
        disabled: Set(false),
        // Only a self sign-up gives an address nobody vouched for.
        email_verified: Set(event != EventType::UserSignedUp),
        created_at: Set(now),
        updated_at: Set(now),
        tokens_valid_after: Set(None),
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
                "after": { "username": model.username, "email": model.email, "role": model.role, "email_verified": model.email_verified }
            })),
    )
    .await?;
    txn.commit().await?;
    model.try_into()
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
        now,
    )
    .await
}

/// Self sign-up (only when enabled by settings; the caller checks that): always an end user.
pub async fn sign_up(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    mut new: NewUser,
    now: Timestamp,
) -> DomainResult<User> {
    new.role = Role::User;
    insert_user(
        db,
        hasher,
        new,
        Actor::Anonymous,
        EventType::UserSignedUp,
        now,
    )
    .await
}

pub async fn find_by_id<C: ConnectionTrait>(conn: &C, id: &str) -> DomainResult<Option<User>> {
    if !crate::text::could_exist(id) {
        return Ok(None);
    }
    user::Entity::find_by_id(id.to_owned())
        .one(conn)
        .await?
        .map(User::try_from)
        .transpose()
}

pub async fn find_by_username<C: ConnectionTrait>(
    conn: &C,
    username: &str,
) -> DomainResult<Option<User>> {
    let Ok(name) = Username::parse(username) else {
        return Ok(None);
    };
    user::Entity::find()
        .filter(user::Column::Username.eq(name.as_str()))
        .one(conn)
        .await?
        .map(User::try_from)
        .transpose()
}

/// Resolves a user by id or username (CLI and admin pages accept either).
async fn resolve<C: ConnectionTrait>(conn: &C, who: &str) -> DomainResult<user::Model> {
    if !crate::text::could_exist(who) {
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

async fn active_admin_count<C: ConnectionTrait>(conn: &C) -> DomainResult<u64> {
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
    let txn = crate::db::write_txn(db).await?;
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

/// Sets a new password and ends every session of the account.
pub async fn set_password(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    ctx: &AdminCtx,
    who: &str,
    password: &SecretString,
    now: Timestamp,
) -> DomainResult<User> {
    PasswordHasher::validate(password)?;
    let hash = hasher.hash(password).await?;
    let txn = crate::db::write_txn(db).await?;
    let current = resolve(&txn, who).await?;
    let mut am: user::ActiveModel = current.into();
    am.password_hash = Set(Some(hash));
    am.updated_at = Set(now);
    // Whatever was obtained with the old password ends with it: sessions, refresh
    // tokens, and access tokens (including the password grant's 9-hour ones, which
    // are not stored anywhere to revoke one by one).
    am.tokens_valid_after = Set(Some(now));
    let updated = am.update(&txn).await?;
    sessions::revoke_all_for_user(&txn, &updated.id).await?;
    crate::authz::revoke_all_for_user(&txn, &updated.id, now).await?;
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
    ctx: &AdminCtx,
    who: &str,
    disabled: bool,
    now: Timestamp,
) -> DomainResult<User> {
    let txn = crate::db::write_txn(db).await?;
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
        sessions::revoke_all_for_user(&txn, &updated.id).await?;
        crate::authz::revoke_all_for_user(&txn, &updated.id, now).await?;
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

/// One page of a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

/// A page request made safe for any input: `per_page` within 1..=`max_per_page`,
/// `page` at least 1 and at most the last page whose offset fits the databases'
/// signed 64-bit OFFSET (a huge `page` used to overflow `(page - 1) * per_page`
/// and panic). A page past the end is simply empty. Returns `(page, per_page)`.
pub fn page_bounds(page: u64, per_page: u64, max_per_page: u64) -> (u64, u64) {
    let per_page = per_page.clamp(1, max_per_page.max(1));
    let last = i64::MAX as u64 / per_page;
    (page.clamp(1, last), per_page)
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
    let search = crate::text::search("search", search)?;
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

/// What start-up did about the first administrator.
#[derive(Debug, PartialEq, Eq)]
pub enum FirstAdmin {
    /// An administrator already existed; nothing changed.
    Existing,
    /// Created `admin` with the password from the environment.
    CreatedWithGivenPassword { username: String },
    /// Created `admin` with this generated password (print it once).
    CreatedWithGeneratedPassword {
        username: String,
        password: SecretString,
    },
}

/// Creates the first administrator when there is none. Idempotent: re-running keeps data.
pub async fn ensure_first_admin(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    username: &str,
    email: &str,
    password: Option<SecretString>,
    now: Timestamp,
) -> DomainResult<FirstAdmin> {
    let any_admin = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .count(db)
        .await?;
    if any_admin > 0 {
        return Ok(FirstAdmin::Existing);
    }
    let (password, generated) = match password {
        Some(p) if !p.is_empty() => (p, false),
        _ => (SecretString::new(crate::secret::random_password()), true),
    };
    let new = NewUser {
        username: username.to_owned(),
        email: email.to_owned(),
        display_name: "Administrator".to_owned(),
        password: password.clone(),
        role: Role::Admin,
    };
    let u = insert_user(db, hasher, new, Actor::System, EventType::UserCreated, now).await?;
    Ok(if generated {
        FirstAdmin::CreatedWithGeneratedPassword {
            username: u.username,
            password,
        }
    } else {
        FirstAdmin::CreatedWithGivenPassword {
            username: u.username,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse("  Alice.B ").unwrap().as_str(), "alice.b");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("has space").is_err());
        assert!(Username::parse("-dash").is_err());
        assert!(Username::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn emails_keep_the_local_part_and_lower_case_the_domain() {
        assert_eq!(
            Email::parse("Ann@Example.EDU").unwrap().as_str(),
            "Ann@example.edu"
        );
        assert_eq!(
            Email::parse("ann@example.edu").unwrap().domain(),
            "example.edu"
        );
        for bad in ["", "no-at", "a@b", "a @b.c", "@b.co", "a@.b.co", "a@b..co"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn roles_parse_and_order() {
        assert_eq!(Role::parse("Administrator").unwrap(), Role::Admin);
        assert!(Role::parse("root").is_err());
        assert!(
            Role::Admin.can_develop() && Role::Developer.can_develop() && !Role::User.can_develop()
        );
    }
}
