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
