//! A sign-in whose password was right and whose next step is still to come (a
//! second factor, its set-up, or the terms of use). It is no session: the browser holds a random token (its own cookie, minutes long),
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
    /// A code from the person's authenticator app (or a recovery code), or one
    /// of their passkeys.
    SecondStep,
    /// A first code from an authenticator app being set up, because an
    /// administrator requires a second factor of the person's role.
    SetUp,
    /// The person's acceptance of the terms of use in force (a new version since
    /// they last accepted, or none yet).
    Terms,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::SecondStep => "sign_in_second_factor",
            Purpose::SetUp => "sign_in_set_up_second_factor",
            Purpose::Terms => "sign_in_terms",
        }
    }
}

/// Time to open the authenticator app and type a code.
pub const TTL_SECS: i64 = 300;
/// Time to install an authenticator app, scan the code and type the first one.
pub const SET_UP_TTL_SECS: i64 = 900;

/// A pending sign-in found by its token.
#[derive(Debug)]
pub struct Pending {
    pub user: User,
    /// The version of the terms of use the person accepted on the way, recorded
    /// only when the sign-in makes its session.
    pub accepted_terms: Option<String>,
    /// How the first step was made: the session's `amr` names it.
    pub first: FirstStep,
}

/// How a sign-in's first step was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FirstStep {
    #[default]
    Password,
    /// An upstream OpenID provider said who this is (`amr` `fed`).
    Upstream,
    /// A passkey with user verification: two factors already, so only the terms
    /// of use can follow it.
    Passkey,
}

/// What a pending sign-in carries to its next step.
#[derive(Clone, Copy, Debug, Default)]
pub struct Carried<'a> {
    /// The version of the terms of use accepted on the way.
    pub accepted_terms: Option<&'a str>,
    /// How the first step was made.
    pub first: FirstStep,
}

const TERMS_PREFIX: &str = "terms:";
const FEDERATED_PREFIX: &str = "fed;";
const PASSKEY_PREFIX: &str = "swk;";

/// Starts the step `purpose` for `user_id`, carrying the terms accepted on the
/// way (if any) and how the first step was made; the token for the cookie.
pub async fn begin<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    purpose: Purpose,
    carried: Carried<'_>,
    now: Timestamp,
) -> DomainResult<String> {
    let ttl = match purpose {
        Purpose::SecondStep => TTL_SECS,
        // Time to read the terms, too.
        Purpose::SetUp | Purpose::Terms => SET_UP_TTL_SECS,
    };
    let token = random_token();
    account_token::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(user_id.to_owned()),
        purpose: Set(purpose.as_str().to_owned()),
        email: Set(String::new()),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        // `fed;` or `swk;` first (a provider's or a passkey's first step), then
        // `terms:<version>` when accepted.
        detail: Set({
            let fed = match carried.first {
                FirstStep::Password => "",
                FirstStep::Upstream => FEDERATED_PREFIX,
                FirstStep::Passkey => PASSKEY_PREFIX,
            };
            let terms = carried
                .accepted_terms
                .map(|v| format!("{TERMS_PREFIX}{v}"))
                .unwrap_or_default();
            Some(format!("{fed}{terms}")).filter(|d| !d.is_empty())
        }),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// The sign-in `token`, while it is pending for `purpose` and the person's
/// account enabled.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    purpose: Purpose,
    now: Timestamp,
) -> DomainResult<Option<Pending>> {
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
    let user: User = u.try_into()?;
    let detail = row.detail.unwrap_or_default();
    let (first, rest) = if let Some(rest) = detail.strip_prefix(FEDERATED_PREFIX) {
        (FirstStep::Upstream, rest)
    } else if let Some(rest) = detail.strip_prefix(PASSKEY_PREFIX) {
        (FirstStep::Passkey, rest)
    } else {
        (FirstStep::Password, detail.as_str())
    };
    let accepted_terms = rest.strip_prefix(TERMS_PREFIX).map(str::to_owned);
    Ok((!user.disabled).then_some(Pending {
        user,
        accepted_terms,
        first,
    }))
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
