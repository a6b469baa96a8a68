//! JWT access tokens (RFC 9068) and their revocation list.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use jsonwebtoken::{Header, Validation};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use crate::entities::revoked_token;
use crate::oauth::keys::{Alg, Jws, KeySet};
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

/// Claims of an access token. `sub` is the end user when there is one, else the
/// client; `client_id` always names the client (seed 004: both identities).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// RFC 9449 §6.1: the key the token is bound to (DPoP); only a request with a
    /// proof signed by it may use the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// RFC 8693 §4.1: who acts for `sub` (a token from a token exchange); prior
    /// actors nested inside, the least recent deepest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Act>,
}

/// An RFC 8693 §4.1 actor: a client (its `sub` is its client id, as in a
/// client-credentials token), and the actor before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Act {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Box<Act>>,
}

impl Act {
    /// The actors, the current one first.
    pub fn chain(&self) -> impl Iterator<Item = &Act> {
        std::iter::successors(Some(self), |a| a.act.as_deref())
    }

    /// The clients named in the chain, the current actor first.
    pub fn clients(&self) -> impl Iterator<Item = &str> {
        self.chain().filter_map(|a| a.client_id.as_deref())
    }
}

/// RFC 7800 confirmation: the JWK SHA-256 thumbprint of the bound key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub jkt: String,
}

impl AccessClaims {
    pub fn has_user(&self) -> bool {
        self.sub != self.client_id
    }

    /// The key thumbprint a DPoP-bound token is bound to.
    pub fn jkt(&self) -> Option<&str> {
        self.cnf.as_ref().map(|c| c.jkt.as_str())
    }

    /// RFC 9449 §7.1 / RFC 6750: the scheme the token is presented with.
    pub fn token_type(&self) -> &'static str {
        if self.cnf.is_some() {
            "DPoP"
        } else {
            "Bearer"
        }
    }
}

/// A token id: 128 random bits as 32 hex digits. From the thread's CSPRNG (ChaCha,
/// seeded and reseeded by the OS) rather than one `getrandom` system call per token:
/// a jti needs to be unique and unguessable, which both give.
pub fn new_jti() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{:032x}", u128::from_be_bytes(b))
}

pub fn sign_access(keys: &KeySet, claims: &AccessClaims) -> DomainResult<String> {
    let key = keys
        .signing
        .get(&Alg::ES256)
        .ok_or_else(|| DomainError::Internal("no ES256 signing key".into()))?;
    let mut header = Header::new(key.alg.jwt());
    header.typ = Some("at+jwt".into());
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding)
        .map_err(|e| DomainError::Internal(format!("signing: {e}")))
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is not an access token")]
    WrongType,
    #[error("the token was signed by an unknown key")]
    UnknownKey,
    #[error("the token signature is invalid")]
    BadSignature,
    #[error("the token was issued by another server")]
    WrongIssuer,
    #[error("the token has expired")]
    Expired,
}

/// Verifies signature, type, issuer and expiry (against `now`, not the system clock).
pub fn verify_access(
    keys: &KeySet,
    token: &str,
    issuer: &str,
    now: Timestamp,
) -> Result<AccessClaims, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
    if !header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("at+jwt"))
    {
        return Err(TokenError::WrongType);
    }
    let kid = header.kid.ok_or(TokenError::UnknownKey)?;
    let (alg, key) = keys.verifying.get(&kid).ok_or(TokenError::UnknownKey)?;
    if header.alg != alg.jwt() {
        return Err(TokenError::BadSignature);
    }
    let mut v = Validation::new(alg.jwt());
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let data =
        jsonwebtoken::decode::<AccessClaims>(token, key, &v).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::BadSignature,
            _ => TokenError::Malformed,
        })?;
    let c = data.claims;
    if c.iss != issuer {
        return Err(TokenError::WrongIssuer);
    }
    if c.exp <= now {
        return Err(TokenError::Expired);
    }
    Ok(c)
}

