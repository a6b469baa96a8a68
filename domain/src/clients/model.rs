//! What a client is: its type, how it authenticates, its grant types and the
//! metadata stored for it.

use serde::{Deserialize, Serialize};

use crate::entities::client;
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

// The closed sets and the metadata are shared with the REST API and the browser.
pub use ::metadata::{
    ApplicationType, AuthMethod, ClientMetadata, GrantType, SigningAlg, SubjectType,
};

/// Reads a stored application type.
fn application_type(s: &str) -> DomainResult<ApplicationType> {
    ApplicationType::parse(s).ok_or_else(|| {
        DomainError::invalid(
            "application_type",
            format!("must be web, native or service (got '{s}')"),
        )
    })
}

/// Reads a stored token-endpoint authentication method.
fn auth_method(s: &str) -> DomainResult<AuthMethod> {
    AuthMethod::parse(s).ok_or_else(|| {
        DomainError::invalid(
            "token_endpoint_auth_method",
            format!("must be client_secret_basic, client_secret_post or none (got '{s}')"),
        )
    })
}

/// Reads a stored list of grant types.
fn grant_list(s: &str) -> DomainResult<Vec<GrantType>> {
    json_list(s)?
        .iter()
        .map(|g| {
            GrantType::parse(g).ok_or_else(|| {
                DomainError::Internal(format!("unknown grant type '{g}' in clients row"))
            })
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: String,
    /// What the client's developer declared (RFC 7591 names).
    #[serde(flatten)]
    pub metadata: ClientMetadata,
    pub owner_id: Option<String>,
    pub scopes: Vec<String>,
    pub first_party: bool,
    /// Seed 001 "Pre-Authorization": an administrator trusts the client, so people
    /// signing in are not shown a consent screen (their consent is recorded for
    /// them, audited as pre-authorized).
    pub pre_authorized: bool,
    pub allowed_email_domains: Vec<String>,
    pub access_token_ttl_secs: Option<i64>,
    pub disabled: bool,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Refresh-token lifetime for this client (None = the server default).
    pub refresh_token_ttl_secs: Option<i64>,
    /// The row version this value was read at; every write bumps it and is
    /// conditional on it (see [`save`]).
    pub version: i64,
    /// What an administrator (or an approving rule) has reviewed: see
    /// [`crate::portal::review`].
    pub reviewed_grant_types: Vec<GrantType>,
    pub reviewed_redirect_uris: Vec<String>,
    /// Development (its team alone signs in) or production: see [`Stage`].
    #[serde(default)]
    pub stage: Stage,
}

/// Where a client is in its life (issue 13, "lifecycle states"; Google's
/// "testing → in production"). In development only the client's team (its owner
/// and co-owners) may sign in to it, its refresh tokens live at most
/// [`Stage::DEVELOPMENT_REFRESH_SECS`], and it may add the administrators'
/// sandbox scopes without approval; an administrator's review promotes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Development,
    #[default]
    Production,
}

impl Stage {
    /// The longest a development client's refresh-token family lives (Google's
    /// testing mode: 7 days).
    pub const DEVELOPMENT_REFRESH_SECS: i64 = 7 * 86_400;

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Production => "production",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "development" => Some(Self::Development),
            "production" => Some(Self::Production),
            _ => None,
        }
    }
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
            metadata: ClientMetadata {
                application_type: application_type(&m.application_type)?,
                token_endpoint_auth_method: auth_method(&m.token_endpoint_auth_method)?,
                redirect_uris: json_list(&m.redirect_uris)?,
                grant_types: grant_list(&m.grant_types)?,
                post_logout_redirect_uris: json_list(&m.post_logout_redirect_uris)?,
                contacts: json_list(&m.contacts)?,
                logo_uri: m.logo_uri,
                client_uri: m.client_uri,
                policy_uri: m.policy_uri,
                tos_uri: m.tos_uri,
                jwks_uri: m.jwks_uri,
                name: m.name,
                description: m.description,
                id_token_signed_response_alg: SigningAlg::parse(&m.id_token_signed_response_alg)
                    .unwrap_or(SigningAlg::RS256),
                userinfo_signed_response_alg: m
                    .userinfo_signed_response_alg
                    .as_deref()
                    .and_then(SigningAlg::parse),
                default_max_age: m.default_max_age,
                require_auth_time: m.require_auth_time,
                backchannel_logout_uri: m.backchannel_logout_uri,
                backchannel_logout_session_required: m.backchannel_logout_session_required,
                frontchannel_logout_uri: m.frontchannel_logout_uri,
                frontchannel_logout_session_required: m.frontchannel_logout_session_required,
                require_pushed_authorization_requests: m.require_pushed_authorization_requests,
                dpop_bound_access_tokens: m.dpop_bound_access_tokens,
                allowed_origins: json_list(&m.allowed_origins)?,
                subject_type: SubjectType::parse(&m.subject_type).ok_or_else(|| {
                    DomainError::Internal(format!(
                        "unknown subject type '{}' in clients row",
                        m.subject_type
                    ))
                })?,
                sector_identifier_uri: m.sector_identifier_uri,
                jwks: match m.jwks.as_deref() {
                    Some(text) => Some(serde_json::from_str(text).map_err(|e| {
                        DomainError::Internal(format!("bad jwks in clients row: {e}"))
                    })?),
                    None => None,
                },
                token_endpoint_auth_signing_alg: m.token_endpoint_auth_signing_alg,
                request_object_signing_alg: m.request_object_signing_alg,
                request_uris: json_list(&m.request_uris)?,
                id_token_encrypted_response_alg: m.id_token_encrypted_response_alg,
                id_token_encrypted_response_enc: m.id_token_encrypted_response_enc,
                userinfo_encrypted_response_alg: m.userinfo_encrypted_response_alg,
                userinfo_encrypted_response_enc: m.userinfo_encrypted_response_enc,
                request_object_encryption_alg: m.request_object_encryption_alg,
                request_object_encryption_enc: m.request_object_encryption_enc,
                response_types: ::metadata::code_only(),
                persist_consent: m.persist_consent,
                requestable_claims: json_list(&m.requestable_claims)?,
                include_claims_in_id_token: m.include_claims_in_id_token,
            },
            scopes: json_list(&m.scopes)?,
            allowed_email_domains: json_list(&m.allowed_email_domains)?,
            reviewed_grant_types: grant_list(&m.reviewed_grant_types)?,
            reviewed_redirect_uris: json_list(&m.reviewed_redirect_uris)?,
            stage: Stage::parse(&m.stage).ok_or_else(|| {
                DomainError::Internal(format!("unknown stage '{}' in clients row", m.stage))
            })?,
            version: m.version,
            refresh_token_ttl_secs: m.refresh_token_ttl_secs,
            id: m.id,
            owner_id: m.owner_id,
            first_party: m.first_party,
            pre_authorized: m.pre_authorized,
            access_token_ttl_secs: m.access_token_ttl_secs,
            disabled: m.disabled,
            expires_at: m.expires_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// The row of a client: every column (the version is the caller's business).
