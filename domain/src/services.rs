//! The handles every adapter shares — the web pages, the protocol endpoints, the
//! REST API, the CLI and the background jobs — built once at start-up.
//!
//! Caches live here, not in any adapter, so a change made through one adapter
//! invalidates what the others read (a client disabled on a page stops getting
//! tokens at once).

use std::sync::Arc;

use crate::accounts::throttle::ThrottlePolicy;
use crate::clients::authenticate::SecretCache;
use crate::oauth::access_tokens::RevocationMirror;
use crate::oauth::catalogue::Catalogue;
use crate::platform::changes::Change;
use crate::platform::clock::{Clock, Timestamp};
use crate::platform::db::Db;
use crate::platform::password::PasswordHasher;
use crate::settings::SettingsCache;

#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub hasher: PasswordHasher,
    pub clock: Arc<dyn Clock>,
    /// Verified client secrets and client rows, for client authentication.
    pub clients: SecretCache,
    /// The scope catalogue and the APIs, as token issuance reads them.
    pub catalogue: Catalogue,
    /// Settings administrators change at run time (token lifetimes, sign-up, the
    /// third-party switch, client defaults), read through a short cache.
    pub runtime: SettingsCache,
    /// How many failed guesses lock what (sign-in and client authentication).
    pub throttle: ThrottlePolicy,
    /// This process's copy of the access-token revocation list; every revocation
    /// goes through it, so this process sees its own at once.
    pub revocations: Arc<RevocationMirror>,
    /// Fetches documents developers name (sector identifier documents), through
    /// the server's SSRF-guarded client.
    pub documents: crate::platform::fetch::Documents,
    /// The LDAP directory that checks the passwords of its people (`[ldap]`);
    /// `None`: every password is local.
    pub directory: Option<Arc<crate::accounts::directory::Directory>>,
    /// The OpenID providers people may sign in with (`[[upstream]]` and those
    /// administrators added); none: no "Continue with …".
    pub upstreams: Arc<crate::accounts::upstream::Upstreams>,
}

impl Services {
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// What checks passwords at sign-in: the local hashes and the directory.
    pub fn passwords(&self) -> crate::accounts::sign_in::Passwords<'_> {
        crate::accounts::sign_in::Passwords {
            hasher: &self.hasher,
            directory: self.directory.as_deref(),
        }
    }

    /// Drops what the caches hold for a change another process (or this one) made.
    /// Signing keys are the server's to reload (`Change::Keys`).
    pub fn apply(&self, change: &Change) {
        match change {
            Change::Client(id) => self.clients.invalidate_client(id),
            Change::Catalogue => self.catalogue.invalidate(),
            Change::Settings => self.runtime.invalidate(),
            Change::Revocation(jti) => self.revocations.learn(jti),
            Change::Keys => {}
            Change::Upstream(_) => self.upstreams.invalidate(),
        }
    }

    /// Drops everything the caches hold: changes may have been missed (the database
    /// was unreachable).
    pub fn forget_all(&self) {
        self.clients.invalidate_all();
        self.catalogue.invalidate();
        self.runtime.invalidate();
        self.revocations.forget();
        self.upstreams.invalidate();
    }
}
