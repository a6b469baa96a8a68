//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document;
//! issue 16, item 2): a `client_id` that is an https URL names a JSON document of
//! RFC 7591 client metadata, and the client is what that document says.
//!
//! The server fetches the document (SSRF-guarded, bounded, cached: see
//! `server/src/oauth/cimd.rs`) and hands it here. Its metadata goes through the
//! same rules as a dynamic registration's (`dynamic::check_request`,
//! `ClientPatch::register`, `store::prepare`): there is no second rule set. What
//! is particular to documents is checked here: the URL's form, no secret (the
//! document is public), and admission.
//!
//! A resolved document becomes (or refreshes) a `clients` row whose id is the URL,
//! beside a `metadata_document_clients` row (its host, when it was fetched, for
//! how long that copy is fresh, the protected name it imitates). Admission: a
//! client from a trusted host is admitted at once; any other host's starts
//! disabled, awaiting an administrator, as a dynamic registration does. A
//! `client_name` that matches a protected name from a host other than its
//! vendor's is never admitted at once and is flagged on /admin/clients.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde_json::json;

use super::authenticate::SecretCache;
use super::dynamic::Request;
use super::metadata::{ClientPatch, NewClient};
use super::model::{ApplicationType, AuthMethod, Client, SubjectType};
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::metadata_document_client as mdc;
use crate::platform::clock::Timestamp;
use crate::platform::password::PasswordHasher;
use crate::portal::admission::{self, Arrival};
use crate::portal::request::Status;
use crate::settings::{MetadataDocuments, ProtectedName, RuntimeSettings};
use crate::{DomainError, DomainResult};

/// A document's copy is fresh for its `Cache-Control: max-age`, clamped to
/// [`MIN_MAX_AGE`, `MAX_MAX_AGE`]; without one, for an hour.
pub const DEFAULT_MAX_AGE: i64 = 3600;
/// Five minutes: a document cannot make this server fetch it more often
/// (`no-store`, `max-age=0` count as this).
pub const MIN_MAX_AGE: i64 = 300;
/// A day: a changed document (new redirect URIs, keys) is seen within a day.
pub const MAX_MAX_AGE: i64 = 86_400;

/// How long a fetched copy is fresh, from the response's `Cache-Control`.
pub fn max_age(cache_control: Option<&str>) -> i64 {
    let Some(cc) = cache_control else {
        return DEFAULT_MAX_AGE;
    };
    let mut age = None;
    for d in cc.split(',').map(|d| d.trim().to_ascii_lowercase()) {
        if d == "no-store" || d == "no-cache" {
            return MIN_MAX_AGE;
        }
        if let Some(v) = d.strip_prefix("max-age=") {
            age = v.trim_matches('"').parse::<i64>().ok();
        }
    }
    age.unwrap_or(DEFAULT_MAX_AGE)
        .clamp(MIN_MAX_AGE, MAX_MAX_AGE)
}

/// Whether a `client_id` is meant as a document's URL (what the authorization
/// and token endpoints look for before anything else).
pub fn looks_like_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// The document URL a `client_id` names, if it is an acceptable one: https (or
/// http on a loopback host, for development, when `allow_http_loopback`), a path
/// beyond `/`, no fragment, no user name or password, and in canonical form — it
/// serialises to itself byte for byte, so dot segments, upper-case hosts and
/// default ports spelt out are refused (the draft, §3: the document's
/// `client_id` must equal the URL exactly).
pub fn parse_url(client_id: &str, allow_http_loopback: bool) -> Option<url::Url> {
    if client_id.len() > limits::URI || !crate::platform::text::could_exist(client_id) {
        return None;
    }
    let url = url::Url::parse(client_id).ok()?;
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => allow_http_loopback && is_loopback(&url),
        _ => false,
    };
    let ok = scheme_ok
        && url.as_str() == client_id
        && url.host_str().is_some()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() != "/"
        && !url.path().is_empty();
    ok.then_some(url)
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The host a document's client comes from, as consent shows it: `None` for a
/// client that is not a document's.
pub fn document_host(client_id: &str) -> Option<String> {
    if !looks_like_url(client_id) {
        return None;
    }
    url::Url::parse(client_id)
        .ok()?
        .host_str()
        .map(str::to_owned)
}

