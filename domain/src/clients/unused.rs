//! Expiring self-registered clients nobody uses (issue 16, item 1): most clients
//! of an open registration endpoint are registered once and never used again. A
//! dynamically registered client that no developer claimed, and that has not
//! been used for the configured time — no person's grant used, no secret
//! presented, since then (or since it registered, if never) — is deleted by the
//! maintenance task, audited as `client.deleted` with the reason. A claimed client
//! belongs to a developer and follows the portal's expiry instead.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use super::authenticate::SecretCache;
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::{
    client, client_secret, client_secret_use, dynamic_registration as dr, grant,
};
use crate::platform::clock::Timestamp;
use crate::DomainResult;

/// Registrations read a page at a time.
const BATCH: u64 = 500;

/// When `client_id` was last used: its grants' and its secrets' last use.
async fn last_used<C: ConnectionTrait>(conn: &C, client_id: &str) -> DomainResult<Option<i64>> {
    let by_grant: Option<Option<i64>> = grant::Entity::find()
        .select_only()
        .column_as(grant::Column::LastUsedAt.max(), "m")
        .filter(grant::Column::ClientId.eq(client_id))
        .into_tuple()
        .one(conn)
        .await?;
    let secrets: Vec<String> = client_secret::Entity::find()
        .select_only()
        .column(client_secret::Column::Id)
        .filter(client_secret::Column::ClientId.eq(client_id))
        .into_tuple()
        .all(conn)
        .await?;
    let by_secret: Option<Option<i64>> = if secrets.is_empty() {
        None
    } else {
        client_secret_use::Entity::find()
            .select_only()
            .column_as(client_secret_use::Column::LastUsedAt.max(), "m")
            .filter(client_secret_use::Column::SecretId.is_in(secrets))
            .into_tuple()
            .one(conn)
            .await?
    };
    Ok([by_grant.flatten(), by_secret.flatten()]
        .into_iter()
        .flatten()
        .max())
}

/// Deletes the unclaimed dynamically registered clients unused for `after_secs`
/// (registered that long ago, and not used since). Returns their ids.
pub async fn expire_unused(
    db: &DatabaseConnection,
    cache: &SecretCache,
    after_secs: i64,
    now: Timestamp,
) -> DomainResult<Vec<String>> {
    let cutoff = now - after_secs;
    let mut expired = Vec::new();
    // Every old registration is looked at, a page at a time (by client id): the
    // ones in use stay, and must not hide the ones after them.
    let mut after = String::new();
    loop {
        let page = dr::Entity::find()
            .filter(dr::Column::CreatedAt.lt(cutoff))
            .filter(dr::Column::ClientId.gt(after.clone()))
            .order_by_asc(dr::Column::ClientId)
            .limit(BATCH)
            .all(db)
            .await?;
        let Some(last_row) = page.last() else {
            break;
        };
        after = last_row.client_id.clone();
        for row in page {
            // Read first (most old clients are in use or claimed); a write
            // transaction only for one that looks unused, checked again inside.
            match super::store::find(db, &row.client_id).await? {
                Some(c) if !in_use(&c, last_used(db, &c.id).await?, cutoff) => {}
                _ => continue,
            }
            if let Some(id) = expire_one(db, cache, &row, after_secs, cutoff, now).await? {
                expired.push(id);
            }
        }
    }
    Ok(expired)
}

/// Deletes one client if it is still unclaimed and unused, with its audit event.
async fn expire_one(
    db: &DatabaseConnection,
    cache: &SecretCache,
    row: &dr::Model,
    after_secs: i64,
    cutoff: Timestamp,
    now: Timestamp,
) -> DomainResult<Option<String>> {
    let txn = crate::platform::db::write_txn(db).await?;
    let Some(c) = super::store::find_for_update(&txn, &row.client_id).await? else {
        return Ok(None);
    };
    let last = last_used(&txn, &c.id).await?;
    if in_use(&c, last, cutoff) {
        return Ok(None);
    }
    client::Entity::delete_by_id(c.id.clone())
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::ClientDeleted, Actor::System)
            .target("client", &c.id)
            .data(json!({
                "reason": "unused",
                "unused_days": after_secs / 86_400,
                "registered_at": row.created_at,
                "last_used_at": last,
            })),
    )
    .await?;
    txn.commit().await?;
    cache.invalidate_client(&c.id);
    Ok(Some(c.id))
}

/// Claimed (a developer's), or used since `cutoff`.
fn in_use(c: &super::model::Client, last: Option<i64>, cutoff: Timestamp) -> bool {
    c.owner_id.is_some() || last.is_some_and(|t| t >= cutoff)
}
