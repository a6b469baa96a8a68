//! Bodies of `/api/v1/clients`: a client as the API shows it, registration, edit,
//! secret rotation and enabling.

use domain::clients::{Client, ClientMetadata, ClientPatch, EncryptionPatch};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::requests::RequestView;
use super::stage::Stage;

// The client's closed sets are the domain's own types, described for the OpenAPI
// document where they are defined (domain's `openapi` feature).
pub use super::secrets::*;
pub use domain::clients::{ApplicationType, AuthMethod, GrantType, SigningAlg, SubjectType};

/// A registered client. Never contains a secret. Times are Unix seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    pub id: String,
    /// What the developer declared (RFC 7591 names).
    #[serde(flatten)]
    pub metadata: ClientMetadata,
    pub owner_id: Option<String>,
    pub scopes: Vec<String>,
    /// Refresh-token lifetime; null means the server default.
    /// This client's access-token lifetime (null: the server's); set by administrators.
    pub access_token_ttl_secs: Option<i64>,
    pub refresh_token_ttl_secs: Option<i64>,
    /// The operator's own client: served while third-party apps are switched
    /// off, and its redirect URIs trusted for errors. Set by administrators.
    pub first_party: bool,
    /// People signing in are not asked to consent: their consent is recorded for
    /// them (listed under My apps, revocable, audited as pre-authorized). Set by
    /// administrators.
    pub pre_authorized: bool,
    /// Tokens are issued only for people with these e-mail domains (empty: anyone).
    pub allowed_email_domains: Vec<String>,
    pub disabled: bool,
    /// `development` (only its team signs in) or `production`. A team member asks
    /// for production with `POST …/promotion`; administrators change it with
    /// `PUT …/stage`.
    pub stage: Stage,
    /// When the registration expires (null: never).
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped by every change; also sent as the `ETag`. Send it back in `If-Match`
    /// (or as `version`) so that an edit applies only to the client you read.
    pub version: i64,
}

