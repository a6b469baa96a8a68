//! A client's sector (OpenID Connect Core §8.1, OIDC Registration §5): the host
//! its pairwise subjects are computed for, and the sector identifier document
//! that lets one sector span several redirect hosts.
//!
//! The sector is the host of `sector_identifier_uri` when one is registered, else
//! the one host of the redirect URIs. A pairwise client with redirect URIs on
//! several hosts (or none) must register a sector identifier URI. A registered
//! document must list every redirect URI of the client; it is fetched (through the
//! SSRF-guarded client, bounded) when the URI or the redirect URIs change, before
//! the edit's transaction, and checked again inside it.

use super::model::{ClientMetadata, SubjectType};
use crate::platform::fetch::Documents;
use crate::{DomainError, DomainResult};

const FIELD: &str = "sector_identifier_uri";

fn host_of(uri: &str) -> Option<String> {
    url::Url::parse(uri)
        .ok()?
        .host_str()
        .map(str::to_ascii_lowercase)
}

/// The sector of `m`, if it has one (see the module comment).
pub fn sector_of(m: &ClientMetadata) -> Option<String> {
    if let Some(uri) = &m.sector_identifier_uri {
        return host_of(uri);
    }
    let mut hosts = m.redirect_uris.iter().filter_map(|u| host_of(u));
    let first = hosts.next()?;
    hosts.all(|h| h == first).then_some(first)
}

/// What is wrong with `next` as a successor of `current` with respect to its
/// sector: a pairwise client needs a sector, and keeps it (a new sector would give
/// every person a new `sub` and the app would lose track of them all).
pub fn problem(current: Option<&ClientMetadata>, next: &ClientMetadata) -> Option<DomainError> {
    if next.subject_type != SubjectType::Pairwise {
        return None;
    }
    let Some(sector) = sector_of(next) else {
        return Some(DomainError::invalid(
            FIELD,
            "a pairwise client whose redirect URIs are not all on one host (or which has none) needs a sector identifier URI (OpenID Connect Registration §5)",
        ));
    };
    match current {
        Some(c) if c.subject_type == SubjectType::Pairwise => {
            let before = sector_of(c);
            (before.as_deref() != Some(sector.as_str())).then(|| {
                DomainError::invalid(
                    FIELD,
                    format!(
                        "this change would move the client from sector {} to {sector}, which gives every person a new sub: keep the sector (register a sector identifier URI on {0})",
                        before.unwrap_or_default()
                    ),
                )
            })
        }
        _ => None,
    }
}

/// A fetched sector identifier document: the redirect URIs it lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectorDocument {
    pub uri: String,
    pub redirect_uris: Vec<String>,
}

impl SectorDocument {
    /// Reads a document: a JSON array of strings (OIDC Registration §5).
    pub fn parse(uri: &str, body: &[u8]) -> DomainResult<Self> {
        let list: Vec<String> = serde_json::from_slice(body).map_err(|_| {
            DomainError::invalid(
                FIELD,
                format!("{uri} does not hold a JSON array of redirect URIs"),
            )
        })?;
        Ok(Self {
            uri: uri.to_owned(),
            redirect_uris: list,
        })
    }

    /// Every redirect URI of `m` must be listed, exactly.
    pub fn check(&self, m: &ClientMetadata) -> DomainResult<()> {
        match m
            .redirect_uris
            .iter()
            .find(|r| !self.redirect_uris.contains(r))
        {
            Some(missing) => Err(DomainError::invalid(
                "redirect_uris",
                format!(
                    "'{missing}' is not listed in the sector identifier document {}",
                    self.uri
                ),
            )),
            None => Ok(()),
        }
    }
}

/// The sector identifier document `next` must be checked against: its URI, when
/// it is new or the redirect URIs changed.
fn to_check<'a>(current: Option<&ClientMetadata>, next: &'a ClientMetadata) -> Option<&'a str> {
    let uri = next.sector_identifier_uri.as_deref()?;
    let unchanged = current.is_some_and(|c| {
        c.sector_identifier_uri.as_deref() == Some(uri) && c.redirect_uris == next.redirect_uris
    });
    (!unchanged).then_some(uri)
}