/// A name folded for comparison with the protected names: its UTS #39 skeleton
/// (so Cyrillic "С" meets Latin "C"), lower-case, letters and digits only (so
/// "C-laude", "c l a u d e" and "CLAUDE" meet "Claude").
fn folded(name: &str) -> String {
    crate::platform::lookalike::skeleton_of(name)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The protected name a document from `host` named `name` imitates: one that
/// matches it, folded, while `host` is neither its vendor's host nor under it.
pub fn imitates<'a>(
    policy: &'a MetadataDocuments,
    name: &str,
    host: &str,
) -> Option<&'a ProtectedName> {
    let name = folded(name);
    if name.is_empty() {
        return None;
    }
    policy.protected_names.iter().find(|p| {
        folded(&p.name) == name && host != p.host && !host.ends_with(&format!(".{}", p.host))
    })
}

/// A fetched document, checked by the server for what only it sees (the
/// response's type and size, `client_id` equal to the URL, no secret fields),
/// as registration metadata.
pub struct Fetched {
    /// The document's URL: the client's id.
    pub url: String,
    pub request: Request,
    /// How long this copy is fresh ([`max_age`]).
    pub max_age_secs: i64,
}

/// A document's client, by its URL, when its stored copy is still fresh (no
/// fetch needed).
pub async fn fresh<C: ConnectionTrait>(
    conn: &C,
    url: &str,
    now: Timestamp,
) -> DomainResult<Option<Client>> {
    let Some(row) = mdc::Entity::find_by_id(url.to_owned()).one(conn).await? else {
        return Ok(None);
    };
    if row.fetched_at + row.max_age_secs <= now {
        return Ok(None);
    }
    super::store::find(conn, url).await
}

/// Whether a client is a metadata document's.
pub async fn is_document_client<C: ConnectionTrait>(conn: &C, id: &str) -> DomainResult<bool> {
    if !looks_like_url(id) {
        return Ok(false);
    }
    Ok(mdc::Entity::find_by_id(id.to_owned())
        .one(conn)
        .await?
        .is_some())
}

/// How a metadata document's client came, for administrators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentOrigin {
    pub url: String,
    pub host: String,
    pub fetched_at: Timestamp,
    pub first_seen: Timestamp,
    /// The protected name its `client_name` imitates.
    pub imitates: Option<String>,
}

/// The document origins of those of `ids` that are documents' clients (one
/// query: a page of the administrators' client list).
pub async fn origins<C: ConnectionTrait>(
    conn: &C,
    ids: &[String],
) -> DomainResult<HashMap<String, DocumentOrigin>> {
    let urls: Vec<String> = ids.iter().filter(|i| looks_like_url(i)).cloned().collect();
    if urls.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(mdc::Entity::find()
        .filter(mdc::Column::ClientId.is_in(urls))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| {
            (
                m.client_id.clone(),
                DocumentOrigin {
                    url: m.client_id,
                    host: m.host,
                    fetched_at: m.fetched_at,
                    first_seen: m.created_at,
                    imitates: m.imitates,
                },
            )
        })
        .collect())
}

/// The application type a document's client gets, and its refusal of secrets:
/// the document is public, so the client is public (`none`, which Portcullis
/// calls a native client: PKCE, no secret) or proves itself with its keys
/// (`private_key_jwt`). Left out, the method is `none`.
fn shape(req: &mut Request) -> DomainResult<ApplicationType> {
    let auth = req
        .metadata
        .token_endpoint_auth_method
        .unwrap_or(AuthMethod::None);
    req.metadata.token_endpoint_auth_method = Some(auth);
    match auth {
        AuthMethod::None => Ok(ApplicationType::Native),
        AuthMethod::PrivateKeyJwt => Ok(req.application_type.unwrap_or(ApplicationType::Web)),
        _ => Err(DomainError::invalid(
            "token_endpoint_auth_method",
            "a metadata document's client cannot hold a secret: use none or private_key_jwt",
        )),
    }
}

