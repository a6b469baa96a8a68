//! The first administrator, created at start-up when there is none.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use super::manage::{insert_user, NewUser};
use super::users::Role;
use crate::audit::{Actor, EventType};
use crate::entities::user;
use crate::platform::clock::Timestamp;
use crate::platform::password::PasswordHasher;
use crate::platform::secret::SecretString;
use crate::DomainResult;

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
        _ => (
            SecretString::new(crate::platform::secret::random_password()),
            true,
        ),
    };
    let new = NewUser {
        username: username.to_owned(),
        email: email.to_owned(),
        display_name: "Administrator".to_owned(),
        password: password.clone(),
        role: Role::Admin,
    };
    let u = insert_user(
        db,
        hasher,
        new,
        Actor::System,
        EventType::UserCreated,
        None,
        None,
        now,
    )
    .await?;
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
