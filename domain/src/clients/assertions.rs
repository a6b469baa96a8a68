//! The replay check of client assertions (`private_key_jwt`, RFC 7523 §3 item 7;
//! RFC 9700 §2.7.4): each `jti` is accepted once while its assertion is alive, on
//! every process sharing the database.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entities::client_assertion_jti as row;
use crate::platform::clock::Timestamp;
use crate::platform::secret::token_hash;
use crate::DomainResult;

/// Records `jti` for `client_id` until `expires_at`; false when it was already
/// seen (a replay). One conditional insert: two presentations at once cannot both
/// win.
pub async fn first_use<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
    jti: &str,
    expires_at: Timestamp,
) -> DomainResult<bool> {
    let inserted = row::Entity::insert(row::ActiveModel {
        client_id: Set(client_id.to_owned()),
        jti_hash: Set(token_hash(jti)),
        expires_at: Set(expires_at),
    })
    .on_conflict(
        OnConflict::columns([row::Column::ClientId, row::Column::JtiHash])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(inserted == 1)
}

/// Forgets `jti`s whose assertions have expired (the clean-up job).
pub async fn purge<C: ConnectionTrait>(conn: &C, now: Timestamp) -> DomainResult<u64> {
    Ok(row::Entity::delete_many()
        .filter(row::Column::ExpiresAt.lt(now))
        .exec(conn)
        .await?
        .rows_affected)
}
