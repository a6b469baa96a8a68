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
//! message. Wrong secrets are never cached. Concurrent requests with the same
//! presented secret share one verification (see `SecretCache::inflight`).

use std::collections::{HashMap, HashSet};
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
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub jwks_uri: Option<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub contacts: Vec<String>,
    /// Refresh-token lifetime for this client (None = the server default).
    pub refresh_token_ttl_secs: Option<i64>,
    /// The row version this value was read at; every write bumps it and is
    /// conditional on it (see [`save`]).
    pub version: i64,
    /// What an administrator (or an approving rule) has reviewed: see
    /// [`crate::review`].
    pub reviewed_grant_types: Vec<String>,
    pub reviewed_redirect_uris: Vec<String>,
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
            post_logout_redirect_uris: json_list(&m.post_logout_redirect_uris)?,
            contacts: json_list(&m.contacts)?,
            reviewed_grant_types: json_list(&m.reviewed_grant_types)?,
            reviewed_redirect_uris: json_list(&m.reviewed_redirect_uris)?,
            version: m.version,
            logo_uri: m.logo_uri,
            client_uri: m.client_uri,
            policy_uri: m.policy_uri,
            tos_uri: m.tos_uri,
            jwks_uri: m.jwks_uri,
            refresh_token_ttl_secs: m.refresh_token_ttl_secs,
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
    pub fn allows(&self, grant: crate::oauth::GrantType) -> bool {
        self.allows_grant(grant.as_str())
    }
    /// The scopes an administrator granted this client.
    pub fn scope_set(&self) -> crate::oauth::ScopeSet {
        self.scopes.iter().cloned().collect()
    }
    /// Seed 003: why tokens may not be issued on behalf of this account, if they may
    /// not (an empty domain list means anyone). A domain restriction is satisfied
    /// only by a verified address: anyone can sign up as `president@example.edu`
    /// (issue 11, M6).
    pub fn refuses_account(&self, email: &str, email_verified: bool) -> Option<&'static str> {
        if self.allowed_email_domains.is_empty() {
            return None;
        }
        let domain = email
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default();
        if !self.allowed_email_domains.contains(&domain) {
            Some("this application is not available to accounts of your e-mail domain")
        } else if !email_verified {
            Some("this application is limited to some e-mail domains, and the e-mail address of this account has not been verified")
        } else {
            None
        }
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
    check_uri_text("redirect_uris", uri)?;
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
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub jwks_uri: Option<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub contacts: Vec<String>,
    /// Registration expiry (None = never).
    pub expires_at: Option<Timestamp>,
    /// A developer's self-service registration: nobody has reviewed its grant types
    /// and redirect URIs yet. Otherwise (the operator, an administrator) the
    /// registration itself is the review.
    pub unreviewed: bool,
}

/// Trims an optional text field; empty means absent.
fn opt(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A web page or document URI shown to people (logo, home page, policy, terms) or
/// fetched by us (JWKS): absolute https, or http on a loopback address for
/// development.
pub fn validate_web_uri(field: &'static str, uri: &str) -> DomainResult<()> {
    check_uri_text(field, uri)?;
    let u = url::Url::parse(uri)
        .map_err(|_| DomainError::invalid(field, format!("'{uri}' is not an absolute URI")))?;
    let loopback = matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    match u.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(DomainError::invalid(
            field,
            format!("'{uri}' must use https (http is allowed only for loopback addresses)"),
        )),
    }
}

/// The bounds every URI field shares, checked before parsing: the URL parser
/// quietly drops or escapes control characters, so the stored text would not be
/// what was checked.
fn check_uri_text(field: &'static str, uri: &str) -> DomainResult<()> {
    crate::text::check_len(field, uri, limits::URI)?;
    crate::text::check_chars(field, uri, false)?;
    if uri.chars().any(char::is_whitespace) {
        return Err(DomainError::invalid(field, "must not contain spaces"));
    }
    Ok(())
}

