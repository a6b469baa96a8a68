//! Client authentication at the protocol endpoints: secrets verified once per
//! process and cached, failed attempts throttled, every failure alike.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use rand::RngCore;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::model::{AuthMethod, Client};
use super::store::find;
use crate::entities::client_secret;
use crate::platform::clock::Timestamp;
use crate::platform::password::PasswordHasher;
use crate::platform::secret::{hmac_b64, SecretString};
use crate::DomainResult;

/// Why client authentication failed. All but `Throttled` must look alike to the
/// caller: one `invalid_client`, one message (finding L2), and — when a secret was
/// presented — one argon2 verification each.
#[derive(Debug, PartialEq, Eq)]
pub enum ClientAuthError {
    UnknownClient,
    WrongSecret,
    MethodNotAllowed,
    /// Disabled or expired; told only after the secret was verified, and even then
    /// not to the caller.
    Unusable(&'static str),
    /// Too many failed attempts for this client id, this address, or the pair
    /// (`throttle::ClientThrottlePolicy`): nothing was verified.
    Throttled {
        retry_after_secs: i64,
    },
    /// The throttle's storage failed: nothing was verified (fail closed).
    Internal(String),
}

/// A client with its secret rows, as loaded for authentication.
#[derive(Clone, Debug)]
pub struct ClientRecord {
    pub client: Client,
    pub secrets: Vec<client_secret::Model>,
}

pub async fn load_record<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> DomainResult<Option<ClientRecord>> {
    let Some(client) = find(conn, id).await? else {
        return Ok(None);
    };
    let secrets = client_secret::Entity::find()
        .filter(client_secret::Column::ClientId.eq(id))
        .all(conn)
        .await?;
    Ok(Some(ClientRecord { client, secrets }))
}

/// The token endpoint's memory: verified-secret tags (see the module comment) and,
/// for at most `record_ttl`, the client rows themselves, so a token request needs no
/// database round trip. Changes made by this process invalidate a client at once;
/// changes by other processes are seen within the TTL.
#[derive(Clone)]
pub struct SecretCache {
    key: Arc<[u8; 32]>,
    tags: Arc<Mutex<HashSet<String>>>,
    capacity: usize,
    records: crate::platform::cache::TtlCache<String, Arc<ClientRecord>>,
    /// Secrets being verified right now, keyed like `tags` (an HMAC, never the
    /// secret): requests presenting the same secret while it is verified wait for
    /// that one argon2 run instead of starting their own. Without this, a client that
    /// opens 32 connections after a restart costs 32 runs (~1.2 s of one core).
    inflight: Gates,
    /// This process's side of the failed-authentication throttle.
    throttle: Arc<crate::accounts::throttle::Local>,
    /// When each secret was last used, noted here and written in batches.
    pub uses: super::secret_use::SecretUses,
    /// Refused token requests by client, day and error code, counted here and
    /// written in batches.
    pub refusals: super::refusals::TokenRefusals,
    /// Every usable client's JavaScript origins (CORS), dropped with the rows.
    pub origins: super::origins::Origins,
}

pub(crate) type Gates = Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>;

/// A place in the queue of requests verifying one presented secret; leaving it
/// removes the queue when nobody else is in it.
pub(crate) struct Gate {
    gates: Gates,
    key: String,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for Gate {
    fn drop(&mut self) {
        if let Ok(mut g) = self.gates.lock() {
            // The map's reference and ours: nobody else is waiting.
            if Arc::strong_count(&self.lock) == 2 {
                g.remove(&self.key);
            }
        }
    }
}

impl Default for SecretCache {
    fn default() -> Self {
        Self::new(
            10_000,
            std::time::Duration::ZERO,
            Arc::new(crate::platform::clock::SystemClock),
        )
    }
}

impl SecretCache {
    pub fn new(
        capacity: usize,
        record_ttl: std::time::Duration,
        clock: Arc<dyn crate::platform::clock::Clock>,
    ) -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self {
            key: Arc::new(key),
            tags: Arc::new(Mutex::new(HashSet::new())),
            capacity,
            records: crate::platform::cache::TtlCache::new(
                "clients",
                record_ttl,
                capacity,
                clock.clone(),
            ),
            inflight: Default::default(),
            // Reservations for client authentication use at most two pooled
            // connections at once, however many attempts arrive.
            throttle: Arc::new(crate::accounts::throttle::Local::new(2)),
            uses: Default::default(),
            refusals: Default::default(),
            origins: super::origins::Origins::new(record_ttl, clock),
        }
    }

