//! Password hashing with argon2id at OWASP's parameters (19 MiB, t=2, p=1).
//!
//! A verification costs ~16 ms of one core, so hashing runs on the blocking pool
//! behind semaphores: a burst queues instead of starving the async runtime.
//!
//! Two lanes, so machines cannot starve people: people's passwords (sign-in, the
//! password grant, hashing new passwords and secrets) get one permit per core;
//! client secrets at the protocol endpoints get their own lane of half the cores
//! (at least one). Hundreds of token requests with wrong secrets queue behind each
//! other in the clients' lane, never in front of a person signing in, and take at
//! most that share of the CPU.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::platform::secret::SecretString;
use crate::{DomainError, DomainResult};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    /// People's passwords.
    permits: Semaphore,
    /// Client secrets at the protocol endpoints.
    client_permits: Semaphore,
    /// Verified against when the account does not exist, so "unknown user" costs the
    /// same time as "wrong password".
    dummy_hash: String,
    /// argon2 verifications run so far (for tests and metrics).
    verifications: std::sync::atomic::AtomicU64,
    /// Of those, client secrets.
    client_verifications: std::sync::atomic::AtomicU64,
}

/// Which lane a verification queues in (see the module comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lane {
    People,
    Clients,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_sync(password: &str) -> DomainResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DomainError::Internal(format!("argon2: {e}")))
}

fn verify_sync(stored: &str, password: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordHasher {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let dummy_hash = hash_sync(&crate::platform::secret::random_token())
            .expect("argon2 hashes a random string");
        Self {
            inner: Arc::new(Inner {
                permits: Semaphore::new(cores),
                client_permits: Semaphore::new((cores / 2).max(1)),
                dummy_hash,
                verifications: Default::default(),
                client_verifications: Default::default(),
            }),
        }
    }

    /// Checks a new password against the policy: length only (NIST SP 800-63B), no
    /// composition rules.
    pub fn validate(password: &SecretString) -> DomainResult<()> {
        let n = password.expose().chars().count();
        if n < MIN_PASSWORD_CHARS {
            return Err(DomainError::invalid(
                "password",
                format!("must be at least {MIN_PASSWORD_CHARS} characters long"),
            ));
        }
        if n > MAX_PASSWORD_CHARS {
            return Err(DomainError::invalid(
                "password",
                format!("must be at most {MAX_PASSWORD_CHARS} characters long"),
            ));
        }
        Ok(())
    }

    pub async fn hash(&self, password: &SecretString) -> DomainResult<String> {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let pw = password.expose().to_owned();
        tokio::task::spawn_blocking(move || hash_sync(&pw))
            .await
            .map_err(|e| DomainError::Internal(format!("hash task: {e}")))?
    }

    /// Verifies a person's `password` against `stored`; with no stored hash it
    /// verifies against a dummy hash and returns false, taking the same time.
    pub async fn verify(&self, stored: Option<&str>, password: &SecretString) -> bool {
        self.verify_in(Lane::People, stored, password).await
    }

    /// [`Self::verify`] for a client secret, in the clients' lane.
    pub async fn verify_client_secret(&self, stored: Option<&str>, secret: &SecretString) -> bool {
        self.verify_in(Lane::Clients, stored, secret).await
    }

    async fn verify_in(&self, lane: Lane, stored: Option<&str>, password: &SecretString) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let permits = match lane {
            Lane::People => &self.inner.permits,
            Lane::Clients => &self.inner.client_permits,
        };
        let Ok(_permit) = permits.acquire().await else {
            return false;
        };
        let (hash, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => (self.inner.dummy_hash.clone(), false),
        };
        let pw = password.expose().to_owned();
        self.inner.verifications.fetch_add(1, Relaxed);
        if lane == Lane::Clients {
            self.inner.client_verifications.fetch_add(1, Relaxed);
        }
        let ok = tokio::task::spawn_blocking(move || verify_sync(&hash, &pw))
            .await
            .unwrap_or(false);
        ok && real
    }

    /// How many argon2 verifications this hasher has run.
    pub fn verifications(&self) -> u64 {
        self.inner
            .verifications
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many of those verified client secrets.
    pub fn client_secret_verifications(&self) -> u64 {
        self.inner
            .client_verifications
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let h = PasswordHasher::new();
        let stored = h
            .hash(&SecretString::new("correct horse battery"))
            .await
            .unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            h.verify(Some(&stored), &SecretString::new("correct horse battery"))
                .await
        );
        assert!(
            !h.verify(Some(&stored), &SecretString::new("correct horse battery!"))
                .await
        );
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        let h = PasswordHasher::new();
        assert!(!h.verify(None, &SecretString::new("anything at all")).await);
    }

    /// Finding M5: wrong client secrets must not delay people. With every permit of
    /// the clients' lane held (as by an attack in progress), a person's verification
    /// still runs — it never waits in the clients' lane.
    #[tokio::test]
    async fn a_full_clients_lane_never_holds_up_a_person() {
        let h = PasswordHasher::new();
        let stored = h
            .hash(&SecretString::new("a person's password"))
            .await
            .unwrap();
        let all = h.inner.client_permits.available_permits() as u32;
        let _held = h.inner.client_permits.acquire_many(all).await.unwrap();
        let password = SecretString::new("a person's password");
        let person = h.verify(Some(&stored), &password);
        // Not a timing assertion: if the person waited in the clients' lane this
        // would never finish; the timeout only turns that hang into a failure.
        let ok = tokio::time::timeout(std::time::Duration::from_secs(60), person)
            .await
            .expect("a person's verification does not wait for the clients' lane");
        assert!(ok);
        assert_eq!(h.client_secret_verifications(), 0);
        assert!(
            h.inner.client_permits.available_permits() == 0
                && h.inner.permits.available_permits() >= 1,
            "the lanes are separate"
        );
    }

    #[test]
    fn short_passwords_are_refused_with_a_reason() {
        let err = PasswordHasher::validate(&SecretString::new("short")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "password: must be at least 10 characters long"
        );
        assert!(PasswordHasher::validate(&SecretString::new("long enough pw")).is_ok());
    }
}
