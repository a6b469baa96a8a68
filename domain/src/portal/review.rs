//! What an administrator has reviewed about a client: its grant types and the
//! origins its redirect URIs point to (issue 11, M7 and L1).
//!
//! An approval-gated scope is approved for a client as it is: an administrator (or
//! an approving CEL rule) looks at an application that signs people in at these
//! addresses, or acts on its own with client credentials. If the developer could
//! afterwards add `client_credentials` or a redirect URI on another site, the
//! approved scope would reach further than anyone decided. So a client records what
//! was reviewed — when a request for an approval-gated scope is approved, when an
//! administrator edits or registers it, and for clients the operator registered —
//! and a developer's edit that goes beyond it while the client holds an
//! approval-gated scope (or is first-party) becomes a change request with a
//! before/after diff. Narrowing still applies at once.
//!
//! The same record decides where the authorization endpoint may send an error on
//! its own (RFC 9700 §4.11.2): only to a redirect URI whose origin was reviewed.

use std::collections::BTreeSet;

use sea_orm::ConnectionTrait;
use serde_json::json;

use serde::{de::DeserializeOwned, Serialize};

use crate::clients::metadata::ClientPatch;
use crate::clients::model::{Client, GrantType};
use crate::portal::changes::{ChangeField, FieldChange};
use crate::{DomainError, DomainResult};

/// The part of a redirect URI that names who receives the redirect: scheme, host
/// and port for http(s) — without the port on loopback addresses, where a native
/// app may use any (RFC 8252 §7.3) — and the scheme alone for a private-use scheme,
/// which names the app (RFC 8252 §7.1).
pub fn redirect_origin(uri: &str) -> Option<String> {
    let u = url::Url::parse(uri).ok()?;
    match u.scheme() {
        scheme @ ("http" | "https") => {
            let host = u.host_str()?;
            let loopback = matches!(host, "127.0.0.1" | "[::1]" | "localhost");
            Some(match u.port() {
                Some(port) if !loopback => format!("{scheme}://{host}:{port}"),
                _ => format!("{scheme}://{host}"),
            })
        }
        scheme => Some(format!("{scheme}:")),
    }
}

fn origins(uris: &[String]) -> BTreeSet<String> {
    uris.iter().filter_map(|u| redirect_origin(u)).collect()
}

impl Client {
    /// Whether the authorization endpoint may send an error to this redirect URI
    /// without asking the person (RFC 9700 §4.11.2): the client is first-party, or
    /// an administrator reviewed the URI's origin.
    pub fn trusts_redirect(&self, uri: &str) -> bool {
        self.first_party
            || redirect_origin(uri)
                .is_some_and(|o| origins(&self.reviewed_redirect_uris).contains(&o))
    }

    /// Records the client's current grant types and redirect URIs as reviewed.
    pub fn mark_reviewed(&mut self) {
        self.reviewed_grant_types = self.metadata.grant_types.clone();
        self.reviewed_redirect_uris = self.metadata.redirect_uris.clone();
    }
}

/// What an edit adds beyond what the client has and what was reviewed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Widening {
    pub grant_types: Vec<GrantType>,
    /// Redirect URIs on origins the client neither uses nor had reviewed.
    pub redirect_uris: Vec<String>,
}

impl Widening {
    pub fn is_empty(&self) -> bool {
        self.grant_types.is_empty() && self.redirect_uris.is_empty()
    }
}

/// Compares an edit (`next`) with the client as it is. The password grant has its
/// own approval and is left out here.
pub fn widening(current: &Client, next: &Client) -> Widening {
    let known: BTreeSet<String> = origins(&current.metadata.redirect_uris)
        .into_iter()
        .chain(origins(&current.reviewed_redirect_uris))
        .collect();
    Widening {
        grant_types: next
            .metadata
            .grant_types
            .iter()
            .filter(|g| **g != GrantType::Password)
            .filter(|g| {
                !current.metadata.grant_types.contains(g)
                    && !current.reviewed_grant_types.contains(g)
            })
            .cloned()
            .collect(),
        redirect_uris: next
            .metadata
            .redirect_uris
            .iter()
            .filter(|u| redirect_origin(u).is_none_or(|o| !known.contains(&o)))
            .cloned()
            .collect(),
    }
}

