//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document;
//! issue 16, item 2): when an administrator turned them on, a `client_id` that
//! is an https URL is resolved here — at the authorization endpoint, PAR, the
//! consent decision and the token endpoint — before the client is looked up.
//!
//! The document is fetched through `outbound` (the checked address pinned, no
//! private, loopback or link-local address unless `outbound.allow_private_addresses`,
//! no redirects, its timeout), https only (http only for a loopback host, and only
//! with that same development setting), at most `limits::METADATA_DOCUMENT` bytes
//! counted as they stream in, `application/json`. The stored copy (the client's
//! row and its `metadata_document_clients` row) is used without fetching while it
//! is fresh — `Cache-Control: max-age`, clamped to 5 minutes … a day, an hour
//! without one — in every process, since it lives in the database. A stale copy is
//! fetched again; a failure then refuses the client (the copy is past what its
//! server allowed). A refused document is not fetched again for
//! [`RETRY_AFTER_SECS`] (in this process). Requests naming a document at once
//! share one fetch (in this process; each process fetches at most once).
//!
//! What is checked here, because only the fetch sees it: the document's
//! `client_id` equals the URL byte for byte (§4.1), no `client_secret` or
//! `client_secret_expires_at` and no secret-based authentication method (the
//! document is public). Everything else is `domain::clients::metadata_document`,
//! by the rules of dynamic registration.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use domain::clients::metadata_document::{self as md, Fetched};
use domain::clients::Client;
use domain::platform::clock::Timestamp;
use domain::settings::RuntimeSettings;
use domain::DomainError;
use serde_json::Value;

use super::OAuthState;
use crate::outbound::{Outbound, Refused};

/// Why a metadata document's client cannot be used. Shown on the authorization
/// endpoint's error page (never a redirect: nothing in the document is vetted),
/// `invalid_client` at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// Client ID metadata documents are turned off: the URL is an unknown client.
    Off,
    /// The URL is not an acceptable document URL.
    BadUrl,
    /// The document's host is a private, loopback or link-local address.
    PrivateAddress,
    /// The document could not be fetched (no answer, not 200).
    Unreachable,
    /// Larger than `limits::METADATA_DOCUMENT`.
    TooLarge,
    /// Not `application/json`, or not a JSON object.
    NotJson,
    /// The document's `client_id` is not the URL.
    Mismatch,
    /// The document carries a secret or a secret-based authentication method.
    Secret,
    /// The metadata breaks a registration rule.
    Invalid,
    /// The requesting address made this server fetch too many documents lately.
    TooMany,
    /// Our own failure (the database).
    Internal,
}

impl Unresolved {
    /// The reason code of `/oauth/error`.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Off => "unknown_client",
            Self::BadUrl => "document_bad_url",
            Self::PrivateAddress => "document_private_address",
            Self::Unreachable => "document_unreachable",
            Self::TooLarge => "document_too_large",
            Self::NotJson => "document_not_json",
            Self::Mismatch => "document_client_id_mismatch",
            Self::Secret => "document_has_secret",
            Self::Invalid => "document_invalid",
            Self::TooMany => "document_too_many_fetches",
            Self::Internal => "server_error",
        }
    }

    /// The `error_description` of the token endpoint's `invalid_client`.
    pub fn description(self) -> &'static str {
        match self {
            Self::Off | Self::Internal => "client authentication failed",
            Self::BadUrl => "the client_id is not an acceptable metadata document URL",
            Self::PrivateAddress => {
                "the client's metadata document is at an address this server does not reach"
            }
            Self::Unreachable => "the client's metadata document could not be fetched",
            Self::TooLarge => "the client's metadata document is too large",
            Self::NotJson => "the client's metadata document is not a JSON object",
            Self::Mismatch => "the client's metadata document names another client_id",
            Self::Secret => "the client's metadata document carries a secret",
            Self::Invalid => "the client's metadata document is not valid client metadata",
            Self::TooMany => {
                "too many metadata documents were fetched for this address lately; try again later"
            }
        }
    }
}

