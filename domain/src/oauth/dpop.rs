//! DPoP (RFC 9449) state that must be shared by every process: the `jti`s of the
//! proofs accepted while they could still be replayed (§11.1). The proof checks
//! themselves are `portcullis_dpop`'s; nonces are stateless (the server's).

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entities::dpop_proof_jti as row;
use crate::platform::clock::Timestamp;
use crate::platform::secret::token_hash;
use crate::DomainResult;

/// Records the proof `jti` under its key until `expires_at` (when its `iat` leaves
/// the window); false when it was already seen — a replay. One conditional insert:
/// two presentations at once, on any processes, cannot both win.
pub async fn first_use<C: ConnectionTrait>(
    conn: &C,
    jkt: &str,
    jti: &str,
    expires_at: Timestamp,
) -> DomainResult<bool> {
    let inserted = row::Entity::insert(row::ActiveModel {
        jkt: Set(jkt.to_owned()),
        jti_hash: Set(token_hash(jti)),
        expires_at: Set(expires_at),
    })
    .on_conflict(
        OnConflict::columns([row::Column::Jkt, row::Column::JtiHash])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(inserted == 1)
}

/// Forgets the `jti`s of proofs that can no longer be accepted (the clean-up job).
pub async fn purge<C: ConnectionTrait>(conn: &C, now: Timestamp) -> DomainResult<u64> {
    Ok(row::Entity::delete_many()
        .filter(row::Column::ExpiresAt.lt(now))
        .exec(conn)
        .await?
        .rows_affected)
}
