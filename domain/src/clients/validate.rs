//! The rules a client's metadata values follow, one field at a time: web and
//! logout URIs, contacts, e-mail domains, the authentication method and grant
//! types a type of client may use. [`super::metadata::ClientPatch`] applies them.

use super::model::{ApplicationType, AuthMethod, GrantType};
use crate::{DomainError, DomainResult};

/// Trims an optional text field; empty means absent.
pub(crate) fn opt(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A web page or document URI shown to people (logo, home page, policy, terms) or
/// fetched by us (JWKS): absolute https, or http on a loopback address for
/// development.
pub fn validate_web_uri(field: &'static str, uri: &str) -> DomainResult<()> {
    crate::platform::text::uri(field, uri)?;
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

/// An Authorized JavaScript Origin (CORS, issue 17): exactly
/// `scheme://host[:port]` as a browser sends it in `Origin` (RFC 6454 §6.2) —
/// no path, query, fragment, userinfo or wildcard — https, or http on a loopback
/// address for development (as redirect URIs). Compared byte for byte with the
/// request's `Origin`, so it must already be in the browser's serialisation:
/// lower-case scheme and host, no default port, no trailing slash.
pub fn validate_origin(origin: &str) -> DomainResult<()> {
    const FIELD: &str = "allowed_origins";
    crate::platform::text::line(FIELD, origin, limits::ORIGIN)?;
    let bad = |why: &str| DomainError::invalid(FIELD, format!("'{origin}' {why}"));
    if origin.contains('*') {
        return Err(bad("must not contain a wildcard (*): list each origin"));
    }
    let u = url::Url::parse(origin).map_err(|_| bad("is not an origin (scheme://host[:port])"))?;
    let loopback = matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    match u.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(bad(
                "must use https (http is allowed only for loopback addresses)",
            ))
        }
    }
    // The browser's serialisation of this URL's origin: equal only when the
    // text has no path, query, fragment or userinfo and is already canonical.
    let serialised = u.origin().ascii_serialization();
    if serialised != origin {
        return Err(bad(&format!(
            "must be exactly scheme://host[:port] with no path, query or user (did you mean '{serialised}'?)"
        )));
    }
    Ok(())
}

/// A request URI a client registers (OIDC Registration §2 `request_uris`, RFC 9101
/// §5.2): a web URI as [`validate_web_uri`] checks it, at most
/// [`limits::REQUEST_URI`] characters (Core §6.2: 512 ASCII characters), and
/// without a fragment — Registration §2's fragment (the SHA-256 of the content)
/// belongs to the request, which may add it to a registered URI; this server
/// checks it against what it fetched and caches nothing. Only for clients that
/// send people to the authorization endpoint.
pub(crate) fn validate_request_uri(app: ApplicationType, uri: &str) -> DomainResult<()> {
    const FIELD: &str = "request_uris";
    if uri.len() > limits::REQUEST_URI || !uri.is_ascii() {
        return Err(DomainError::invalid(
            FIELD,
            format!(
                "each must be at most {} ASCII characters (RFC 9101 §5.2)",
                limits::REQUEST_URI
            ),
        ));
    }
    validate_web_uri(FIELD, uri)?;
    if uri.contains('#') {
        return Err(DomainError::invalid(
            FIELD,
            format!("'{uri}' must not contain a fragment (#): a request adds one for the content's SHA-256"),
        ));
    }
    if app == ApplicationType::Service {
        return Err(DomainError::invalid(
            FIELD,
            "is not allowed: service clients send no authorization requests",
        ));
    }
    Ok(())
}

/// A logout URI (Front-Channel Logout §2, Back-Channel Logout §2.2): a web URI as
/// [`validate_web_uri`] checks it, without a fragment, and only for clients that
/// sign people in (a service client has no sessions to end).
pub(crate) fn validate_logout_uri(
    app: ApplicationType,
    field: &'static str,
    uri: &str,
) -> DomainResult<()> {
    validate_web_uri(field, uri)?;
    if uri.contains('#') {
        return Err(DomainError::invalid(
            field,
            format!("'{uri}' must not contain a fragment (#)"),
        ));
    }
    if app == ApplicationType::Service {
        return Err(DomainError::invalid(
            field,
            "is not allowed: service clients sign no one in, so there is no session to end",
        ));
    }
    Ok(())
}

/// Checks a contact e-mail address.
pub(crate) fn validate_contact(c: &str) -> DomainResult<()> {
    crate::platform::text::check_chars("contacts", c, false)?;
    crate::accounts::Email::parse(c)
        .map(|_| ())
        .map_err(|_| DomainError::invalid("contacts", format!("'{c}' is not an e-mail address")))
}

