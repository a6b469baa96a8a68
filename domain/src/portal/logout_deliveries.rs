//! What a client's developer sees of its back-channel logouts (OpenID Connect
//! Back-Channel Logout): the latest deliveries, delivered, retrying or given up,
//! with the last error — so a broken `backchannel_logout_uri` is noticed.

use sea_orm::DatabaseConnection;

use super::access::{client_for, Who};
use crate::oauth::logout_outbox::{self, DeliveryView};
use crate::DomainResult;

/// How many deliveries are shown.
pub const SHOWN: u64 = 20;

/// The latest back-channel deliveries of a client its caller may see (owner or
/// administrator; anyone else gets `NotFound`).
pub async fn logout_deliveries(
    db: &DatabaseConnection,
    who: &Who,
    client_id: &str,
) -> DomainResult<Vec<DeliveryView>> {
    client_for(db, who, client_id).await?;
    logout_outbox::recent(db, client_id, SHOWN).await
}
