//! Folding duplicate registrations (issue 16, item 1). Agents that lose their
//! credentials register again, and again: one public DCR instance held 42
//! identical clients. A registration is a **twin** of an earlier one when the
//! same registrant (the same address for open registration, the same initial
//! access token otherwise) registers the same software (`software_id`), under the
//! same name, type and redirect URIs.
//!
//! - A twin still awaiting admission never got a token: it is replaced by the new
//!   registration (deleted in the same transaction), so the approval queue holds
//!   one card for it, not one per attempt.
//! - A twin an administrator (or the admission rule) refused makes the new
//!   registration refused too: registering again is no way around a refusal.
//! - An admitted twin is left alone: another copy of the software may be using
//!   it, and the new registration asks for admission on its own.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::model::Client;
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::{client, dynamic_registration as dr};
use crate::platform::clock::Timestamp;
use crate::portal::admission;
use crate::portal::request::Status;
use crate::DomainResult;

/// The PostgreSQL advisory lock space of folding (`pg_advisory_xact_lock(FOLD_LOCK,
/// hashtext(registrant))`): two registrations by one registrant at once are
/// folded one after the other.
const FOLD_LOCK: i32 = 0x464f_4c44;

/// Who registered, as folding compares it.
pub(crate) struct Registrant<'a> {
    pub via: &'a str,
    pub ip: Option<&'a str>,
    pub initial_token_id: Option<&'a str>,
    pub software_id: Option<&'a str>,
}

impl Registrant<'_> {
    fn key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.via,
            self.ip.unwrap_or_default(),
            self.initial_token_id.unwrap_or_default()
        )
    }
}

/// What became of the new registration's twins.
#[derive(Debug, Default)]
pub(crate) struct Folded {
    /// Twins awaiting admission, deleted in favour of the new registration.
    pub replaced: Vec<String>,
    /// A twin that was refused: the new registration is refused too.
    pub refused_twin: Option<String>,
}

fn same(a: &Client, b: &Client) -> bool {
    let uris = |c: &Client| {
        let mut u = c.metadata.redirect_uris.clone();
        u.sort();
        u
    };
    a.metadata.name == b.metadata.name
        && a.metadata.application_type == b.metadata.application_type
        && a.metadata.token_endpoint_auth_method == b.metadata.token_endpoint_auth_method
        && uris(a) == uris(b)
}

/// Folds `new` (not yet stored) into its twins, inside the registration's
/// transaction. Registrations without a `software_id` are never folded: nothing
/// says two of them are the same software.
pub(crate) async fn fold<C: ConnectionTrait>(
    txn: &C,
    who: &Registrant<'_>,
    new: &Client,
    now: Timestamp,
) -> DomainResult<Folded> {
    let mut out = Folded::default();
    let Some(software_id) = who.software_id.filter(|s| !s.is_empty()) else {
        return Ok(out);
    };
    crate::platform::db::lock_key(txn, FOLD_LOCK, &who.key()).await?;
    let mut rows = dr::Entity::find()
        .filter(dr::Column::Via.eq(who.via))
        .filter(dr::Column::SoftwareId.eq(software_id));
    rows = match (who.initial_token_id, who.ip) {
        (Some(t), _) => rows.filter(dr::Column::InitialTokenId.eq(t)),
        (None, Some(ip)) => rows.filter(dr::Column::Ip.eq(ip)),
        // An open registration from an unknown address: nothing to compare.
        (None, None) => return Ok(out),
    };
    for row in rows.all(txn).await? {
        let Some(twin) = super::store::find(txn, &row.client_id).await? else {
            continue;
        };
        if !same(&twin, new) || !twin.disabled {
            continue;
        }
        match admission::latest(txn, &twin.id).await? {
            Some(Status::Pending) => {
                client::Entity::delete_by_id(twin.id.clone())
                    .exec(txn)
                    .await?;
                audit::record(
                    txn,
                    now,
                    AuditEvent::new(EventType::ClientDeleted, Actor::Client(new.id.clone()))
                        .target("client", &twin.id)
                        .data(json!({ "folded_into": new.id })),
                )
                .await?;
                out.replaced.push(twin.id);
            }
            Some(Status::Rejected) => {
                out.refused_twin = Some(twin.id);
                return Ok(out);
            }
            _ => {}
        }
    }
    Ok(out)
}