/// Checks a contact e-mail address.
fn validate_contact(c: &str) -> DomainResult<()> {
    crate::text::check_chars("contacts", c, false)?;
    crate::users::Email::parse(c)
        .map(|_| ())
        .map_err(|_| DomainError::invalid("contacts", format!("'{c}' is not an e-mail address")))
}

/// Seed 003's e-mail domain restriction: at most [`limits::EMAIL_DOMAINS`] domain
/// names, lower-cased, without duplicates.
pub fn validate_email_domains(domains: &[String]) -> DomainResult<Vec<String>> {
    const FIELD: &str = "allowed_email_domains";
    crate::text::check_items(FIELD, domains, limits::EMAIL_DOMAINS)?;
    let mut out: Vec<String> = Vec::new();
    for d in domains {
        let d = crate::text::line(FIELD, d, limits::DOMAIN_NAME)?.to_lowercase();
        if d.is_empty() {
            continue;
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if !d.contains('.') || !d.split('.').all(label_ok) {
            return Err(DomainError::invalid(
                FIELD,
                format!("'{d}' is not a domain name (like example.edu)"),
            ));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

fn check_auth(app: ApplicationType, auth: AuthMethod) -> DomainResult<()> {
    match (app, auth) {
        (ApplicationType::Native, AuthMethod::None) => Ok(()),
        (ApplicationType::Native, _) => Err(DomainError::invalid(
            "token_endpoint_auth_method",
            "native and single-page clients cannot keep a secret: use none (PKCE)",
        )),
        (_, AuthMethod::None) => Err(DomainError::invalid(
            "token_endpoint_auth_method",
            "only native clients may be public (none)",
        )),
        _ => Ok(()),
    }
}

fn check_grants(app: ApplicationType, grants: &[String]) -> DomainResult<()> {
    if grants.is_empty() {
        return Err(DomainError::invalid("grant_types", "choose at least one"));
    }
    for g in grants {
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
    Ok(())
}

/// The fields of seed 001's table that a developer may change directly ("YES").
/// The application type is fixed at creation: switching between public and
/// confidential would silently create or orphan a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientUpdate {
    pub name: String,
    pub description: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Without `password`: enabling the password grant needs approval.
    pub grant_types: Vec<String>,
    pub auth_method: Option<AuthMethod>,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub jwks_uri: Option<String>,
    pub contacts: Vec<String>,
    pub id_token_alg: Option<crate::keys::Alg>,
    pub userinfo_alg: Option<crate::keys::Alg>,
}

impl ClientUpdate {
    /// The client's current values, as the starting point of an edit.
    pub fn from_client(c: &Client) -> Self {
        Self {
            name: c.name.clone(),
            description: c.description.clone(),
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            grant_types: c
                .grant_types
                .iter()
                .filter(|g| *g != GRANT_PASSWORD)
                .cloned()
                .collect(),
            auth_method: Some(c.auth_method),
            logo_uri: c.logo_uri.clone(),
            client_uri: c.client_uri.clone(),
            policy_uri: c.policy_uri.clone(),
            tos_uri: c.tos_uri.clone(),
            jwks_uri: c.jwks_uri.clone(),
            contacts: c.contacts.clone(),
            id_token_alg: Some(c.id_token_alg),
            userinfo_alg: c.userinfo_alg,
        }
    }
}

/// Validates and normalises the directly editable fields for a client type.
/// Returns the cleaned values; the first problem found is the error, naming its field.
pub fn validate_update(app: ApplicationType, u: &ClientUpdate) -> DomainResult<ClientUpdate> {
    let name = crate::text::line("name", &u.name, limits::CLIENT_NAME)?;
    if name.is_empty() {
        return Err(DomainError::invalid(
            "name",
            format!("must be 1 to {} characters", limits::CLIENT_NAME),
        ));
    }
    let description =
        crate::text::paragraph("description", &u.description, limits::CLIENT_DESCRIPTION)?;
    // Lists are bounded before anything looks at their entries.
    crate::text::check_items("redirect_uris", &u.redirect_uris, limits::REDIRECT_URIS)?;
    crate::text::check_items(
        "post_logout_redirect_uris",
        &u.post_logout_redirect_uris,
        limits::POST_LOGOUT_REDIRECT_URIS,
    )?;
    crate::text::check_items("grant_types", &u.grant_types, limits::GRANT_TYPES)?;
    crate::text::check_items("contacts", &u.contacts, limits::CONTACTS)?;
    let clean = |v: &[String]| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for x in v.iter().map(|x| x.trim()).filter(|x| !x.is_empty()) {
            if !out.iter().any(|o| o == x) {
                out.push(x.to_owned());
            }
        }
        out
    };
    let redirect_uris = clean(&u.redirect_uris);
    let post_logout = clean(&u.post_logout_redirect_uris);
    let grants = clean(&u.grant_types);
    let contacts = clean(&u.contacts);
    let auth = u.auth_method.unwrap_or(match app {
        ApplicationType::Native => AuthMethod::None,
        _ => AuthMethod::ClientSecretBasic,
    });
    check_auth(app, auth)?;
    check_grants(app, &grants)?;
    if app != ApplicationType::Service
        && redirect_uris.is_empty()
        && grants.iter().any(|g| g == GRANT_AUTHORIZATION_CODE)
    {
        return Err(DomainError::invalid(
            "redirect_uris",
            "need at least one entry for the authorization code grant",
        ));
    }
    for uri in &redirect_uris {
        validate_redirect_uri(app, uri)?;
    }
    for uri in &post_logout {
        validate_redirect_uri(app, uri).map_err(|e| match e {
            DomainError::Invalid { message, .. } => {
                DomainError::invalid("post_logout_redirect_uris", message)
            }
            other => other,
        })?;
    }
    let (logo, home, policy, tos, jwks) = (
        opt(&u.logo_uri),
        opt(&u.client_uri),
        opt(&u.policy_uri),
        opt(&u.tos_uri),
        opt(&u.jwks_uri),
    );
    for (field, v) in [
        ("logo_uri", &logo),
        ("client_uri", &home),
        ("policy_uri", &policy),
        ("tos_uri", &tos),
        ("jwks_uri", &jwks),
    ] {
        if let Some(v) = v {
            validate_web_uri(field, v)?;
        }
    }
    for c in &contacts {
        validate_contact(c)?;
    }
    Ok(ClientUpdate {
        name,
        description,
        redirect_uris,
        post_logout_redirect_uris: post_logout,
        grant_types: grants,
        auth_method: Some(auth),
        logo_uri: logo,
        client_uri: home,
        policy_uri: policy,
        tos_uri: tos,
        jwks_uri: jwks,
        contacts,
        id_token_alg: Some(u.id_token_alg.unwrap_or(crate::keys::Alg::RS256)),
        userinfo_alg: u.userinfo_alg,
    })
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
    let app = new.application_type.unwrap_or(ApplicationType::Web);
    let grants = new.grant_types.clone().unwrap_or_else(|| match app {
        ApplicationType::Service => vec![GRANT_CLIENT_CREDENTIALS.into()],
        _ => vec![GRANT_AUTHORIZATION_CODE.into(), GRANT_REFRESH_TOKEN.into()],
    });
    let f = validate_update(
        app,
        &ClientUpdate {
            name: new.name.clone(),
            description: new.description.clone(),
            redirect_uris: new.redirect_uris.clone(),
            post_logout_redirect_uris: new.post_logout_redirect_uris.clone(),
            grant_types: grants,
            auth_method: new.auth_method,
            logo_uri: new.logo_uri.clone(),
            client_uri: new.client_uri.clone(),
            policy_uri: new.policy_uri.clone(),
            tos_uri: new.tos_uri.clone(),
            jwks_uri: new.jwks_uri.clone(),
            contacts: new.contacts.clone(),
            id_token_alg: new.id_token_alg,
            userinfo_alg: new.userinfo_alg,
        },
    )?;
    let auth = f.auth_method.unwrap_or(AuthMethod::ClientSecretBasic);
    let grants = f.grant_types.clone();
    crate::text::check_items("scopes", &new.scopes, limits::SCOPES)?;
    let (reviewed_grants, reviewed_uris) = if new.unreviewed {
        (Vec::new(), Vec::new())
    } else {
        (grants.clone(), f.redirect_uris.clone())
    };
    for s in &new.scopes {
        crate::resources::find_scope(db, s)
            .await?
            .ok_or_else(|| DomainError::invalid("scopes", format!("unknown scope '{s}'")))?;
    }
    let domains = validate_email_domains(&new.allowed_email_domains)?;

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
        name: Set(f.name.clone()),
        description: Set(f.description.clone()),
        owner_id: Set(new.owner_id),
        application_type: Set(app.as_str().into()),
        token_endpoint_auth_method: Set(auth.as_str().into()),
        redirect_uris: Set(to_json(&f.redirect_uris)),
        grant_types: Set(to_json(&grants)),
        scopes: Set(to_json(&new.scopes)),
        first_party: Set(new.first_party),
        allowed_email_domains: Set(to_json(&domains)),
        access_token_ttl_secs: Set(None),
        disabled: Set(false),
        expires_at: Set(new.expires_at),
        created_at: Set(now),
        updated_at: Set(now),
        id_token_signed_response_alg: Set(f
            .id_token_alg
            .unwrap_or(crate::keys::Alg::RS256)
            .as_str()
            .into()),
        userinfo_signed_response_alg: Set(f.userinfo_alg.map(|a| a.as_str().into())),
        logo_uri: Set(f.logo_uri.clone()),
        client_uri: Set(f.client_uri.clone()),
        policy_uri: Set(f.policy_uri.clone()),
        tos_uri: Set(f.tos_uri.clone()),
        jwks_uri: Set(f.jwks_uri.clone()),
        post_logout_redirect_uris: Set(to_json(&f.post_logout_redirect_uris)),
        contacts: Set(to_json(&f.contacts)),
        refresh_token_ttl_secs: Set(None),
        version: Set(1),
        reviewed_grant_types: Set(to_json(&reviewed_grants)),
        reviewed_redirect_uris: Set(to_json(&reviewed_uris)),
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
    let client: Client = model.try_into()?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::ClientCreated, actor)
            .target("client", &id)
            .data(json!({ "after": client })),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedClient { client, secret })
}

pub async fn find<C: ConnectionTrait>(conn: &C, id: &str) -> DomainResult<Option<Client>> {
    if !crate::text::could_exist(id) {
        return Ok(None);
    }
    client::Entity::find_by_id(id.to_owned())
        .one(conn)
        .await?
        .map(Client::try_from)
        .transpose()
}

/// Reads a client inside a write transaction, to change it: `SELECT … FOR UPDATE`
/// on PostgreSQL, so concurrent writers of the row take turns and each starts from
/// the previous one's result. (SQLite has no row locks and needs none: a write
/// transaction there is `BEGIN IMMEDIATE`, which already runs writers one at a
/// time.) Take it before anything else in the transaction — in particular before
/// the audit append's advisory lock — so that every writer locks in the same order.
pub async fn find_for_update<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> DomainResult<Option<Client>> {
    use sea_orm::QuerySelect;
    client::Entity::find_by_id(id.to_owned())
        .lock_exclusive()
        .one(conn)
        .await?
        .map(Client::try_from)
        .transpose()
}

/// The error of a write whose client changed since it was read: someone else's
/// change would otherwise be overwritten (issue 11, M4).
pub const STALE: &str = "the client was changed by someone else since you loaded it: reload it and make your change again";

/// Whether an error is [`STALE`]'s conflict.
pub fn is_stale(e: &DomainError) -> bool {
    matches!(e, DomainError::Conflict(m) if m == STALE)
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
    records: crate::cache::TtlCache<String, Arc<ClientRecord>>,
    /// Secrets being verified right now, keyed like `tags` (an HMAC, never the
    /// secret): requests presenting the same secret while it is verified wait for
    /// that one argon2 run instead of starting their own. Without this, a client that
    /// opens 32 connections after a restart costs 32 runs (~1.2 s of one core).
    inflight: Gates,
    /// This process's side of the failed-authentication throttle.
    throttle: Arc<crate::throttle::Local>,
}

type Gates = Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>;

/// A place in the queue of requests verifying one presented secret; leaving it
/// removes the queue when nobody else is in it.
struct Gate {
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
            Arc::new(crate::clock::SystemClock),
        )
    }
}

