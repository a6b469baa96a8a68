//! Client secrets: rotation, with the previous secret kept for an overlap.

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::store::find;
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::client_secret;
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
pub async fn rotate_secret(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    actor: Actor,
    ip: Option<String>,
    id: &str,
    overlap: Overlap,
    now: Timestamp,
) -> DomainResult<SecretString> {
    let c = find(db, id).await?.ok_or(DomainError::NotFound)?;
    if c.is_public() {
        return Err(DomainError::invalid(
            "client",
            "public clients have no secret to rotate",
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
            .data(json!({ "overlap": overlap.as_str(), "previous_secrets_until": (kept > 0).then_some(until) })),
    )
    .await?;
    txn.commit().await?;
    Ok(secret)
}
