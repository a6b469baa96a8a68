//! People who sign in through an OpenID provider they already have (issue 15;
//! seed 002's "sign in via Google (or other OAuth provider)", seed 004's Campus
//! IdM).
//!
//! The operator names providers in the settings (`[[upstream]]`,
//! docs/IDENTITY.md). A sign-in goes to the provider with `state`, a `nonce` and
//! PKCE ([`flow`]: nothing secret is stored — both derive from a cookie only the
//! browser holds); what comes back is checked to the letter ([`oidc`]: the
//! authorization response's `iss` (RFC 9207), the code redeemed with the
//! verifier, the ID token's signature, issuer, audience, expiry and nonce). The
//! provider's subject then finds its account ([`link`]): linked before, or
//! provisioned, or — when an account here already has the address — offered for
//! linking, which only the holder of that account confirms, signed in.

pub mod config;
pub mod flow;
pub mod link;
pub mod oidc;
pub mod store;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sea_orm::ConnectionTrait;

pub use config::{check, Claims, ClientAuth, ProviderConfig, RoleClaim};

use crate::oauth::keys::{Kek, KeyRing, KeySet};
use crate::platform::cache::TtlCache;
use crate::platform::clock::Clock;
use crate::DomainResult;

/// The providers people may sign in with — the settings file's `[[upstream]]`
/// sections and those administrators added (`store`, cached; the change feed's
/// `upstream` topic drops the copy in every process) — and the HTTP client that
/// talks to them.
pub struct Upstreams {
    /// The settings file's, checked at start-up; never changed at run time.
    fixed: Vec<ProviderConfig>,
    /// The administrators' (their secrets unsealed), fixed ones first in `all`.
    stored: TtlCache<(), Arc<Vec<ProviderConfig>>>,
    /// Counts invalidations: a list read before one is not kept after it.
    generation: AtomicU64,
    kek: Kek,
    /// Sign `private_key_jwt` client assertions (the server's own signing keys,
    /// published at its `jwks_uri`); set once the keys are loaded at start-up.
    keys: OnceLock<KeyRing>,
    pub(crate) oidc: oidc::Discovery,
}

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.fixed.iter().map(|p| p.id.as_str()).collect();
        f.debug_struct("Upstreams").field("fixed", &ids).finish()
    }
}

impl Upstreams {
    /// Checks the settings file's sections; the message names the section and
    /// what is wrong. `cache_ttl`: how long the administrators' providers are
    /// kept between reads (the change feed drops them sooner).
    pub fn new(
        fixed: Vec<ProviderConfig>,
        kek: Kek,
        clock: Arc<dyn Clock>,
        cache_ttl: Duration,
    ) -> Result<Self, String> {
        check(&fixed)?;
        Ok(Self {
            fixed,
            stored: TtlCache::new("upstream_providers", cache_ttl, 1, clock),
            generation: AtomicU64::new(0),
            kek,
            keys: OnceLock::new(),
            oidc: oidc::Discovery::new()?,
        })
    }

    /// The keys that sign client assertions (`private_key_jwt`), once loaded.
    pub fn sign_with(&self, keys: KeyRing) {
        let _ = self.keys.set(keys);
    }

    pub(crate) fn signing_keys(&self) -> Option<Arc<KeySet>> {
        self.keys.get().map(KeyRing::current)
    }

    /// The settings file's providers.
    pub fn fixed(&self) -> &[ProviderConfig] {
        &self.fixed
    }

    /// Every provider: the settings file's, then the administrators' by name.
    pub async fn all<C: ConnectionTrait>(
        &self,
        conn: &C,
    ) -> DomainResult<Arc<Vec<ProviderConfig>>> {
        if let Some(all) = self.stored.get(&()) {
            return Ok(all);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let mut all = self.fixed.clone();
        all.extend(store::load(conn, &self.kek).await?);
        let all = Arc::new(all);
        self.stored.insert((), all.clone());
        // A change announced while this was read: not kept (an invalidation
        // after this check clears what was just put, as it bumps first).
        if self.generation.load(Ordering::Acquire) != generation {
            self.stored.clear();
        }
        Ok(all)
    }

    pub async fn get<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: &str,
    ) -> DomainResult<Option<ProviderConfig>> {
        Ok(self.all(conn).await?.iter().find(|p| p.id == id).cloned())
    }

