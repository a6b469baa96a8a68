//! Authorization codes and refresh tokens: random 256-bit values stored only as
//! SHA-256, single use, consumed by one atomic conditional UPDATE so two concurrent
//! redemptions cannot both win.
//!
//! RFC 9700 §4.14 / OAuth 2.1: a replayed code revokes what was issued from it; a
//! refresh token presented after it was rotated revokes its whole family, including
//! the access tokens issued alongside.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use sha2::{Digest, Sha256};

use crate::entities::{authorization_code as code, refresh_token as rt};
use crate::oauth::access_tokens::RevocationMirror;
use crate::platform::clock::Timestamp;
use crate::platform::secret::{ct_eq, random_token, token_hash};
use crate::DomainResult;

/// What a code carries from the authorization request to the token request.
#[derive(Clone, Debug)]
pub struct NewCode {
    pub client_id: String,
    pub user_id: String,
    pub grant_id: String,
    pub redirect_uri: String,
    pub redirect_uri_given: bool,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub resource: Option<String>,
    pub auth_time: Timestamp,
    /// The session it was issued in (OIDC `sid`).
    pub sid: Option<String>,
    /// The request's `claims` parameter, normalised (OIDC Core §5.5).
    pub claims_request: Option<String>,
    /// How the person signed in (stored RFC 8176 values; None: a password).
    pub amr: Option<String>,
}

pub async fn issue_code<C: ConnectionTrait>(
    conn: &C,
    c: NewCode,
    ttl_secs: i64,
    now: Timestamp,
) -> DomainResult<String> {
    let value = random_token();
    code::ActiveModel {
        code_hash: Set(token_hash(&value)),
        client_id: Set(c.client_id),
        user_id: Set(c.user_id),
        grant_id: Set(c.grant_id),
        redirect_uri: Set(c.redirect_uri),
        redirect_uri_given: Set(c.redirect_uri_given),
        scopes: Set(c.scopes.join(" ")),
        nonce: Set(c.nonce),
        code_challenge: Set(c.code_challenge),
        resource: Set(c.resource),
        auth_time: Set(c.auth_time),
        created_at: Set(now),
        expires_at: Set(now + ttl_secs),
        used_at: Set(None),
        issued_jti: Set(None),
        issued_jti_exp: Set(None),
        sid: Set(c.sid),
        claims_request: Set(c.claims_request),
        amr: Set(c.amr),
    }
    .insert(conn)
    .await?;
    Ok(value)
}

#[derive(Debug, PartialEq, Eq)]
pub enum RedeemError {
    /// Unknown, expired, or another client's.
    Invalid,
    /// Already used: everything issued from it has now been revoked.
    Replayed,
}

/// Consumes `value` for `client_id`, or explains why not.
pub async fn redeem_code<C: ConnectionTrait>(
    conn: &C,
    revocations: &RevocationMirror,
    value: &str,
    client_id: &str,
    now: Timestamp,
) -> DomainResult<Result<code::Model, RedeemError>> {
    let hash = token_hash(value);
    // The claim answers with the row it won (`RETURNING`): the winner reads
    // nothing more; only a loser looks at why it lost.
    let won = code::Entity::update_many()
        .col_expr(code::Column::UsedAt, Expr::value(now))
        .filter(code::Column::CodeHash.eq(&hash))
        .filter(code::Column::ClientId.eq(client_id))
        .filter(code::Column::UsedAt.is_null())
        .filter(code::Column::ExpiresAt.gt(now))
        .exec_with_returning(conn)
        .await?
        .pop();
    if let Some(r) = won {
        return Ok(Ok(r));
    }
    let row = code::Entity::find_by_id(hash.clone()).one(conn).await?;
    match row {
        Some(r) if r.client_id == client_id && r.used_at.is_some() => {
            // Replay: revoke the refresh tokens and the access token issued from it.
            revoke_family(conn, revocations, &hash, now).await?;
            if let (Some(jti), Some(exp)) = (&r.issued_jti, r.issued_jti_exp) {
                crate::oauth::access_tokens::revoke(conn, revocations, jti, exp).await?;
            }
            Ok(Err(RedeemError::Replayed))
        }
        _ => Ok(Err(RedeemError::Invalid)),
    }
}

