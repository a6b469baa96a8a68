//! What a client is: its type, how it authenticates, its grant types and the
//! metadata stored for it.

use serde::{Deserialize, Serialize};

use crate::entities::client;
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

/// `web`: a server-side application (confidential); `native`: a native or
/// single-page application (public, PKCE); `service`: machine to machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ApplicationType {
    /// A server-side web application (confidential).
    Web,
    /// A native or single-page application (public: no secret, PKCE).
    Native,
    /// Machine to machine: client_credentials only.
    Service,
}

impl ApplicationType {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Web => "web",
            ApplicationType::Native => "native",
            ApplicationType::Service => "service",
        }
    }
    pub fn parse(s: &str) -> DomainResult<Self> {
        match s {
            "web" => Ok(Self::Web),
            "native" => Ok(Self::Native),
            "service" => Ok(Self::Service),
            other => Err(DomainError::invalid(
                "application_type",
                format!("must be web, native or service (got '{other}')"),
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    None,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
        }
    }
    pub fn parse(s: &str) -> DomainResult<Self> {
        match s {
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "client_secret_post" => Ok(Self::ClientSecretPost),
            "none" => Ok(Self::None),
            other => Err(DomainError::invalid(
                "token_endpoint_auth_method",
                format!("must be client_secret_basic, client_secret_post or none (got '{other}')"),
            )),
        }
    }
}

pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";
pub const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
pub const GRANT_PASSWORD: &str = "password";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub description: String,
    pub owner_id: Option<String>,
    pub application_type: ApplicationType,
    pub auth_method: AuthMethod,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub first_party: bool,
    pub allowed_email_domains: Vec<String>,
    pub access_token_ttl_secs: Option<i64>,
    pub disabled: bool,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// RS256 (default, required by OpenID Connect) or ES256.
    pub id_token_alg: crate::oauth::keys::Alg,
    /// When set, userinfo answers with a JWT signed with this algorithm.
    pub userinfo_alg: Option<crate::oauth::keys::Alg>,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub jwks_uri: Option<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub contacts: Vec<String>,
    /// Refresh-token lifetime for this client (None = the server default).
    pub refresh_token_ttl_secs: Option<i64>,
    /// The row version this value was read at; every write bumps it and is
    /// conditional on it (see [`save`]).
    pub version: i64,
    /// What an administrator (or an approving rule) has reviewed: see
    /// [`crate::portal::review`].
    pub reviewed_grant_types: Vec<String>,
    pub reviewed_redirect_uris: Vec<String>,
}

pub(crate) fn json_list(s: &str) -> DomainResult<Vec<String>> {
    serde_json::from_str(s)
        .map_err(|e| DomainError::Internal(format!("bad JSON list in clients row: {e}")))
}

pub(crate) fn to_json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

impl TryFrom<client::Model> for Client {
    type Error = DomainError;
    fn try_from(m: client::Model) -> DomainResult<Self> {
        Ok(Client {
            application_type: ApplicationType::parse(&m.application_type)?,
            auth_method: AuthMethod::parse(&m.token_endpoint_auth_method)?,
            redirect_uris: json_list(&m.redirect_uris)?,
            grant_types: json_list(&m.grant_types)?,
            scopes: json_list(&m.scopes)?,
            allowed_email_domains: json_list(&m.allowed_email_domains)?,
            post_logout_redirect_uris: json_list(&m.post_logout_redirect_uris)?,
            contacts: json_list(&m.contacts)?,
            reviewed_grant_types: json_list(&m.reviewed_grant_types)?,
            reviewed_redirect_uris: json_list(&m.reviewed_redirect_uris)?,
            version: m.version,
            logo_uri: m.logo_uri,
            client_uri: m.client_uri,
            policy_uri: m.policy_uri,
            tos_uri: m.tos_uri,
            jwks_uri: m.jwks_uri,
            refresh_token_ttl_secs: m.refresh_token_ttl_secs,
            id: m.id,
            name: m.name,
            description: m.description,
            owner_id: m.owner_id,
            first_party: m.first_party,
            access_token_ttl_secs: m.access_token_ttl_secs,
            disabled: m.disabled,
            expires_at: m.expires_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            id_token_alg: crate::oauth::keys::Alg::parse(&m.id_token_signed_response_alg)
                .unwrap_or(crate::oauth::keys::Alg::RS256),
            userinfo_alg: m
                .userinfo_signed_response_alg
                .as_deref()
                .and_then(crate::oauth::keys::Alg::parse),
        })
    }
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }
    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }
    pub fn allows(&self, grant: crate::oauth::grant_type::GrantType) -> bool {
        self.allows_grant(grant.as_str())
    }
    /// The scopes an administrator granted this client.
    pub fn scope_set(&self) -> crate::oauth::scope::ScopeSet {
        self.scopes.iter().cloned().collect()
    }
    /// Seed 003: why tokens may not be issued on behalf of this account, if they may
    /// not (an empty domain list means anyone). A domain restriction is satisfied
    /// only by a verified address: anyone can sign up as `president@example.edu`
    /// (issue 11, M6).
    pub fn refuses_account(&self, email: &str, email_verified: bool) -> Option<&'static str> {
        if self.allowed_email_domains.is_empty() {
            return None;
        }
        let domain = email
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default();
        if !self.allowed_email_domains.contains(&domain) {
            Some("this application is not available to accounts of your e-mail domain")
        } else if !email_verified {
            Some("this application is limited to some e-mail domains, and the e-mail address of this account has not been verified")
        } else {
            None
        }
    }

    /// Why this client may not get tokens right now, if it may not.
    pub fn unusable_reason(&self, now: Timestamp) -> Option<&'static str> {
        if self.disabled {
            Some("the client is disabled")
        } else if self.expires_at.is_some_and(|e| e <= now) {
            Some("the client's registration has expired")
        } else {
            None
        }
    }
}