    /// The provider that signs in people of `email`'s domain (home-realm discovery).
    pub async fn for_email<C: ConnectionTrait>(
        &self,
        conn: &C,
        email: &str,
    ) -> DomainResult<Option<ProviderConfig>> {
        Ok(self
            .all(conn)
            .await?
            .iter()
            .find(|p| p.serves(email))
            .cloned())
    }

    /// Drops the administrators' providers and every provider's discovery
    /// document: one was added, changed or removed (here or in another process).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.stored.clear();
        self.oidc.forget();
    }
}

/// Why an upstream sign-in ended without a session; [`Refusal::code`] travels in
/// the address of the page that explains it, so the page words it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The person said no at the provider (`access_denied`).
    #[error("You did not allow the sign-in at the provider.")]
    Cancelled,
    /// The provider answered with an error, or with something that failed our checks.
    #[error("The provider's answer could not be accepted.")]
    Failed,
    /// The provider did not answer.
    #[error("The provider is not answering.")]
    Unavailable,
    /// No sign-in of this browser is waiting (expired, finished, another browser).
    #[error("This sign-in expired or was started in another browser.")]
    Expired,
    #[error("This account is disabled.")]
    Disabled,
    /// No account is linked and the provider makes none.
    #[error("No account here is linked to this identity.")]
    NoAccount,
    /// An account here has the address, which the provider has not verified.
    #[error("An account here has this e-mail address, which the provider has not verified.")]
    Unverified,
    /// The provider gave no usable address for a new account.
    #[error("The provider did not give a usable e-mail address.")]
    NoEmail,
    /// The identity is another account's.
    #[error("This identity is linked to another account.")]
    LinkedElsewhere,
    /// The account already has another identity at this provider.
    #[error("Your account is already linked to another identity at this provider.")]
    AlreadyLinked,
}

impl Refusal {
    pub const ALL: [Refusal; 10] = [
        Refusal::Cancelled,
        Refusal::Failed,
        Refusal::Unavailable,
        Refusal::Expired,
        Refusal::Disabled,
        Refusal::NoAccount,
        Refusal::Unverified,
        Refusal::NoEmail,
        Refusal::LinkedElsewhere,
        Refusal::AlreadyLinked,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Cancelled => "cancelled",
            Refusal::Failed => "failed",
            Refusal::Unavailable => "unavailable",
            Refusal::Expired => "expired",
            Refusal::Disabled => "disabled",
            Refusal::NoAccount => "no_account",
            Refusal::Unverified => "unverified",
            Refusal::NoEmail => "no_email",
            Refusal::LinkedElsewhere => "linked_elsewhere",
            Refusal::AlreadyLinked => "already_linked",
        }
    }
}

/// A refused upstream sign-in, audited (`session.sign_in_failed`, naming the
/// provider and the refusal's code) in a transaction of its own.
pub(crate) async fn record_refusal(
    db: &sea_orm::DatabaseConnection,
    provider: &str,
    refusal: &Refusal,
    ip: Option<String>,
    now: crate::platform::clock::Timestamp,
) -> Result<(), crate::DomainError> {
    use crate::audit::{self, Actor, AuditEvent, EventType};
    let txn = crate::platform::db::write_txn(db).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::SessionSignInFailed, Actor::Anonymous)
            .ip(ip)
            .data(serde_json::json!({ "upstream": provider, "refused": refusal.code() })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What went wrong with an upstream sign-in.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("{0}")]
    Refused(Refusal),
    #[error(transparent)]
    Internal(#[from] crate::DomainError),
}

impl From<sea_orm::DbErr> for UpstreamError {
    fn from(e: sea_orm::DbErr) -> Self {
        UpstreamError::Internal(e.into())
    }
}

impl From<Refusal> for UpstreamError {
    fn from(r: Refusal) -> Self {
        UpstreamError::Refused(r)
    }
}
