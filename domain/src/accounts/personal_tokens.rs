//! Personal access tokens (issue 15; seed 002's "scoped, short-lived session
//! token"): a person makes a bearer token for the REST API — for a script, a CI
//! job, an agent of their own — names it, chooses what it may do and when it
//! expires, sees it once, and can list (with last use) and revoke it.
//!
//! - **Stored as SHA-256 only**: the token is 256 random bits after the `pcp_`
//!   prefix (so a scanner can recognise a leaked one), looked up by its hash.
//! - **What it may do**: `portal` (everything the person may do over REST) or
//!   `portal:read` (only reading: `GET` and `HEAD`).
//! - **Its life**: at most the administrators' cap (`personal_token_max_days`, on
//!   /admin/settings), which also bounds tokens made before it was lowered.
//! - **It is the person**: it stops with their account (disabled, deleted), and
//!   acts with their role as it is now, never as it was.
//! - A token cannot make tokens: they are made and revoked in a signed-in browser
//!   only (a leaked read-only token must not mint a full one).

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use serde_json::json;

use crate::accounts::users::{Principal, User};
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::personal_token as pt;
use crate::platform::clock::Timestamp;
use crate::platform::secret::{random_token, token_hash, SecretString};
use crate::{DomainError, DomainResult};

/// What every personal access token starts with.
pub const PREFIX: &str = "pcp_";
/// The two scopes a token may carry.
pub const FULL: &str = "portal";
pub const READ_ONLY: &str = "portal:read";
/// The advisory lock space that serialises one person's token creations
/// (`platform::db::lock_key`).
const TOKENS_LOCK: i32 = 0x5041_5453;
/// How often a token's last use is written at most (a busy script would
/// otherwise write on every call).
const LAST_USE_EVERY: i64 = 60;

/// A token as its owner sees it (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonalToken {
    pub id: String,
    pub name: String,
    /// [`FULL`] or [`READ_ONLY`].
    pub scope: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

impl From<pt::Model> for PersonalToken {
    fn from(m: pt::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            scope: m.scope,
            created_at: m.created_at,
            expires_at: m.expires_at,
            last_used_at: m.last_used_at,
        }
    }
}

impl PersonalToken {
    pub fn read_only(&self) -> bool {
        self.scope == READ_ONLY
    }

    /// When it stops working: its own expiry, or sooner under a cap of
    /// `max_days` lowered since it was made.
    pub fn ends(&self, max_days: i64) -> Timestamp {
        ends(self.created_at, self.expires_at, max_days)
    }
}

fn ends(created_at: Timestamp, expires_at: Timestamp, max_days: i64) -> Timestamp {
    std::cmp::min(expires_at, created_at + max_days * 86_400)
}

/// `user` makes a token named `name` carrying `scope`, living `days` days (at
/// most `max_days`). Returns it with the token, which is shown once.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    db: &DatabaseConnection,
    user: &User,
    name: &str,
    scope: &str,
    days: i64,
    max_days: i64,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<(PersonalToken, SecretString)> {
    let name = crate::platform::text::line("name", name, limits::PERSONAL_TOKEN_NAME)?;
    if name.is_empty() {
        return Err(DomainError::invalid(
            "name",
            "name the token after what will use it",
        ));
    }
    if scope != FULL && scope != READ_ONLY {
        return Err(DomainError::invalid(
            "scope",
            "choose full access or read only",
        ));
    }
    if !(1..=max_days).contains(&days) {
        return Err(DomainError::invalid(
            "days",
            format!("must be between 1 and {max_days} (the administrators' limit)"),
        ));
    }
    let token = SecretString::new(format!("{PREFIX}{}", random_token()));
    let txn = crate::platform::db::write_txn(db).await?;
    // Count and insert as one step: on PostgreSQL two creations at once would
    // both count 49 and both insert.
    crate::platform::db::lock_key(&txn, TOKENS_LOCK, &user.id).await?;
    let held = pt::Entity::find()
        .filter(pt::Column::UserId.eq(&user.id))
        .count(&txn)
        .await?;
    if held >= limits::PERSONAL_TOKENS as u64 {
        return Err(DomainError::invalid(
            "name",
            format!(
                "you hold {} tokens, the most one person may: revoke one you no longer use",
                limits::PERSONAL_TOKENS
            ),
        ));
    }
    let m = pt::Model {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user.id.clone(),
        token_hash: token_hash(token.expose()),
        name: name.clone(),
        scope: scope.to_owned(),
        created_at: now,
        expires_at: now + days * 86_400,
        last_used_at: None,
    };
    pt::Entity::insert(pt::ActiveModel::from(m.clone()))
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(
            EventType::PersonalTokenCreated,
            Actor::User(user.id.clone()),
        )
        .target("personal_token", &m.id)
        .ip(ip)
        .data(json!({ "name": name, "scope": scope, "expires_at": m.expires_at })),
    )
    .await?;
    txn.commit().await?;
    Ok((m.into(), token))
}

