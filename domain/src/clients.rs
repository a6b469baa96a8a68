//! OAuth clients: registration, secrets (shown once, stored as argon2id hashes) and
//! client authentication with a verification cache.
//!
//! Why the cache is safe: an argon2id verification costs ~16 ms, so the token
//! endpoint cannot run one per request. After one successful verification we keep
//! HMAC-SHA256(k, secret_row_id ‖ stored_hash ‖ presented_secret) in a bounded set,
//! where `k` is a random per-process key. A memory dump yields those tags and `k`,
//! but recovering a secret from them means guessing a 256-bit random value. An entry
//! is bound to the stored hash of one secret row: rotating, expiring or deleting the
//! secret (or the client) removes the row, so the entry can never match again — in
//! this process or any other sharing the database — without any invalidation
//! message. Wrong secrets are never cached.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::clock::Timestamp;
use crate::entities::{client, client_secret};
use crate::password::PasswordHasher;
use crate::secret::{hmac_b64, random_token, SecretString};
use crate::{DomainError, DomainResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplicationType {
    /// A server-side web application (confidential).
    Web,
    /// A native or single-page application (public: no secret, PKCE).
    Native,
    /// Machine to machine: client_credentials only.
    Service,
}

impl ApplicationType {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Web => "web",
            ApplicationType::Native => "native",
            ApplicationType::Service => "service",
        }
    }
    pub fn parse(s: &str) -> DomainResult<Self> {
        match s {
            "web" => Ok(Self::Web),
            "native" => Ok(Self::Native),
            "service" => Ok(Self::Service),
            other => Err(DomainError::invalid(
                "application_type",
                format!("must be web, native or service (got '{other}')"),
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    None,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
        }
    }
    pub fn parse(s: &str) -> DomainResult<Self> {
        match s {
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "client_secret_post" => Ok(Self::ClientSecretPost),
            "none" => Ok(Self::None),
            other => Err(DomainError::invalid(
                "token_endpoint_auth_method",
                format!("must be client_secret_basic, client_secret_post or none (got '{other}')"),
            )),
        }
    }
}

pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";
pub const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
pub const GRANT_PASSWORD: &str = "password";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub description: String,
    pub owner_id: Option<String>,
    pub application_type: ApplicationType,
    pub auth_method: AuthMethod,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub first_party: bool,
    pub allowed_email_domains: Vec<String>,
    pub access_token_ttl_secs: Option<i64>,
    pub disabled: bool,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// RS256 (default, required by OpenID Connect) or ES256.
    pub id_token_alg: crate::keys::Alg,
    /// When set, userinfo answers with a JWT signed with this algorithm.
    pub userinfo_alg: Option<crate::keys::Alg>,
}

fn json_list(s: &str) -> DomainResult<Vec<String>> {
    serde_json::from_str(s)
        .map_err(|e| DomainError::Internal(format!("bad JSON list in clients row: {e}")))
}

fn to_json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

impl TryFrom<client::Model> for Client {
    type Error = DomainError;
    fn try_from(m: client::Model) -> DomainResult<Self> {
        Ok(Client {
            application_type: ApplicationType::parse(&m.application_type)?,
            auth_method: AuthMethod::parse(&m.token_endpoint_auth_method)?,
            redirect_uris: json_list(&m.redirect_uris)?,
            grant_types: json_list(&m.grant_types)?,
            scopes: json_list(&m.scopes)?,
            allowed_email_domains: json_list(&m.allowed_email_domains)?,
            id: m.id,
            name: m.name,
            description: m.description,
            owner_id: m.owner_id,
            first_party: m.first_party,
            access_token_ttl_secs: m.access_token_ttl_secs,
            disabled: m.disabled,
            expires_at: m.expires_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            id_token_alg: crate::keys::Alg::parse(&m.id_token_signed_response_alg)
                .unwrap_or(crate::keys::Alg::RS256),
            userinfo_alg: m
                .userinfo_signed_response_alg
                .as_deref()
                .and_then(crate::keys::Alg::parse),
        })
    }
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }
    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }
    /// Seed 003: whether tokens may be issued on behalf of this e-mail address (an
    /// empty domain list means any).
    pub fn allows_email(&self, email: &str) -> bool {
        if self.allowed_email_domains.is_empty() {
            return true;
        }
        let domain = email
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default();
        self.allowed_email_domains.contains(&domain)
    }

    /// Why this client may not get tokens right now, if it may not.
    pub fn unusable_reason(&self, now: Timestamp) -> Option<&'static str> {
        if self.disabled {
            Some("the client is disabled")
        } else if self.expires_at.is_some_and(|e| e <= now) {
            Some("the client's registration has expired")
        } else {
            None
        }
    }
}

