//! The back-channel logout outbox (OpenID Connect Back-Channel Logout 1.0 §2.5–2.8).
//!
//! Rows are written by `logout::end_sessions` in the transaction that ends the
//! session, so a logout the person saw succeed is delivered even after a crash. A
//! sender (the server's background task: this module knows no HTTP) claims due rows
//! with a lease — a conditional update of `next_attempt_at`, so two processes never
//! send the same row at once — signs a fresh logout token for each attempt (no token
//! is ever stored), and reports success or failure here. Failures are retried with
//! exponential backoff and given up after [`MAX_ATTEMPTS`]; the client's developer
//! sees them ([`recent`]).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use crate::entities::{client, logout_delivery as row};
use crate::oauth::keys::KeySet;
use crate::platform::clock::Timestamp;
use crate::DomainResult;

/// How long a claimed row is reserved for its sender (longer than a send may take).
const LEASE_SECS: i64 = 60;
/// Attempts before a delivery is given up (with a 30 s base: about two hours).
pub const MAX_ATTEMPTS: i64 = 8;
/// Lifetime of a logout token: long enough for one delivery, short against replay
/// (§2.4 leaves it to the OP; the receiving app remembers `jti`s that long).
pub const LOGOUT_TOKEN_SECS: i64 = 120;
/// The event a logout token carries (§2.4).
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A delivery to attempt now: where, and the signed token.
#[derive(Clone)]
pub struct Due {
    pub id: String,
    pub client_id: String,
    pub uri: String,
    pub attempts: i64,
    /// The `logout_token` form parameter (never logged, never stored).
    pub logout_token: String,
}

impl std::fmt::Debug for Due {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Due")
            .field("id", &self.id)
            .field("client_id", &self.client_id)
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

fn backoff(base_secs: i64, attempts: i64) -> i64 {
    (base_secs.max(1) << attempts.clamp(0, 10)).min(3600)
}

/// Claims up to `batch` due deliveries and signs their tokens. A delivery whose
/// client has since dropped its back-channel URI is given up at once.
pub async fn claim_due<C: ConnectionTrait>(
    conn: &C,
    keys: &KeySet,
    subjects: &crate::oauth::subject::Subjects,
    issuer: &str,
    now: Timestamp,
    batch: u64,
) -> DomainResult<Vec<Due>> {
    let rows = row::Entity::find()
        .filter(row::Column::DeliveredAt.is_null())
        .filter(row::Column::GaveUpAt.is_null())
        .filter(row::Column::NextAttemptAt.lte(now))
        .order_by_asc(row::Column::NextAttemptAt)
        .order_by_asc(row::Column::Id)
        .limit(batch)
        .all(conn)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let claimed = row::Entity::update_many()
            .col_expr(row::Column::NextAttemptAt, Expr::value(now + LEASE_SECS))
            .filter(row::Column::Id.eq(r.id.clone()))
            .filter(row::Column::DeliveredAt.is_null())
            .filter(row::Column::NextAttemptAt.eq(r.next_attempt_at))
            .exec(conn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let c = client::Entity::find_by_id(r.client_id.clone())
            .one(conn)
            .await?;
        let Some((c, uri)) = c.and_then(|c| c.backchannel_logout_uri.clone().map(|u| (c, u)))
        else {
            give_up(
                conn,
                &r.id,
                "the client no longer has a back-channel logout URI",
                now,
            )
            .await?;
            continue;
        };
        let alg = metadata::SigningAlg::parse(&c.id_token_signed_response_alg)
            .unwrap_or(metadata::SigningAlg::RS256);
        // The `sub` the client's ID tokens carried (OIDC Back-Channel Logout §2.4).
        let sub = match crate::clients::model::Client::try_from(c.clone()) {
            Ok(client) => subjects.of(&client, &r.user_id),
            Err(_) => r.user_id.clone(),
        };
        let mut claims = json!({
            "iss": issuer,
            "sub": sub,
            "aud": c.id,
            "iat": now,
            "exp": now + LOGOUT_TOKEN_SECS,
            "jti": crate::oauth::access_tokens::new_jti(),
            "events": { EVENT: {} },
        });
        if let Some(sid) = &r.sid {
            claims["sid"] = json!(sid);
        }
        let logout_token =
            crate::oauth::access_tokens::sign_typed(keys, alg, "logout+jwt", &claims)?;
        out.push(Due {
            id: r.id,
            client_id: c.id,
            uri,
            attempts: r.attempts,
            logout_token,
        });
    }
    Ok(out)
}

/// The app answered 200 (§2.8).
pub async fn delivered<C: ConnectionTrait>(conn: &C, d: &Due, now: Timestamp) -> DomainResult<()> {
    row::Entity::update_many()
        .col_expr(row::Column::DeliveredAt, Expr::value(now))
        .col_expr(row::Column::Attempts, Expr::value(d.attempts + 1))
        .col_expr(row::Column::LastError, Expr::value(None::<String>))
        .filter(row::Column::Id.eq(d.id.clone()))
        .exec(conn)
        .await?;
    Ok(())
}

/// The attempt failed: retried after a backoff from `base_secs`, or given up.
pub async fn failed<C: ConnectionTrait>(
    conn: &C,
    d: &Due,
    error: &str,
    base_secs: i64,
    now: Timestamp,
) -> DomainResult<()> {
    let attempts = d.attempts + 1;
    let error: String = error.chars().take(500).collect();
    if attempts >= MAX_ATTEMPTS {
        row::Entity::update_many()
            .col_expr(row::Column::Attempts, Expr::value(attempts))
            .filter(row::Column::Id.eq(d.id.clone()))
            .exec(conn)
            .await?;
        return give_up(conn, &d.id, &error, now).await;
    }
    row::Entity::update_many()
        .col_expr(row::Column::Attempts, Expr::value(attempts))
        .col_expr(
            row::Column::NextAttemptAt,
            Expr::value(now + backoff(base_secs, d.attempts)),
        )
        .col_expr(row::Column::LastError, Expr::value(Some(error)))
        .filter(row::Column::Id.eq(d.id.clone()))
        .exec(conn)
        .await?;
    Ok(())
}

async fn give_up<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    error: &str,
    now: Timestamp,
) -> DomainResult<()> {
    row::Entity::update_many()
        .col_expr(row::Column::GaveUpAt, Expr::value(now))
        .col_expr(row::Column::LastError, Expr::value(Some(error.to_owned())))
        .filter(row::Column::Id.eq(id.to_owned()))
        .exec(conn)
        .await?;
    Ok(())
}

