//! Run-time settings that administrators change, stored in the database so every
//! process sees the same value.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use serde_json::json;

use crate::audit::{self, AuditEvent, EventType};
use crate::clock::Timestamp;
use crate::entities::server_setting as ss;
use crate::users::AdminCtx;
use crate::DomainResult;

/// Seed 000: whether applications not marked first-party may use OAuth at all.
pub const THIRD_PARTY_OAUTH: &str = "third_party_oauth_enabled";

pub async fn get_bool<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    default: bool,
) -> DomainResult<bool> {
    Ok(ss::Entity::find_by_id(key.to_owned())
        .one(conn)
        .await?
        .map(|r| r.value == "true")
        .unwrap_or(default))
}

pub async fn third_party_oauth_enabled<C: ConnectionTrait>(conn: &C) -> DomainResult<bool> {
    get_bool(conn, THIRD_PARTY_OAUTH, true).await
}

/// Changes a boolean setting, recording who changed it from what to what.
pub async fn set_bool(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    key: &str,
    value: bool,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::db::write_txn(db).await?;
    let before = ss::Entity::find_by_id(key.to_owned())
        .one(&txn)
        .await?
        .map(|r| r.value);
    ss::Entity::insert(ss::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_string()),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(ss::Column::Key)
            .update_columns([ss::Column::Value, ss::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::SettingsChanged, ctx.actor().clone())
            .target("setting", key)
            .data(json!({ "before": before, "after": value.to_string() })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Scopes every new (non-service) client starts with.
pub const DEFAULT_CLIENT_SCOPES: &str = "default_client_scopes";
/// Days a new registration is valid (0 = no expiry).
pub const DEFAULT_CLIENT_LIFETIME_DAYS: &str = "default_client_lifetime_days";

pub async fn get_string<C: ConnectionTrait>(conn: &C, key: &str) -> DomainResult<Option<String>> {
    Ok(ss::Entity::find_by_id(key.to_owned())
        .one(conn)
        .await?
        .map(|r| r.value))
}

/// The scopes new clients get (seed 001: only `openid` by default).
pub async fn default_client_scopes<C: ConnectionTrait>(conn: &C) -> DomainResult<Vec<String>> {
    Ok(get_string(conn, DEFAULT_CLIENT_SCOPES)
        .await?
        .map(|v| crate::grants::split_scopes(&v))
        .unwrap_or_else(|| vec!["openid".to_owned()]))
}

/// How long a new registration lasts, in days (default 365; 0 = never expires).
pub async fn default_client_lifetime_days<C: ConnectionTrait>(conn: &C) -> DomainResult<i64> {
    Ok(get_string(conn, DEFAULT_CLIENT_LIFETIME_DAYS)
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(365))
}