/// The fetcher of metadata documents, and discovery's variant with
/// `client_id_metadata_document_supported`.
pub struct MetadataDocuments {
    outbound: Outbound,
    advertised: OnceLock<Arc<[u8]>>,
    /// Documents refused lately (URL → when, why): not fetched again for
    /// [`RETRY_AFTER_SECS`], so that requests naming a bad URL cannot make this
    /// server fetch it again and again.
    refused: Mutex<HashMap<String, (Timestamp, Unresolved)>>,
    /// One fetch at a time per document URL (in this process): requests naming a
    /// document not held fresh wait for the fetch under way and use its outcome.
    inflight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// How long a refused document is not fetched again.
pub const RETRY_AFTER_SECS: i64 = 30;
/// Refused URLs remembered at most (then forgotten all at once: a flood of
/// distinct URLs costs each one fetch, bounded by the timeout and the size).
const REFUSED_REMEMBERED: usize = 10_000;

impl MetadataDocuments {
    pub fn new(outbound: Outbound) -> Self {
        Self {
            outbound,
            advertised: OnceLock::new(),
            refused: Mutex::new(HashMap::new()),
            inflight: Mutex::new(HashMap::new()),
        }
    }

    /// The turn of `url`'s fetch, shared by every request naming it now.
    fn flight(&self, url: &str) -> Flight<'_> {
        let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        Flight {
            docs: self,
            url: url.to_owned(),
            lock: map.entry(url.to_owned()).or_default().clone(),
        }
    }

    fn refused_lately(&self, url: &str, now: Timestamp) -> Option<Unresolved> {
        let map = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        map.get(url)
            .filter(|(at, _)| now < at + RETRY_AFTER_SECS)
            .map(|(_, u)| *u)
    }

    fn note(&self, url: &str, now: Timestamp, outcome: &Result<Client, Unresolved>) {
        let mut map = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        match outcome {
            // Our own failure says nothing about the document.
            Ok(_) | Err(Unresolved::Internal) => {
                map.remove(url);
            }
            Err(u) => {
                if map.len() >= REFUSED_REMEMBERED {
                    map.clear();
                }
                map.insert(url.to_owned(), (now, *u));
            }
        }
    }
}

/// A request's place in the queue of one URL's fetch; the URL's entry is
/// forgotten when the last one leaves (also when a request is dropped midway).
struct Flight<'a> {
    docs: &'a MetadataDocuments,
    url: String,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let mut map = self.docs.inflight.lock().unwrap_or_else(|p| p.into_inner());
        // The map's reference and this one: nobody else is waiting.
        if Arc::strong_count(&self.lock) <= 2 {
            map.remove(&self.url);
        }
    }
}

/// The discovery document as now in force: with
/// `client_id_metadata_document_supported: true` while documents are on.
pub async fn discovery(st: &OAuthState) -> Arc<[u8]> {
    let on = st
        .services
        .runtime
        .get(&st.services.db)
        .await
        .is_ok_and(|s| s.metadata_documents.enabled);
    if !on {
        return st.metadata_json.clone();
    }
    st.metadata_documents
        .advertised
        .get_or_init(|| {
            let mut doc: Value = serde_json::from_slice(&st.metadata_json).unwrap_or_default();
            doc["client_id_metadata_document_supported"] = Value::Bool(true);
            serde_json::to_vec(&doc).unwrap_or_default().into()
        })
        .clone()
}

/// The client a `client_id` names when it is a metadata document's URL: `Ok(None)`
/// for any other `client_id` (looked up as usual).
/// `ip` is the requester's address: each fetch of a document not held fresh is
/// counted against it (`registration.document_fetches_per_address`).
pub async fn resolve(
    st: &OAuthState,
    client_id: &str,
    ip: Option<&str>,
) -> Result<Option<Client>, Unresolved> {
    if !md::looks_like_url(client_id) {
        return Ok(None);
    }
    let svc = &st.services;
    let settings = svc.runtime.get(&svc.db).await.map_err(internal)?;
    if !settings.metadata_documents.enabled {
        return Err(Unresolved::Off);
    }
    let fetcher = &st.metadata_documents.outbound;
    let url = md::parse_url(client_id, fetcher.allows_private()).ok_or(Unresolved::BadUrl)?;
    let now = svc.now();
    if let Some(c) = md::fresh(&svc.db, client_id, now).await.map_err(internal)? {
        return Ok(Some(c));
    }
    let documents = &st.metadata_documents;
    if let Some(u) = documents.refused_lately(client_id, now) {
        return Err(u);
    }
    // One fetch at a time per URL: who waited reads what the fetch before them
    // stored (or refused) instead of fetching again.
    let flight = documents.flight(client_id);
    let _turn = flight.lock.lock().await;
    fetch_once(st, &settings, client_id, &url, ip, now)
        .await
        .map(Some)
}

