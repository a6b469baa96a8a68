//! The OAuth 2.1 protocol endpoints. Handlers are adapters: they parse the request,
//! authenticate the client, call the domain and speak RFC error codes.

mod authorize;
mod authz_request;
pub mod cimd;
mod client_assertion;
mod client_auth;
mod cors;
mod device_authorization;
mod discovery;
pub mod dpop;
mod encrypt_to;
mod end_session;
mod error;
mod grants;
mod introspect;
mod par;
mod registration;
mod request_object;
mod request_uri;
mod revoke;
mod token;
mod untrusted;
mod userinfo;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use domain::oauth::keys::{Kek, KeyPolicy, KeySet};
use domain::oauth::Tokens;

pub use client_assertion::ClientKeys;
pub use error::OAuthError;

/// Every protocol route, in one place: the router and the discovery document are
/// both built from these.
pub mod routes {
    pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
    pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";
    pub const AUTHORIZE: &str = "/oauth/authorize";
    /// The consent page's form posts here (the page itself is a portal page).
    pub const CONSENT: &str = "/oauth/consent";
    pub const USERINFO: &str = "/oauth/userinfo";
    pub const JWKS: &str = "/oauth/jwks";
    pub const TOKEN: &str = "/oauth/token";
    pub const INTROSPECT: &str = "/oauth/introspect";
    pub const REVOKE: &str = "/oauth/revoke";
    /// RP-Initiated Logout; it checks the CSRF token of its own confirmation form
    /// itself, since apps' cross-site logout posts carry none.
    pub const END_SESSION: &str = "/oauth/end_session";
    /// Pushed authorization requests (RFC 9126).
    pub const PAR: &str = "/oauth/par";
    /// RFC 8628 §3.1.
    pub const DEVICE_AUTHORIZATION: &str = "/oauth/device_authorization";
    /// Dynamic client registration (RFC 7591).
    pub const REGISTER: &str = "/oauth/register";
    /// RFC 7592: a client's `registration_client_uri`.
    pub const REGISTRATION: &str = "/oauth/register/{client_id}";
    /// RFC 8628 §3.2 `verification_uri`: a portal page.
    pub const DEVICE: &str = "/device";

    /// Endpoints that never read cookies: clients authenticate with credentials or
    /// bearer tokens, or nothing is needed (metadata, keys). The portal's session and
    /// CSRF middleware skips them entirely: no session lookup, no CSRF cookie minted
    /// on a token response, no work added to the hot path.
    pub const COOKIELESS: &[&str] = &[
        OPENID_CONFIGURATION,
        OAUTH_METADATA,
        JWKS,
        TOKEN,
        PAR,
        INTROSPECT,
        REVOKE,
        USERINFO,
        DEVICE_AUTHORIZATION,
        REGISTER,
    ];