/// Validates a redirect URI for a client type. Exact matching is done elsewhere;
/// here we refuse what must never be registered (RFC 9700 §2.1, RFC 8252 §7).
pub fn validate_redirect_uri(app: ApplicationType, uri: &str) -> DomainResult<()> {
    let bad = |m: &str| {
        Err(DomainError::invalid(
            "redirect_uris",
            format!("'{uri}' {m}"),
        ))
    };
    let u = match url::Url::parse(uri) {
        Ok(u) => u,
        Err(_) => return bad("is not an absolute URI"),
    };
    if u.fragment().is_some() || uri.contains('#') {
        return bad("must not contain a fragment (#)");
    }
    let loopback = matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    match (app, u.scheme()) {
        (ApplicationType::Service, _) => bad("is not allowed: service clients do not use redirects"),
        (_, "https") => Ok(()),
        (_, "http") if loopback => Ok(()),
        (ApplicationType::Web, _) => bad("must use https (http is allowed only for loopback addresses)"),
        // RFC 8252 §7.1: private-use schemes in reverse-domain form.
        (ApplicationType::Native, scheme) if scheme.contains('.') => Ok(()),
        (ApplicationType::Native, _) => {
            bad("must use https, a loopback http address, or a reverse-domain private scheme (com.example.app:/…)")
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct NewClient {
    pub name: String,
    pub description: String,
    pub application_type: Option<ApplicationType>,
    pub auth_method: Option<AuthMethod>,
    pub redirect_uris: Vec<String>,
    pub grant_types: Option<Vec<String>>,
    pub scopes: Vec<String>,
    pub first_party: bool,
    pub allowed_email_domains: Vec<String>,
    pub owner_id: Option<String>,
    pub id_token_alg: Option<crate::keys::Alg>,
    pub userinfo_alg: Option<crate::keys::Alg>,
}

/// A registered client and, for confidential clients, its secret — shown exactly
/// once, here.
pub struct CreatedClient {
    pub client: Client,
    pub secret: Option<SecretString>,
}

pub async fn create(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    actor: Actor,
    new: NewClient,
    now: Timestamp,
) -> DomainResult<CreatedClient> {
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DomainError::invalid("name", "must be 1 to 100 characters"));
    }
    let app = new.application_type.unwrap_or(ApplicationType::Web);
    let auth = new.auth_method.unwrap_or(match app {
        ApplicationType::Native => AuthMethod::None,
        _ => AuthMethod::ClientSecretBasic,
    });
    if app != ApplicationType::Native && auth == AuthMethod::None {
        return Err(DomainError::invalid(
            "token_endpoint_auth_method",
            "only native clients may be public (none)",
        ));
    }
    let grants = new.grant_types.unwrap_or_else(|| match app {
        ApplicationType::Service => vec![GRANT_CLIENT_CREDENTIALS.into()],
        _ => vec![GRANT_AUTHORIZATION_CODE.into(), GRANT_REFRESH_TOKEN.into()],
    });
    for g in &grants {
        let ok = match app {
            ApplicationType::Service => g == GRANT_CLIENT_CREDENTIALS,
            ApplicationType::Web => [
                GRANT_AUTHORIZATION_CODE,
                GRANT_REFRESH_TOKEN,
                GRANT_CLIENT_CREDENTIALS,
                GRANT_PASSWORD,
            ]
            .contains(&g.as_str()),
            ApplicationType::Native => {
                [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN].contains(&g.as_str())
            }
        };
        if !ok {
            return Err(DomainError::invalid(
                "grant_types",
                format!("'{g}' is not available to {} clients", app.as_str()),
            ));
        }
    }
    if app != ApplicationType::Service
        && new.redirect_uris.is_empty()
        && grants.iter().any(|g| g == GRANT_AUTHORIZATION_CODE)
    {
        return Err(DomainError::invalid(
            "redirect_uris",
            "at least one is required",
        ));
    }
    for uri in &new.redirect_uris {
        validate_redirect_uri(app, uri)?;
    }
    for s in &new.scopes {
        crate::resources::find_scope(db, s)
            .await?
            .ok_or_else(|| DomainError::invalid("scopes", format!("unknown scope '{s}'")))?;
    }
    let domains: Vec<String> = new
        .allowed_email_domains
        .iter()
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect();

    let id = {
        let mut b = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut b);
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    };
    let secret = (auth != AuthMethod::None).then(|| SecretString::new(random_token()));
    let secret_hash = match &secret {
        Some(s) => Some(hasher.hash(s).await?),
        None => None,
    };
    let txn = crate::db::write_txn(db).await?;
    let model = client::ActiveModel {
        id: Set(id.clone()),
        name: Set(name),
        description: Set(new.description.trim().to_owned()),
        owner_id: Set(new.owner_id),
        application_type: Set(app.as_str().into()),
        token_endpoint_auth_method: Set(auth.as_str().into()),
        redirect_uris: Set(to_json(&new.redirect_uris)),
        grant_types: Set(to_json(&grants)),
        scopes: Set(to_json(&new.scopes)),
        first_party: Set(new.first_party),
        allowed_email_domains: Set(to_json(&domains)),
        access_token_ttl_secs: Set(None),
        disabled: Set(false),
        expires_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        id_token_signed_response_alg: Set(new
            .id_token_alg
            .unwrap_or(crate::keys::Alg::RS256)
            .as_str()
            .into()),
        userinfo_signed_response_alg: Set(new.userinfo_alg.map(|a| a.as_str().into())),
    }
    .insert(&txn)
    .await?;
    if let Some(hash) = secret_hash {
        client_secret::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            client_id: Set(id.clone()),
            secret_hash: Set(hash),
            created_at: Set(now),
            expires_at: Set(None),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::ClientCreated, actor).target("client", &id).data(json!({
            "after": { "name": model.name, "application_type": model.application_type, "scopes": new.scopes, "grant_types": grants }
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedClient {
        client: model.try_into()?,
        secret,
    })
}

pub async fn find<C: ConnectionTrait>(conn: &C, id: &str) -> DomainResult<Option<Client>> {
    client::Entity::find_by_id(id.to_owned())
        .one(conn)
        .await?
        .map(Client::try_from)
        .transpose()
}

/// Deletes a client, its secrets and (by cascade) everything issued to it.
pub async fn delete(
    db: &DatabaseConnection,
    actor: Actor,
    id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::db::write_txn(db).await?;
    let res = client::Entity::delete_by_id(id.to_owned())
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(DomainError::NotFound);
    }
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::ClientDeleted, actor).target("client", id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Why client authentication failed (all map to `invalid_client`).
#[derive(Debug, PartialEq, Eq)]
pub enum ClientAuthError {
    UnknownClient,
    WrongSecret,
    MethodNotAllowed,
    Unusable(&'static str),
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
    records: crate::cache::TtlCache<String, Arc<ClientRecord>>,
}

impl Default for SecretCache {
    fn default() -> Self {
        Self::new(10_000, std::time::Duration::ZERO)
    }
}

impl SecretCache {
    pub fn new(capacity: usize, record_ttl: std::time::Duration) -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self {
            key: Arc::new(key),
            tags: Arc::new(Mutex::new(HashSet::new())),
            capacity,
            records: crate::cache::TtlCache::new(record_ttl, capacity),
        }
    }

    /// Forgets a client's cached row (call after changing or deleting it).
    pub fn invalidate_client(&self, id: &str) {
        self.records.invalidate(&id.to_owned());
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
}

pub async fn authenticate<C: ConnectionTrait>(
    conn: &C,
    hasher: &PasswordHasher,
    cache: &SecretCache,
    p: Presented<'_>,
    now: Timestamp,
) -> Result<Client, ClientAuthError> {
    let record = cache
        .record(conn, p.client_id)
        .await
        .ok_or(ClientAuthError::UnknownClient)?;
    let client = record.client.clone();
    if let Some(reason) = client.unusable_reason(now) {
        return Err(ClientAuthError::Unusable(reason));
    }
    match (client.auth_method, p.method) {
        (AuthMethod::None, AuthMethod::None) => return Ok(client),
        (AuthMethod::None, _) | (_, AuthMethod::None) => {
            return Err(ClientAuthError::MethodNotAllowed)
        }
        // Basic and post are both accepted for confidential clients.
        _ => {}
    }
    let presented = p.secret.ok_or(ClientAuthError::WrongSecret)?;
    let live: Vec<_> = record
        .secrets
        .iter()
        .filter(|r| r.expires_at.is_none_or(|e| e > now))
        .collect();
    for row in &live {
        if cache.contains(&cache.tag(row, presented)) {
            return Ok(client);
        }
    }
    let secret = SecretString::new(presented);
    for row in &live {
        if hasher.verify(Some(&row.secret_hash), &secret).await {
            cache.insert(cache.tag(row, presented));
            return Ok(client);
        }
    }
    if live.is_empty() {
        // Same cost as a wrong secret.
        hasher.verify(None, &secret).await;
    }
    Err(ClientAuthError::WrongSecret)
}
