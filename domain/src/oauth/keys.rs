//! Token-signing keys: generated on first start, sealed at rest with the
//! key-encryption key, rotated on a schedule, and published in the JWKS until every
//! token they signed has expired.
//!
//! Access tokens are signed with ES256 (20 µs per signature here, against 644 µs for
//! RS256-2048). ID tokens default to RS256, which OpenID Connect requires every
//! provider to support; clients may ask for ES256.

use std::collections::HashMap;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::entities::signing_key;
use crate::platform::clock::Timestamp;
use crate::platform::secret::SecretString;
use crate::{DomainError, DomainResult};

/// The key-encryption key: AES-256-GCM key derived (SHA-256) from the setting.
#[derive(Clone)]
pub struct Kek(Arc<[u8; 32]>);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek([redacted])")
    }
}

impl Kek {
    pub fn from_setting(s: &SecretString) -> Self {
        Self(Arc::new(Sha256::digest(s.expose().as_bytes()).into()))
    }

    /// nonce (12 bytes) || ciphertext+tag, base64.
    pub fn seal(&self, plaintext: &[u8]) -> DomainResult<String> {
        let cipher = Aes256Gcm::new_from_slice(&self.0[..])
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| DomainError::Internal("key sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend(ct);
        Ok(STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> DomainResult<Vec<u8>> {
        let bytes = STANDARD
            .decode(sealed)
            .map_err(|_| DomainError::Internal("sealed key is not base64".into()))?;
        if bytes.len() < 12 + 16 {
            return Err(DomainError::Internal("sealed key is truncated".into()));
        }
        let cipher = Aes256Gcm::new_from_slice(&self.0[..])
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        cipher.decrypt(Nonce::from_slice(&bytes[..12]), &bytes[12..]).map_err(|_| {
            DomainError::Internal(
                "cannot decrypt a signing key: key_encryption_key differs from the one the keys were sealed with"
                    .into(),
            )
        })
    }
}

/// A JWS algorithm for ID tokens and signed userinfo responses (the closed set
/// is shared with the REST API and the browser).
pub use metadata::SigningAlg as Alg;

/// The `jsonwebtoken` algorithm of a [`Alg`].
pub trait Jws {
    fn jwt(self) -> Algorithm;
}

impl Jws for Alg {
    fn jwt(self) -> Algorithm {
        match self {
            Alg::ES256 => Algorithm::ES256,
            Alg::RS256 => Algorithm::RS256,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct KeyPolicy {
    /// A successor of a signing key is made after this long.
    pub rotate_after_secs: i64,
    /// A successor is published this long before it signs anything, so that relying
    /// parties (which cache the JWKS, `max-age=300`) and every node know it first.
    /// The first keys of a new installation sign at once: nobody can hold a JWKS
    /// without them.
    pub prepublish_secs: i64,
    /// A retired key stays in the JWKS this long: the longest lifetime of anything it
    /// signed.
    pub publish_retired_for_secs: i64,
}

/// The key-management algorithm of this server's encryption keys: what clients
/// encrypt request objects to (RFC 9101 §6.1, RFC 7518 §4.3).
pub const ENC_ALG: &str = "RSA-OAEP-256";

/// What a stored key is for: signing with an algorithm, or decrypting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Sign(Alg),
    Encrypt,
}

impl Kind {
    const ALL: [Kind; 3] = [
        Kind::Sign(Alg::ES256),
        Kind::Sign(Alg::RS256),
        Kind::Encrypt,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Kind::Sign(alg) => alg.as_str(),
            Kind::Encrypt => ENC_ALG,
        }
    }
}

/// One usable signing key.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pub alg: Alg,
    pub encoding: EncodingKey,
}

/// The keys in force, parsed once: signing keys per algorithm, verification keys by
/// kid, and the JWKS document pre-serialised.
#[derive(Clone)]
pub struct KeySet {
    pub signing: HashMap<Alg, SigningKey>,
    pub verifying: HashMap<String, (Alg, DecodingKey)>,
    /// Decryption keys by kid: every published encryption key (clients may have
    /// cached any of them).
    pub decrypting: HashMap<String, Arc<rsa::RsaPrivateKey>>,
    /// Shared immutable bytes, cheap to clone per request.
    pub jwks_json: Arc<[u8]>,
}

struct Generated {
    kid: String,
    der: Vec<u8>,
    jwk: Value,
}

fn new_kid() -> String {
    let mut b = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

fn generate(kind: Kind) -> DomainResult<Generated> {
    let kid = new_kid();
    match kind {
        Kind::Sign(Alg::ES256) => {
            use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
            let rng = ring::rand::SystemRandom::new();
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|_| DomainError::Internal("EC key generation failed".into()))?;
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .map_err(|_| DomainError::Internal("EC key parse failed".into()))?;
            let point = pair.public_key().as_ref();
            let (x, y) = (&point[1..33], &point[33..65]);
            let jwk = json!({
                "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
            });
            Ok(Generated {
                kid,
                der: pkcs8.as_ref().to_vec(),
                jwk,
            })
        }
        Kind::Sign(Alg::RS256) | Kind::Encrypt => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            use rsa::traits::PublicKeyParts;
            let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
                .map_err(|e| DomainError::Internal(format!("RSA key generation failed: {e}")))?;
            let der = key
                .to_pkcs1_der()
                .map_err(|e| DomainError::Internal(format!("RSA key encoding failed: {e}")))?
                .as_bytes()
                .to_vec();
            let (key_use, alg) = match kind {
                Kind::Encrypt => ("enc", ENC_ALG),
                _ => ("sig", "RS256"),
            };
            let jwk = json!({
                "kty": "RSA", "use": key_use, "alg": alg, "kid": kid,
                "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
            });
            Ok(Generated { kid, der, jwk })
        }
    }
}

fn decoding_key(alg: Alg, jwk: &Value) -> DomainResult<DecodingKey> {
    let s = |k: &str| jwk.get(k).and_then(Value::as_str).unwrap_or_default();
    match alg {
        Alg::ES256 => DecodingKey::from_ec_components(s("x"), s("y")),
        Alg::RS256 => DecodingKey::from_rsa_components(s("n"), s("e")),
    }
    .map_err(|e| DomainError::Internal(format!("bad public key: {e}")))
}

fn encoding_key(alg: Alg, der: &[u8]) -> EncodingKey {
    match alg {
        Alg::ES256 => EncodingKey::from_ec_der(der),
        Alg::RS256 => EncodingKey::from_rsa_der(der),
    }
}

/// The PostgreSQL advisory lock key of key rotation ("pckeys01" as an integer).
const KEYS_LOCK: i64 = 8_098_432_503_236_784_177;

/// The key that signs for an algorithm: of the unretired keys (newest first), the
/// newest published for at least the pre-publication time, or else the newest (the
/// first key of an installation).
fn signer(newest_first: &[signing_key::Model], policy: KeyPolicy, now: Timestamp) -> Option<usize> {
    newest_first
        .iter()
        .position(|k| now - k.created_at >= policy.prepublish_secs)
        .or((!newest_first.is_empty()).then_some(0))
}

/// Makes sure each algorithm has a key that is fresh (younger than the rotation
/// period; a successor is created otherwise, published before it signs), retires the
/// keys older than the one that signs, drops retired keys once nothing they signed
/// can be valid, and loads the set in force.
///
/// All of it happens under one lock (a write transaction, and on PostgreSQL an
/// advisory lock), so nodes starting or rotating together make one key set: the
/// second re-reads what the first made and has nothing to do. Every change reaches
/// the other nodes through the change feed (`signing_keys` has a trigger).
pub async fn ensure_and_load(
    db: &sea_orm::DatabaseConnection,
    kek: &Kek,
    policy: KeyPolicy,
    now: Timestamp,
) -> DomainResult<KeySet> {
    let txn = crate::platform::db::write_txn(db).await?;
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({KEYS_LOCK})"))
            .await?;
    }
    for kind in Kind::ALL {
        let mut active = signing_key::Entity::find()
            .filter(signing_key::Column::Alg.eq(kind.as_str()))
            .filter(signing_key::Column::RetiredAt.is_null())
            .order_by_desc(signing_key::Column::CreatedAt)
            .all(&txn)
            .await?;
        let fresh = active
            .iter()
            .any(|k| now - k.created_at < policy.rotate_after_secs);
        if !fresh {
            let g = tokio::task::spawn_blocking(move || generate(kind))
                .await
                .map_err(|e| DomainError::Internal(e.to_string()))??;
            let new = signing_key::ActiveModel {
                kid: Set(g.kid),
                alg: Set(kind.as_str().to_owned()),
                private_key_sealed: Set(kek.seal(&g.der)?),
                public_jwk: Set(g.jwk.to_string()),
                created_at: Set(now),
                retired_at: Set(None),
                expires_at: Set(None),
            }
            .insert(&txn)
            .await?;
            active.insert(0, new);
        }
        // Keys older than the one that signs sign no more; they stay published
        // until what they signed has expired.
        if let Some(i) = signer(&active, policy, now) {
            for old in active.into_iter().skip(i + 1) {
                let mut am: signing_key::ActiveModel = old.into();
                am.retired_at = Set(Some(now));
                am.expires_at = Set(Some(now + policy.publish_retired_for_secs));
                am.update(&txn).await?;
            }
        }
    }
    // Drop keys whose publication window has passed.
    signing_key::Entity::delete_many()
        .filter(signing_key::Column::ExpiresAt.lte(now))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    load(db, kek, policy, now).await
}

/// The key set in force, as stored (no rotation, no lock): how a node picks up keys
/// another node changed.
pub async fn load<C: ConnectionTrait>(
    conn: &C,
    kek: &Kek,
    policy: KeyPolicy,
    now: Timestamp,
) -> DomainResult<KeySet> {
    let rows = signing_key::Entity::find()
        .order_by_desc(signing_key::Column::CreatedAt)
        .all(conn)
        .await?;
    // Per algorithm, the unretired keys newest first, and which of them signs.
    let mut signers: HashMap<Alg, String> = HashMap::new();
    for alg in [Alg::ES256, Alg::RS256] {
        let active: Vec<signing_key::Model> = rows
            .iter()
            .filter(|r| r.alg == alg.as_str() && r.retired_at.is_none())
            .cloned()
            .collect();
        if let Some(i) = signer(&active, policy, now) {
            signers.insert(alg, active[i].kid.clone());
        }
    }
    let mut signing = HashMap::new();
    let mut verifying = HashMap::new();
    let mut decrypting = HashMap::new();
    let mut jwks = Vec::new();
    for row in rows {
        let jwk: Value = serde_json::from_str(&row.public_jwk)
            .map_err(|e| DomainError::Internal(format!("bad stored JWK: {e}")))?;
        if row.alg == ENC_ALG {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            let der = kek.open(&row.private_key_sealed)?;
            let key = rsa::RsaPrivateKey::from_pkcs1_der(&der)
                .map_err(|e| DomainError::Internal(format!("bad stored key: {e}")))?;
            decrypting.insert(row.kid.clone(), Arc::new(key));
            jwks.push(jwk);
            continue;
        }
        let Some(alg) = Alg::parse(&row.alg) else {
            continue;
        };
        verifying.insert(row.kid.clone(), (alg, decoding_key(alg, &jwk)?));
        jwks.push(jwk);
        if signers.get(&alg) == Some(&row.kid) {
            let der = kek.open(&row.private_key_sealed)?;
            signing.insert(
                alg,
                SigningKey {
                    kid: row.kid.clone(),
                    alg,
                    encoding: encoding_key(alg, &der),
                },
            );
        }
    }
    let jwks_json: Vec<u8> = serde_json::to_vec(&json!({ "keys": jwks }))
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    Ok(KeySet {
        signing,
        verifying,
        decrypting,
        jwks_json: jwks_json.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_round_trips_and_a_different_kek_cannot_open() {
        let kek = Kek::from_setting(&SecretString::new("k".repeat(40)));
        let sealed = kek.seal(b"private key bytes").unwrap();
        assert_eq!(kek.open(&sealed).unwrap(), b"private key bytes");
        assert!(!sealed.contains("private"));
        let other = Kek::from_setting(&SecretString::new("x".repeat(40)));
        assert!(other
            .open(&sealed)
            .unwrap_err()
            .to_string()
            .contains("key_encryption_key differs"));
    }

    #[tokio::test]
    async fn keys_rotate_on_schedule_and_stay_published_until_their_tokens_expire() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::platform::db::connect(&format!("sqlite://{}/k.db", dir.path().display()))
            .await
            .unwrap();
        crate::platform::db::migrate(&db).await.unwrap();
        let kek = Kek::from_setting(&SecretString::new("k".repeat(40)));
        let policy = KeyPolicy {
            rotate_after_secs: 30 * 86_400,
            publish_retired_for_secs: 10 * 3600,
            prepublish_secs: 600,
        };
        let t0 = 1_800_000_000;

        let first = ensure_and_load(&db, &kek, policy, t0).await.unwrap();
        let es_first = first.signing[&Alg::ES256].kid.clone();
        // Before the rotation period: the same keys, nothing new.
        let again = ensure_and_load(&db, &kek, policy, t0 + 29 * 86_400)
            .await
            .unwrap();
        assert_eq!(again.signing[&Alg::ES256].kid, es_first);
        assert_eq!(again.verifying.len(), 2);

        // After it: a successor, published but not signing yet (pre-publication).
        let t1 = t0 + 31 * 86_400;
        let rotated = ensure_and_load(&db, &kek, policy, t1).await.unwrap();
        assert_eq!(rotated.signing[&Alg::ES256].kid, es_first, "pre-published");
        assert_eq!(rotated.verifying.len(), 4);
        let es_next = rotated
            .verifying
            .keys()
            .find(|k| **k != es_first && rotated.verifying[*k].0 == Alg::ES256)
            .unwrap()
            .clone();
        assert!(String::from_utf8_lossy(&rotated.jwks_json).contains(&es_next));
        let t2 = t1 + 600;
        let signing = ensure_and_load(&db, &kek, policy, t2).await.unwrap();
        assert_eq!(signing.signing[&Alg::ES256].kid, es_next, "now it signs");
        assert!(
            signing.verifying.contains_key(&es_first),
            "the old one verifies"
        );
        assert!(String::from_utf8_lossy(&signing.jwks_json).contains(&es_first));

        // Once everything it signed has expired, it leaves the JWKS.
        let later = ensure_and_load(&db, &kek, policy, t2 + 10 * 3600 + 1)
            .await
            .unwrap();
        assert!(!later.verifying.contains_key(&es_first));
        assert!(!String::from_utf8_lossy(&later.jwks_json).contains(&es_first));
        assert_eq!(later.verifying.len(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nodes_starting_together_make_one_key_set() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/k.db", dir.path().display());
        let db = crate::platform::db::connect(&url).await.unwrap();
        crate::platform::db::migrate(&db).await.unwrap();
        let kek = Kek::from_setting(&SecretString::new("k".repeat(40)));
        let policy = KeyPolicy {
            rotate_after_secs: 30 * 86_400,
            publish_retired_for_secs: 10 * 3600,
            prepublish_secs: 600,
        };
        let nodes: Vec<_> = (0..4)
            .map(|_| {
                let (url, kek) = (url.clone(), kek.clone());
                tokio::spawn(async move {
                    // Each node has its own connections, as separate processes do.
                    let db = crate::platform::db::connect(&url).await.unwrap();
                    ensure_and_load(&db, &kek, policy, 1_800_000_000)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut sets = Vec::new();
        for n in nodes {
            sets.push(n.await.unwrap());
        }
        assert_eq!(signing_key::Entity::find().all(&db).await.unwrap().len(), 3);
        for s in &sets {
            assert_eq!(
                s.jwks_json, sets[0].jwks_json,
                "every node publishes the same keys"
            );
            assert_eq!(s.signing[&Alg::ES256].kid, sets[0].signing[&Alg::ES256].kid);
        }
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        for alg in [Alg::ES256, Alg::RS256] {
            let g = generate(Kind::Sign(alg)).unwrap();
            let enc = encoding_key(alg, &g.der);
            let dec = decoding_key(alg, &g.jwk).unwrap();
            let mut header = jsonwebtoken::Header::new(alg.jwt());
            header.kid = Some(g.kid.clone());
            let token =
                jsonwebtoken::encode(&header, &json!({"sub": "x", "exp": 4_000_000_000u64}), &enc)
                    .unwrap();
            let mut v = jsonwebtoken::Validation::new(alg.jwt());
            v.required_spec_claims.clear();
            jsonwebtoken::decode::<Value>(&token, &dec, &v).unwrap();
        }
    }
}

/// The key set in force, shared by every request and replaced whole when keys
/// rotate (a reader never sees half a set).
#[derive(Clone)]
pub struct KeyRing(Arc<std::sync::RwLock<Arc<KeySet>>>);

impl KeyRing {
    pub fn new(set: KeySet) -> Self {
        Self(Arc::new(std::sync::RwLock::new(Arc::new(set))))
    }

    pub fn current(&self) -> Arc<KeySet> {
        self.0
            .read()
            .map(|k| k.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    pub fn replace(&self, set: KeySet) {
        match self.0.write() {
            Ok(mut k) => *k = Arc::new(set),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(set),
        }
    }
}
