//! The token endpoint's grants (RFC 6749 §4 and §6): one module per grant type,
//! each with a typed request parsed from the form and one `exchange` that decides
//! whether tokens may be issued and asks `domain::oauth` to issue them. A new grant
//! is one new module here and one arm in [`exchange`].

mod authorization_code;
mod client_credentials;
mod device_code;
mod password;
mod refresh_token;
mod token_exchange;

use std::collections::HashMap;

use domain::clients::Client;
use domain::oauth::{GrantType, ScopeSet, TokenSet};
use domain::platform::clock::Timestamp;

use super::{OAuthError, OAuthState};

/// What every token response carries (RFC 6749 §5.1).
pub type TokenResponse = TokenSet;

/// A token request's form body, each parameter at most once (RFC 6749 §3.2).
pub struct Form(pub HashMap<String, String>);

impl Form {
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn required(&self, name: &str) -> Result<&str, OAuthError> {
        self.optional(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("{name} is missing")))
    }

    /// The `scope` parameter (RFC 6749 §3.3), or None when absent.
    pub fn scope(&self) -> Result<Option<ScopeSet>, OAuthError> {
        let Some(raw) = self.optional("scope") else {
            return Ok(None);
        };
        let scopes = ScopeSet::parse(raw);
        if let Some(bad) = scopes.invalid_token() {
            return Err(OAuthError::invalid_scope(format!(
                "'{}' is not a valid scope name",
                bad.escape_debug()
            )));
        }
        Ok(Some(scopes))
    }
}

/// Who is asking: the authenticated client, from where, and when.
pub struct Caller<'a> {
    pub st: &'a OAuthState,
    pub client: &'a Client,
    pub ip: Option<String>,
    pub now: Timestamp,
    /// The key of the request's DPoP proof: what the tokens are bound to.
    pub dpop_jkt: Option<String>,
}

impl Caller<'_> {
    /// An audit event about something this client did at the token endpoint (a
    /// replayed code, a reused refresh token), with where it came from.
    fn event(&self, event: domain::audit::EventType) -> domain::audit::AuditEvent {
        domain::audit::AuditEvent::new(event, domain::audit::Actor::Client(self.client.id.clone()))
            .target("client", &self.client.id)
            .ip(self.ip.clone())
    }

    /// RFC 6749 §5.2 `unauthorized_client`: the client was not registered for it.
    fn require(&self, grant: GrantType) -> Result<(), OAuthError> {
        if self.client.allows(grant) {
            Ok(())
        } else {
            Err(OAuthError::unauthorized_client(format!(
                "this client may not use {grant}"
            )))
        }
    }
}

/// Dispatches on `grant_type`: the one place that knows every grant.
pub async fn exchange(
    caller: &Caller<'_>,
    grant: GrantType,
    form: &Form,
) -> Result<TokenResponse, OAuthError> {
    match grant {
        GrantType::AuthorizationCode => {
            authorization_code::exchange(caller, authorization_code::Request::parse(form)?).await
        }
        GrantType::RefreshToken => {
            refresh_token::exchange(caller, refresh_token::Request::parse(form)?).await
        }
        GrantType::ClientCredentials => {
            client_credentials::exchange(caller, client_credentials::Request::parse(form)?).await
        }
        GrantType::Password => password::exchange(caller, password::Request::parse(form)?).await,
        GrantType::DeviceCode => {
            device_code::exchange(caller, device_code::Request::parse(form)?).await
        }
        GrantType::TokenExchange => {
            token_exchange::exchange(caller, token_exchange::Request::parse(form)?).await
        }
    }
}
