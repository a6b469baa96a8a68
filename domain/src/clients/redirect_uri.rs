//! Redirect URIs: what may be registered, and which redirect a request may use.
//!
//! Registration refuses what must never be a redirect target (RFC 9700 §2.1,
//! RFC 8252 §7, OAuth 2.1 §2.3.1); at authorization the redirect URI is compared
//! with the registered ones exactly, as strings (RFC 9700 §4.1.3), with the one
//! exception RFC 8252 §7.3 makes for native apps: a loopback redirect may use any
//! port, because the port is chosen when the app starts listening.

use super::model::{ApplicationType, Client};
use crate::{DomainError, DomainResult};

/// A redirect URI that may be registered for a client of its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Checks `uri` for a client of type `app`; the error names `redirect_uris`.
    pub fn parse(app: ApplicationType, uri: &str) -> DomainResult<Self> {
        crate::platform::text::uri("redirect_uris", uri)?;
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
        // No patterns: a redirect URI is matched exactly (RFC 9700 §4.1.3), so a
        // `*` would only ever match itself, or tempt a reader to think otherwise.
        if uri.contains('*') {
            return bad("must not contain a wildcard (*): register each redirect URI exactly");
        }
        let loopback = matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
        match (app, u.scheme()) {
            (ApplicationType::Service, _) => {
                bad("is not allowed: service clients do not use redirects")
            }
            (_, "https") => Ok(Self(uri.to_owned())),
            (_, "http") if loopback => Ok(Self(uri.to_owned())),
            (ApplicationType::Web, _) => {
                bad("must use https (http is allowed only for loopback addresses)")
            }
            // RFC 8252 §7.1: private-use schemes in reverse-domain form.
            (ApplicationType::Native, scheme) if scheme.contains('.') => Ok(Self(uri.to_owned())),
            (ApplicationType::Native, _) => bad(
                "must use https, a loopback http address, or a reverse-domain private scheme (com.example.app:/…)",
            ),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a request's `redirect_uri` is this registered one, for a client of
    /// type `app`: the same string, or (native apps only) the same loopback IP
    /// literal URI with another port. `localhost` gets no port exception: it can
    /// resolve elsewhere (RFC 8252 §8.3).
    pub fn matches(&self, app: ApplicationType, given: &str) -> bool {
        if self.0 == given {
            return true;
        }
        if app != ApplicationType::Native {
            return false;
        }
        let Ok(mut g) = url::Url::parse(given) else {
            return false;
        };
        if g.scheme() != "http" || !matches!(g.host_str(), Some("127.0.0.1" | "[::1]")) {
            return false;
        }
        let _ = g.set_port(None);
        url::Url::parse(&self.0).is_ok_and(|mut r| {
            let _ = r.set_port(None);
            r == g
        })
    }
}

impl Client {
    /// Whether `given` is one of this client's registered redirect URIs.
    pub fn accepts_redirect(&self, given: &str) -> bool {
        self.metadata
            .redirect_uris
            .iter()
            .any(|r| RedirectUri(r.clone()).matches(self.metadata.application_type, given))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationType::{Native, Service, Web};

    fn ok(app: ApplicationType, uri: &str) -> bool {
        RedirectUri::parse(app, uri).is_ok()
    }

    fn matches(app: ApplicationType, registered: &str, given: &str) -> bool {
        RedirectUri::parse(app, registered)
            .expect("registrable")
            .matches(app, given)
    }

    #[test]
    fn web_apps_register_https_and_loopback_http_only() {
        assert!(ok(Web, "https://app.example/cb"));
        assert!(ok(Web, "http://127.0.0.1:8080/cb"));
        assert!(ok(Web, "http://[::1]/cb"));
        assert!(ok(Web, "http://localhost:3000/cb"));
        assert!(
            !ok(Web, "http://app.example/cb"),
            "plain http to the internet"
        );
        assert!(
            !ok(Web, "com.example.app:/cb"),
            "private schemes are for native apps"
        );
        assert!(!ok(Web, "javascript:alert(1)"));
        assert!(!ok(Web, "data:text/html,x"));
    }

    #[test]
    fn nothing_with_a_fragment_or_relative_is_registered() {
        // RFC 6749 §3.1.2, RFC 9700 §2.1.
        assert!(!ok(Web, "https://app.example/cb#x"));
        assert!(!ok(Web, "https://app.example/cb#"));
        assert!(!ok(Web, "/cb"));
        assert!(!ok(Native, "cb"));
    }

    #[test]
    fn wildcards_are_refused() {
        assert!(!ok(Web, "https://*.example.com/cb"));
        assert!(!ok(Web, "https://app.example.com/*"));
        assert!(!ok(Native, "http://127.0.0.1:*/cb"));
        let e = RedirectUri::parse(Web, "https://*.example.com/cb").unwrap_err();
        assert!(e.to_string().contains("wildcard"), "{e}");
    }

    #[test]
    fn native_apps_register_reverse_domain_schemes_and_loopback() {
        // RFC 8252 §7.1 (private-use URI schemes in reverse-domain form) and §7.3.
        assert!(ok(Native, "com.example.app:/oauth2redirect"));
        assert!(ok(Native, "http://127.0.0.1/cb"));
        assert!(ok(Native, "https://app.example/cb"), "claimed https (§7.2)");
        assert!(
            !ok(Native, "myapp:/cb"),
            "a scheme without a domain can collide"
        );
        assert!(!ok(Native, "http://app.example/cb"));
    }

    #[test]
    fn service_clients_register_no_redirects() {
        assert!(!ok(Service, "https://app.example/cb"));
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(!ok(Web, "https://app.example/c\tb"));
        assert!(!ok(Web, "https://app.example/cb\u{202e}"));
    }

    #[test]
    fn web_redirects_match_exactly() {
        // RFC 9700 §4.1.3: simple string comparison, nothing normalised.
        let r = "https://app.example/cb";
        assert!(matches(Web, r, r));
        for other in [
            "https://app.example/cb/",
            "https://app.example/CB",
            "https://APP.example/cb",
            "https://app.example/cb?x=1",
            "https://app.example:443/cb",
            "https://app.example/cb#",
            "https://app.example/cb/../cb",
            "https://app.example.evil.example/cb",
            "https://app.example@evil.example/cb",
            "http://app.example/cb",
        ] {
            assert!(!matches(Web, r, other), "{other}");
        }
    }

    #[test]
    fn a_web_apps_loopback_redirect_keeps_its_port() {
        // The port exception is for native apps only (RFC 8252 §7.3).
        assert!(!matches(
            Web,
            "http://127.0.0.1:8080/cb",
            "http://127.0.0.1:9090/cb"
        ));
    }

    #[test]
    fn a_native_apps_loopback_redirect_may_use_any_port() {
        // RFC 8252 §7.3: the port is chosen when the app listens.
        let r = "http://127.0.0.1/oauth/cb";
        assert!(matches(Native, r, "http://127.0.0.1:49152/oauth/cb"));
        assert!(matches(Native, r, "http://127.0.0.1:1/oauth/cb"));
        assert!(matches(
            Native,
            "http://[::1]:80/cb",
            "http://[::1]:65000/cb"
        ));
        // Everything but the port must still match.
        assert!(!matches(Native, r, "http://127.0.0.1:49152/oauth/cb/"));
        assert!(!matches(Native, r, "http://127.0.0.1:49152/other"));
        assert!(!matches(Native, r, "http://127.0.0.1:49152/oauth/cb?x=1"));
        assert!(!matches(Native, r, "https://127.0.0.1:49152/oauth/cb"));
        assert!(
            !matches(Native, r, "http://[::1]:49152/oauth/cb"),
            "another address"
        );
        assert!(!matches(
            Native,
            r,
            "http://127.0.0.1.evil.example:49152/oauth/cb"
        ));
        assert!(!matches(
            Native,
            r,
            "http://127.0.0.1@evil.example:49152/oauth/cb"
        ));
    }

    #[test]
    fn localhost_gets_no_port_exception() {
        // RFC 8252 §8.3: `localhost` may resolve to another interface; only the
        // IP literals are loopback for certain.
        let r = "http://localhost:3000/cb";
        assert!(matches(Native, r, r));
        assert!(!matches(Native, r, "http://localhost:4000/cb"));
    }

    #[test]
    fn a_private_scheme_redirect_matches_exactly() {
        let r = "com.example.app:/cb";
        assert!(matches(Native, r, r));
        assert!(!matches(Native, r, "com.example.app:/cb2"));
        assert!(!matches(Native, r, "com.example.evil:/cb"));
    }
}