pub(crate) fn row(c: &Client) -> client::ActiveModel {
    use sea_orm::Set;
    let m = &c.metadata;
    let grants =
        |g: &[GrantType]| to_json(&g.iter().map(|g| g.as_str().to_owned()).collect::<Vec<_>>());
    client::ActiveModel {
        id: Set(c.id.clone()),
        name: Set(m.name.clone()),
        name_skeleton: Set(Some(crate::platform::lookalike::skeleton_of(&m.name))),
        description: Set(m.description.clone()),
        owner_id: Set(c.owner_id.clone()),
        application_type: Set(m.application_type.as_str().into()),
        token_endpoint_auth_method: Set(m.token_endpoint_auth_method.as_str().into()),
        redirect_uris: Set(to_json(&m.redirect_uris)),
        grant_types: Set(grants(&m.grant_types)),
        scopes: Set(to_json(&c.scopes)),
        first_party: Set(c.first_party),
        pre_authorized: Set(c.pre_authorized),
        persist_consent: Set(m.persist_consent),
        allowed_email_domains: Set(to_json(&c.allowed_email_domains)),
        access_token_ttl_secs: Set(c.access_token_ttl_secs),
        disabled: Set(c.disabled),
        expires_at: Set(c.expires_at),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        id_token_signed_response_alg: Set(m.id_token_signed_response_alg.as_str().into()),
        userinfo_signed_response_alg: Set(m
            .userinfo_signed_response_alg
            .map(|a| a.as_str().into())),
        logo_uri: Set(m.logo_uri.clone()),
        client_uri: Set(m.client_uri.clone()),
        policy_uri: Set(m.policy_uri.clone()),
        tos_uri: Set(m.tos_uri.clone()),
        jwks_uri: Set(m.jwks_uri.clone()),
        post_logout_redirect_uris: Set(to_json(&m.post_logout_redirect_uris)),
        contacts: Set(to_json(&m.contacts)),
        refresh_token_ttl_secs: Set(c.refresh_token_ttl_secs),
        default_max_age: Set(m.default_max_age),
        require_auth_time: Set(m.require_auth_time),
        backchannel_logout_uri: Set(m.backchannel_logout_uri.clone()),
        backchannel_logout_session_required: Set(m.backchannel_logout_session_required),
        frontchannel_logout_uri: Set(m.frontchannel_logout_uri.clone()),
        frontchannel_logout_session_required: Set(m.frontchannel_logout_session_required),
        require_pushed_authorization_requests: Set(m.require_pushed_authorization_requests),
        dpop_bound_access_tokens: Set(m.dpop_bound_access_tokens),
        allowed_origins: Set(to_json(&m.allowed_origins)),
        subject_type: Set(m.subject_type.as_str().into()),
        sector_identifier_uri: Set(m.sector_identifier_uri.clone()),
        jwks: Set(m.jwks.as_ref().map(|v| v.to_string())),
        token_endpoint_auth_signing_alg: Set(m.token_endpoint_auth_signing_alg.clone()),
        request_object_signing_alg: Set(m.request_object_signing_alg.clone()),
        request_uris: Set(to_json(&m.request_uris)),
        id_token_encrypted_response_alg: Set(m.id_token_encrypted_response_alg.clone()),
        id_token_encrypted_response_enc: Set(m.id_token_encrypted_response_enc.clone()),
        userinfo_encrypted_response_alg: Set(m.userinfo_encrypted_response_alg.clone()),
        userinfo_encrypted_response_enc: Set(m.userinfo_encrypted_response_enc.clone()),
        request_object_encryption_alg: Set(m.request_object_encryption_alg.clone()),
        request_object_encryption_enc: Set(m.request_object_encryption_enc.clone()),
        requestable_claims: Set(to_json(&m.requestable_claims)),
        include_claims_in_id_token: Set(m.include_claims_in_id_token),
        version: Set(c.version),
        reviewed_grant_types: Set(grants(&c.reviewed_grant_types)),
        reviewed_redirect_uris: Set(to_json(&c.reviewed_redirect_uris)),
        stage: Set(c.stage.as_str().to_owned()),
    }
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.metadata.is_public()
    }
    pub fn allows(&self, grant: GrantType) -> bool {
        self.metadata.allows(grant)
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

    /// Issue 13: the refresh-token lifetime this client gets when
    /// `configured` is what its settings say.
    pub fn refresh_lifetime(&self, configured: i64) -> i64 {
        match self.stage {
            Stage::Development => configured.min(Stage::DEVELOPMENT_REFRESH_SECS),
            Stage::Production => configured,
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