    fn gate(&self, client_id: &str, presented: &str) -> Gate {
        let key = hmac_b64(
            &self.key[..],
            format!("verifying\u{0}{client_id}\u{0}{presented}").as_bytes(),
        );
        let lock = match self.inflight.lock() {
            Ok(mut g) => g.entry(key.clone()).or_default().clone(),
            // A poisoned map only loses the sharing, not the check.
            Err(_) => Arc::default(),
        };
        Gate {
            gates: self.inflight.clone(),
            key,
            lock,
        }
    }

    /// Forgets a client's cached row (call after changing or deleting it).
    pub fn invalidate_client(&self, id: &str) {
        self.records.invalidate(&id.to_owned());
        self.origins.invalidate();
    }

    /// Forgets every cached client row (after losing the change feed).
    pub fn invalidate_all(&self) {
        self.records.clear();
        self.origins.invalidate();
    }

    pub async fn record<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: &str,
    ) -> Option<Arc<ClientRecord>> {
        if let Some(r) = self.records.get(&id.to_owned()) {
            return Some(r);
        }
        let r = Arc::new(load_record(conn, id).await.ok().flatten()?);
        self.records.insert(id.to_owned(), r.clone());
        Some(r)
    }

    fn tag(&self, row: &client_secret::Model, presented: &str) -> String {
        hmac_b64(
            &self.key[..],
            format!("{}\u{0}{}\u{0}{presented}", row.id, row.secret_hash).as_bytes(),
        )
    }

    fn contains(&self, tag: &str) -> bool {
        self.tags.lock().map(|t| t.contains(tag)).unwrap_or(false)
    }

    fn insert(&self, tag: String) {
        if let Ok(mut t) = self.tags.lock() {
            if t.len() >= self.capacity {
                // Crude but bounded: start over rather than grow.
                t.clear();
            }
            t.insert(tag);
        }
    }

