//! What operators set for the device flow (RFC 8628), and the quota of requests one
//! client may have waiting for a person.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::entities::device_code as dc;
use crate::oauth::device::PENDING;
use crate::platform::clock::Timestamp;
use crate::DomainResult;

/// RFC 8628 §3.2 `expires_in`, by default: long enough to find a phone and sign in.
pub const DEVICE_CODE_SECS: i64 = 600;
/// RFC 8628 §3.2 `interval`, by default: the default of §3.5.
pub const POLL_INTERVAL_SECS: i64 = 5;
/// Pending requests one client may have at a time, by default.
pub const MAX_PENDING_PER_CLIENT: u64 = 100;

/// What operators set for the device flow (`[device]` in the settings file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevicePolicy {
    /// How long a person has to enter the user code (`expires_in`).
    pub code_secs: i64,
    /// How often the device may poll (`interval`).
    pub interval_secs: i64,
    /// Requests one client may have waiting for a person at a time. A client that
    /// asks for codes in a loop fills its own quota, not the table, and a person's
    /// guessing is no easier for a flood of live user codes.
    pub max_pending_per_client: u64,
}

impl Default for DevicePolicy {
    fn default() -> Self {
        Self {
            code_secs: DEVICE_CODE_SECS,
            interval_secs: POLL_INTERVAL_SECS,
            max_pending_per_client: MAX_PENDING_PER_CLIENT,
        }
    }
}
/// Inside `txn`: when the client's live pending requests fill its quota, the
/// seconds until the oldest of them expires.
pub(crate) async fn pending_quota_used(
    txn: &sea_orm::DatabaseTransaction,
    client_id: &str,
    policy: DevicePolicy,
    now: Timestamp,
) -> DomainResult<Option<i64>> {
    use sea_orm::{PaginatorTrait, QueryOrder};
    crate::platform::db::lock_key(txn, DEVICE_QUOTA_LOCK, client_id).await?;
    let live = || {
        dc::Entity::find()
            .filter(dc::Column::ClientId.eq(client_id))
            .filter(dc::Column::Status.eq(PENDING))
            .filter(dc::Column::ExpiresAt.gt(now))
    };
    if live().count(txn).await? < policy.max_pending_per_client {
        return Ok(None);
    }
    let oldest = live()
        .order_by_asc(dc::Column::ExpiresAt)
        .one(txn)
        .await?
        .map_or(policy.code_secs, |d| d.expires_at - now);
    Ok(Some(oldest.max(1)))
}

/// The first key of the advisory lock that serialises one client's requests for
/// codes on PostgreSQL (the second is a hash of the client id).
const DEVICE_QUOTA_LOCK: i32 = 8628;
