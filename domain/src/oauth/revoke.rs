//! RFC 7009 revocation as a unit of work: a client revokes a token it holds — a
//! refresh token (with its whole family and the access tokens issued with it) or
//! an access token — and the event is recorded in the same transaction.

use serde_json::json;

use super::Tokens;
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::clients::model::Client;
use crate::platform::clock::Timestamp;
use crate::DomainResult;

impl Tokens {
    /// Revokes `token` if `caller` holds it; anything else (unknown, malformed,
    /// another client's) changes nothing, and the caller cannot tell the difference
    /// (the endpoint answers 200 either way).
    pub async fn revoke(
        &self,
        caller: &Client,
        token: &str,
        ip: Option<String>,
        now: Timestamp,
    ) -> DomainResult<()> {
        let txn = crate::platform::db::write_txn(&self.db).await?;
        if crate::oauth::codes::revoke_refresh(&txn, &self.revocations, token, &caller.id, now)
            .await?
        {
            audit::record(
                &txn,
                now,
                AuditEvent::new(EventType::TokenRevoked, Actor::Client(caller.id.clone()))
                    .target("refresh_token", &caller.id)
                    .ip(ip.clone())
                    .data(json!({ "client_id": caller.id })),
            )
            .await?;
        } else if let Ok(claims) = crate::oauth::access_tokens::verify_access(
            &self.keys.current(),
            token,
            &self.issuer,
            now,
        ) {
            if claims.client_id == caller.id {
                crate::oauth::access_tokens::revoke(
                    &txn,
                    &self.revocations,
                    &claims.jti,
                    claims.exp,
                )
                .await?;
                audit::record(
                    &txn,
                    now,
                    AuditEvent::new(EventType::TokenRevoked, Actor::Client(caller.id.clone()))
                        .target("token", &claims.jti)
                        .ip(ip)
                        .data(json!({ "sub": claims.sub, "client_id": claims.client_id })),
                )
                .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }
}