    /// Whether the session and CSRF middleware skips `path`: the cookieless
    /// endpoints and the RFC 7592 registration client URIs (bearer-authenticated).
    pub fn is_cookieless(path: &str) -> bool {
        COOKIELESS.contains(&path)
            || path
                .strip_prefix(REGISTER)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// Everything the protocol endpoints share, behind one `Arc`: axum clones the state
/// for every request, and one reference count is cheaper than a dozen.
#[derive(Clone)]
pub struct OAuthState(Arc<OAuthShared>);

impl OAuthState {
    pub fn new(shared: OAuthShared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for OAuthState {
    type Target = OAuthShared;
    fn deref(&self) -> &OAuthShared {
        &self.0
    }
}

pub struct OAuthShared {
    /// The domain's shared handles (database, hasher, caches).
    pub services: domain::services::Services,
    /// Issuing and checking tokens (`domain::oauth`).
    pub tokens: Tokens,
    pub kek: Kek,
    pub key_policy: KeyPolicy,
    /// Pre-serialised metadata document.
    pub metadata_json: Arc<[u8]>,
    /// Take the caller's address from `X-Forwarded-For` (behind a trusted proxy).
    pub trust_proxy_headers: bool,
    /// Cookies carry `Secure` and the `__Host-` prefix (to clear the session's).
    pub secure_cookies: bool,
    /// Every client must push its authorization requests (RFC 9126 §5).
    pub require_par: bool,
    /// Clients' public keys for `private_key_jwt`.
    pub client_keys: client_assertion::ClientKeys,
    /// What DPoP is required (RFC 9449), and the nonce key.
    pub dpop: dpop::DpopPolicy,
    /// The device flow's lifetimes and per-client quota (RFC 8628).
    pub device: domain::oauth::device_policy::DevicePolicy,
    /// Open registrations per address (RFC 7591).
    pub open_registration: domain::clients::dynamic::OpenRegistrationLimit,
    /// How long delegation chains may grow (RFC 8693).
    pub exchange: domain::oauth::exchange::ExchangePolicy,
    /// Fetches client ID metadata documents (`cimd`).
    pub metadata_documents: cimd::MetadataDocuments,
}

impl OAuthShared {
    pub fn issuer(&self) -> &str {
        &self.tokens.issuer
    }

    /// The caller's IP address, for the audit log.
    pub fn caller_ip(&self, headers: &http::HeaderMap, peer: Option<SocketAddr>) -> Option<String> {
        crate::net::client_ip(headers, peer, self.trust_proxy_headers)
    }

    pub fn keys(&self) -> Arc<KeySet> {
        self.tokens.keys.current()
    }

    /// Reloads the key set another process changed (no rotation, no lock).
    pub async fn reload_keys(&self) -> Result<(), domain::DomainError> {
        let set = domain::oauth::keys::load(
            &self.services.db,
            &self.kek,
            self.key_policy,
            self.services.now(),
        )
        .await?;
        self.tokens.keys.replace(set);
        Ok(())
    }

    /// Rotates keys when due and reloads the set (other processes may have rotated).
    pub async fn refresh_keys(&self) -> Result<(), domain::DomainError> {
        let set = domain::oauth::keys::ensure_and_load(
            &self.services.db,
            &self.kek,
            self.key_policy,
            self.services.now(),
        )
        .await?;
        self.tokens.keys.replace(set);
        Ok(())
    }
}

pub fn router<S: Clone + Send + Sync + 'static>(state: OAuthState) -> Router<S> {
    Router::new()
        .route(
            routes::OPENID_CONFIGURATION,
            get(discovery::metadata).options(cors::public_preflight),
        )
        .route(
            routes::OAUTH_METADATA,
            get(discovery::metadata).options(cors::public_preflight),
        )
        .route(routes::AUTHORIZE, get(authorize::authorize))
        .route(routes::CONSENT, post(authorize::consent))
        .route(
            routes::USERINFO,
            get(userinfo::userinfo)
                .post(userinfo::userinfo)
                .options(cors::preflight_get_post),
        )
        .route(
            routes::JWKS,
            get(discovery::jwks).options(cors::public_preflight),
        )
        .route(
            routes::END_SESSION,
            get(end_session::end_session).post(end_session::end_session),
        )
        .route(
            routes::TOKEN,
            post(token::token)
                .get(error::method_not_allowed)
                .options(cors::preflight_post),
        )
        .route(routes::PAR, post(par::par).get(error::method_not_allowed))
        .route(
            routes::INTROSPECT,
            post(introspect::introspect).get(error::method_not_allowed),
        )
        .route(
            routes::REVOKE,
            post(revoke::revoke)
                .get(error::method_not_allowed)
                .options(cors::preflight_post),
        )
        .route(
            routes::REGISTER,
            post(registration::register).get(error::method_not_allowed),
        )
        .route(
            routes::REGISTRATION,
            get(registration::read)
                .put(registration::update)
                .delete(registration::delete),
        )
        .route(
            routes::DEVICE_AUTHORIZATION,
            post(device_authorization::device_authorization).get(error::method_not_allowed),
        )
        .with_state(state)
}

pub use discovery::metadata_document;
