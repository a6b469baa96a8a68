//! The metadata a client is registered with.

use serde::{Deserialize, Serialize};

use crate::{ApplicationType, AuthMethod, GrantType, SigningAlg, SubjectType};

/// A client's registration metadata: what its developer declares about it.
///
/// The names are RFC 7591 §2's and OpenID Connect Registration §2's, and they are
/// the wire names of the REST API (`name` is RFC 7591's `client_name`, called
/// `name` by this API since its first version). Values here are valid: the
/// domain builds them only through its validation (`clients::validate`).
///
/// What an administrator governs (scopes, lifetimes, expiry, e-mail domains,
/// first-party status) is not metadata the client declares, and lives on the
/// domain's `Client` beside this.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientMetadata {
    /// Shown to people on the consent page and in their list of apps.
    pub name: String,
    pub description: String,
    /// Fixed at registration: switching between public and confidential would
    /// silently create or orphan a secret.
    pub application_type: ApplicationType,
    pub token_endpoint_auth_method: AuthMethod,
    /// Compared exactly, byte for byte (RFC 9700 §4.1.3); native clients may
    /// also use a loopback address with any port (RFC 8252 §7.3).
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub jwks_uri: Option<String>,
    /// E-mail addresses of the people responsible for the client.
    pub contacts: Vec<String>,
    pub id_token_signed_response_alg: SigningAlg,
    /// When set, userinfo answers with a JWT signed with this algorithm.
    pub userinfo_signed_response_alg: Option<SigningAlg>,
    /// OIDC Registration §2 `default_max_age`: seconds after which a person must
    /// sign in again before this client gets a code, when its request names no
    /// `max_age` (a request's `max_age` overrides it). None: no limit.
    #[serde(default)]
    pub default_max_age: Option<i64>,
    /// OIDC Registration §2 `require_auth_time`: the ID token carries `auth_time`.
    /// Portcullis always includes it; the flag is kept as registered.
    #[serde(default)]
    pub require_auth_time: bool,
    /// OpenID Connect Back-Channel Logout §2.2: where Portcullis POSTs a signed
    /// `logout_token` when a session this client signed in to ends.
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// The logout token must carry `sid` (Portcullis always sends it).
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    /// OpenID Connect Front-Channel Logout §2: the page the sign-out page loads in
    /// an iframe when a session this client signed in to ends.
    #[serde(default)]
    pub frontchannel_logout_uri: Option<String>,
    /// Add `iss` and `sid` to the front-channel URI's query.
    #[serde(default)]
    pub frontchannel_logout_session_required: bool,
    /// RFC 9126 §6: this client's authorization requests are accepted only when
    /// pushed to the PAR endpoint first.
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// RFC 9449 §5.2: every token request of this client must carry a DPoP proof,
    /// so its access tokens are always sender-constrained.
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    /// Authorized JavaScript origins (`scheme://host[:port]`, exact): web pages at
    /// these origins may call the token, revocation and userinfo endpoints from
    /// the browser (CORS, see docs/SECURITY.md).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// OpenID Connect Core §8: `public` (the account id) or `pairwise` (a `sub`
    /// per sector). Changing it changes every person's `sub` for this client, so
    /// it needs an administrator's approval (seed 001).
    #[serde(default)]
    pub subject_type: SubjectType,
    /// OIDC Registration §5: an https URL of a JSON array of redirect URIs. Its
    /// host is the client's sector (for pairwise subjects); every redirect URI of
    /// the client must be listed in it.
    #[serde(default)]
    pub sector_identifier_uri: Option<String>,
    /// RFC 7591 §2 `jwks`: the client's public keys inline (a JSON Web Key Set),
    /// for `private_key_jwt` and signed request objects; exclusive with `jwks_uri`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub jwks: Option<serde_json::Value>,
    /// OIDC Registration §2: the one algorithm this client signs its client
    /// assertions with (`RS256`, `PS256` or `ES256`); None: any of them.
    #[serde(default)]
    pub token_endpoint_auth_signing_alg: Option<String>,
    /// OIDC Registration §2: the one algorithm this client signs its request
    /// objects with; None: any accepted one.
    #[serde(default)]
    pub request_object_signing_alg: Option<String>,
    /// OIDC Registration §2 `request_uris` (RFC 9101 §5.2): the https URLs
    /// (at most 512 characters, no fragment) from which this server may fetch
    /// this client's request objects. A `request_uri` not listed is refused
    /// without being fetched.
    #[serde(default)]
    pub request_uris: Vec<String>,
    /// RFC 7591 §2: always `["code"]` (OAuth 2.1 has no other response type).
    #[serde(default = "code_only")]
    pub response_types: Vec<String>,
    /// Seed 001 "Persist Client Authorizations": a person's consent is remembered
    /// for later authorizations. False: the consent screen is shown every time
    /// (the consent is still recorded, so the person sees the app among theirs).
    #[serde(default = "yes")]
    pub persist_consent: bool,
    /// Individually requested claims (seed 001, OIDC Core §5.5): the claims this
    /// client may ask for one by one with the `claims` request parameter beyond
    /// what its scopes release. Approval-gated: a developer's addition waits for
    /// an administrator.
    #[serde(default)]
    pub requestable_claims: Vec<String>,
    /// Seed 001's "Include Claims In Id Token": when false, the claims a scope
    /// releases go only to userinfo (OIDC Core §5.4) and the ID token carries the
    /// protocol claims and what the `claims` parameter asked for under `id_token`.
    #[serde(default = "yes")]
    pub include_claims_in_id_token: bool,
    /// OIDC Registration §2: ID tokens are signed, then encrypted to the client's
    /// public key (its `jwks` or `jwks_uri`) with this JWE `alg` (a nested JWT).
    /// None: not encrypted.
    #[serde(default)]
    pub id_token_encrypted_response_alg: Option<String>,
    /// The JWE `enc` of encrypted ID tokens; set whenever the `alg` is
    /// (`A128CBC-HS256` when only the `alg` was given).
    #[serde(default)]
    pub id_token_encrypted_response_enc: Option<String>,
    /// OIDC Registration §2: userinfo answers with a JWT signed (with
    /// `userinfo_signed_response_alg`, else RS256), then encrypted with this `alg`.
    #[serde(default)]
    pub userinfo_encrypted_response_alg: Option<String>,
    #[serde(default)]
    pub userinfo_encrypted_response_enc: Option<String>,
    /// OIDC Registration §2: the client encrypts its request objects to this
    /// server's key with this `alg` and the `enc` beside it. When set, a request
    /// object that is not encrypted so is refused.
    #[serde(default)]
    pub request_object_encryption_alg: Option<String>,
    #[serde(default)]
    pub request_object_encryption_enc: Option<String>,
}

