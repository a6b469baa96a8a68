//! Initial access tokens (RFC 7591 §3): what a registrant presents at
//! `/oauth/register` when the registration mode is `token`. Minted by
//! administrators, shown once, stored as SHA-256 (256 random bits: a plain hash
//! suffices), with an expiry and a use count. A use is claimed by one conditional
//! UPDATE inside the registration's transaction, so the last use cannot be spent
//! twice, and a registration that fails returns its use.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use serde_json::json;

use crate::accounts::users::AdminCtx;
use crate::audit::{self, AuditEvent, EventType};
use crate::entities::initial_access_token as iat;
use crate::platform::clock::Timestamp;
use crate::platform::secret::{random_token, token_hash, SecretString};
use crate::{DomainError, DomainResult};

/// At most this many registrations per token.
pub const MAX_USES: i64 = 10_000;
/// At most a year.
pub const MAX_LIFETIME_SECS: i64 = 365 * 86_400;

/// What administrators see of a token (never the token itself).
#[derive(Clone, Debug, Serialize)]
pub struct InitialToken {
    pub id: String,
    pub label: String,
    pub max_uses: i64,
    pub uses: i64,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl From<iat::Model> for InitialToken {
    fn from(m: iat::Model) -> Self {
        Self {
            id: m.id,
            label: m.label,
            max_uses: m.max_uses,
            uses: m.uses,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
            created_at: m.created_at,
        }
    }
}

/// Mints a token: returned once, with its row.
pub async fn mint(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    label: &str,
    max_uses: i64,
    lifetime_secs: i64,
    now: Timestamp,
) -> DomainResult<(InitialToken, SecretString)> {
    let label = crate::platform::text::line("label", label, limits::INITIAL_TOKEN_LABEL)?;
    let label = label.as_str();
    if label.is_empty() {
        return Err(DomainError::invalid("label", "name the token's purpose"));
    }
    if !(1..=MAX_USES).contains(&max_uses) {
        return Err(DomainError::invalid(
            "max_uses",
            format!("must be between 1 and {MAX_USES}"),
        ));
    }
    if !(60..=MAX_LIFETIME_SECS).contains(&lifetime_secs) {
        return Err(DomainError::invalid(
            "lifetime",
            "must be between one minute and one year",
        ));
    }
    let token = SecretString::new(random_token());
    let id = uuid::Uuid::now_v7().to_string();
    let txn = crate::platform::db::write_txn(db).await?;
    let row = iat::ActiveModel {
        id: Set(id.clone()),
        token_hash: Set(token_hash(token.expose())),
        label: Set(label.to_owned()),
        max_uses: Set(max_uses),
        uses: Set(0),
        expires_at: Set(now + lifetime_secs),
        revoked_at: Set(None),
        created_by: Set(ctx.actor().parts().1),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::InitialAccessTokenMinted, ctx.actor().clone())
            .target("initial_access_token", &id)
            .data(
                json!({ "label": label, "max_uses": max_uses, "expires_at": now + lifetime_secs }),
            ),
    )
    .await?;
    txn.commit().await?;
    Ok((row.into(), token))
}

/// Every token, newest first.
pub async fn list(db: &DatabaseConnection, _ctx: &AdminCtx) -> DomainResult<Vec<InitialToken>> {
    Ok(iat::Entity::find()
        .order_by_desc(iat::Column::CreatedAt)
        .order_by_desc(iat::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Revokes a token at once: registrations that already used it stay.
pub async fn revoke(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::platform::db::write_txn(db).await?;
    let res = iat::Entity::update_many()
        .col_expr(iat::Column::RevokedAt, Expr::value(now))
        .filter(iat::Column::Id.eq(id))
        .filter(iat::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(DomainError::NotFound);
    }
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::InitialAccessTokenRevoked, ctx.actor().clone())
            .target("initial_access_token", id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Claims one use of the token through the caller's (write) transaction: one
/// conditional UPDATE, so concurrent registrations cannot overspend it. The
/// token's id, or `None` when it is unknown, revoked, expired or used up (one
/// answer for all four: the caller learns nothing more).
pub(crate) async fn claim<C: ConnectionTrait>(
    txn: &C,
    token: &str,
    now: Timestamp,
) -> DomainResult<Option<String>> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let hash = token_hash(token);
    let res = iat::Entity::update_many()
        .col_expr(iat::Column::Uses, Expr::col(iat::Column::Uses).add(1))
        .filter(iat::Column::TokenHash.eq(hash.clone()))
        .filter(iat::Column::RevokedAt.is_null())
        .filter(iat::Column::ExpiresAt.gt(now))
        .filter(Expr::col(iat::Column::Uses).lt(Expr::col(iat::Column::MaxUses)))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Ok(None);
    }
    Ok(iat::Entity::find()
        .filter(iat::Column::TokenHash.eq(hash))
        .one(txn)
        .await?
        .map(|m| m.id))
}
