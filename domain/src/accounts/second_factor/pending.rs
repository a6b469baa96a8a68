//! A sign-in whose password was right and whose second step is still to come. It
//! is no session: the browser holds a random token (its own cookie, minutes long),
//! the database an `account_tokens` row with the token's SHA-256. Finishing the
//! sign-in deletes the row in the session's transaction, so a pending sign-in
//! makes at most one session.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::accounts::users::User;
use crate::entities::{account_token, user};
use crate::platform::clock::Timestamp;
use crate::platform::secret::{random_token, token_hash};
use crate::DomainResult;

/// What the pending sign-in waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A code from the person's authenticator app (or a recovery code).
    SecondStep,
    /// A first code from an authenticator app being set up, because an
    /// administrator requires a second factor of the person's role.
    SetUp,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::SecondStep => "sign_in_second_factor",
            Purpose::SetUp => "sign_in_set_up_second_factor",
        }
    }
}

/// Time to open the authenticator app and type a code.
pub const TTL_SECS: i64 = 300;
/// Time to install an authenticator app, scan the code and type the first one.
pub const SET_UP_TTL_SECS: i64 = 900;

/// Starts the second step for `user_id`; the token for the cookie.
pub async fn begin<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    purpose: Purpose,
    now: Timestamp,
) -> DomainResult<String> {
    let ttl = match purpose {
        Purpose::SecondStep => TTL_SECS,
        Purpose::SetUp => SET_UP_TTL_SECS,
    };
    let token = random_token();
    account_token::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(user_id.to_owned()),
        purpose: Set(purpose.as_str().to_owned()),
        email: Set(String::new()),
        created_at: Set(now),
        expires_at: Set(now + ttl),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// The person whose sign-in `token` is, while it is pending for `purpose` and
/// their account enabled.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    purpose: Purpose,
    now: Timestamp,
) -> DomainResult<Option<User>> {
    let Some(row) = account_token::Entity::find_by_id(token_hash(token))
        .filter(account_token::Column::Purpose.eq(purpose.as_str()))
        .filter(account_token::Column::ExpiresAt.gt(now))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let Some(u) = user::Entity::find_by_id(row.user_id).one(conn).await? else {
        return Ok(None);
    };
    let u: User = u.try_into()?;
    Ok((!u.disabled).then_some(u))
}

/// Ends the pending sign-in; true for the one caller that ended it.
pub async fn finish<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    purpose: Purpose,
) -> DomainResult<bool> {
    Ok(account_token::Entity::delete_many()
        .filter(account_token::Column::TokenHash.eq(token_hash(token)))
        .filter(account_token::Column::Purpose.eq(purpose.as_str()))
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}
