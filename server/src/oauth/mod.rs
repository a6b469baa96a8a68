//! The OAuth 2.1 protocol endpoints. Handlers are adapters: they parse the request,
//! authenticate the client, call the domain and speak RFC error codes.

mod authorize;
mod client_auth;
mod discovery;
mod error;
mod grants;
mod introspect;
mod revoke;
mod token;
mod untrusted;
mod userinfo;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use app::ssr::AppState;
use axum::routing::{get, post};
use axum::Router;
use domain::audit::AuditWriter;
use domain::cache::TtlCache;
use domain::clients::SecretCache;
use domain::keys::{Kek, KeyPolicy, KeySet};
use domain::resources::ScopeInfo;

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

    /// Endpoints that never read cookies: clients authenticate with credentials or
    /// bearer tokens, or nothing is needed (metadata, keys). The portal's session and
    /// CSRF middleware skips them entirely: no session lookup, no CSRF cookie minted
    /// on a token response, no work added to the hot path.
    pub const COOKIELESS: &[&str] = &[
        OPENID_CONFIGURATION,
        OAUTH_METADATA,
        JWKS,
        TOKEN,
        INTROSPECT,
        REVOKE,
        USERINFO,
    ];
}

/// Lifetimes from the settings file. The access- and refresh-token lifetimes here
/// are only defaults: administrators override them at run time
/// ([`OAuthState::runtime`]), and a client may have its own.
#[derive(Clone, Copy, Debug)]
pub struct TokenLifetimes {
    pub access_token_secs: i64,
    pub id_token_secs: i64,
    pub refresh_token_secs: i64,
    pub authorization_code_secs: i64,
    /// Seed 004's policy for the password grant: 9 hours by default.
    pub password_grant_secs: i64,
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
    pub app: AppState,
    pub issuer: Arc<str>,
    pub keys: Arc<RwLock<Arc<KeySet>>>,
    pub kek: Kek,
    pub key_policy: KeyPolicy,
    pub secret_cache: SecretCache,
    pub lifetimes: TokenLifetimes,
    /// Pre-serialised metadata document.
    pub metadata_json: Arc<[u8]>,
    pub scope_cache: TtlCache<String, Option<ScopeInfo>>,
    pub resource_cache: TtlCache<String, bool>,
    /// The revocation list in memory (see `RevocationMirror`).
    pub revocations: Arc<domain::tokens::RevocationMirror>,
    /// Group commit for token-issuance events.
    pub audit: AuditWriter,
    /// Take the caller's address from `X-Forwarded-For` (behind a trusted proxy).
    pub trust_proxy_headers: bool,
}

impl OAuthShared {
    /// The caller's IP address, for the audit log.
    pub fn caller_ip(&self, headers: &http::HeaderMap, peer: Option<SocketAddr>) -> Option<String> {
        if self.trust_proxy_headers {
            if let Some(ip) = headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
            {
                return Some(ip.to_owned());
            }
        }
        peer.map(|a| a.ip().to_string())
    }

    pub fn keys(&self) -> Arc<KeySet> {
        self.keys
            .read()
            .map(|k| k.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// The scope catalogue entry for `name`, from memory when fresh.
    pub async fn scope(&self, name: &str) -> Result<Option<ScopeInfo>, domain::DomainError> {
        if let Some(hit) = self.scope_cache.get(&name.to_owned()) {
            return Ok(hit);
        }
        let found = domain::resources::find_scope(&self.app.db, name).await?;
        self.scope_cache.insert(name.to_owned(), found.clone());
        Ok(found)
    }

    /// Whether an API with this identifier is registered, from memory when fresh.
    pub async fn resource_exists(&self, audience: &str) -> Result<bool, domain::DomainError> {
        if let Some(hit) = self.resource_cache.get(&audience.to_owned()) {
            return Ok(hit);
        }
        let found = domain::resources::find_resource_by_audience(&self.app.db, audience)
            .await?
            .is_some();
        self.resource_cache.insert(audience.to_owned(), found);
        Ok(found)
    }

    /// The settings administrators change at run time, from memory when fresh.
    pub async fn runtime(
        &self,
    ) -> Result<domain::server_settings::RuntimeSettings, domain::DomainError> {
        self.app.runtime.get(&self.app.db).await
    }

    /// Seed 000's switch, from memory when fresh.
    pub async fn third_party_enabled(&self) -> Result<bool, domain::DomainError> {
        Ok(self.runtime().await?.third_party_oauth)
    }

    /// Rotates keys when due and reloads the set (other processes may have rotated).
    pub async fn refresh_keys(&self) -> Result<(), domain::DomainError> {
        let set =
            domain::keys::ensure_and_load(&self.app.db, &self.kek, self.key_policy, self.app.now())
                .await?;
        if let Ok(mut k) = self.keys.write() {
            *k = Arc::new(set);
        }
        Ok(())
    }
}

pub fn router<S: Clone + Send + Sync + 'static>(state: OAuthState) -> Router<S> {
    Router::new()
        .route(routes::OPENID_CONFIGURATION, get(discovery::metadata))
        .route(routes::OAUTH_METADATA, get(discovery::metadata))
        .route(routes::AUTHORIZE, get(authorize::authorize))
        .route(routes::CONSENT, post(authorize::consent))
        .route(
            routes::USERINFO,
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route(routes::JWKS, get(discovery::jwks))
        .route(
            routes::TOKEN,
            post(token::token).get(error::method_not_allowed),
        )
        .route(
            routes::INTROSPECT,
            post(introspect::introspect).get(error::method_not_allowed),
        )
        .route(
            routes::REVOKE,
            post(revoke::revoke).get(error::method_not_allowed),
        )
        .with_state(state)
}

pub use discovery::metadata_document;
