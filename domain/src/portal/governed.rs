//! What only administrators set on a client (issue 17): its access-token
//! lifetime, first-party status and pre-authorization.

use super::access::Who;
use crate::clients::model::Client;
use crate::{DomainError, DomainResult};

/// Client settings only an administrator sets (issue 17). Each is `None` when
/// not sent (left as it is); a developer's edit that would change one is refused,
/// naming it, and changes nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Governed {
    /// This client's access-token lifetime, within the server's bounds
    /// (`settings::ACCESS_TOKEN_RANGE`); `Some(None)`: the server's.
    pub access_token_ttl_secs: Option<Option<i64>>,
    /// The client is the operator's own: no third-party switch, trusted redirects.
    pub first_party: Option<bool>,
    /// No consent screen: people's consent is recorded for them. Administrators
    /// only, stricter than seed 001's WRITE: a developer must not be able to skip
    /// the consent of the people signing in to their own app (docs/SECURITY.md).
    pub pre_authorized: Option<bool>,
}

impl Governed {
    /// `current` with these settings applied, after checking that `who` may
    /// change them and that the values are in bounds.
    pub(super) fn apply(self, who: &Who, current: &Client, next: &mut Client) -> DomainResult<()> {
        let changes = [
            (
                "access_token_ttl_secs",
                self.access_token_ttl_secs
                    .is_some_and(|t| t != current.access_token_ttl_secs),
            ),
            (
                "first_party",
                self.first_party.is_some_and(|v| v != current.first_party),
            ),
            (
                "pre_authorized",
                self.pre_authorized
                    .is_some_and(|v| v != current.pre_authorized),
            ),
        ];
        if let Some((field, _)) = changes.iter().find(|(_, changed)| *changed) {
            if !who.is_admin() {
                return Err(DomainError::invalid(field, "is set by administrators"));
            }
        }
        if let Some(t) = self.access_token_ttl_secs {
            check_access_token_ttl(t)?;
        }
        if self.pre_authorized == Some(true) && !current.pre_authorized {
            check_pre_authorizable(current.is_public())?;
        }
        next.access_token_ttl_secs = self
            .access_token_ttl_secs
            .unwrap_or(current.access_token_ttl_secs);
        next.first_party = self.first_party.unwrap_or(current.first_party);
        next.pre_authorized = self.pre_authorized.unwrap_or(current.pre_authorized);
        Ok(())
    }
}

/// A client's access-token lifetime is within the server's bounds
/// (`settings::ACCESS_TOKEN_RANGE`); `None` (the server's) always is.
pub fn check_access_token_ttl(t: Option<i64>) -> DomainResult<()> {
    let range = crate::settings::ACCESS_TOKEN_RANGE;
    match t {
        Some(t) if !range.contains(&t) => Err(DomainError::invalid(
            "access_token_ttl_secs",
            format!(
                "must be {} to {} seconds: an access token cannot be recalled from an API that checks it offline",
                range.start(),
                range.end()
            ),
        )),
        _ => Ok(()),
    }
}

/// Only a client that proves who it is may skip people's consent: a public
/// (native) client's id can be used by any app on the device, which would then be
/// let in silently (RFC 6749 §10.2, RFC 8252 §8.6).
pub fn check_pre_authorizable(public: bool) -> DomainResult<()> {
    if public {
        return Err(DomainError::invalid(
            "pre_authorized",
            "a native app cannot prove who it is: any app on the device could use its client id and be let in without the person's consent",
        ));
    }
    Ok(())
}
