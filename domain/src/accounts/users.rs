//! People as the rest of the program sees them: names, e-mail, role, and the
//! administrator capability (`AdminCtx`).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::audit::Actor;
use crate::entities::user;
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

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
pub struct Username(pub(crate) String);

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
        crate::platform::text::check_len("email", s, limits::EMAIL)?;
        crate::platform::text::check_chars("email", s, false)?;
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

pub(crate) fn parse_display_name(s: &str) -> DomainResult<String> {
    let s = crate::platform::text::line("display_name", s, limits::DISPLAY_NAME)?;
    if s.is_empty() {
        return Err(DomainError::invalid("display_name", "is required"));
    }
    Ok(s)
}

/// An optional `given_name` or `family_name` (OIDC Core §5.1): one line, bounded
/// like the display name; empty means none.
pub(crate) fn parse_person_name(field: &'static str, s: &str) -> DomainResult<Option<String>> {
    let s = crate::platform::text::line(field, s, limits::PERSON_NAME)?;
    Ok((!s.is_empty()).then_some(s))
}

/// An account as the rest of the program sees it: never with its password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub email: String,
    pub display_name: String,
    /// `given_name` and `family_name` (OIDC Core §5.1), when the person gave them.
    pub given_name: Option<String>,
    pub family_name: Option<String>,
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
    /// The version of the terms of use the person last accepted (`accounts::terms`).
    pub terms_version: Option<String>,
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
            given_name: m.given_name,
            family_name: m.family_name,
            disabled: m.disabled,
            email_verified: m.email_verified,
            created_at: m.created_at,
            updated_at: m.updated_at,
            tokens_valid_after: m.tokens_valid_after,
            terms_version: m.terms_version,
        })
    }
}

/// A person whose identity this request proved: with a live session
/// (`sessions::resolve`) or a live access token (`oauth::live`). Only the domain
/// mints one, so a `User` value built by hand — whatever its role says — proves
/// nothing: administrator capabilities ([`AdminCtx`]) and the portal's caller
/// (`portal::Who`) are made from a `Principal`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal(User);

impl Principal {
    /// For the domain's authentication paths (and its own tests) only.
    pub(crate) fn proven(user: User) -> Self {
        Self(user)
    }
    pub fn user(&self) -> &User {
        &self.0
    }
    pub fn into_user(self) -> User {
        self.0
    }
}

impl std::ops::Deref for Principal {
    type Target = User;
    fn deref(&self) -> &User {
        &self.0
    }
}

/// Proof that the caller may perform administrator operations. It can only be made
/// from an administrator's proven identity ([`Principal`]) or by an operator at the
/// server's command line.
#[derive(Clone, Debug)]
pub struct AdminCtx {
    pub(crate) actor: Actor,
}

impl AdminCtx {
    pub fn for_principal(p: &Principal) -> Option<Self> {
        let u = p.user();
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
    /// The administrator's account (None for the operator).
    pub fn user_id(&self) -> Option<&str> {
        match &self.actor {
            Actor::User(id) => Some(id),
            _ => None,
        }
    }
}

pub async fn find_by_id<C: ConnectionTrait>(conn: &C, id: &str) -> DomainResult<Option<User>> {
    if !crate::platform::text::could_exist(id) {
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

/// An account made from what another source says of a person (an LDAP
/// directory, an upstream OpenID provider): no password here, the role and
/// the address's verification as the source gives them.
pub(crate) struct Provisioned<'a> {
    pub username: &'a Username,
    pub email: &'a Email,
    pub display_name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub role: Role,
    pub email_verified: bool,
}

impl Provisioned<'_> {
    /// The new row (inserted by the caller, who maps its errors), with a new id.
    pub(crate) fn row(&self, now: Timestamp) -> user::ActiveModel {
        use sea_orm::Set;
        user::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            username: Set(self.username.as_str().to_owned()),
            email: Set(self.email.as_str().to_owned()),
            display_name: Set(self.display_name.clone()),
            given_name: Set(self.given_name.clone()),
            family_name: Set(self.family_name.clone()),
            // The source checks who this is; no password is stored here (one
            // can be set by a reset link once the address is verified).
            password_hash: Set(None),
            role: Set(self.role.as_str().to_owned()),
            disabled: Set(false),
            email_verified: Set(self.email_verified),
            created_at: Set(now),
            updated_at: Set(now),
            tokens_valid_after: Set(None),
            terms_version: Set(None),
            terms_accepted_at: Set(None),
        }
    }

    /// `user.provisioned` for the inserted `model`, the account acting for
    /// itself; `origin` (a JSON object: the source and its key) joins the
    /// account's fields.
    pub(crate) fn event(
        model: &user::Model,
        mut origin: serde_json::Value,
    ) -> crate::audit::AuditEvent {
        use crate::audit::{AuditEvent, EventType};
        if let Some(o) = origin.as_object_mut() {
            o.insert(
                "after".into(),
                serde_json::json!({
                    "username": model.username, "email": model.email, "role": model.role,
                    "email_verified": model.email_verified,
                }),
            );
        }
        AuditEvent::new(EventType::UserProvisioned, Actor::User(model.id.clone()))
            .target("user", &model.id)
            .data(origin)
    }
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