/// Notes the access token issued from a code, so a replay can revoke it.
pub async fn record_code_issuance<C: ConnectionTrait>(
    conn: &C,
    code_hash: &str,
    jti: &str,
    exp: Timestamp,
) -> DomainResult<()> {
    code::Entity::update_many()
        .col_expr(code::Column::IssuedJti, Expr::value(jti))
        .col_expr(code::Column::IssuedJtiExp, Expr::value(exp))
        .filter(code::Column::CodeHash.eq(code_hash))
        .exec(conn)
        .await?;
    Ok(())
}

/// The `claims` parameter (stored form) behind the access token `jti`: of the
/// refresh token issued beside it, else of the code it was issued from. Both rows
/// are kept until that access token has expired (`jobs::cleanup`).
pub async fn claims_request_of_access<C: ConnectionTrait>(
    conn: &C,
    jti: &str,
) -> DomainResult<Option<String>> {
    if let Some(r) = rt::Entity::find()
        .filter(rt::Column::AccessJti.eq(jti))
        .one(conn)
        .await?
    {
        return Ok(r.claims_request);
    }
    Ok(code::Entity::find()
        .filter(code::Column::IssuedJti.eq(jti))
        .one(conn)
        .await?
        .and_then(|c| c.claims_request))
}

/// RFC 7636 S256: BASE64URL(SHA256(verifier)) == challenge, with the verifier's
/// syntax checked (43–128 unreserved characters).
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let ok_syntax = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    ok_syntax
        && ct_eq(
            &URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            challenge,
        )
}

#[derive(Clone, Debug)]
pub struct NewRefresh {
    pub family_id: String,
    pub client_id: String,
    pub user_id: String,
    pub grant_id: String,
    pub scopes: Vec<String>,
    pub resource: Option<String>,
    pub auth_time: Timestamp,
    pub access_jti: String,
    pub access_exp: Timestamp,
    /// The DPoP key a public client's refresh token is bound to (RFC 9449 §5).
    pub dpop_jkt: Option<String>,
    /// The `claims` parameter of the authorization behind the family (OIDC Core
    /// §5.5), so a refreshed access token's userinfo answers the same.
    pub claims_request: Option<String>,
    /// How the person signed in (stored RFC 8176 values; None: a password).
    pub amr: Option<String>,
}

/// Stores a new refresh token of a family; `expires_at` is the family's cap.
pub async fn issue_refresh<C: ConnectionTrait>(
    conn: &C,
    r: NewRefresh,
    expires_at: Timestamp,
    now: Timestamp,
) -> DomainResult<String> {
    let value = random_token();
    rt::ActiveModel {
        token_hash: Set(token_hash(&value)),
        family_id: Set(r.family_id),
        client_id: Set(r.client_id),
        user_id: Set(r.user_id),
        grant_id: Set(r.grant_id),
        scopes: Set(r.scopes.join(" ")),
        resource: Set(r.resource),
        auth_time: Set(r.auth_time),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
        access_jti: Set(Some(r.access_jti)),
        access_exp: Set(Some(r.access_exp)),
        dpop_jkt: Set(r.dpop_jkt),
        claims_request: Set(r.claims_request),
        amr: Set(r.amr),
    }
    .insert(conn)
    .await?;
    Ok(value)
}

#[derive(Debug, PartialEq, Eq)]
pub enum RotateError {
    Invalid,
    /// Bound to a DPoP key (RFC 9449 §5) and presented without a proof by it; the
    /// token stays unspent, so a thief cannot burn it.
    WrongKey,
    /// Presented after rotation: the family has been revoked.
    Reused,
}

