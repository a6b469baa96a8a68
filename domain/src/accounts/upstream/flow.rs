//! A sign-in sent to an upstream provider, from the button to the way back.
//!
//! `begin` makes a random `state` and a random binding value for a cookie of this
//! browser; the row keeps only their SHA-256 (m0041). `finish` takes the row back
//! once — by the `state` the provider returned and the cookie, compared in
//! constant time — and redeems the code with the verifier both derive.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::oidc::{Person, RequestSecrets};
use super::{ProviderConfig, Refusal, UpstreamError, Upstreams};
use crate::entities::upstream_login;
use crate::platform::clock::Timestamp;
use crate::platform::secret::{ct_eq, random_token, token_hash};

/// How long a person has at the provider (typing a password, a second factor).
pub const TTL_SECS: i64 = 600;

/// What the sign-in is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    SignIn,
    /// The signed-in person `user_id` links the provider to their account.
    Link {
        user_id: String,
    },
}

/// A sign-in on its way to the provider.
pub struct Begun {
    /// Where to send the browser.
    pub url: String,
    /// The value of the binding cookie (this browser's; never stored here).
    pub binding: String,
}

/// Starts a sign-in at `provider`: the row, and the authorization request.
#[allow(clippy::too_many_arguments)]
pub async fn begin<C: ConnectionTrait>(
    conn: &C,
    upstreams: &Upstreams,
    provider: &ProviderConfig,
    purpose: Purpose,
    return_to: &str,
    redirect_uri: &str,
    login_hint: Option<&str>,
    now: Timestamp,
) -> Result<Begun, UpstreamError> {
    let state = random_token();
    let binding = random_token();
    let secrets = RequestSecrets::derive(&binding, &state);
    let url = upstreams
        .oidc
        .authorization_url(provider, redirect_uri, &secrets, login_hint, now)
        .await?;
    // Sign-ins abandoned at the provider: gone once expired.
    upstream_login::Entity::delete_many()
        .filter(upstream_login::Column::ExpiresAt.lte(now))
        .exec(conn)
        .await?;
    upstream_login::Entity::insert(upstream_login::ActiveModel {
        state_hash: Set(token_hash(&state)),
        binding_hash: Set(token_hash(&binding)),
        provider: Set(provider.id.clone()),
        user_id: Set(match purpose {
            Purpose::SignIn => None,
            Purpose::Link { user_id } => Some(user_id),
        }),
        return_to: Set(return_to.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + TTL_SECS),
    })
    .exec(conn)
    .await?;
    Ok(Begun { url, binding })
}

/// A sign-in back from its provider, checked.
#[derive(Debug)]
pub struct Returned {
    pub provider: String,
    pub purpose: Purpose,
    pub return_to: String,
    pub person: Person,
}

/// What the provider sent back to the redirect URI.
#[derive(Debug, Default)]
pub struct Response<'a> {
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
    pub iss: Option<&'a str>,
}

/// The row of the sign-in this browser started, taken (at most once); then the
/// provider's answer — an error, or a code redeemed and checked.
pub async fn finish(
    conn: &sea_orm::DatabaseConnection,
    upstreams: &Upstreams,
    response: Response<'_>,
    binding: Option<&str>,
    redirect_uri: &str,
    ip: Option<String>,
    now: Timestamp,
) -> Result<Returned, UpstreamError> {
    let (Some(state), Some(binding)) = (response.state, binding) else {
        return Err(Refusal::Expired.into());
    };
    let Some(row) = upstream_login::Entity::find_by_id(token_hash(state))
        .one(conn)
        .await?
    else {
        return Err(Refusal::Expired.into());
    };
    // Another browser's sign-in (a login CSRF): not this one's to finish.
    if !ct_eq(&row.binding_hash, &token_hash(binding)) {
        return Err(Refusal::Expired.into());
    }
    let taken = upstream_login::Entity::delete_many()
        .filter(upstream_login::Column::StateHash.eq(row.state_hash.clone()))
        .exec(conn)
        .await?
        .rows_affected
        == 1;
    if !taken || row.expires_at <= now {
        return Err(Refusal::Expired.into());
    }
    let Some(provider) = upstreams.get(conn, &row.provider).await? else {
        // Removed by an administrator while the person was at the provider.
        return Err(Refusal::Expired.into());
    };
    match answer(
        upstreams,
        &provider,
        &response,
        binding,
        state,
        redirect_uri,
        now,
    )
    .await
    {
        Err(UpstreamError::Refused(r)) => {
            super::record_refusal(conn, &provider.id, &r, ip, now).await?;
            Err(r.into())
        }
        Err(e) => Err(e),
        Ok(person) => Ok(Returned {
            provider: provider.id.clone(),
            purpose: match row.user_id {
                None => Purpose::SignIn,
                Some(user_id) => Purpose::Link { user_id },
            },
            return_to: row.return_to,
            person,
        }),
    }
}

/// The provider's answer: its error, or the person its code stands for.
#[allow(clippy::too_many_arguments)]
async fn answer(
    upstreams: &Upstreams,
    provider: &ProviderConfig,
    response: &Response<'_>,
    binding: &str,
    state: &str,
    redirect_uri: &str,
    now: Timestamp,
) -> Result<Person, UpstreamError> {
    if let Some(e) = response.error {
        tracing::info!(provider = %provider.id, error = %e, "upstream provider answered with an error");
        return Err(if e == "access_denied" {
            Refusal::Cancelled
        } else {
            Refusal::Failed
        }
        .into());
    }
    let code = response.code.ok_or(Refusal::Failed)?;
    let secrets = RequestSecrets::derive(binding, state);
    let keys = upstreams.signing_keys();
    upstreams
        .oidc
        .redeem(
            provider,
            redirect_uri,
            &secrets,
            code,
            response.iss,
            keys.as_deref(),
            now,
        )
        .await
}