/// Creates or refreshes the client a fetched document describes, and records
/// the fetch (its time and freshness). A new client from a trusted host that
/// imitates no protected name is admitted at once; any other starts disabled,
/// awaiting an administrator. A refresh that changes what admission vetted
/// (redirect URIs, grant types, keys) of a client not from a trusted host, or
/// that makes it imitate a protected name, sends it back to awaiting admission.
pub async fn store(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    cache: &SecretCache,
    settings: &RuntimeSettings,
    doc: Fetched,
    now: Timestamp,
) -> DomainResult<Client> {
    let Fetched {
        url,
        mut request,
        max_age_secs,
    } = doc;
    let host = document_host(&url)
        .ok_or_else(|| DomainError::invalid("client_id", "is not a document URL"))?;
    super::dynamic::check_request(&request)?;
    let app = shape(&mut request)?;
    let policy = &settings.metadata_documents;
    let name = request.metadata.name.clone().unwrap_or_default();
    let imitated = imitates(policy, &name, &host).map(|p| p.name.clone());
    let admitted = imitated.is_none() && policy.trusted_hosts.contains(&host);
    let seen = Seen {
        url: url.clone(),
        host,
        imitated: imitated.clone(),
        max_age_secs,
    };
    match super::store::find(db, &url).await? {
        None => create(db, hasher, settings, request, app, seen, admitted, now).await,
        Some(current) => {
            let replaced = request
                .metadata
                .register(current.metadata.application_type)?;
            let txn = crate::platform::db::write_txn(db).await?;
            let current = super::store::find_for_update(&txn, &url)
                .await?
                .ok_or(DomainError::NotFound)?;
            let before = mdc::Entity::find_by_id(url.clone()).one(&txn).await?;
            let mut next = current.clone();
            next.metadata = ClientPatch::all(&replaced).edit(&current.metadata)?;
            let m = (&current.metadata, &next.metadata);
            let revetted = m.0.redirect_uris != m.1.redirect_uris
                || m.0.grant_types != m.1.grant_types
                || m.0.jwks_uri != m.1.jwks_uri
                || m.0.jwks != m.1.jwks;
            let newly_imitating =
                imitated.is_some() && before.as_ref().and_then(|b| b.imitates.clone()).is_none();
            if (revetted && !admitted) || newly_imitating {
                next.disabled = true;
            }
            let changed = next != current;
            if changed {
                super::store::save(&txn, &next, now).await?;
                if next.disabled && !current.disabled {
                    let arrival = seen.arrival(&request.scopes, true);
                    admission::open(&txn, &next, arrival, now).await?;
                }
                audit::record(
                    &txn,
                    now,
                    AuditEvent::new(EventType::ClientUpdated, Actor::Client(url.clone()))
                        .target("client", &url)
                        .data(json!({
                            "before": current,
                            "after": next,
                            "via": "metadata_document",
                            "awaiting_admission": next.disabled,
                            "imitates": imitated,
                        })),
                )
                .await?;
            }
            match before {
                Some(b) => seen.row(b.created_at, now).update(&txn).await?,
                None => seen.row(now, now).insert(&txn).await?,
            };
            txn.commit().await?;
            if changed {
                cache.invalidate_client(&url);
            }
            super::store::find(db, &url)
                .await?
                .ok_or(DomainError::NotFound)
        }
    }
}

/// One fetch of a document, as its `metadata_document_clients` row records it.
struct Seen {
    url: String,
    host: String,
    imitated: Option<String>,
    max_age_secs: i64,
}

impl Seen {
    /// How a client from this document asks for admission.
    fn arrival(&self, scopes: &[String], again: bool) -> Arrival {
        Arrival {
            via: "metadata_document".into(),
            host: self.host.clone(),
            imitates: self.imitated.clone(),
            scopes: scopes.to_vec(),
            again,
            ..Default::default()
        }
    }

