//! OAuth 2.1 / OpenID Connect as a business: what a token is, when one may be
//! issued and what it carries, and whether one is still alive. The protocol
//! endpoints in the server parse requests and call in here.

pub mod access_tokens;
pub mod agents;
pub mod catalogue;
pub mod claims;
pub mod claims_request;
pub mod codes;
pub mod consents;
pub mod device;
pub mod device_policy;
pub mod exchange;
pub mod issue;
pub mod jwe;
pub mod keys;
pub mod live;
pub mod logout;
pub mod logout_outbox;
pub mod pushed;
mod revoke;
pub mod scope;
pub mod subject;

use std::sync::Arc;

pub use crate::apis::ApiInfo;
pub use catalogue::Catalogue;
pub use issue::{ClientIssue, Source, TokenSet, UserIssue};
pub use live::Live;
pub use metadata::GrantType;
pub use scope::{valid_token as valid_scope_token, ScopeSet};

/// An OpenID issuer identifier as this server accepts one — its own (the
/// settings' `issuer`) and an upstream provider's: https (plain http only on
/// this machine: codes and ID tokens cross the wire), no query, no fragment.
pub fn check_issuer(issuer: &str) -> Result<(), String> {
    let u = url::Url::parse(issuer).map_err(|e| format!("issuer '{issuer}' is not a URL: {e}"))?;
    let loopback = matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match u.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(format!(
                "issuer '{issuer}' must be an https URL (http only for localhost)"
            ))
        }
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(format!(
            "issuer '{issuer}' must not have a query or fragment"
        ));
    }
    Ok(())
}

use crate::accounts::users::User;
use crate::audit::AuditWriter;
use crate::clients::authenticate::SecretCache;
use crate::clients::model::Client;
use crate::oauth::access_tokens::RevocationMirror;
use crate::oauth::keys::KeyRing;
use crate::platform::db::Db;
use crate::settings::SettingsCache;
use crate::{DomainError, DomainResult};

/// Lifetimes from the settings file. The access- and refresh-token lifetimes here
/// are only defaults: administrators override them at run time, and a client may
/// have its own.
#[derive(Clone, Copy, Debug)]
pub struct Lifetimes {
    pub access_token_secs: i64,
    pub id_token_secs: i64,
    pub refresh_token_secs: i64,
    pub authorization_code_secs: i64,
    /// Seed 004's policy for the password grant: 9 hours by default.
    pub password_grant_secs: i64,
}

/// Why a token cannot be issued: RFC 6749 §5.2 and RFC 8707 §2 say which code each
/// gets; the message is safe to show to the client.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("{0}")]
    InvalidScope(String),
    #[error("{0}")]
    InvalidTarget(String),
    #[error("{0}")]
    InvalidGrant(String),
    #[error(transparent)]
    Internal(#[from] DomainError),
}

impl From<sea_orm::DbErr> for IssueError {
    fn from(e: sea_orm::DbErr) -> Self {
        IssueError::Internal(e.into())
    }
}

/// The token service: everything issuing and checking tokens needs, built once at
/// start-up and shared by every request.
#[derive(Clone)]
pub struct Tokens {
    pub db: Db,
    pub issuer: Arc<str>,
    pub keys: KeyRing,
    pub audit: AuditWriter,
    pub catalogue: Catalogue,
    pub clients: SecretCache,
    pub revocations: Arc<RevocationMirror>,
    pub runtime: SettingsCache,
    pub lifetimes: Lifetimes,
    /// The scope and claim that carry a person's portal role.
    pub role: claims::RoleClaim,
    /// The `sub` each client is given for a person (public or pairwise).
    pub subjects: subject::Subjects,
}

impl Tokens {
    /// The person behind a grant, while their account is active.
    pub async fn active_user(&self, user_id: &str) -> Result<User, IssueError> {
        match crate::accounts::users::find_by_id(&self.db, user_id).await? {
            Some(u) if !u.disabled => Ok(u),
            _ => Err(IssueError::InvalidGrant(
                "the user account is no longer active".into(),
            )),
        }
    }

    /// The scopes a token may still carry under a consent: `asked`, bounded by
    /// what the person allows now (they may have narrowed the grant) and by what
    /// the client holds now (an administrator may have taken a scope away). RFC 6749
    /// §3.3 lets the server issue less than asked; nothing left of a non-empty ask
    /// means the consent no longer stands.
    pub async fn still_allowed(
        &self,
        client: &Client,
        grant_id: &str,
        asked: ScopeSet,
    ) -> Result<ScopeSet, IssueError> {
        self.allowed(client, grant_id, asked, false).await
    }

    /// As [`Self::still_allowed`] for a code's (or a device code's) scopes, where
    /// the whole consent must still stand: one scope withdrawn since and the code
    /// is refused. One read of the grant for both checks.
    pub async fn allowed_in_full(
        &self,
        client: &Client,
        grant_id: &str,
        asked: ScopeSet,
    ) -> Result<ScopeSet, IssueError> {
        self.allowed(client, grant_id, asked, true).await
    }

    async fn allowed(
        &self,
        client: &Client,
        grant_id: &str,
        asked: ScopeSet,
        in_full: bool,
    ) -> Result<ScopeSet, IssueError> {
        let withdrawn = || {
            IssueError::InvalidGrant("the user's consent for this client has been withdrawn".into())
        };
        let grant = crate::oauth::consents::find_by_id(&self.db, grant_id)
            .await?
            .ok_or_else(withdrawn)?;
        let allowed: ScopeSet = grant.scopes.iter().cloned().collect();
        if in_full && !asked.iter().all(|s| allowed.contains(s)) {
            return Err(withdrawn());
        }
        let consented = asked.intersection(&allowed);
        if !asked.is_empty() && consented.is_empty() {
            return Err(withdrawn());
        }
        let kept = consented.intersection(&client.scope_set());
        if !consented.is_empty() && kept.is_empty() {
            return Err(IssueError::InvalidScope(format!(
                "the client no longer holds the scopes asked for ({consented})"
            )));
        }
        Ok(kept)
    }

    /// Seed 000's switch, from memory when fresh.
    pub async fn third_party_enabled(&self) -> DomainResult<bool> {
        Ok(self.runtime.get(&self.db).await?.third_party_oauth)
    }
}