/// The fetch of [`resolve`], its turn taken: the copy or refusal the previous
/// turn left is used when there is one.
async fn fetch_once(
    st: &OAuthState,
    settings: &RuntimeSettings,
    client_id: &str,
    url: &url::Url,
    ip: Option<&str>,
    now: Timestamp,
) -> Result<Client, Unresolved> {
    let svc = &st.services;
    let documents = &st.metadata_documents;
    if let Some(c) = md::fresh(&svc.db, client_id, now).await.map_err(internal)? {
        return Ok(c);
    }
    if let Some(u) = documents.refused_lately(client_id, now) {
        return Err(u);
    }
    if let Some(ip) = ip {
        let limit = &st.open_registration;
        if fetch_refused_for(svc, limit, ip, now).await? {
            return Err(Unresolved::TooMany);
        }
    }
    let outcome = fetch(st, settings, client_id, url).await;
    documents.note(client_id, now, &outcome);
    outcome
}

/// Counts this fetch against the requester's address: whether it is refused.
async fn fetch_refused_for(
    svc: &domain::services::Services,
    limit: &domain::clients::dynamic::OpenRegistrationLimit,
    ip: &str,
    now: Timestamp,
) -> Result<bool, Unresolved> {
    Ok(
        domain::clients::dynamic::count_document_fetch(&svc.db, limit, ip, now)
            .await
            .map_err(internal)?
            .is_some(),
    )
}

/// Fetches, checks and stores a document.
async fn fetch(
    st: &OAuthState,
    settings: &RuntimeSettings,
    client_id: &str,
    url: &url::Url,
) -> Result<Client, Unresolved> {
    let svc = &st.services;
    let fetcher = &st.metadata_documents.outbound;
    let doc = fetcher
        .get_document(url.as_str(), limits::METADATA_DOCUMENT)
        .await
        .map_err(|e| match e {
            Refused::TooLarge => refuse(client_id, Unresolved::TooLarge, "too large"),
            Refused::NotPublic(why) => refuse(client_id, Unresolved::PrivateAddress, &why),
            Refused::Other(why) => refuse(client_id, Unresolved::Unreachable, &why),
        })?;
    // The draft, §4: the document is served as `application/json`.
    let json_type = doc.content_type.as_deref().is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    });
    if !json_type {
        return Err(refuse(
            client_id,
            Unresolved::NotJson,
            "not application/json",
        ));
    }
    let value: Value = serde_json::from_slice(&doc.body)
        .map_err(|_| refuse(client_id, Unresolved::NotJson, "not JSON"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| refuse(client_id, Unresolved::NotJson, "not a JSON object"))?;
    // §4.1: the document's `client_id` is the URL it was fetched from, exactly.
    if obj.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err(refuse(client_id, Unresolved::Mismatch, "client_id differs"));
    }
    // §4.1: a document is public; it cannot carry a shared secret.
    let secret_method = obj
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .is_some_and(|m| m.starts_with("client_secret"));
    if obj.contains_key("client_secret")
        || obj.contains_key("client_secret_expires_at")
        || secret_method
    {
        return Err(refuse(client_id, Unresolved::Secret, "carries a secret"));
    }
    let request = super::registration::document_request(&doc.body)
        .map_err(|why| refuse(client_id, Unresolved::Invalid, &why))?;
    let fetched = Fetched {
        url: client_id.to_owned(),
        request,
        max_age_secs: md::max_age(doc.cache_control.as_deref()),
    };
    md::store(
        &svc.db,
        &svc.hasher,
        &svc.clients,
        settings,
        fetched,
        svc.now(),
    )
    .await
    .map_err(|e| match e {
        DomainError::Invalid { field, message } => refuse(
            client_id,
            Unresolved::Invalid,
            &format!("{field}: {message}"),
        ),
        other => internal(other),
    })
}

/// Logs why a document was refused (the page shows only the reason's code).
fn refuse(url: &str, u: Unresolved, why: &str) -> Unresolved {
    tracing::info!(client_id = %url, reason = u.reason(), detail = %why, "client metadata document refused");
    u
}

fn internal(e: DomainError) -> Unresolved {
    tracing::error!(error = %e, "resolving a client metadata document");
    Unresolved::Internal
}
