//! Server-side sessions. The browser holds a random token; the database holds its
//! SHA-256, the user, and the idle and absolute expiry.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::accounts::users::Principal;
use crate::entities::{session, user};
use crate::platform::clock::Timestamp;
use crate::platform::secret::{random_token, token_hash};
use crate::DomainResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long ends.
    pub idle_timeout_secs: i64,
    /// A session ends this long after sign-in, however active.
    pub absolute_timeout_secs: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 2 * 3600,
            absolute_timeout_secs: 12 * 3600,
        }
    }
}

/// `last_seen_at` is written at most this often, so browsing is not a write per page.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// A signed-in session as seen by the adapters.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: Principal,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// The public session id (OIDC Front-/Back-Channel Logout `sid`); None only
    /// for sessions created before it existed.
    pub sid: Option<String>,
    /// How the person signed in (stored RFC 8176 values; None: a password).
    pub amr: Option<String>,
}

/// Creates a session and returns the token for the cookie (shown to no one else).
pub async fn create<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    ip: Option<String>,
    user_agent: Option<String>,
    amr: Option<&str>,
    policy: SessionPolicy,
    now: Timestamp,
) -> DomainResult<String> {
    let token = random_token();
    session::ActiveModel {
        id: Set(token_hash(&token)),
        user_id: Set(user_id.to_owned()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + policy.absolute_timeout_secs),
        ip: Set(ip),
        user_agent: Set(user_agent.map(|ua| ua.chars().take(300).collect())),
        // Drawn apart from the token: knowing a `sid` (every app the person signed
        // in to does) gives no way to the session's cookie.
        sid: Set(Some(random_token())),
        amr: Set(amr.map(str::to_owned)),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// The live session for `token`, or None when unknown, expired (idle or absolute) or
/// its account is disabled. Expired sessions are deleted on sight.
pub async fn resolve<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    policy: SessionPolicy,
    now: Timestamp,
) -> DomainResult<Option<Session>> {
    let id = token_hash(token);
    let Some((s, Some(u))) = session::Entity::find_by_id(id.clone())
        .find_also_related(user::Entity)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if now >= s.expires_at || now - s.last_seen_at >= policy.idle_timeout_secs {
        session::Entity::delete_by_id(id).exec(conn).await?;
        return Ok(None);
    }
    if u.disabled {
        return Ok(None);
    }
    if now - s.last_seen_at >= TOUCH_INTERVAL_SECS {
        session::Entity::update_many()
            .col_expr(
                session::Column::LastSeenAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(session::Column::Id.eq(id))
            .exec(conn)
            .await?;
    }
    Ok(Some(Session {
        user: Principal::proven(u.try_into()?),
        created_at: s.created_at,
        expires_at: s.expires_at,
        sid: s.sid,
        amr: s.amr,
    }))
}

// Ending sessions (sign-out, a disabled account, a new password) tells the apps
// they signed in to: `oauth::logout::end_sessions`, never a bare delete here.

/// Deletes expired sessions (a periodic job); returns how many.
pub async fn purge_expired<C: ConnectionTrait>(
    conn: &C,
    policy: SessionPolicy,
    now: Timestamp,
) -> DomainResult<u64> {
    Ok(session::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(session::Column::ExpiresAt.lte(now))
                .add(session::Column::LastSeenAt.lte(now - policy.idle_timeout_secs)),
        )
        .exec(conn)
        .await?
        .rows_affected)
}