impl From<Client> for ClientView {
    fn from(c: Client) -> Self {
        Self {
            id: c.id,
            metadata: c.metadata,
            owner_id: c.owner_id,
            scopes: c.scopes,
            access_token_ttl_secs: c.access_token_ttl_secs,
            refresh_token_ttl_secs: c.refresh_token_ttl_secs,
            first_party: c.first_party,
            pre_authorized: c.pre_authorized,
            allowed_email_domains: c.allowed_email_domains,
            disabled: c.disabled,
            stage: c.stage.into(),
            expires_at: c.expires_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// One page of clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientPage {
    pub items: Vec<ClientView>,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClientSort {
    #[default]
    Name,
    /// Newest first.
    Created,
    /// Soonest expiry first; clients that never expire last.
    Expiry,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListClients {
    /// 1-based page number (default 1). A page past the end is empty.
    pub page: Option<i64>,
    /// Items per page, 1 to 200 (default 50).
    pub per_page: Option<i64>,
    pub sort: Option<ClientSort>,
    /// Search in names and ids.
    pub q: Option<String>,
    /// Administrators: everyone's clients, not only their own.
    pub all: Option<bool>,
}

/// A new client. It gets the default scopes (a service client none) and the
/// default registration lifetime; more scopes and the password grant are requested.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    #[schema(example = "Grading bot")]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Default `web`.
    pub application_type: Option<ApplicationType>,
    /// Default `client_secret_basic` (`none` for native clients). Native clients
    /// must use `none`; web and service clients must not.
    pub token_endpoint_auth_method: Option<AuthMethod>,
    /// Required (at least one) for web and native clients using the
    /// `authorization_code` grant, which they do by default. https, or http on a
    /// loopback address; native clients may also use a reverse-domain private
    /// scheme (`edu.example.app:/cb`). No fragments. Service clients have none.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Authorized JavaScript origins: exact `scheme://host[:port]` (https, or http
    /// on a loopback address), no path or wildcard. Web pages at these origins may
    /// call the token, revocation and userinfo endpoints from the browser (CORS).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Default: `client_credentials` for service clients, else
    /// `authorization_code` and `refresh_token`. Service clients may use only
    /// `client_credentials`, native clients not it; `password` needs approval.
    #[serde(default)]
    pub grant_types: Vec<String>,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub contacts: Vec<String>,
    pub id_token_signed_response_alg: Option<SigningAlg>,
    pub userinfo_signed_response_alg: Option<SigningAlg>,
    /// Seconds (60 to one year): a person signed in longer ago signs in again
    /// before this client gets a code, unless its request names `max_age`.
    pub default_max_age: Option<i64>,
    /// The ID token carries `auth_time` (Portcullis always includes it).
    pub require_auth_time: Option<bool>,
    /// OpenID Connect Back-Channel Logout: Portcullis POSTs a signed
    /// `logout_token` here when a session this client signed in to ends. https
    /// (http on loopback), no fragment; not for service clients.
    pub backchannel_logout_uri: Option<String>,
    /// Logout tokens carry `sid` (they always do).
    pub backchannel_logout_session_required: Option<bool>,
    /// OpenID Connect Front-Channel Logout: loaded in a hidden iframe of the
    /// sign-out page. Same rules as `backchannel_logout_uri`.
    pub frontchannel_logout_uri: Option<String>,
    /// Add `iss` and `sid` to the front-channel URI's query.
    pub frontchannel_logout_session_required: Option<bool>,
    /// RFC 9126 §6: accept this client's authorization requests only when pushed
    /// to the PAR endpoint first.
    pub require_pushed_authorization_requests: Option<bool>,
    /// RFC 9449 §5.2: refuse this client's token requests that carry no DPoP proof.
    pub dpop_bound_access_tokens: Option<bool>,
    /// OIDC Registration §5: an https URL of a JSON array listing every redirect
    /// URI; fetched and checked at registration. Its host is the client's sector
    /// for pairwise subjects.
    pub sector_identifier_uri: Option<String>,
    /// `public` (default) or `pairwise` (OpenID Connect Core §8; needs a sector:
    /// `sector_identifier_uri`, or redirect URIs on one host). Approval-gated: an
    /// administrator's applies at once; a developer's client is registered
    /// `public` with a change request for `pairwise` (`request_id`).
    pub subject_type: Option<SubjectType>,
    /// RFC 7591 §2: the client's public keys inline (a JSON Web Key Set of RSA or
    /// EC keys, at most 10); exclusive with `jwks_uri`.
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// `RS256`, `PS256` or `ES256`: the only algorithm accepted for this client's
    /// assertions (`private_key_jwt`).
    pub token_endpoint_auth_signing_alg: Option<String>,
    /// The only algorithm accepted for this client's request objects.
    pub request_object_signing_alg: Option<String>,
    /// OIDC Registration §2: encrypt ID tokens to the client's key (`jwks` or
    /// `jwks_uri`) with this JWE alg: `RSA-OAEP-256`, `RSA-OAEP`, `ECDH-ES`,
    /// `ECDH-ES+A128KW` or `ECDH-ES+A256KW` (signed, then encrypted).
    pub id_token_encrypted_response_alg: Option<String>,
    /// `A128CBC-HS256` (the default when only the alg is given), `A256CBC-HS512`,
    /// `A128GCM` or `A256GCM`; needs the alg.
    pub id_token_encrypted_response_enc: Option<String>,
    /// As for ID tokens: userinfo answers with a signed, then encrypted JWT.
    pub userinfo_encrypted_response_alg: Option<String>,
    pub userinfo_encrypted_response_enc: Option<String>,
    /// `RSA-OAEP-256`: the client encrypts its request objects to this server's
    /// key; when set, unencrypted request objects are refused.
    pub request_object_encryption_alg: Option<String>,
    pub request_object_encryption_enc: Option<String>,
    /// Only `["code"]`.
    pub response_types: Option<Vec<String>>,
    /// OIDC Registration §2 (RFC 9101 §5.2): https URLs (http on loopback) of at
    /// most 512 characters, without a fragment, where this client's request
    /// objects may be fetched; at most 10. A `request_uri` not listed is refused.
    #[serde(default)]
    pub request_uris: Vec<String>,
    /// Remember people's consent (default true); false shows the consent page on
    /// every authorization.
    pub persist_consent: Option<bool>,
    /// OIDC Core §5.4: false puts the claims the scopes release only at userinfo
    /// (the ID token keeps the protocol claims and what `claims` asked for under
    /// `id_token`). Default true.
    pub include_claims_in_id_token: Option<bool>,
    #[serde(default)]
    pub allowed_email_domains: Vec<String>,
}

impl NewClient {
    /// The metadata as sent (validated by the domain at registration).
    pub fn metadata(&self) -> ClientPatch {
        ClientPatch {
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            token_endpoint_auth_method: self.token_endpoint_auth_method,
            redirect_uris: Some(self.redirect_uris.clone()),
            post_logout_redirect_uris: Some(self.post_logout_redirect_uris.clone()),
            allowed_origins: Some(self.allowed_origins.clone()),
            grant_types: Some(self.grant_types.clone()),
            logo_uri: Some(self.logo_uri.clone()),
            client_uri: Some(self.client_uri.clone()),
            policy_uri: Some(self.policy_uri.clone()),
            tos_uri: Some(self.tos_uri.clone()),
            jwks_uri: Some(self.jwks_uri.clone()),
            contacts: Some(self.contacts.clone()),
            id_token_signed_response_alg: self.id_token_signed_response_alg,
            userinfo_signed_response_alg: Some(self.userinfo_signed_response_alg),
            default_max_age: Some(self.default_max_age),
            require_auth_time: self.require_auth_time,
            backchannel_logout_uri: Some(self.backchannel_logout_uri.clone()),
            backchannel_logout_session_required: self.backchannel_logout_session_required,
            frontchannel_logout_uri: Some(self.frontchannel_logout_uri.clone()),
            frontchannel_logout_session_required: self.frontchannel_logout_session_required,
            require_pushed_authorization_requests: self.require_pushed_authorization_requests,
            dpop_bound_access_tokens: self.dpop_bound_access_tokens,
            sector_identifier_uri: Some(self.sector_identifier_uri.clone()),
            jwks: Some(self.jwks.clone()),
            token_endpoint_auth_signing_alg: Some(self.token_endpoint_auth_signing_alg.clone()),
            request_object_signing_alg: Some(self.request_object_signing_alg.clone()),
            response_types: self.response_types.clone(),
            request_uris: Some(self.request_uris.clone()),
            persist_consent: self.persist_consent,
            include_claims_in_id_token: self.include_claims_in_id_token,
            encryption: EncryptionPatch {
                id_token_encrypted_response_alg: Some(self.id_token_encrypted_response_alg.clone()),
                id_token_encrypted_response_enc: Some(self.id_token_encrypted_response_enc.clone()),
                userinfo_encrypted_response_alg: Some(self.userinfo_encrypted_response_alg.clone()),
                userinfo_encrypted_response_enc: Some(self.userinfo_encrypted_response_enc.clone()),
                request_object_encryption_alg: Some(self.request_object_encryption_alg.clone()),
                request_object_encryption_enc: Some(self.request_object_encryption_enc.clone()),
            },
        }
    }
}

/// A newly registered client with its secret: shown here once, never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedClient {
    #[serde(flatten)]
    pub client: ClientView,
    /// Null for public (native) clients.
    pub client_secret: Option<String>,
    /// The change request made with the registration, waiting for an
    /// administrator: a developer's `subject_type: pairwise`. Null when none.
    pub request_id: Option<String>,
}

/// Absent: keep; `null`: clear; a value: set.
fn patch<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An edit. Fields left out keep their values, so a client as returned by GET may
/// be sent back with changes. `refresh_token_ttl_secs` and `password_grant` (or
/// `password` in `grant_types`) need an administrator's approval when they add
/// privilege: they become a change request (`pending_request`, needs
/// `justification`) and the client keeps its current values. Scopes, expiry and
/// enabling are changed through `/api/v1/requests`, `/disable` and `/enable`.
/// `access_token_ttl_secs`, `first_party` and `pre_authorized` are set by
/// administrators only.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientEdit {
    pub name: Option<String>,
    pub description: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Authorized JavaScript origins (CORS), exact `scheme://host[:port]`.
    pub allowed_origins: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<AuthMethod>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub logo_uri: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub client_uri: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub policy_uri: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub tos_uri: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub jwks_uri: Option<Option<String>>,
    pub contacts: Option<Vec<String>>,
    pub id_token_signed_response_alg: Option<SigningAlg>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<SigningAlg>)]
    pub userinfo_signed_response_alg: Option<Option<SigningAlg>>,
    /// Seconds (60 to one year); null clears it.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<i64>)]
    pub default_max_age: Option<Option<i64>>,
    pub require_auth_time: Option<bool>,
    /// null clears it.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub backchannel_logout_uri: Option<Option<String>>,
    pub backchannel_logout_session_required: Option<bool>,
    /// null clears it.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub frontchannel_logout_uri: Option<Option<String>>,
    pub frontchannel_logout_session_required: Option<bool>,
    pub require_pushed_authorization_requests: Option<bool>,
    pub dpop_bound_access_tokens: Option<bool>,
    /// OIDC Registration §5 (null clears it): its document is fetched and must
    /// list every redirect URI. A pairwise client may not change sector.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub sector_identifier_uri: Option<Option<String>>,
    /// `public` or `pairwise` (OpenID Connect Core §8). Approval-gated either way:
    /// it changes every person's `sub` at this client.
    pub subject_type: Option<SubjectType>,
    /// RFC 7591 §2 (null clears it): public RSA or EC keys inline; exclusive with
    /// `jwks_uri`.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<Option<serde_json::Value>>,
    /// `RS256`, `PS256` or `ES256` (null: any of them).
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub token_endpoint_auth_signing_alg: Option<Option<String>>,
    /// `RS256`, `PS256` or `ES256` (null: any of them).
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub request_object_signing_alg: Option<Option<String>>,
    /// The JWE alg ID tokens are encrypted to the client's key with (null: not
    /// encrypted); sending it without its enc resets the enc to `A128CBC-HS256`.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub id_token_encrypted_response_alg: Option<Option<String>>,
    /// The JWE enc of encrypted ID tokens; needs the alg.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub id_token_encrypted_response_enc: Option<Option<String>>,
    /// As for ID tokens, for userinfo responses.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub userinfo_encrypted_response_alg: Option<Option<String>>,
    /// The JWE enc of encrypted userinfo responses.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub userinfo_encrypted_response_enc: Option<Option<String>>,
    /// `RSA-OAEP-256` (null: request objects may be plain or encrypted).
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub request_object_encryption_alg: Option<Option<String>>,
    /// The JWE enc the client's request objects use.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub request_object_encryption_enc: Option<Option<String>>,
    /// Only `["code"]` is accepted.
    pub response_types: Option<Vec<String>>,
    /// Where this client's request objects may be fetched (OIDC Registration §2;
    /// at most 10 https URLs of 512 characters, no fragment); `[]` clears them.
    pub request_uris: Option<Vec<String>>,
    /// Remember people's consent; false: the consent page on every authorization.
    pub persist_consent: Option<bool>,
    /// Set by administrators only; a developer sending another value is refused,
    /// naming the field.
    pub first_party: Option<bool>,
    /// Set by administrators only (no consent screen for people signing in); a
    /// developer sending another value is refused, naming the field.
    pub pre_authorized: Option<bool>,
    /// Never accepted here: a secret is issued only by `POST …/rotate-secret`
    /// (shown once). Sending one is refused, naming this field.
    /// (Refused even as null: naming it is the mistake.)
    #[serde(default, deserialize_with = "patch")]
    #[schema(read_only, value_type = Option<String>)]
    pub client_secret: Option<Option<serde_json::Value>>,
    /// Set by administrators only (60 to 3600 seconds; null: the server's
    /// lifetime); a developer sending another value is refused, naming the field.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<i64>)]
    pub access_token_ttl_secs: Option<Option<i64>>,
    /// Approval-gated when it changes (null: the server default).
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<i64>)]
    pub refresh_token_ttl_secs: Option<Option<i64>>,
    /// Approval-gated when turned on; turning it off applies at once.
    pub password_grant: Option<bool>,
    /// OIDC Core §5.4: false puts the claims the scopes release only at userinfo;
    /// the ID token keeps the protocol claims and what the `claims` parameter
    /// asked for under `id_token`. Applies at once.
    pub include_claims_in_id_token: Option<bool>,
    /// Individually requested claims (OIDC Core §5.5): claims this client may ask
    /// for with the `claims` parameter beyond what its scopes release, from
    /// `name`, `given_name`, `family_name`, `preferred_username`, `updated_at`,
    /// `email`, `email_verified`. Approval-gated when it adds a claim (a change
    /// request, needs `justification`); removing claims applies at once.
    pub requestable_claims: Option<Vec<String>>,
    /// Why, for the administrator deciding the change request.
    pub justification: Option<String>,
    /// Read-only here: must equal the current value when sent.
    #[schema(read_only)]
    pub application_type: Option<ApplicationType>,
    /// Read-only here: request scopes through `POST /api/v1/requests`.
    #[schema(read_only)]
    pub scopes: Option<Vec<String>>,
    /// Read-only here: use `/disable` and `/enable`.
    #[schema(read_only)]
    pub disabled: Option<bool>,
    /// Read-only here: ask for production with `POST …/promotion`
    /// (administrators: `PUT …/stage`).
    #[schema(read_only)]
    pub stage: Option<Stage>,
    /// Read-only here: request an extension through `POST /api/v1/requests`.
    #[serde(default, deserialize_with = "patch")]
    #[schema(read_only, value_type = Option<i64>)]
    pub expires_at: Option<Option<i64>>,
    /// Read-only after registration.
    #[schema(read_only)]
    pub allowed_email_domains: Option<Vec<String>>,
    /// The version the edit is based on (as returned by GET): when the client has
    /// changed since, the edit is refused with 409 instead of undoing that change.
    pub version: Option<i64>,
    /// Read-only: must equal the client's id when sent.
    #[schema(read_only)]
    pub id: Option<String>,
    /// RFC 7591's name for `id`. Read-only: must equal the client's id when sent.
    #[schema(read_only)]
    pub client_id: Option<String>,
    /// Read-only.
    #[serde(default, deserialize_with = "patch")]
    #[schema(read_only, value_type = Option<String>)]
    pub owner_id: Option<Option<String>>,
    /// Read-only.
    #[schema(read_only)]
    pub created_at: Option<i64>,
    /// Read-only (ignored when sent: it changes with every edit).
    #[schema(read_only)]
    pub updated_at: Option<i64>,
}