/// Fetches `next`'s sector identifier document when it must be checked: it is
/// new, or the redirect URIs changed. `None` when there is nothing to check.
pub async fn fetch_if_needed(
    docs: &Documents,
    current: Option<&ClientMetadata>,
    next: &ClientMetadata,
) -> DomainResult<Option<SectorDocument>> {
    let Some(uri) = to_check(current, next) else {
        return Ok(None);
    };
    let body = docs
        .get(uri, limits::SECTOR_DOCUMENT)
        .await
        .map_err(|why| DomainError::invalid(FIELD, format!("{uri} could not be read: {why}")))?;
    let doc = SectorDocument::parse(uri, &body)?;
    doc.check(next)?;
    Ok(Some(doc))
}

/// Inside the edit's transaction: `next` (computed from the locked row) must be
/// what the fetched document was checked against.
pub fn recheck(
    current: Option<&ClientMetadata>,
    next: &ClientMetadata,
    fetched: Option<&SectorDocument>,
) -> DomainResult<()> {
    let Some(uri) = to_check(current, next) else {
        return Ok(());
    };
    match fetched {
        Some(doc) if doc.uri == uri => doc.check(next),
        // The row changed between the fetch and the lock.
        _ => Err(DomainError::Conflict(crate::clients::store::STALE.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::metadata::ClientPatch;
    use crate::clients::model::ApplicationType;

    fn client(redirects: &[&str], sector: Option<&str>, st: SubjectType) -> ClientMetadata {
        let mut m = ClientPatch {
            name: Some("Notebook".into()),
            redirect_uris: Some(redirects.iter().map(|s| s.to_string()).collect()),
            sector_identifier_uri: Some(sector.map(str::to_owned)),
            ..Default::default()
        }
        .register(ApplicationType::Web)
        .unwrap();
        m.subject_type = st;
        m
    }

    #[test]
    fn the_sector_is_the_document_host_or_the_one_redirect_host() {
        let one = client(
            &["https://a.example/cb", "https://A.example/other"],
            None,
            SubjectType::Pairwise,
        );
        assert_eq!(sector_of(&one).as_deref(), Some("a.example"));
        let two = client(
            &["https://a.example/cb", "https://b.example/cb"],
            None,
            SubjectType::Pairwise,
        );
        assert_eq!(sector_of(&two), None);
        assert!(problem(None, &two).is_some());
        let doc = client(
            &["https://a.example/cb", "https://b.example/cb"],
            Some("https://s.example/sector.json"),
            SubjectType::Pairwise,
        );
        assert_eq!(sector_of(&doc).as_deref(), Some("s.example"));
        assert!(problem(None, &doc).is_none());
        assert!(
            problem(
                None,
                &client(
                    &["https://a.example/cb", "https://b.example/cb"],
                    None,
                    SubjectType::Public
                )
            )
            .is_none(),
            "public clients need no sector"
        );
    }

    #[test]
    fn a_pairwise_client_keeps_its_sector() {
        let before = client(&["https://a.example/cb"], None, SubjectType::Pairwise);
        let moved = client(&["https://b.example/cb"], None, SubjectType::Pairwise);
        assert!(problem(Some(&before), &moved).is_some());
        let same = client(
            &["https://a.example/cb2"],
            Some("https://a.example/sector.json"),
            SubjectType::Pairwise,
        );
        assert!(problem(Some(&before), &same).is_none());
    }

    #[test]
    fn a_document_lists_every_redirect_uri() {
        let m = client(
            &["https://a.example/cb", "https://b.example/cb"],
            Some("https://s.example/sector.json"),
            SubjectType::Pairwise,
        );
        let doc = SectorDocument::parse(
            "https://s.example/sector.json",
            br#"["https://a.example/cb"]"#,
        )
        .unwrap();
        assert!(doc.check(&m).is_err());
        let doc = SectorDocument::parse(
            "https://s.example/sector.json",
            br#"["https://a.example/cb", "https://b.example/cb"]"#,
        )
        .unwrap();
        assert!(doc.check(&m).is_ok());
        assert!(SectorDocument::parse("u", br#"{"redirect_uris": []}"#).is_err());
    }
}
