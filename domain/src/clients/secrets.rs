//! Client secrets: rotation, with the previous secret kept for an overlap; the live
//! secrets with their last use; revoking one early.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::store::find;
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::{client_secret, client_secret_use};
use crate::platform::clock::Timestamp;
use crate::platform::password::PasswordHasher;
use crate::platform::secret::{random_token, SecretString};
use crate::{DomainError, DomainResult};

/// How long the previous secret keeps working after a rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overlap {
    None,
    OneHour,
    OneDay,
    SevenDays,
}

impl Overlap {
    pub const ALL: [Overlap; 4] = [
        Overlap::None,
        Overlap::OneHour,
        Overlap::OneDay,
        Overlap::SevenDays,
    ];
    pub fn secs(self) -> i64 {
        match self {
            Overlap::None => 0,
            Overlap::OneHour => 3600,
            Overlap::OneDay => 24 * 3600,
            Overlap::SevenDays => 7 * 24 * 3600,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Overlap::None => "none",
            Overlap::OneHour => "1h",
            Overlap::OneDay => "24h",
            Overlap::SevenDays => "7d",
        }
    }
    pub fn parse(s: &str) -> DomainResult<Self> {
        Self::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| DomainError::invalid("overlap", "must be none, 1h, 24h or 7d"))
    }
}

/// Issues a new secret for a confidential client. Every secret that is still live
/// keeps working until `now + overlap` (or its own earlier end), then stops.
#[allow(clippy::too_many_arguments)]
pub async fn rotate_secret(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    actor: Actor,
    ip: Option<String>,
    id: &str,
    overlap: Overlap,
    now: Timestamp,
    // Adds how the caller acted to the event's data (`portal::Who::extra`).
    extra: impl FnOnce(serde_json::Value) -> serde_json::Value,
) -> DomainResult<SecretString> {
    let c = find(db, id).await?.ok_or(DomainError::NotFound)?;
    if c.is_public() {
        return Err(DomainError::invalid(
            "client",
            "public clients have no secret to rotate",
        ));
    }
    if !c.metadata.has_secret() {
        return Err(DomainError::invalid(
            "client",
            "this client authenticates with its keys (private_key_jwt) and has no secret: change the keys at its jwks_uri",
        ));
    }
    let secret = SecretString::new(random_token());
    let hash = hasher.hash(&secret).await?;
    let txn = crate::platform::db::write_txn(db).await?;
    let until = now + overlap.secs();
    let old = client_secret::Entity::find()
        .filter(client_secret::Column::ClientId.eq(id))
        .all(&txn)
        .await?;
    let mut kept = 0;
    for row in old {
        if row.expires_at.is_some_and(|e| e <= now) {
            continue;
        }
        let end = row.expires_at.map_or(until, |e| e.min(until));
        let mut am: client_secret::ActiveModel = row.into();
        am.expires_at = Set(Some(end));
        am.update(&txn).await?;
        kept += 1;
    }
    client_secret::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        client_id: Set(id.to_owned()),
        secret_hash: Set(hash),
        created_at: Set(now),
        expires_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::ClientSecretRotated, actor)
            .target("client", id)
            .ip(ip)
            .data(extra(json!({ "overlap": overlap.as_str(), "previous_secrets_until": (kept > 0).then_some(until) }))),
    )
    .await?;
    txn.commit().await?;
    Ok(secret)
}

/// Ends every working secret of the client now, in the caller's transaction: a
/// client switched to `private_key_jwt` authenticates with its keys only, so a
/// secret it had must not keep working beside them (RFC 7591 §2: one
/// `token_endpoint_auth_method` per client). Returns how many were ended.
pub(crate) async fn end_all<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
    now: Timestamp,
) -> DomainResult<u64> {
    use sea_orm::sea_query::{Condition, Expr};
    let r = client_secret::Entity::update_many()
        .col_expr(client_secret::Column::ExpiresAt, Expr::value(Some(now)))
        .filter(client_secret::Column::ClientId.eq(client_id))
        .filter(
            Condition::any()
                .add(client_secret::Column::ExpiresAt.is_null())
                .add(client_secret::Column::ExpiresAt.gt(now)),
        )
        .exec(conn)
        .await?;
    Ok(r.rows_affected)
}

/// A secret that still works, as its owner sees it (never the secret or its hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretInfo {
    pub id: String,
    pub created_at: Timestamp,
    /// When it stops working (after a rotation), or `None`: until rotated.
    pub expires_at: Option<Timestamp>,
    /// The newest use this server knows of (written about once a minute).
    pub last_used_at: Option<Timestamp>,
}

/// The client's secrets that still work, newest first, with their last use
/// (including uses this process noted and has not written yet).
pub async fn live_secrets<C: ConnectionTrait>(
    conn: &C,
    uses: &super::secret_use::SecretUses,
    client_id: &str,
    now: Timestamp,
) -> DomainResult<Vec<SecretInfo>> {
    let rows = client_secret::Entity::find()
        .filter(client_secret::Column::ClientId.eq(client_id))
        .order_by_desc(client_secret::Column::CreatedAt)
        // Ids are UUIDv7: within one second, the later one sorts last.
        .order_by_desc(client_secret::Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let written: std::collections::HashMap<String, Timestamp> = client_secret_use::Entity::find()
        .filter(client_secret_use::Column::SecretId.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.secret_id, u.last_used_at))
        .collect();
    Ok(rows
        .into_iter()
        .filter(|r| r.expires_at.is_none_or(|e| e > now))
        .map(|r| {
            let last = written.get(&r.id).copied().max(uses.pending(&r.id));
            SecretInfo {
                last_used_at: last,
                id: r.id,
                created_at: r.created_at,
                expires_at: r.expires_at,
            }
        })
        .collect())
}

/// Ends one secret now, e.g. the old one once every deployment has the new one,
/// instead of waiting for the rotation's overlap to end. The client's only working
/// secret cannot be revoked — that would lock the client out; rotating replaces it.
pub async fn revoke_secret(
    db: &DatabaseConnection,
    actor: Actor,
    ip: Option<String>,
    client_id: &str,
    secret_id: &str,
    now: Timestamp,
    // Adds how the caller acted to the event's data (`portal::Who::extra`).
    extra: impl FnOnce(serde_json::Value) -> serde_json::Value,
) -> DomainResult<()> {
    let txn = crate::platform::db::write_txn(db).await?;
    let live: Vec<client_secret::Model> = client_secret::Entity::find()
        .filter(client_secret::Column::ClientId.eq(client_id))
        .all(&txn)
        .await?
        .into_iter()
        .filter(|r| r.expires_at.is_none_or(|e| e > now))
        .collect();
    let Some(row) = live.iter().find(|r| r.id == secret_id).cloned() else {
        return Err(DomainError::NotFound);
    };
    if live.len() == 1 {
        return Err(DomainError::Conflict(
            "this is the client's only working secret: revoking it would stop the client; rotate the secret instead (the new one is shown once)".into(),
        ));
    }
    let created_at = row.created_at;
    let mut am: client_secret::ActiveModel = row.into();
    am.expires_at = Set(Some(now));
    am.update(&txn).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::ClientSecretRevoked, actor)
            .target("client", client_id)
            .ip(ip)
            .data(extra(
                json!({ "secret_id": secret_id, "secret_created_at": created_at }),
            )),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
