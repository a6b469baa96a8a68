//! JWT access tokens (RFC 9068) and their revocation list.

use jsonwebtoken::{Header, Validation};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::entities::revoked_token;
use crate::keys::{Alg, KeySet};
use crate::{DomainError, DomainResult};

/// Claims of an access token. `sub` is the end user when there is one, else the
/// client; `client_id` always names the client (seed 004: both identities).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}

impl AccessClaims {
    pub fn has_user(&self) -> bool {
        self.sub != self.client_id
    }
}

pub fn new_jti() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub fn sign_access(keys: &KeySet, claims: &AccessClaims) -> DomainResult<String> {
    let key = keys
        .signing
        .get(&Alg::ES256)
        .ok_or_else(|| DomainError::Internal("no ES256 signing key".into()))?;
    let mut header = Header::new(key.alg.jwt());
    header.typ = Some("at+jwt".into());
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding)
        .map_err(|e| DomainError::Internal(format!("signing: {e}")))
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is not an access token")]
    WrongType,
    #[error("the token was signed by an unknown key")]
    UnknownKey,
    #[error("the token signature is invalid")]
    BadSignature,
    #[error("the token was issued by another server")]
    WrongIssuer,
    #[error("the token has expired")]
    Expired,
}

/// Verifies signature, type, issuer and expiry (against `now`, not the system clock).
pub fn verify_access(
    keys: &KeySet,
    token: &str,
    issuer: &str,
    now: Timestamp,
) -> Result<AccessClaims, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
    if !header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("at+jwt"))
    {
        return Err(TokenError::WrongType);
    }
    let kid = header.kid.ok_or(TokenError::UnknownKey)?;
    let (alg, key) = keys.verifying.get(&kid).ok_or(TokenError::UnknownKey)?;
    if header.alg != alg.jwt() {
        return Err(TokenError::BadSignature);
    }
    let mut v = Validation::new(alg.jwt());
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let data =
        jsonwebtoken::decode::<AccessClaims>(token, key, &v).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::BadSignature,
            _ => TokenError::Malformed,
        })?;
    let c = data.claims;
    if c.iss != issuer {
        return Err(TokenError::WrongIssuer);
    }
    if c.exp <= now {
        return Err(TokenError::Expired);
    }
    Ok(c)
}

pub async fn is_revoked<C: ConnectionTrait>(conn: &C, jti: &str) -> DomainResult<bool> {
    Ok(revoked_token::Entity::find_by_id(jti.to_owned())
        .one(conn)
        .await?
        .is_some())
}

/// Puts an access token on the revocation list until it would have expired.
pub async fn revoke<C: ConnectionTrait>(conn: &C, jti: &str, exp: Timestamp) -> DomainResult<()> {
    revoked_token::Entity::insert(revoked_token::ActiveModel {
        jti: Set(jti.to_owned()),
        expires_at: Set(exp),
    })
    .on_conflict(
        OnConflict::column(revoked_token::Column::Jti)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Signs an ID token (or signed userinfo response) with the client's algorithm.
pub fn sign_jwt(keys: &KeySet, alg: Alg, claims: &serde_json::Value) -> DomainResult<String> {
    let key = keys
        .signing
        .get(&alg)
        .ok_or_else(|| DomainError::Internal(format!("no {} signing key", alg.as_str())))?;
    let mut header = Header::new(key.alg.jwt());
    header.typ = Some("JWT".into());
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding)
        .map_err(|e| DomainError::Internal(format!("signing: {e}")))
}

/// Revocation-list reads for concurrent introspections, batched ("group read").
///
/// Introspection must see a revocation at once, in every process, so it reads the
/// database each time; one read costs ~85 µs here, more than verifying the token.
/// Checks that arrive together share one `WHERE jti IN (…)` query. A check always
/// joins the *next* query, never one already under way, so every answer reflects
/// the database as it was after the check arrived: batching changes the cost, not
/// what is seen.
#[derive(Clone)]
pub struct RevocationBatcher {
    db: sea_orm::DatabaseConnection,
    state: std::sync::Arc<std::sync::Mutex<BatchState>>,
}

type Waiter = (String, tokio::sync::oneshot::Sender<DomainResult<bool>>);

#[derive(Default)]
struct BatchState {
    pending: Vec<Waiter>,
    running: bool,
}

/// Most checks in one query (bounded parameter lists on both backends).
const MAX_BATCH: usize = 256;

impl RevocationBatcher {
    pub fn new(db: sea_orm::DatabaseConnection) -> Self {
        Self {
            db,
            state: Default::default(),
        }
    }

    pub async fn is_revoked(&self, jti: &str) -> DomainResult<bool> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let start_runner = {
            let mut st = self
                .state
                .lock()
                .map_err(|_| DomainError::Internal("revocation batcher poisoned".into()))?;
            st.pending.push((jti.to_owned(), tx));
            !std::mem::replace(&mut st.running, true)
        };
        if start_runner {
            let me = self.clone();
            tokio::spawn(async move { me.run().await });
        }
        rx.await
            .map_err(|_| DomainError::Internal("revocation check was dropped".into()))?
    }

    async fn run(self) {
        loop {
            let batch: Vec<Waiter> = {
                let Ok(mut st) = self.state.lock() else {
                    return;
                };
                if st.pending.is_empty() {
                    st.running = false;
                    return;
                }
                let n = st.pending.len().min(MAX_BATCH);
                st.pending.drain(..n).collect()
            };
            let jtis: Vec<String> = batch.iter().map(|(j, _)| j.clone()).collect();
            use sea_orm::{ColumnTrait, QueryFilter};
            let found = revoked_token::Entity::find()
                .filter(revoked_token::Column::Jti.is_in(jtis))
                .all(&self.db)
                .await;
            match found {
                Ok(rows) => {
                    let revoked: std::collections::HashSet<String> =
                        rows.into_iter().map(|r| r.jti).collect();
                    for (jti, tx) in batch {
                        let _ = tx.send(Ok(revoked.contains(&jti)));
                    }
                }
                Err(e) => {
                    let msg = format!("revocation list: {e}");
                    for (_, tx) in batch {
                        let _ = tx.send(Err(DomainError::Internal(msg.clone())));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    #[tokio::test]
    async fn batched_checks_answer_each_token_and_see_revocations_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::connect(&format!("sqlite://{}/r.db", dir.path().display()))
            .await
            .unwrap();
        crate::db::migrate(&db).await.unwrap();
        for i in (0..100).step_by(3) {
            revoke(&db, &format!("jti-{i}"), 4_000_000_000)
                .await
                .unwrap();
        }
        let b = RevocationBatcher::new(db.clone());
        let checks = (0..100).map(|i| {
            let b = b.clone();
            tokio::spawn(async move { (i, b.is_revoked(&format!("jti-{i}")).await.unwrap()) })
        });
        for h in checks {
            let (i, revoked) = h.await.unwrap();
            assert_eq!(revoked, i % 3 == 0, "jti-{i}");
        }
        assert!(!b.is_revoked("jti-1").await.unwrap());
        revoke(&db, "jti-1", 4_000_000_000).await.unwrap();
        assert!(
            b.is_revoked("jti-1").await.unwrap(),
            "a revocation is seen by the next check"
        );
    }
}
