//! Client ID metadata documents: the one setting kept as a JSON value.

use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use serde::{Deserialize, Serialize};

use super::store;
use crate::accounts::users::AdminCtx;
use crate::entities::server_setting as ss;
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

/// Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document;
/// issue 16, item 2), as one JSON value: [`MetadataDocuments`].
pub const METADATA_DOCUMENTS: &str = "client_metadata_documents";

/// Whether a `client_id` may be the URL of the client's metadata document, whose
/// hosts are admitted at once, and which names only their vendor may use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetadataDocuments {
    /// Off by default: a URL as `client_id` is then an unknown client.
    pub enabled: bool,
    /// Hosts (exactly, lower-case, no port) whose documents' clients are
    /// admitted at once; any other host's client awaits an administrator.
    pub trusted_hosts: Vec<String>,
    /// Names only their vendor's host (or its subdomains) may use: a document
    /// from elsewhere whose `client_name` matches is never admitted at once and
    /// is flagged to administrators.
    pub protected_names: Vec<ProtectedName>,
}

/// A protected client name and the host of the vendor that owns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedName {
    pub name: String,
    pub host: String,
}

/// A host name as the trusted hosts and protected names hold it: lower-case,
/// a domain name or an IP address, no scheme, port or path.
fn host_entry(field: &'static str, raw: &str) -> DomainResult<String> {
    let h = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !h.is_empty()
        && h.len() <= limits::DOMAIN_NAME
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        && !h.starts_with(['.', '-'])
        && (h.starts_with('[') || !h.contains(':'));
    if ok {
        Ok(h)
    } else {
        Err(DomainError::invalid(
            field,
            format!(
                "'{raw}' is not a host name (like app.example.com, without https:// or a port)"
            ),
        ))
    }
}

impl MetadataDocuments {
    /// Checked and normalised: hosts lower-case and without repeats, names
    /// within their bounds.
    pub fn normalised(mut self) -> DomainResult<Self> {
        if self.trusted_hosts.len() > limits::TRUSTED_HOSTS {
            return Err(DomainError::invalid(
                "trusted_hosts",
                format!("at most {} hosts", limits::TRUSTED_HOSTS),
            ));
        }
        let mut hosts = Vec::new();
        for h in &self.trusted_hosts {
            let h = host_entry("trusted_hosts", h)?;
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
        self.trusted_hosts = hosts;
        if self.protected_names.len() > limits::PROTECTED_NAMES {
            return Err(DomainError::invalid(
                "protected_names",
                format!("at most {} names", limits::PROTECTED_NAMES),
            ));
        }
        for p in &mut self.protected_names {
            crate::platform::text::line("protected_names", &p.name, limits::CLIENT_NAME)?;
            p.name = p.name.trim().to_owned();
            if !p.name.chars().any(char::is_alphanumeric) {
                return Err(DomainError::invalid(
                    "protected_names",
                    "a protected name needs at least one letter or digit",
                ));
            }
            p.host = host_entry("protected_names", &p.host)?;
        }
        Ok(self)
    }
}

/// The metadata document settings in the database (the token path reads them
/// through [`SettingsCache`] instead).
pub async fn metadata_documents<C: ConnectionTrait>(conn: &C) -> DomainResult<MetadataDocuments> {
    Ok(ss::Entity::find_by_id(METADATA_DOCUMENTS.to_owned())
        .one(conn)
        .await?
        .and_then(|r| serde_json::from_str(&r.value).ok())
        .unwrap_or_default())
}

/// An administrator changes the metadata document settings (audited, before and
/// after). Every process's settings cache hears of it through the change feed;
/// the caller invalidates its own at once.
pub async fn set_metadata_documents(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    new: MetadataDocuments,
    now: Timestamp,
) -> DomainResult<MetadataDocuments> {
    let new = new.normalised()?;
    let txn = crate::platform::db::write_txn(db).await?;
    let before = metadata_documents(&txn).await?;
    let after = serde_json::to_string(&new)
        .map_err(|e| DomainError::Internal(format!("serialising a setting: {e}")))?;
    store(&txn, ctx, METADATA_DOCUMENTS, before, &after, now).await?;
    txn.commit().await?;
    Ok(new)
}