pub async fn is_revoked<C: ConnectionTrait>(conn: &C, jti: &str) -> DomainResult<bool> {
    Ok(revoked_token::Entity::find_by_id(jti.to_owned())
        .one(conn)
        .await?
        .is_some())
}

/// Puts an access token on the revocation list until it would have expired, and
/// with it every token derived from it by token exchange (RFC 8693), however deep:
/// cutting one link of a delegation chain cuts everything below it, in the same
/// transaction. `revocations` (this process's mirror of the list) answers for them
/// at once; other processes learn them from the change feed.
pub async fn revoke<C: ConnectionTrait>(
    conn: &C,
    revocations: &RevocationMirror,
    jti: &str,
    exp: Timestamp,
) -> DomainResult<()> {
    put_on_list(conn, revocations, jti, exp).await?;
    let mut parents = vec![jti.to_owned()];
    // Each round goes one generation down; the chain depth is capped when tokens
    // are exchanged, and this bound keeps a corrupt table from looping.
    for _ in 0..crate::oauth::exchange::MAX_DEPTH_BOUND {
        if parents.is_empty() {
            break;
        }
        let children = crate::oauth::exchange::children(conn, &parents).await?;
        parents.clear();
        for (child, child_exp) in children {
            put_on_list(conn, revocations, &child, child_exp).await?;
            parents.push(child);
        }
    }
    Ok(())
}

