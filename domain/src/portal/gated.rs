//! The approval-gated settings of an edit (seed 001's "Approval" fields): each
//! applies at once for administrators (and when it reduces privilege), and
//! otherwise becomes a [`FieldChange`] of the edit's change request.

use serde_json::json;

use super::access::Who;
use super::changes::{set_grant, ChangeField, FieldChange, Gated};
use crate::clients::model::{ApplicationType, Client, GrantType};
use crate::{DomainError, DomainResult};

/// Applies `g` to `next` (the edited `current`) where it may apply at once and
/// returns the changes that wait for approval. `claims_asked` is `g`'s
/// `requestable_claims`, already validated.
pub(super) fn changes(
    who: &Who,
    current: &Client,
    next: &mut Client,
    g: Gated,
    claims_asked: Option<Vec<String>>,
) -> DomainResult<Vec<FieldChange>> {
    let mut asks = Vec::new();
    let have = Gated::of(current);
    if g.password_grant != have.password_grant {
        if g.password_grant && current.metadata.application_type != ApplicationType::Web {
            return Err(DomainError::invalid(
                "password_grant",
                "only web (confidential) clients may use the password grant",
            ));
        }
        if !g.password_grant || who.is_admin() {
            set_grant(next, GrantType::Password, g.password_grant);
        } else {
            asks.push(FieldChange {
                field: ChangeField::PasswordGrant,
                before: json!(false),
                after: json!(true),
            });
        }
    }
    if g.subject_type != have.subject_type {
        if who.is_admin() {
            next.metadata.subject_type = g.subject_type;
            if let Some(e) =
                crate::clients::sector::problem(Some(&current.metadata), &next.metadata)
            {
                return Err(e);
            }
        } else {
            // Checked now too, so the developer hears of a missing sector
            // before an administrator is asked.
            let mut wanted = next.metadata.clone();
            wanted.subject_type = g.subject_type;
            if let Some(e) = crate::clients::sector::problem(Some(&current.metadata), &wanted) {
                return Err(e);
            }
            asks.push(FieldChange {
                field: ChangeField::SubjectType,
                before: json!(have.subject_type),
                after: json!(g.subject_type),
            });
        }
    }
    if let Some(want) = claims_asked {
        let have = &current.metadata.requestable_claims;
        // Fewer claims reduce privilege: that part applies at once (as other
        // reductions do); additions wait for approval unless an admin asks.
        let kept: Vec<String> = have.iter().filter(|c| want.contains(c)).cloned().collect();
        let added = want.iter().any(|c| !have.contains(c));
        if !added || who.is_admin() {
            next.metadata.requestable_claims = want;
        } else {
            next.metadata.requestable_claims = kept.clone();
            asks.push(FieldChange {
                field: ChangeField::RequestableClaims,
                before: json!(kept),
                after: json!(want),
            });
        }
    }
    if g.refresh_token_ttl_secs != have.refresh_token_ttl_secs {
        if who.is_admin() {
            next.refresh_token_ttl_secs = g.refresh_token_ttl_secs;
        } else {
            asks.push(FieldChange {
                field: ChangeField::RefreshTokenTtlSecs,
                before: json!(have.refresh_token_ttl_secs),
                after: json!(g.refresh_token_ttl_secs),
            });
        }
    }
    Ok(asks)
}
