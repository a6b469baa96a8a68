//! Consents: a user allowed a client some scopes. Reused on the next visit unless
//! more scopes are asked for or the client forces the consent screen.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::clock::Timestamp;
use crate::entities::grant;
use crate::DomainResult;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    pub scopes: Vec<String>,
}

pub fn split_scopes(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .split(' ')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect();
    v.sort();
    v.dedup();
    v
}

fn from_model(m: grant::Model) -> Grant {
    Grant {
        scopes: split_scopes(&m.scopes),
        id: m.id,
        user_id: m.user_id,
        client_id: m.client_id,
    }
}

pub async fn find<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    client_id: &str,
) -> DomainResult<Option<Grant>> {
    Ok(grant::Entity::find()
        .filter(grant::Column::UserId.eq(user_id))
        .filter(grant::Column::ClientId.eq(client_id))
        .one(conn)
        .await?
        .map(from_model))
}

pub async fn find_by_id<C: ConnectionTrait>(conn: &C, id: &str) -> DomainResult<Option<Grant>> {
    Ok(grant::Entity::find_by_id(id.to_owned())
        .one(conn)
        .await?
        .map(from_model))
}

/// Records that `user_id` allowed `scopes` to `client_id` (added to what they had
/// allowed before), in the caller's transaction.
pub async fn allow<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    client_id: &str,
    scopes: &[String],
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<Grant> {
    match grant::Entity::find()
        .filter(grant::Column::UserId.eq(user_id))
        .filter(grant::Column::ClientId.eq(client_id))
        .one(conn)
        .await?
    {
        Some(existing) => {
            let before = split_scopes(&existing.scopes);
            let mut after = before.clone();
            after.extend(scopes.iter().cloned());
            after.sort();
            after.dedup();
            if after == before {
                return Ok(from_model(existing));
            }
            let mut am: grant::ActiveModel = existing.into();
            am.scopes = Set(after.join(" "));
            am.updated_at = Set(now);
            let m = am.update(conn).await?;
            audit::record(
                conn,
                now,
                AuditEvent::new(EventType::GrantChanged, Actor::User(user_id.to_owned()))
                    .target("client", client_id)
                    .ip(ip)
                    .data(json!({ "before": { "scopes": before }, "after": { "scopes": after } })),
            )
            .await?;
            Ok(from_model(m))
        }
        None => {
            let mut s = scopes.to_vec();
            s.sort();
            s.dedup();
            let m = grant::ActiveModel {
                id: Set(uuid::Uuid::now_v7().to_string()),
                user_id: Set(user_id.to_owned()),
                client_id: Set(client_id.to_owned()),
                scopes: Set(s.join(" ")),
                created_at: Set(now),
                updated_at: Set(now),
                last_used_at: Set(None),
            }
            .insert(conn)
            .await?;
            audit::record(
                conn,
                now,
                AuditEvent::new(EventType::GrantCreated, Actor::User(user_id.to_owned()))
                    .target("client", client_id)
                    .ip(ip)
                    .data(json!({ "after": { "scopes": s } })),
            )
            .await?;
            Ok(from_model(m))
        }
    }
}

pub async fn touch<C: ConnectionTrait>(
    conn: &C,
    grant_id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    grant::Entity::update_many()
        .col_expr(
            grant::Column::LastUsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(grant::Column::Id.eq(grant_id))
        .exec(conn)
        .await?;
    Ok(())
}