impl ClientEdit {
    /// The metadata fields sent, as a patch. `password` in `grant_types` is not
    /// part of it: the password grant is approval-gated (see `password_grant`).
    pub fn metadata(&self) -> ClientPatch {
        ClientPatch {
            name: self.name.clone(),
            description: self.description.clone(),
            token_endpoint_auth_method: self.token_endpoint_auth_method,
            redirect_uris: self.redirect_uris.clone(),
            post_logout_redirect_uris: self.post_logout_redirect_uris.clone(),
            allowed_origins: self.allowed_origins.clone(),
            grant_types: self.grant_types.as_ref().map(|v| {
                v.iter()
                    .filter(|g| *g != GrantType::Password.as_str())
                    .cloned()
                    .collect()
            }),
            logo_uri: self.logo_uri.clone(),
            client_uri: self.client_uri.clone(),
            policy_uri: self.policy_uri.clone(),
            tos_uri: self.tos_uri.clone(),
            jwks_uri: self.jwks_uri.clone(),
            contacts: self.contacts.clone(),
            id_token_signed_response_alg: self.id_token_signed_response_alg,
            userinfo_signed_response_alg: self.userinfo_signed_response_alg,
            default_max_age: self.default_max_age,
            require_auth_time: self.require_auth_time,
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: self.backchannel_logout_session_required,
            frontchannel_logout_uri: self.frontchannel_logout_uri.clone(),
            frontchannel_logout_session_required: self.frontchannel_logout_session_required,
            require_pushed_authorization_requests: self.require_pushed_authorization_requests,
            dpop_bound_access_tokens: self.dpop_bound_access_tokens,
            sector_identifier_uri: self.sector_identifier_uri.clone(),
            jwks: self.jwks.clone(),
            token_endpoint_auth_signing_alg: self.token_endpoint_auth_signing_alg.clone(),
            request_object_signing_alg: self.request_object_signing_alg.clone(),
            response_types: self.response_types.clone(),
            request_uris: self.request_uris.clone(),
            persist_consent: self.persist_consent,
            include_claims_in_id_token: self.include_claims_in_id_token,
            encryption: EncryptionPatch {
                id_token_encrypted_response_alg: self.id_token_encrypted_response_alg.clone(),
                id_token_encrypted_response_enc: self.id_token_encrypted_response_enc.clone(),
                userinfo_encrypted_response_alg: self.userinfo_encrypted_response_alg.clone(),
                userinfo_encrypted_response_enc: self.userinfo_encrypted_response_enc.clone(),
                request_object_encryption_alg: self.request_object_encryption_alg.clone(),
                request_object_encryption_enc: self.request_object_encryption_enc.clone(),
            },
        }
    }
}