/// Seed 003's e-mail domain restriction: at most [`limits::EMAIL_DOMAINS`] domain
/// names, lower-cased, without duplicates.
pub fn validate_email_domains(domains: &[String]) -> DomainResult<Vec<String>> {
    const FIELD: &str = "allowed_email_domains";
    crate::platform::text::check_items(FIELD, domains, limits::EMAIL_DOMAINS)?;
    let mut out: Vec<String> = Vec::new();
    for d in domains {
        let d = crate::platform::text::line(FIELD, d, limits::DOMAIN_NAME)?.to_lowercase();
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

pub(crate) fn check_auth(app: ApplicationType, auth: AuthMethod) -> DomainResult<()> {
    match (app, auth) {
        (ApplicationType::Native, AuthMethod::None) => Ok(()),
        (ApplicationType::Native, AuthMethod::PrivateKeyJwt) => Err(DomainError::invalid(
            "token_endpoint_auth_method",
            "native and single-page clients cannot keep a private key: use none (PKCE)",
        )),
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

/// The grant types a client of this type may use, in the order they are listed.
///
/// The device grant (RFC 8628) acts for a person, so service clients (no person)
/// do not get it; native clients (public: a TV app, a CLI, an agent) and web
/// clients (confidential: a server driving a headless device) do.
///
/// Token exchange (RFC 8693) is for confidential clients only (web and service: an
/// API that calls another for the person, an agent's backend): the client proves
/// who it is when it asks, and its name goes into the token's `act`.
pub fn grants_for(app: ApplicationType) -> &'static [GrantType] {
    match app {
        ApplicationType::Service => &[GrantType::ClientCredentials, GrantType::TokenExchange],
        ApplicationType::Web => &[
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
            GrantType::Password,
            GrantType::DeviceCode,
            GrantType::TokenExchange,
        ],
        ApplicationType::Native => &[
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::DeviceCode,
        ],
    }
}

/// Parses grant types as sent, refusing unknown ones and ones this type of client
/// may not use, without duplicates.
pub(crate) fn check_grants(
    app: ApplicationType,
    grants: &[String],
) -> DomainResult<Vec<GrantType>> {
    if grants.is_empty() {
        return Err(DomainError::invalid("grant_types", "choose at least one"));
    }
    let mut out = Vec::new();
    for g in grants {
        let parsed = GrantType::parse(g).filter(|t| grants_for(app).contains(t));
        let Some(t) = parsed else {
            return Err(DomainError::invalid(
                "grant_types",
                format!("'{g}' is not available to {} clients", app.as_str()),
            ));
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// The algorithms a client may sign its assertions and request objects with
/// (RFC 7518 §3.1; discovery lists them). No `none`, no HMAC (a shared secret
/// would be a second secret to store), no RSA1_5.
pub const CLIENT_SIGNING_ALGS: [&str; 3] = ["RS256", "PS256", "ES256"];

pub fn validate_client_alg(field: &'static str, alg: &str) -> DomainResult<()> {
    if CLIENT_SIGNING_ALGS.contains(&alg) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            format!("'{alg}' is not accepted: choose RS256, PS256 or ES256"),
        ))
    }
}

/// RFC 7591 §2 `jwks`: a JSON Web Key Set (RFC 7517 §5) of public RSA or EC keys,
/// each usable for verification, at most [`limits::JWKS_KEYS`] keys and
/// [`limits::JWKS_BYTES`] bytes. A private or symmetric key is refused: the
/// client would be publishing its secret to us.
pub fn validate_jwks(set: &serde_json::Value) -> DomainResult<()> {
    const FIELD: &str = "jwks";
    let bad = |why: String| DomainError::invalid(FIELD, why);
    if set.to_string().len() > limits::JWKS_BYTES {
        return Err(bad(format!(
            "must be at most {} bytes of JSON",
            limits::JWKS_BYTES
        )));
    }
    let keys = set
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| bad("must be a JSON Web Key Set: {\"keys\": [ … ]}".into()))?;
    if keys.is_empty() || keys.len() > limits::JWKS_KEYS {
        return Err(bad(format!("must hold 1 to {} keys", limits::JWKS_KEYS)));
    }
    for (i, k) in keys.iter().enumerate() {
        let n = i + 1;
        let kty = k.get("kty").and_then(serde_json::Value::as_str);
        if !matches!(kty, Some("RSA" | "EC")) {
            return Err(bad(format!("key {n}: kty must be RSA or EC")));
        }
        if ["d", "p", "q", "dp", "dq", "qi", "k"]
            .iter()
            .any(|m| k.get(m).is_some())
        {
            return Err(bad(format!(
                "key {n} holds private key material: publish only the public key"
            )));
        }
        // A key to verify the client's signatures with, or one to encrypt to (an
        // ECDH-ES key with its `alg` is no JWS key, but a fine encryption key).
        let verifies = serde_json::from_value::<jsonwebtoken::jwk::Jwk>(k.clone())
            .ok()
            .and_then(|jwk| jsonwebtoken::DecodingKey::from_jwk(&jwk).ok())
            .is_some();
        let encrypts = || {
            crate::oauth::jwe::SEAL_ALGS
                .iter()
                .any(|alg| crate::oauth::jwe::Recipient::from_jwk(k, alg).is_ok())
        };
        if !verifies && !encrypts() {
            return Err(bad(format!("key {n} is not a usable public key")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod origin_tests {
    use super::validate_origin;

    #[test]
    fn only_exact_browser_serialised_origins_are_registered() {
        for ok in [
            "https://app.example.com",
            "https://app.example.com:8443",
            "http://127.0.0.1:5173",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert!(validate_origin(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://app.example.com/",
            "https://app.example.com/cb",
            "https://app.example.com?x=1",
            "https://app.example.com#x",
            "https://u@app.example.com",
            "https://*.example.com",
            "https://APP.example.com",
            "https://app.example.com:443",
            "http://app.example.com",
            "null",
            "file://",
            "app.example.com",
            "",
        ] {
            assert!(validate_origin(bad).is_err(), "{bad}");
        }
    }
}