    fn row(&self, created_at: Timestamp, now: Timestamp) -> mdc::ActiveModel {
        mdc::ActiveModel {
            client_id: Set(self.url.clone()),
            host: Set(self.host.clone()),
            fetched_at: Set(now),
            max_age_secs: Set(self.max_age_secs),
            imitates: Set(self.imitated.clone()),
            created_at: Set(created_at),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn create(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    settings: &RuntimeSettings,
    request: Request,
    app: ApplicationType,
    seen: Seen,
    admitted: bool,
    now: Timestamp,
) -> DomainResult<Client> {
    let url = seen.url.clone();
    let scopes_asked = request.scopes.clone();
    // As for a dynamic registration: the defaults, and the scopes the document
    // lists that exist and need no administrator's approval.
    let (scopes, not_granted) =
        super::dynamic::granted_scopes(db, app, settings, &scopes_asked).await?;
    let mut ready = super::store::prepare(
        db,
        hasher,
        NewClient {
            application_type: Some(app),
            metadata: request.metadata,
            scopes: scopes.clone(),
            first_party: false,
            pre_authorized: false,
            allowed_email_domains: Vec::new(),
            owner_id: None,
            // The document is the registration: it lives as long as it is served.
            expires_at: None,
            unreviewed: true,
            // Nobody's team: development would admit no one. Admission governs it.
            stage: Default::default(),
            requestable_claims: Vec::new(),
            subject_type: SubjectType::Public,
        },
        now,
    )
    .await?;
    ready.use_id(&url);
    if !admitted {
        ready.await_admission();
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let mut created = match super::store::insert(&txn, Actor::Client(url.clone()), ready, now).await
    {
        Ok(c) => c,
        Err(e) => {
            // Two first requests for one document at once: the other created it.
            drop(txn);
            return match super::store::find(db, &url).await? {
                Some(c) => Ok(c),
                None => Err(e),
            };
        }
    };
    seen.row(now, now).insert(&txn).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(
            EventType::ClientRegisteredByDocument,
            Actor::Client(url.clone()),
        )
        .target("client", &url)
        .data(json!({
            "host": seen.host,
            "admitted": admitted,
            "imitates": seen.imitated,
            "scopes": scopes,
            "scopes_not_granted": not_granted,
        })),
    )
    .await?;
    if !admitted
        && admission::open(
            &txn,
            &created.client,
            seen.arrival(&scopes_asked, false),
            now,
        )
        .await?
            == Status::Approved
    {
        created.client = super::store::find(&txn, &url)
            .await?
            .ok_or(DomainError::NotFound)?;
    }
    txn.commit().await?;
    Ok(created.client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_https_urls_with_a_path_are_document_urls() {
        for ok in [
            "https://app.example.com/client.json",
            "https://app.example.com:8443/oauth/client",
            "https://app.example.com/c?v=1",
        ] {
            assert!(parse_url(ok, false).is_some(), "{ok}");
        }
        for bad in [
            "https://app.example.com",
            "https://app.example.com/",
            "https://app.example.com/a/../client.json",
            "https://app.example.com/./client.json",
            "https://App.Example.com/client.json",
            "https://app.example.com:443/client.json",
            "https://app.example.com/client.json#x",
            "https://user:pw@app.example.com/client.json",
            "http://app.example.com/client.json",
            "http://127.0.0.1:8080/client.json",
            "ftp://app.example.com/client.json",
            "client-123",
        ] {
            assert!(parse_url(bad, false).is_none(), "{bad}");
        }
        assert!(parse_url("http://127.0.0.1:8080/client.json", true).is_some());
        assert!(parse_url("http://localhost:8080/client.json", true).is_some());
        assert!(parse_url("http://[::1]:8080/client.json", true).is_some());
        assert!(parse_url("http://app.example.com/client.json", true).is_none());
    }

    #[test]
    fn max_age_is_clamped_and_defaults_to_an_hour() {
        assert_eq!(max_age(None), 3600);
        assert_eq!(max_age(Some("public, max-age=7200")), 7200);
        assert_eq!(max_age(Some("max-age=5")), 300);
        assert_eq!(max_age(Some("max-age=99999999")), 86_400);
        assert_eq!(max_age(Some("no-store")), 300);
        assert_eq!(max_age(Some("public")), 3600);
        assert_eq!(max_age(Some("max-age=nope")), 3600);
    }

    #[test]
    fn protected_names_are_matched_folded_and_only_off_their_vendor_host() {
        let policy = MetadataDocuments {
            enabled: true,
            trusted_hosts: vec![],
            protected_names: vec![ProtectedName {
                name: "Claude".into(),
                host: "claude.ai".into(),
            }],
        };
        for name in ["Claude", "claude", "C-laude", "C L A U D E", "Сlaude"] {
            assert!(imitates(&policy, name, "evil.example").is_some(), "{name}");
        }
        assert!(imitates(&policy, "Claude", "claude.ai").is_none());
        assert!(imitates(&policy, "Claude", "mcp.claude.ai").is_none());
        assert!(imitates(&policy, "Claude", "notclaude.ai").is_some());
        assert!(imitates(&policy, "Claudette", "evil.example").is_none());
    }
}