/// The client after an edit, and the change request made for the parts that wait
/// for approval.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditedClient {
    #[serde(flatten)]
    pub client: ClientView,
    pub pending_request: Option<RequestView>,
    /// Set when the client now authenticates with a secret but has no working
    /// one (it was switched from `private_key_jwt`): says how to get one
    /// (`POST …/rotate-secret`). Null otherwise.
    pub notice: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Toggle {
    /// Why: required to ask for a disabled client to be enabled again; for
    /// disabling, an optional reason told to the owner.
    #[serde(default)]
    pub justification: String,
}

/// The outcome of `/enable`: the client, and the request made when a developer
/// asked (an administrator enables at once).
#[derive(Debug, Serialize, ToSchema)]
pub struct Toggled {
    #[serde(flatten)]
    pub client: ClientView,
    pub pending_request: Option<RequestView>,
}

/// One back-channel logout of the client (the token itself is never kept).
#[derive(Debug, Serialize, ToSchema)]
pub struct LogoutDeliveryView {
    /// When the session ended (Unix seconds).
    pub created_at: i64,
    pub attempts: i64,
    /// `delivered`, `retrying` or `failed` (given up after eight attempts).
    #[schema(example = "retrying")]
    pub state: String,
    /// Why the last attempt failed (the app's status, a timeout, an address that
    /// is not public), or null.
    pub last_error: Option<String>,
    /// When it is tried again (Unix seconds), while retrying.
    pub next_attempt_at: Option<i64>,
}

/// The client's latest back-channel logouts (at most 20), newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogoutDeliveryList {
    pub client_id: String,
    pub deliveries: Vec<LogoutDeliveryView>,
}