/// One delivery as its client's developer sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryView {
    pub created_at: Timestamp,
    pub attempts: i64,
    /// `delivered`, `retrying` or `failed` (given up).
    pub state: &'static str,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<Timestamp>,
}

/// The latest back-channel deliveries of a client, newest first. The caller
/// checks that the viewer may see the client.
pub async fn recent<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
    limit: u64,
) -> DomainResult<Vec<DeliveryView>> {
    Ok(row::Entity::find()
        .filter(row::Column::ClientId.eq(client_id))
        .order_by_desc(row::Column::CreatedAt)
        .order_by_desc(row::Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| {
            let state = match (r.delivered_at, r.gave_up_at) {
                (Some(_), _) => "delivered",
                (None, Some(_)) => "failed",
                (None, None) => "retrying",
            };
            DeliveryView {
                created_at: r.created_at,
                attempts: r.attempts,
                state,
                last_error: r.last_error,
                next_attempt_at: (state == "retrying").then_some(r.next_attempt_at),
            }
        })
        .collect())
}

/// Deletes delivered and given-up rows older than `before` (the clean-up job).
pub async fn purge<C: ConnectionTrait>(conn: &C, before: Timestamp) -> DomainResult<u64> {
    Ok(row::Entity::delete_many()
        .filter(row::Column::CreatedAt.lt(before))
        .filter(
            sea_orm::Condition::any()
                .add(row::Column::DeliveredAt.is_not_null())
                .add(row::Column::GaveUpAt.is_not_null()),
        )
        .exec(conn)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_and_stops_at_an_hour() {
        assert_eq!(backoff(30, 0), 30);
        assert_eq!(backoff(30, 1), 60);
        assert_eq!(backoff(30, 3), 240);
        assert_eq!(backoff(30, 9), 3600);
        assert_eq!(backoff(0, 0), 1);
    }
}
