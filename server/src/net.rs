//! Facts about the connection that several layers need, decided once.

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;

/// The caller's IP address: the TCP peer, or — behind a trusted reverse proxy
/// (`trust_proxy_headers`) — the first address of `X-Forwarded-For`.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_proxy: bool,
) -> Option<String> {
    if trust_proxy {
        if let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|ip| ip.parse::<IpAddr>().is_ok())
        {
            return Some(ip.to_owned());
        }
    }
    peer.map(|a| a.ip().to_string())
}