impl SecretCache {
    pub fn new(
        capacity: usize,
        record_ttl: std::time::Duration,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self {
            key: Arc::new(key),
            tags: Arc::new(Mutex::new(HashSet::new())),
            capacity,
            records: crate::cache::TtlCache::new(record_ttl, capacity, clock),
            inflight: Default::default(),
            // Reservations for client authentication use at most two pooled
            // connections at once, however many attempts arrive.
            throttle: Arc::new(crate::throttle::Local::new(2)),
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
    throttle_policy: crate::throttle::ClientThrottlePolicy,
    p: Presented<'_>,
    now: Timestamp,
) -> Result<Client, ClientAuthError> {
    use crate::throttle::Reservation;
    let record = cache.record(db, p.client_id).await;
    let Some(presented) = p.secret else {
        // Nothing to guess, nothing to verify: a public client names itself.
        return match &record {
            Some(r) if r.client.auth_method == AuthMethod::None && p.method == AuthMethod::None => {
                usable(&r.client, now)
            }
            Some(_) => Err(ClientAuthError::MethodNotAllowed),
            None => Err(ClientAuthError::UnknownClient),
        };
    };
    // Secret rows to verify against; none for an unknown or public client.
    let live: Vec<&client_secret::Model> = match &record {
        Some(r) if r.client.auth_method != AuthMethod::None => r
            .secrets
            .iter()
            .filter(|row| row.expires_at.is_none_or(|e| e > now))
            .collect(),
        _ => Vec::new(),
    };
    let verified = |cache: &SecretCache| {
        live.iter()
            .any(|row| cache.contains(&cache.tag(row, presented)))
    };
    if let (true, Some(r)) = (verified(cache), &record) {
        return usable(&r.client, now);
    }
    let gate = cache.gate(p.client_id, presented);
    let _one_at_a_time = gate.lock.lock().await;
    // The request ahead of this one may just have verified the same secret.
    if let (true, Some(r)) = (verified(cache), &record) {
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
fn usable(client: &Client, now: Timestamp) -> Result<Client, ClientAuthError> {
    match client.unusable_reason(now) {
        Some(reason) => Err(ClientAuthError::Unusable(reason)),
        None => Ok(client.clone()),
    }
}

/// Writes every field of `c` to its row (through the caller's transaction), if the
/// row is still at the version `c` was read at, and bumps the version. A row that
/// moved on in between is [`STALE`], never overwritten: without this check a
/// developer's edit read before an administrator disabled the client would write
/// `disabled = false` back (issue 11, M4). Writers read with [`find_for_update`]
/// inside their transaction, so for them the check cannot fail; it is the backstop.
pub async fn save<C: ConnectionTrait>(conn: &C, c: &Client, now: Timestamp) -> DomainResult<()> {
    use sea_orm::sea_query::Expr;
    use sea_orm::ExprTrait;
    let res = client::Entity::update_many()
        .set(client::ActiveModel {
            id: Set(c.id.clone()),
            name: Set(c.name.clone()),
            description: Set(c.description.clone()),
            owner_id: Set(c.owner_id.clone()),
            application_type: Set(c.application_type.as_str().into()),
            token_endpoint_auth_method: Set(c.auth_method.as_str().into()),
            redirect_uris: Set(to_json(&c.redirect_uris)),
            grant_types: Set(to_json(&c.grant_types)),
            scopes: Set(to_json(&c.scopes)),
            first_party: Set(c.first_party),
            allowed_email_domains: Set(to_json(&c.allowed_email_domains)),
            access_token_ttl_secs: Set(c.access_token_ttl_secs),
            disabled: Set(c.disabled),
            expires_at: Set(c.expires_at),
            created_at: Set(c.created_at),
            updated_at: Set(now),
            id_token_signed_response_alg: Set(c.id_token_alg.as_str().into()),
            userinfo_signed_response_alg: Set(c.userinfo_alg.map(|a| a.as_str().into())),
            logo_uri: Set(c.logo_uri.clone()),
            client_uri: Set(c.client_uri.clone()),
            policy_uri: Set(c.policy_uri.clone()),
            tos_uri: Set(c.tos_uri.clone()),
            jwks_uri: Set(c.jwks_uri.clone()),
            post_logout_redirect_uris: Set(to_json(&c.post_logout_redirect_uris)),
            contacts: Set(to_json(&c.contacts)),
            refresh_token_ttl_secs: Set(c.refresh_token_ttl_secs),
            reviewed_grant_types: Set(to_json(&c.reviewed_grant_types)),
            reviewed_redirect_uris: Set(to_json(&c.reviewed_redirect_uris)),
            ..Default::default()
        })
        .col_expr(
            client::Column::Version,
            Expr::col(client::Column::Version).add(1),
        )
        .filter(client::Column::Id.eq(c.id.clone()))
        .filter(client::Column::Version.eq(c.version))
        .exec(conn)
        .await?;
    if res.rows_affected == 1 {
        return Ok(());
    }
    match find(conn, &c.id).await? {
        Some(_) => Err(DomainError::Conflict(STALE.into())),
        None => Err(DomainError::NotFound),
    }
}

/// Applies directly editable fields (already validated) to a client value.
pub fn apply_update(c: &mut Client, u: ClientUpdate) {
    let had_password = c.allows_grant(GRANT_PASSWORD);
    c.name = u.name;
    c.description = u.description;
    c.redirect_uris = u.redirect_uris;
    c.post_logout_redirect_uris = u.post_logout_redirect_uris;
    c.grant_types = u.grant_types;
    c.grant_types.retain(|g| g != GRANT_PASSWORD);
    if had_password {
        c.grant_types.push(GRANT_PASSWORD.into());
    }
    if let Some(a) = u.auth_method {
        c.auth_method = a;
    }
    c.logo_uri = u.logo_uri;
    c.client_uri = u.client_uri;
    c.policy_uri = u.policy_uri;
    c.tos_uri = u.tos_uri;
    c.jwks_uri = u.jwks_uri;
    c.contacts = u.contacts;
    if let Some(a) = u.id_token_alg {
        c.id_token_alg = a;
    }
    c.userinfo_alg = u.userinfo_alg;
}

/// How long the previous secret keeps working after a rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overlap {
    None,
    OneHour,
    OneDay,
    SevenDays,
}

impl Overlap {
    pub const ALL: [Overlap; 4] = [
        Overlap::None,
        Overlap::OneHour,
        Overlap::OneDay,
        Overlap::SevenDays,
    ];
    pub fn secs(self) -> i64 {
        match self {
            Overlap::None => 0,
            Overlap::OneHour => 3600,
            Overlap::OneDay => 24 * 3600,
            Overlap::SevenDays => 7 * 24 * 3600,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Overlap::None => "none",
            Overlap::OneHour => "1h",
            Overlap::OneDay => "24h",
            Overlap::SevenDays => "7d",
        }
    }
    pub fn parse(s: &str) -> DomainResult<Self> {
        Self::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| DomainError::invalid("overlap", "must be none, 1h, 24h or 7d"))
    }
}

/// Issues a new secret for a confidential client. Every secret that is still live
/// keeps working until `now + overlap` (or its own earlier end), then stops.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    actor: Actor,
    ip: Option<String>,
    id: &str,
    overlap: Overlap,
    now: Timestamp,
) -> DomainResult<SecretString> {
    let c = find(db, id).await?.ok_or(DomainError::NotFound)?;
    if c.is_public() {
        return Err(DomainError::invalid(
            "client",
            "public clients have no secret to rotate",
        ));
    }
    let secret = SecretString::new(random_token());
    let hash = hasher.hash(&secret).await?;
    let txn = crate::db::write_txn(db).await?;
    let until = now + overlap.secs();
    let old = client_secret::Entity::find()
        .filter(client_secret::Column::ClientId.eq(id))
        .all(&txn)
        .await?;
    let mut kept = 0;
    for row in old {
        if row.expires_at.is_some_and(|e| e <= now) {
            continue;
        }
        let end = row.expires_at.map_or(until, |e| e.min(until));
        let mut am: client_secret::ActiveModel = row.into();
        am.expires_at = Set(Some(end));
        am.update(&txn).await?;
        kept += 1;
    }
    client_secret::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        client_id: Set(id.to_owned()),
        secret_hash: Set(hash),
        created_at: Set(now),
        expires_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::ClientSecretRotated, actor)
            .target("client", id)
            .ip(ip)
            .data(json!({ "overlap": overlap.as_str(), "previous_secrets_until": (kept > 0).then_some(until) })),
    )
    .await?;
    txn.commit().await?;
    Ok(secret)
}

