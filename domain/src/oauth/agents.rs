//! The agents acting for a person: clients that got tokens for them by token
//! exchange (RFC 8693), listed under the app the person allowed (My apps), and
//! stopped one at a time — every live token an agent holds for the person, and by
//! cascade everything derived from those, revoked in one transaction.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::token_lineage as tl;
use crate::oauth::access_tokens::RevocationMirror;
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

/// One agent acting for a person through an app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentUse {
    /// The app the person allowed, at the root of the chain.
    pub origin_client_id: String,
    pub client_id: String,
    pub client_name: String,
    /// When it last got a token for the person.
    pub last_used: Timestamp,
    /// Its tokens for the person that have not expired.
    pub live_tokens: usize,
    /// How many exchanges lie between it and the app (1: straight from the app's
    /// token).
    pub depth: i32,
}

/// Every agent holding a live token for `user_id`, most recently active first.
pub async fn agents_of(
    db: &DatabaseConnection,
    user_id: &str,
    now: Timestamp,
) -> DomainResult<Vec<AgentUse>> {
    let rows = tl::Entity::find()
        .filter(tl::Column::UserId.eq(user_id))
        .filter(tl::Column::ExpiresAt.gt(now))
        .order_by_desc(tl::Column::CreatedAt)
        .all(db)
        .await?;
    let revoked = crate::entities::revoked_token::Entity::find()
        .filter(
            crate::entities::revoked_token::Column::Jti.is_in(rows.iter().map(|r| r.jti.clone())),
        )
        .all(db)
        .await?;
    let mut out: Vec<AgentUse> = Vec::new();
    for r in rows
        .into_iter()
        .filter(|r| !revoked.iter().any(|x| x.jti == r.jti))
    {
        if let Some(a) = out
            .iter_mut()
            .find(|a| a.client_id == r.client_id && a.origin_client_id == r.origin_client_id)
        {
            a.live_tokens += 1;
            a.depth = a.depth.min(r.depth);
            continue;
        }
        let name = crate::clients::store::find(db, &r.client_id)
            .await?
            .map_or_else(|| r.client_id.clone(), |c| c.metadata.name);
        out.push(AgentUse {
            origin_client_id: r.origin_client_id,
            client_id: r.client_id,
            client_name: name,
            last_used: r.created_at,
            live_tokens: 1,
            depth: r.depth,
        });
    }
    Ok(out)
}

/// The person stops an agent: every live token it holds for them is revoked,
/// with everything derived from those (cascade), in one transaction. An agent
/// holding nothing for them is NotFound (as anyone else's would be).
pub async fn revoke_agent(
    db: &DatabaseConnection,
    revocations: &RevocationMirror,
    user_id: &str,
    agent_client_id: &str,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<usize> {
    if !crate::platform::text::could_exist(agent_client_id) {
        return Err(DomainError::NotFound);
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let live = tl::Entity::find()
        .filter(tl::Column::UserId.eq(user_id))
        .filter(tl::Column::ClientId.eq(agent_client_id))
        .filter(tl::Column::ExpiresAt.gt(now))
        .all(&txn)
        .await?;
    if live.is_empty() {
        return Err(DomainError::NotFound);
    }
    for r in &live {
        crate::oauth::access_tokens::revoke(&txn, revocations, &r.jti, r.expires_at).await?;
    }
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::AgentRevoked, Actor::User(user_id.to_owned()))
            .target("client", agent_client_id)
            .ip(ip)
            .data(json!({
                "agent": agent_client_id,
                "through": live.iter().map(|r| r.origin_client_id.as_str()).collect::<std::collections::BTreeSet<_>>(),
                "access_tokens_revoked": live.len(),
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(live.len())
}