    pub fn len(&self) -> usize {
        self.tags.lock().map(|t| t.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How the client presented itself at the token (or introspection) endpoint.
pub struct Presented<'a> {
    pub client_id: &'a str,
    pub secret: Option<&'a str>,
    pub method: AuthMethod,
    /// The caller's address, for throttling failed attempts.
    pub ip: Option<&'a str>,
}

/// Authenticates a client.
///
/// - A secret already verified in this process (its tag is cached) passes without
///   a database round trip or a throttle check: the token endpoint's hot path.
/// - Otherwise the attempt takes its failure slots (client id, address, pair) before
///   argon2 runs, and gives them back when the secret is right (finding M5).
/// - Whatever fails — unknown id, wrong secret, public client, disabled or expired
///   client — costs the same one verification (a dummy one when there is nothing
///   to verify against) and is told apart only inside the server (finding L2).
pub async fn authenticate(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    cache: &SecretCache,
    throttle_policy: crate::accounts::throttle::ClientThrottlePolicy,
    p: Presented<'_>,
    now: Timestamp,
) -> Result<Client, ClientAuthError> {
    use crate::accounts::throttle::Reservation;
    let record = cache.record(db, p.client_id).await;
    let Some(presented) = p.secret else {
        // Nothing to guess, nothing to verify: a public client names itself.
        return match &record {
            Some(r)
                if r.client.metadata.token_endpoint_auth_method == AuthMethod::None
                    && p.method == AuthMethod::None =>
            {
                usable(&r.client, now)
            }
            Some(_) => Err(ClientAuthError::MethodNotAllowed),
            None => Err(ClientAuthError::UnknownClient),
        };
    };
    // Secret rows to verify against; none for an unknown or public client, nor for
    // one registered for `private_key_jwt` (its keys are its only credential).
    let live: Vec<&client_secret::Model> = match &record {
        Some(r) if r.client.metadata.has_secret() => r
            .secrets
            .iter()
            .filter(|row| row.expires_at.is_none_or(|e| e > now))
            .collect(),
        _ => Vec::new(),
    };
    // The secret row a presented secret was already verified against, if any.
    let verified = |cache: &SecretCache| {
        live.iter()
            .find(|row| cache.contains(&cache.tag(row, presented)))
            .map(|row| row.id.as_str())
    };
    if let (Some(secret_id), Some(r)) = (verified(cache), &record) {
        cache.uses.note(secret_id, now);
        return usable(&r.client, now);
    }
    let gate = cache.gate(p.client_id, presented);
    let _one_at_a_time = gate.lock.lock().await;
    // The request ahead of this one may just have verified the same secret.
    if let (Some(secret_id), Some(r)) = (verified(cache), &record) {
        cache.uses.note(secret_id, now);
        return usable(&r.client, now);
    }

    let limits = throttle_policy.limits(p.client_id, p.ip);
    // A throttle that cannot be read verifies nothing: fail closed.
    let reserved = match cache
        .throttle
        .reserve(db, &limits, now)
        .await
        .map_err(|e| ClientAuthError::Internal(e.to_string()))?
    {
        Reservation::Granted(r) => r,
        Reservation::Refused {
            retry_after_secs, ..
        } => return Err(ClientAuthError::Throttled { retry_after_secs }),
    };

    let secret = SecretString::new(presented);
    let mut matched = None;
    for row in &live {
        if hasher
            .verify_client_secret(Some(&row.secret_hash), &secret)
            .await
        {
            matched = Some(*row);
            break;
        }
    }
    if live.is_empty() {
        // Unknown id or public client: the same cost as a wrong secret.
        hasher.verify_client_secret(None, &secret).await;
    }
    match (matched, &record) {
        (Some(row), Some(r)) => {
            cache.insert(cache.tag(row, presented));
            cache.uses.note(&row.id, now);
            // Not a failure: the slots go back. Should that fail, the attempt
            // stays counted — the safe side.
            if let Err(e) = cache.throttle.release(db, &reserved).await {
                tracing::warn!(error = %e, "could not give back a client throttle slot");
            }
            usable(&r.client, now)
        }
        _ if record.is_none() => Err(ClientAuthError::UnknownClient),
        _ if live.is_empty() => Err(ClientAuthError::MethodNotAllowed),
        _ => Err(ClientAuthError::WrongSecret),
    }
}

/// The client, if it may get tokens now; checked only once its credentials are.
pub(crate) fn usable(client: &Client, now: Timestamp) -> Result<Client, ClientAuthError> {
    match client.unusable_reason(now) {
        Some(reason) => Err(ClientAuthError::Unusable(reason)),
        None => Ok(client.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Actor;
    use crate::clients::metadata::NewClient;
    use crate::clients::model::ApplicationType;
    use crate::clients::store::create;

    /// 16 requests with the same new secret at once cost one argon2 run; wrong
    /// secrets are never shared and each pays its own.
    #[tokio::test]
    async fn concurrent_requests_with_one_secret_share_one_verification() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::platform::db::connect(&format!("sqlite://{}/s.db", dir.path().display()))
            .await
            .unwrap();
        crate::platform::db::migrate(&db).await.unwrap();
        let hasher = PasswordHasher::new();
        let now = 1_800_000_000;
        let created = create(
            &db,
            &hasher,
            Actor::System,
            NewClient {
                metadata: crate::clients::ClientPatch {
                    name: Some("Busy service".into()),
                    ..Default::default()
                },
                application_type: Some(ApplicationType::Service),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        let id = created.client.id.clone();
        let secret = created.secret.unwrap().expose().to_owned();
        let cache = SecretCache::new(
            100,
            std::time::Duration::from_secs(60),
            Arc::new(crate::platform::clock::ManualClock::new(0)),
        );
        let attempt = |secret: String| {
            let (db, hasher, cache, id) = (db.clone(), hasher.clone(), cache.clone(), id.clone());
            tokio::spawn(async move {
                authenticate(
                    &db,
                    &hasher,
                    &cache,
                    Default::default(),
                    Presented {
                        client_id: &id,
                        secret: Some(&secret),
                        method: AuthMethod::ClientSecretBasic,
                        ip: None,
                    },
                    now,
                )
                .await
                .is_ok()
            })
        };
        let before = hasher.verifications();
        let tasks: Vec<_> = (0..16).map(|_| attempt(secret.clone())).collect();
        for t in tasks {
            assert!(t.await.unwrap(), "the right secret is accepted");
        }
        assert_eq!(
            hasher.verifications() - before,
            1,
            "one argon2 run for 16 requests"
        );

        let tasks: Vec<_> = (0..4).map(|_| attempt(format!("{secret}x"))).collect();
        for t in tasks {
            assert!(!t.await.unwrap(), "a wrong secret is refused");
        }
        assert_eq!(
            hasher.verifications() - before,
            5,
            "each wrong secret verified on its own"
        );
        assert!(
            cache.inflight.lock().unwrap().is_empty(),
            "no queue left behind"
        );
    }
}