/// Consumes a refresh token for `client_id` (rotation), or explains why not.
/// `jkt`: the key of the DPoP proof that came with the request; a bound token is
/// spent only when it matches, in the same conditional update.
pub async fn use_refresh<C: ConnectionTrait>(
    conn: &C,
    revocations: &RevocationMirror,
    value: &str,
    client_id: &str,
    jkt: Option<&str>,
    now: Timestamp,
) -> DomainResult<Result<rt::Model, RotateError>> {
    let hash = token_hash(value);
    let mut key = Condition::any().add(rt::Column::DpopJkt.is_null());
    if let Some(jkt) = jkt {
        key = key.add(rt::Column::DpopJkt.eq(jkt));
    }
    let won = rt::Entity::update_many()
        .col_expr(rt::Column::UsedAt, Expr::value(now))
        .filter(rt::Column::TokenHash.eq(&hash))
        .filter(rt::Column::ClientId.eq(client_id))
        .filter(rt::Column::UsedAt.is_null())
        .filter(rt::Column::RevokedAt.is_null())
        .filter(rt::Column::ExpiresAt.gt(now))
        .filter(key)
        .exec(conn)
        .await?
        .rows_affected;
    let row = rt::Entity::find_by_id(hash).one(conn).await?;
    match row {
        Some(r) if won == 1 => Ok(Ok(r)),
        Some(r)
            if r.client_id == client_id
                && r.used_at.is_none()
                && r.revoked_at.is_none()
                && r.expires_at > now
                && r.dpop_jkt.is_some()
                && r.dpop_jkt.as_deref() != jkt =>
        {
            Ok(Err(RotateError::WrongKey))
        }
        Some(r) if r.client_id == client_id && r.used_at.is_some() => {
            revoke_family(conn, revocations, &r.family_id, now).await?;
            Ok(Err(RotateError::Reused))
        }
        _ => Ok(Err(RotateError::Invalid)),
    }
}

/// Revokes every refresh token of a family and the access tokens issued with them.
pub async fn revoke_family<C: ConnectionTrait>(
    conn: &C,
    revocations: &RevocationMirror,
    family_id: &str,
    now: Timestamp,
) -> DomainResult<u64> {
    let members = rt::Entity::find()
        .filter(rt::Column::FamilyId.eq(family_id))
        .all(conn)
        .await?;
    for m in &members {
        if let (Some(jti), Some(exp)) = (&m.access_jti, m.access_exp) {
            if exp > now {
                crate::oauth::access_tokens::revoke(conn, revocations, jti, exp).await?;
            }
        }
    }
    Ok(rt::Entity::update_many()
        .col_expr(rt::Column::RevokedAt, Expr::value(now))
        .filter(rt::Column::FamilyId.eq(family_id))
        .filter(rt::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// Revokes every refresh token of a person and the live access tokens issued with
/// them (a password change or a disable: nothing issued before may go on).
pub async fn revoke_all_for_user<C: ConnectionTrait>(
    conn: &C,
    revocations: &RevocationMirror,
    user_id: &str,
    now: Timestamp,
) -> DomainResult<u64> {
    let live = rt::Entity::find()
        .filter(rt::Column::UserId.eq(user_id))
        .filter(rt::Column::AccessExp.gt(now))
        .all(conn)
        .await?;
    for m in &live {
        if let (Some(jti), Some(exp)) = (&m.access_jti, m.access_exp) {
            crate::oauth::access_tokens::revoke(conn, revocations, jti, exp).await?;
        }
    }
    Ok(rt::Entity::update_many()
        .col_expr(rt::Column::RevokedAt, Expr::value(now))
        .filter(rt::Column::UserId.eq(user_id))
        .filter(rt::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// A refresh token that is still usable (for introspection), or None.
pub async fn find_live_refresh<C: ConnectionTrait>(
    conn: &C,
    value: &str,
    now: Timestamp,
) -> DomainResult<Option<rt::Model>> {
    Ok(rt::Entity::find_by_id(token_hash(value))
        .one(conn)
        .await?
        .filter(|r| r.used_at.is_none() && r.revoked_at.is_none() && r.expires_at > now))
}

/// Revokes the family of a refresh token presented for revocation (RFC 7009).
pub async fn revoke_refresh<C: ConnectionTrait>(
    conn: &C,
    revocations: &RevocationMirror,
    value: &str,
    client_id: &str,
    now: Timestamp,
) -> DomainResult<bool> {
    match rt::Entity::find_by_id(token_hash(value)).one(conn).await? {
        Some(r) if r.client_id == client_id => {
            revoke_family(conn, revocations, &r.family_id, now).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"
        ));
        assert!(!pkce_matches(
            "short",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }
}