/// How to order a client listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Name,
    Created,
    Expiry,
}

impl Sort {
    pub fn parse(s: &str) -> Self {
        match s {
            "created" => Sort::Created,
            "expiry" => Sort::Expiry,
            _ => Sort::Name,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Created => "created",
            Sort::Expiry => "expiry",
        }
    }
}

/// Clients, optionally only one owner's, filtered by a substring of name or id.
pub async fn list(
    db: &DatabaseConnection,
    owner: Option<&str>,
    search: &str,
    sort: Sort,
    page: u64,
    per_page: u64,
) -> DomainResult<crate::users::Page<Client>> {
    use sea_orm::{Condition, PaginatorTrait, QueryOrder};
    let (page, per_page) = crate::users::page_bounds(page, per_page, limits::PER_PAGE);
    let mut q = client::Entity::find();
    if let Some(o) = owner {
        q = q.filter(client::Column::OwnerId.eq(o));
    }
    let search = crate::text::search("search", search)?;
    if !search.is_empty() {
        let pat = format!("%{}%", search.replace(['%', '_'], ""));
        q = q.filter(
            Condition::any()
                .add(client::Column::Name.like(&pat))
                .add(client::Column::Id.like(&pat)),
        );
    }
    q = match sort {
        Sort::Name => q.order_by_asc(client::Column::Name),
        Sort::Created => q.order_by_desc(client::Column::CreatedAt),
        // Soonest first; clients that never expire last.
        Sort::Expiry => q
            .order_by_asc(client::Column::ExpiresAt.is_null())
            .order_by_asc(client::Column::ExpiresAt),
    }
    .order_by_asc(client::Column::Id);
    let paginator = q.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let items = paginator
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(Client::try_from)
        .collect::<DomainResult<Vec<_>>>()?;
    Ok(crate::users::Page {
        items,
        page,
        per_page,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 16 requests with the same new secret at once cost one argon2 run; wrong
    /// secrets are never shared and each pays its own.
    #[tokio::test]
    async fn concurrent_requests_with_one_secret_share_one_verification() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::connect(&format!("sqlite://{}/s.db", dir.path().display()))
            .await
            .unwrap();
        crate::db::migrate(&db).await.unwrap();
        let hasher = PasswordHasher::new();
        let now = 1_800_000_000;
        let created = create(
            &db,
            &hasher,
            Actor::System,
            NewClient {
                name: "Busy service".into(),
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
            Arc::new(crate::clock::ManualClock::new(0)),
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