/// The only response type (OAuth 2.1 §4.1).
pub fn code_only() -> Vec<String> {
    vec!["code".to_owned()]
}

fn yes() -> bool {
    true
}

fn both<'a>(alg: &'a Option<String>, enc: &'a Option<String>) -> Option<(&'a str, &'a str)> {
    Some((alg.as_deref()?, enc.as_deref()?))
}

impl ClientMetadata {
    /// The JWE `alg` and `enc` ID tokens are encrypted with, when they are.
    pub fn id_token_encryption(&self) -> Option<(&str, &str)> {
        both(
            &self.id_token_encrypted_response_alg,
            &self.id_token_encrypted_response_enc,
        )
    }

    /// The JWE `alg` and `enc` userinfo responses are encrypted with, when they are.
    pub fn userinfo_encryption(&self) -> Option<(&str, &str)> {
        both(
            &self.userinfo_encrypted_response_alg,
            &self.userinfo_encrypted_response_enc,
        )
    }

    /// The JWE `alg` and `enc` the client's request objects must be encrypted with.
    pub fn request_object_encryption(&self) -> Option<(&str, &str)> {
        both(
            &self.request_object_encryption_alg,
            &self.request_object_encryption_enc,
        )
    }

    /// A public client: it has no secret.
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == AuthMethod::None
    }

    /// A client with a secret (not public, not authenticating with keys).
    pub fn has_secret(&self) -> bool {
        self.token_endpoint_auth_method.uses_secret()
    }

    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}