/// Whether widening this client needs an administrator: it holds a scope that
/// needs approval, or it is first-party (trusted for redirects and sign-in).
pub async fn guarded<C: ConnectionTrait>(conn: &C, c: &Client) -> DomainResult<bool> {
    if c.first_party {
        return Ok(true);
    }
    for s in &c.scopes {
        if crate::apis::find_scope(conn, s)
            .await?
            .is_some_and(|i| i.requires_approval)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Takes the widening parts out of `next`, which then holds what applies at once,
/// and returns them as change-request entries: `before` is the list as it now
/// becomes, `after` adds what waits for approval. When removing the held parts
/// would leave a list empty, the list keeps its current entries until the decision.
pub fn hold_back(current: &Client, next: &mut Client, w: &Widening) -> Vec<FieldChange> {
    let mut asks = Vec::new();
    asks.extend(hold(
        ChangeField::GrantTypes,
        &mut next.metadata.grant_types,
        &w.grant_types,
        &current.metadata.grant_types,
        // The password grant alone does not sign anyone in through a redirect.
        |g| *g == GrantType::Password,
    ));
    asks.extend(hold(
        ChangeField::RedirectUris,
        &mut next.metadata.redirect_uris,
        &w.redirect_uris,
        &current.metadata.redirect_uris,
        |_| false,
    ));
    asks
}

/// Takes `held` out of `list` (keeping `was` when nothing else would remain) and
/// describes the change that waits.
fn hold<T: Clone + PartialEq + Serialize>(
    field: ChangeField,
    list: &mut Vec<T>,
    held: &[T],
    was: &[T],
    counts_as_empty: impl Fn(&T) -> bool,
) -> Option<FieldChange> {
    if held.is_empty() {
        return None;
    }
    list.retain(|x| !held.contains(x));
    if list.iter().all(counts_as_empty) {
        *list = was.to_vec();
    }
    let mut after = list.clone();
    after.extend(held.iter().cloned());
    Some(FieldChange {
        field,
        before: json!(list),
        after: json!(after),
    })
}

/// Applies an approved `grant_types` or `redirect_uris` entry: adds what it asked
/// for to the client's list as it is now (other edits may have happened since).
/// Returns false for other fields.
pub fn apply_approved(next: &mut Client, ch: &FieldChange) -> DomainResult<bool> {
    match ch.field {
        ChangeField::GrantTypes => add_approved(&mut next.metadata.grant_types, ch),
        ChangeField::RedirectUris => add_approved(&mut next.metadata.redirect_uris, ch),
        ChangeField::RequestableClaims => add_approved(&mut next.metadata.requestable_claims, ch),
        _ => return Ok(false),
    }
    // What is approved must still be a valid client (e.g. within the list bounds).
    next.metadata = ClientPatch::default()
        .edit(&next.metadata)
        .map_err(|e| match e {
            DomainError::Invalid { field, message } => DomainError::invalid(
                field,
                format!("{message} (the client changed since the request was made)"),
            ),
            other => other,
        })?;
    Ok(true)
}

fn add_approved<T: PartialEq + DeserializeOwned>(list: &mut Vec<T>, ch: &FieldChange) {
    let entries =
        |v: &serde_json::Value| -> Vec<T> { serde_json::from_value(v.clone()).unwrap_or_default() };
    let before = entries(&ch.before);
    for x in entries(&ch.after) {
        if !before.contains(&x) && !list.contains(&x) {
            list.push(x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_name_who_receives_the_redirect() {
        let o = |u: &str| redirect_origin(u);
        assert_eq!(
            o("https://App.Example/cb?x=1").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            o("https://app.example:443/cb").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            o("https://app.example:8443/cb").as_deref(),
            Some("https://app.example:8443")
        );
        assert_eq!(
            o("http://127.0.0.1:4711/cb").as_deref(),
            Some("http://127.0.0.1")
        );
        assert_eq!(
            o("com.example.app:/oauth").as_deref(),
            Some("com.example.app:")
        );
        assert_eq!(o("not a uri"), None);
    }
}