async fn put_on_list<C: ConnectionTrait>(
    conn: &C,
    revocations: &RevocationMirror,
    jti: &str,
    exp: Timestamp,
) -> DomainResult<()> {
    revocations.note(jti, exp);
    revoked_token::Entity::insert(revoked_token::ActiveModel {
        jti: Set(jti.to_owned()),
        expires_at: Set(exp),
    })
    .on_conflict(
        OnConflict::column(revoked_token::Column::Jti)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Signs an ID token (or signed userinfo response) with the client's algorithm.
pub fn sign_jwt(keys: &KeySet, alg: Alg, claims: &serde_json::Value) -> DomainResult<String> {
    sign_typed(keys, alg, "JWT", claims)
}

/// Signs `claims` with the current key for `alg`, with the header's `typ` set
/// (explicit typing, RFC 8725 §3.11: a logout token is `logout+jwt`).
pub fn sign_typed(
    keys: &KeySet,
    alg: Alg,
    typ: &str,
    claims: &serde_json::Value,
) -> DomainResult<String> {
    let key = keys
        .signing
        .get(&alg)
        .ok_or_else(|| DomainError::Internal(format!("no {} signing key", alg.as_str())))?;
    let mut header = Header::new(key.alg.jwt());
    header.typ = Some(typ.into());
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding)
        .map_err(|e| DomainError::Internal(format!("signing: {e}")))
}

/// The loaded revocation list.
#[derive(Default)]
struct Copy {
    jtis: HashSet<String>,
    /// When it was read (monotonic); `None`: not loaded.
    loaded: Option<Duration>,
    /// A reload is reading the list.
    reloading: bool,
    /// Revocations learned from the change feed while a reload was reading.
    learned: Vec<String>,
}

/// How many of this process's own revocations [`RevocationMirror`] keeps apart
/// before pruning.
const LOCAL_REVOCATIONS: usize = 100_000;

/// An in-memory copy of the revocation list for the hot paths (introspection,
/// the REST API), so a check costs no database round trip.
///
/// The list only holds tokens that have not expired yet, so it is small (the
/// revocations of the last access-token lifetime). The copy is reloaded whole when
/// older than `ttl`; revocations made by this process are seen at once (every
/// revocation goes through [`revoke`], which notes it here), those made by other
/// processes sharing the database within `ttl`. A `ttl` of zero reads the
/// database on every check.
///
/// One per process, in [`crate::services::Services`]: state of the application,
/// not of the program, so two servers in one test process do not share it.
pub struct RevocationMirror {
    ttl: Duration,
    copy: std::sync::RwLock<Copy>,
    reload: tokio::sync::Mutex<()>,
    /// Revocations made by this process, seen at once by its own checks, before the
    /// next reload. Noted when the row is written (before its commit): if the
    /// transaction then fails, the token is refused early — the safe side. Bounded
    /// by pruning the entries that expire first.
    local: std::sync::Mutex<HashMap<String, Timestamp>>,
    clock: std::sync::Arc<dyn crate::platform::clock::Clock>,
}

impl RevocationMirror {
    pub fn new(ttl: Duration, clock: std::sync::Arc<dyn crate::platform::clock::Clock>) -> Self {
        Self {
            ttl,
            copy: std::sync::RwLock::new(Copy::default()),
            reload: tokio::sync::Mutex::new(()),
            local: std::sync::Mutex::new(HashMap::new()),
            clock,
        }
    }

    /// Notes a revocation made by this process.
    fn note(&self, jti: &str, exp: Timestamp) {
        if let Ok(mut m) = self.local.lock() {
            if m.len() >= LOCAL_REVOCATIONS {
                let newest = m.values().copied().max().unwrap_or(exp);
                // Keep what can still matter: entries that expire last.
                m.retain(|_, e| *e >= newest - 3600);
            }
            m.insert(jti.to_owned(), exp);
        }
    }

    /// Learns of a revocation from the change feed (any process's): a loaded copy
    /// answers for it at once, without reloading the list.
    pub fn learn(&self, jti: &str) {
        if let Ok(mut copy) = self.copy.write() {
            if copy.loaded.is_some() {
                copy.jtis.insert(jti.to_owned());
            }
            // A reload under way may have read the list before this revocation
            // committed: it keeps what was learned meanwhile.
            if copy.reloading {
                copy.learned.push(jti.to_owned());
            }
        }
    }

    /// Drops the copy (after losing the change feed): the next check reloads it.
    pub fn forget(&self) {
        if let Ok(mut copy) = self.copy.write() {
            *copy = Copy::default();
        }
    }

    fn locally_revoked(&self, jti: &str) -> bool {
        self.local
            .lock()
            .map(|m| m.contains_key(jti))
            .unwrap_or(false)
    }

    fn fresh_answer(&self, jti: &str) -> Option<bool> {
        let copy = self.copy.read().ok()?;
        let loaded = copy.loaded?;
        let age = self.clock.monotonic().saturating_sub(loaded);
        (age < self.ttl).then(|| copy.jtis.contains(jti))
    }

    pub async fn is_revoked<C: ConnectionTrait>(
        &self,
        conn: &C,
        jti: &str,
        now: Timestamp,
    ) -> DomainResult<bool> {
        if self.locally_revoked(jti) {
            return Ok(true);
        }
        if self.ttl.is_zero() {
            return is_revoked(conn, jti).await;
        }
        if let Some(answer) = self.fresh_answer(jti) {
            return Ok(answer);
        }
        // One reload at a time; the others wait and use its result.
        let _guard = self.reload.lock().await;
        if let Some(answer) = self.fresh_answer(jti) {
            return Ok(answer);
        }
        if let Ok(mut copy) = self.copy.write() {
            copy.learned.clear();
            copy.reloading = true;
        }
        let set: HashSet<String> = revoked_token::Entity::find()
            .filter(revoked_token::Column::ExpiresAt.gt(now))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| r.jti)
            .collect();
        let mut jtis = set;
        if let Ok(mut copy) = self.copy.write() {
            jtis.extend(std::mem::take(&mut copy.learned));
            let answer = jtis.contains(jti);
            *copy = Copy {
                jtis,
                loaded: Some(self.clock.monotonic()),
                learned: Vec::new(),
                reloading: false,
            };
            return Ok(answer);
        }
        Ok(jtis.contains(jti))
    }
}