/// Expired tokens stay listed (marked expired) this long, so a person whose
/// script stopped working sees why; then the clean-up job deletes them.
pub const KEEP_EXPIRED_SECS: i64 = 30 * 86_400;

/// Deletes tokens that expired more than [`KEEP_EXPIRED_SECS`] ago (the clean-up
/// job). A token past a lowered cap but not its own date is kept: raising the cap
/// again would bring it back.
pub async fn purge_expired<C: ConnectionTrait>(conn: &C, now: Timestamp) -> DomainResult<u64> {
    Ok(pt::Entity::delete_many()
        .filter(pt::Column::ExpiresAt.lt(now - KEEP_EXPIRED_SECS))
        .exec(conn)
        .await?
        .rows_affected)
}

/// `user_id`'s tokens, newest first (expired ones too, marked by their date,
/// until the clean-up job deletes them: [`KEEP_EXPIRED_SECS`]).
pub async fn list<C: ConnectionTrait>(conn: &C, user_id: &str) -> DomainResult<Vec<PersonalToken>> {
    Ok(pt::Entity::find()
        .filter(pt::Column::UserId.eq(user_id))
        .order_by_desc(pt::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(PersonalToken::from)
        .collect())
}

/// The person revokes one of their tokens: it stops at once, on every node (it
/// is looked up in the database on every use). Anyone else's is NotFound.
pub async fn revoke(
    db: &DatabaseConnection,
    user_id: &str,
    id: &str,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<()> {
    remove(db, Actor::User(user_id.to_owned()), user_id, id, ip, now).await
}

/// An administrator revokes one of `user_id`'s tokens (seen on their
/// authorizations page), as the person would; the event names the administrator.
pub async fn revoke_as_admin(
    db: &DatabaseConnection,
    admin: &crate::accounts::AdminCtx,
    user_id: &str,
    id: &str,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<()> {
    remove(db, admin.actor.clone(), user_id, id, ip, now).await
}

async fn remove(
    db: &DatabaseConnection,
    actor: Actor,
    user_id: &str,
    id: &str,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<()> {
    if !crate::platform::text::could_exist(id) {
        return Err(DomainError::NotFound);
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let m = pt::Entity::find_by_id(id.to_owned())
        .one(&txn)
        .await?
        .filter(|m| m.user_id == user_id)
        .ok_or(DomainError::NotFound)?;
    pt::Entity::delete_by_id(m.id.clone()).exec(&txn).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::PersonalTokenRevoked, actor)
            .target("personal_token", &m.id)
            .ip(ip)
            .data(json!({ "name": m.name, "scope": m.scope, "user": m.user_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The person a presented personal access token stands for, with the token, or
/// None (not one of ours, unknown, expired, past the administrators' cap, or its
/// account disabled). Notes the use at most once a minute.
pub async fn authenticate(
    db: &DatabaseConnection,
    presented: &str,
    max_days: i64,
    now: Timestamp,
) -> DomainResult<Option<(Principal, PersonalToken)>> {
    let Some(rest) = presented.strip_prefix(PREFIX) else {
        return Ok(None);
    };
    // Ours are 43 characters after the prefix: anything else is not one.
    if rest.len() != 43
        || !rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    let Some(m) = pt::Entity::find()
        .filter(pt::Column::TokenHash.eq(token_hash(presented)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // Lowering the cap shortens the tokens already made too.
    if now >= ends(m.created_at, m.expires_at, max_days) {
        return Ok(None);
    }
    let Some(user) = crate::accounts::users::find_by_id(db, &m.user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    if m.last_used_at.is_none_or(|t| now - t >= LAST_USE_EVERY) {
        pt::Entity::update_many()
            .col_expr(pt::Column::LastUsedAt, Expr::value(now))
            .filter(pt::Column::Id.eq(&m.id))
            .filter(
                pt::Column::LastUsedAt
                    .is_null()
                    .or(pt::Column::LastUsedAt.lt(now - LAST_USE_EVERY)),
            )
            .exec(db)
            .await?;
    }
    Ok(Some((Principal::proven(user), m.into())))
}

/// Whether `presented` looks like a personal access token (and so is not an
/// OAuth access token).
pub fn is_personal(presented: &str) -> bool {
    presented.starts_with(PREFIX)
}
