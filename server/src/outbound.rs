//! Requests this server makes to addresses developers chose — back-channel logout
//! URIs, clients' JWKS URIs — made so they cannot be turned against the network
//! the server stands in (SSRF).
//!
//! The host is resolved here and the connection made to the very address that was
//! checked (no second lookup an attacker's DNS could answer differently); loopback,
//! private, link-local and other non-public addresses are refused unless
//! `outbound.allow_private_addresses` is set; redirects are not followed; every
//! request has a timeout and responses a size limit.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::settings::OutboundSettings;

#[derive(Clone, Debug)]
pub struct Outbound {
    allow_private: bool,
    timeout: Duration,
    /// `outbound.root_certificates`, trusted besides the built-in web roots.
    roots: Vec<reqwest::Certificate>,
}

/// The certificates of the PEM file `path` (`outbound.root_certificates`); the
/// settings check calls it, so a server never starts with a file it cannot use.
pub fn read_roots(path: &str) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(path)
        .map_err(|e| format!("outbound.root_certificates: cannot read {path}: {e}"))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        format!("outbound.root_certificates: {path} is not a PEM certificate bundle: {e}")
    })?;
    if certs.is_empty() {
        return Err(format!(
            "outbound.root_certificates: {path} holds no certificate"
        ));
    }
    Ok(certs)
}

impl Outbound {
    pub fn new(cfg: &OutboundSettings) -> Self {
        let roots = match &cfg.root_certificates {
            // Checked with the settings: a failure now is a file changed since.
            Some(path) => read_roots(path).unwrap_or_else(|e| {
                tracing::error!(error = %e, "outbound requests trust only the built-in roots");
                Vec::new()
            }),
            None => Vec::new(),
        };
        Self {
            allow_private: cfg.allow_private_addresses,
            timeout: Duration::from_millis(cfg.timeout_ms),
            roots,
        }
    }

    /// Whether loopback, private and link-local addresses may be reached (the
    /// development setting `outbound.allow_private_addresses`).
    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// A client pinned to the checked address of `url`'s host.
    async fn client_for(&self, url: &url::Url) -> Result<reqwest::Client, Refused> {
        let host = url.host_str().ok_or("the URI has no host")?.to_owned();
        let port = url.port_or_known_default().ok_or("the URI has no port")?;
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
        let addr = *addrs
            .first()
            .ok_or_else(|| format!("{host} has no address"))?;
        if !self.allow_private {
            if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(Refused::NotPublic(format!(
                    "{host} resolves to {}, which is not a public address",
                    bad.ip()
                )));
            }
        }
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .resolve(&host, addr);
        for root in &self.roots {
            builder = builder.add_root_certificate(root.clone());
        }
        builder
            .build()
            .map_err(|e| Refused::Other(format!("HTTP client: {e}")))
    }

    /// POSTs a form; Ok when the answer is 2xx.
    pub async fn post_form(&self, uri: &str, form: &[(&str, &str)]) -> Result<(), String> {
        let url = url::Url::parse(uri).map_err(|_| "the URI is not valid".to_owned())?;
        let resp = self
            .client_for(&url)
            .await
            .map_err(|e| e.to_string())?
            .post(url)
            .header(http::header::CACHE_CONTROL, "no-store")
            .form(form)
            .send()
            .await
            .map_err(|e| format!("sending: {}", kind(&e)))?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            s => Err(format!("the app answered {s}")),
        }
    }

    /// GETs a document of at most `max_bytes`; Ok with its body when the answer
    /// is 200.
    pub async fn get_limited(&self, uri: &str, max_bytes: usize) -> Result<Vec<u8>, String> {
        match self.get_document(uri, max_bytes).await {
            Ok(d) => Ok(d.body),
            Err(Refused::TooLarge) => Err(format!("the document is larger than {max_bytes} bytes")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// GETs a JSON document of at most `max_bytes` (counted as the body streams
    /// in, whatever `Content-Length` says); Ok with its body and the headers a
    /// caller may judge it by when the answer is 200.
    pub async fn get_document(&self, uri: &str, max_bytes: usize) -> Result<Document, Refused> {
        let url =
            url::Url::parse(uri).map_err(|_| Refused::from("the URI is not valid".to_owned()))?;
        let mut resp = self
            .client_for(&url)
            .await?
            .get(url)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("fetching: {}", kind(&e)))?;
        if resp.status() != http::StatusCode::OK {
            return Err(format!("the server answered {}", resp.status()).into());
        }
        let header = |name: http::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(http::header::CONTENT_TYPE);
        let cache_control = header(http::header::CACHE_CONTROL);
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("reading: {}", kind(&e)))?
        {
            if body.len() + chunk.len() > max_bytes {
                return Err(Refused::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Document {
            body,
            content_type,
            cache_control,
        })
    }
}

/// Why a document was not fetched.
#[derive(Debug)]
pub enum Refused {
    /// The body passed the size limit (the rest was not read).
    TooLarge,
    /// The host resolves to an address that is not public (and the development
    /// setting does not allow those): nothing was sent.
    NotPublic(String),
    /// Anything else, in words fit for the developer who named the URI.
    Other(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge => f.write_str("the document is too large"),
            Self::NotPublic(e) | Self::Other(e) => f.write_str(e),
        }
    }
}

impl From<&str> for Refused {
    fn from(e: &str) -> Self {
        Self::Other(e.to_owned())
    }
}

impl From<String> for Refused {
    fn from(e: String) -> Self {
        Self::Other(e)
    }
}

/// A fetched document and the response headers that say what it is.
#[derive(Debug)]
pub struct Document {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
}

/// A reqwest error without the URL (which the developer knows), kept short.
fn kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    }
}

/// An address on the public Internet (what `IpAddr::is_global` will say once
/// stable): not loopback, private, link-local, shared, documentation, benchmark,
/// multicast, broadcast or unspecified; IPv4-mapped IPv6 judged as IPv4.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "2606:2800:220:1::1",
            "::ffff:93.184.216.34",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
