//! Pushed authorization requests (RFC 9126): a client sends its authorization
//! request over an authenticated back channel and gets a `request_uri` to send the
//! browser with instead. What the browser carries can then not be read or changed
//! on the way (the parameters never pass through it).
//!
//! The request is kept under the SHA-256 of its `request_uri`, for the client that
//! pushed it only, until it expires or is used. It is used by the code issued for
//! it or by the person's "Deny" — not by the first visit of the authorization
//! endpoint, which may have to send the person to sign in and to the consent page
//! and back (RFC 9126 §4 allows reloads); [`consume`] is the atomic single use.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entities::pushed_request as row;
use crate::platform::clock::Timestamp;
use crate::platform::secret::{random_token, token_hash};
use crate::{DomainError, DomainResult};

/// RFC 9126 §2.2: the `request_uri` URN prefix.
pub const URN_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a pushed request may be used: long enough to sign in and consent.
pub const LIFETIME_SECS: i64 = 300;
/// At most this many parameters, of at most this many bytes together.
pub const MAX_PARAMS: usize = 40;
pub const MAX_BYTES: usize = 16 * 1024;

/// Stores `params` (already validated as an authorization request) for `client_id`;
/// returns the `request_uri`.
pub async fn push<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
    params: &HashMap<String, String>,
    now: Timestamp,
) -> DomainResult<String> {
    let uri = format!("{URN_PREFIX}{}", random_token());
    row::ActiveModel {
        id: Set(token_hash(&uri)),
        client_id: Set(client_id.to_owned()),
        params: Set(serde_json::to_string(params)
            .map_err(|e| DomainError::Internal(format!("pushed request: {e}")))?),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME_SECS),
        used_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(uri)
}

/// The parameters pushed as `request_uri` by `client_id`, while unused and unexpired.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    request_uri: &str,
    client_id: &str,
    now: Timestamp,
) -> DomainResult<Option<HashMap<String, String>>> {
    if !request_uri.starts_with(URN_PREFIX) || request_uri.len() > URN_PREFIX.len() + 64 {
        return Ok(None);
    }
    let Some(r) = row::Entity::find_by_id(token_hash(request_uri))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if r.client_id != client_id || r.used_at.is_some() || r.expires_at <= now {
        return Ok(None);
    }
    Ok(Some(serde_json::from_str(&r.params).map_err(|e| {
        DomainError::Internal(format!("pushed request: {e}"))
    })?))
}

/// Uses the request once: true for the one caller that wins.
pub async fn consume<C: ConnectionTrait>(
    conn: &C,
    request_uri: &str,
    client_id: &str,
    now: Timestamp,
) -> DomainResult<bool> {
    Ok(row::Entity::update_many()
        .col_expr(row::Column::UsedAt, Expr::value(now))
        .filter(row::Column::Id.eq(token_hash(request_uri)))
        .filter(row::Column::ClientId.eq(client_id))
        .filter(row::Column::UsedAt.is_null())
        .filter(row::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

/// Deletes requests expired before `before` (the clean-up job).
pub async fn purge<C: ConnectionTrait>(conn: &C, before: Timestamp) -> DomainResult<u64> {
    Ok(row::Entity::delete_many()
        .filter(row::Column::ExpiresAt.lt(before))
        .exec(conn)
        .await?
        .rows_affected)
}
