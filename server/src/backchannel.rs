//! Sends the back-channel logout outbox (OpenID Connect Back-Channel Logout 1.0
//! §2.5): a form POST of `logout_token` to each app's `backchannel_logout_uri`,
//! from a background task, so a person's sign-out never waits for an app.
//!
//! The address is resolved here and the connection made to the very address that
//! was checked (no second lookup an attacker's DNS could answer differently), and
//! loopback, private, link-local and other non-public addresses are refused unless
//! `logout.allow_private_addresses` is set: an app's URI must not make this server
//! post into its own network. Redirects are not followed (§2.5 wants a 200 from the
//! URI itself).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use domain::oauth::logout_outbox::{self, Due};

use crate::oauth::OAuthState;
use crate::settings::LogoutSettings;

pub fn spawn(oauth: OAuthState, cfg: LogoutSettings) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(cfg.poll_ms));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = pass(&oauth, &cfg).await {
                tracing::error!(error = %e, "back-channel logout pass failed");
            }
        }
    });
}

async fn pass(oauth: &OAuthState, cfg: &LogoutSettings) -> Result<(), domain::DomainError> {
    let db = &oauth.services.db;
    let due = logout_outbox::claim_due(db, &oauth.keys(), oauth.issuer(), oauth.services.now(), 20)
        .await?;
    if due.is_empty() {
        return Ok(());
    }
    // Apps are told in parallel: one slow app does not hold up the others.
    let mut sends = tokio::task::JoinSet::new();
    for d in due {
        let cfg = cfg.clone();
        sends.spawn(async move {
            let r = send(&d, &cfg).await;
            (d, r)
        });
    }
    while let Some(joined) = sends.join_next().await {
        let Ok((d, r)) = joined else { continue };
        let d = &d;
        let now = oauth.services.now();
        match r {
            Ok(()) => {
                tracing::info!(client_id = %d.client_id, "back-channel logout delivered");
                logout_outbox::delivered(db, d, now).await?;
            }
            Err(e) => {
                tracing::warn!(client_id = %d.client_id, error = %e, "back-channel logout failed; will retry");
                logout_outbox::failed(db, d, &e, cfg.retry_base_secs, now).await?;
            }
        }
    }
    Ok(())
}

async fn send(d: &Due, cfg: &LogoutSettings) -> Result<(), String> {
    let url = url::Url::parse(&d.uri).map_err(|_| "the URI is not valid".to_owned())?;
    let host = url.host_str().ok_or("the URI has no host")?.to_owned();
    let port = url.port_or_known_default().ok_or("the URI has no port")?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let addr = *addrs
        .first()
        .ok_or_else(|| format!("{host} has no address"))?;
    if !cfg.allow_private_addresses {
        if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
            return Err(format!(
                "{host} resolves to {} , which is not a public address",
                bad.ip()
            ));
        }
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_millis(cfg.timeout_ms))
        .resolve(&host, addr)
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let resp = client
        .post(url)
        .header(http::header::CACHE_CONTROL, "no-store")
        .form(&[("logout_token", d.logout_token.as_str())])
        .send()
        .await
        .map_err(|e| format!("sending: {}", without_url(&e)))?;
    match resp.status() {
        s if s.is_success() => Ok(()),
        s => Err(format!("the app answered {s}")),
    }
}

/// A reqwest error without the URL (which the developer knows), kept short.
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    kind.to_owned()
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
