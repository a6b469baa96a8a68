//! Facts about the connection that several layers need, decided once.

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;

/// The caller's IP address: the TCP peer, or — behind a trusted reverse proxy
/// (`trust_proxy_headers`) — the address that proxy saw, which is the **rightmost**
/// entry of `X-Forwarded-For`. Every proxy appends the address it received the
/// request from, so whatever stands left of the last entry came from the client and
/// may be forged: taking the leftmost address would let anyone pick the address the
/// per-address throttles and the audit log see. Several header lines are one list,
/// in order (RFC 9110 §5.3). An unparsable last entry falls back to the peer.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_proxy: bool,
) -> Option<String> {
    if trust_proxy {
        let last = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|s| !s.is_empty());
        if let Some(ip) = last.and_then(|ip| ip.parse::<IpAddr>().ok()) {
            return Some(ip.to_string());
        }
    }
    peer.map(|a| a.ip().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(xff: &[&str], trust: bool) -> Option<String> {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        client_ip(&h, Some("192.0.2.1:443".parse().unwrap()), trust)
    }

    #[test]
    fn the_address_the_trusted_proxy_saw_counts_not_what_the_client_wrote() {
        // The client forged the first entry; the proxy appended the real one.
        assert_eq!(
            ip(&["6.6.6.6, 203.0.113.7"], true).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            ip(&["6.6.6.6", "203.0.113.7"], true).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(ip(&["203.0.113.7"], true).as_deref(), Some("203.0.113.7"));
        assert_eq!(ip(&["2001:db8::1"], true).as_deref(), Some("2001:db8::1"));
        // Without a trusted proxy the header is the client's word: ignored.
        assert_eq!(ip(&["203.0.113.7"], false).as_deref(), Some("192.0.2.1"));
        // Nothing usable: the peer.
        assert_eq!(
            ip(&["6.6.6.6, not-an-ip"], true).as_deref(),
            Some("192.0.2.1")
        );
        assert_eq!(ip(&[], true).as_deref(), Some("192.0.2.1"));
    }
}
