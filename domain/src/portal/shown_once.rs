//! A new or rotated client secret is shown once, to the browser that asked for it,
//! on whichever node serves the next page view (issue 14: stateless nodes).
//!
//! It waits in the database, sealed (AES-256-GCM) with a key derived from the
//! person's session token: the database holds only the token's hash, so a stolen
//! copy of it does not yield the secret. The first page view (identified by its
//! request id) takes it; server-side rendering may ask again within that view and
//! gets the same answer; any other view gets nothing and removes it. It expires
//! after [`TTL`] seconds unseen.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entities::shown_once;
use crate::oauth::keys::Kek;
use crate::platform::clock::Timestamp;
use crate::platform::secret::{token_hash, SecretString};
use crate::{DomainError, DomainResult};

/// Seconds a secret waits for the page that shows it.
pub const TTL: i64 = 300;
/// Seconds the taking page view may render it again.
const RENDER: i64 = 30;

fn key(session: &str) -> Kek {
    Kek::from_setting(&SecretString::new(format!(
        "portcullis shown-once\0{session}"
    )))
}

/// Keeps `secret` for the next page view of `session` about `client_id`.
pub async fn put<C: ConnectionTrait>(
    conn: &C,
    session: &str,
    client_id: &str,
    secret: &SecretString,
    now: Timestamp,
) -> DomainResult<()> {
    let sealed = key(session).seal(secret.expose().as_bytes())?;
    shown_once::Entity::insert(shown_once::ActiveModel {
        session_hash: Set(token_hash(session)),
        client_id: Set(client_id.to_owned()),
        sealed: Set(sealed),
        expires_at: Set(now + TTL),
        taken_by: Set(None),
    })
    .on_conflict(
        OnConflict::columns([
            shown_once::Column::SessionHash,
            shown_once::Column::ClientId,
        ])
        .update_columns([
            shown_once::Column::Sealed,
            shown_once::Column::ExpiresAt,
            shown_once::Column::TakenBy,
        ])
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The waiting secret, for the one page view (`request_id`) that takes it.
pub async fn take<C: ConnectionTrait>(
    conn: &C,
    session: &str,
    client_id: &str,
    request_id: &str,
    now: Timestamp,
) -> DomainResult<Option<String>> {
    let hash = token_hash(session);
    let id = (hash.clone(), client_id.to_owned());
    // Nearly every page view has nothing waiting: a read, and no write, for those.
    if shown_once::Entity::find_by_id(id.clone())
        .one(conn)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    // Claimed atomically: of two views at once, on one node or two, one wins.
    let claimed = shown_once::Entity::update_many()
        .col_expr(shown_once::Column::TakenBy, Expr::value(request_id))
        .col_expr(shown_once::Column::ExpiresAt, Expr::value(now + RENDER))
        .filter(shown_once::Column::SessionHash.eq(hash))
        .filter(shown_once::Column::ClientId.eq(client_id))
        .filter(shown_once::Column::ExpiresAt.gt(now))
        .filter(shown_once::Column::TakenBy.is_null())
        .exec(conn)
        .await?
        .rows_affected;
    let row = shown_once::Entity::find_by_id(id.clone()).one(conn).await?;
    let Some(row) = row else { return Ok(None) };
    if row.expires_at <= now || row.taken_by.as_deref() != Some(request_id) {
        if claimed == 0 {
            // Another view took it (or it expired): it is gone for good.
            shown_once::Entity::delete_by_id(id).exec(conn).await?;
        }
        return Ok(None);
    }
    let plain = key(session).open(&row.sealed)?;
    String::from_utf8(plain)
        .map(Some)
        .map_err(|_| DomainError::Internal("a shown-once secret is not text".into()))
}

/// Deletes what expired unseen.
pub async fn purge<C: ConnectionTrait>(conn: &C, now: Timestamp) -> DomainResult<u64> {
    Ok(shown_once::Entity::delete_many()
        .filter(shown_once::Column::ExpiresAt.lte(now))
        .exec(conn)
        .await?
        .rows_affected)
}
