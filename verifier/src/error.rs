//! Why a token was refused, and the RFC 6750 answer for it.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};

/// Why a bearer token was not accepted. The messages are safe to show to the
/// client (they never contain the token).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// No `Authorization: Bearer` header: RFC 6750 §3.1 says to answer with a bare
    /// challenge and no error code.
    #[error("no bearer token was presented")]
    Missing,
    /// A malformed `Authorization` header (empty token, several headers).
    #[error("the Authorization header is malformed")]
    BadRequest,
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is not an access token (typ must be at+jwt)")]
    WrongType,
    #[error("the token's signing algorithm is not accepted")]
    UnsupportedAlgorithm,
    #[error("the token was signed by an unknown key")]
    UnknownKey,
    #[error("the token signature is invalid")]
    BadSignature,
    #[error("the token was issued by another server")]
    WrongIssuer,
    #[error("the token is not meant for this API")]
    WrongAudience,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    /// Introspection said `active: false`: revoked, or its client or user is gone.
    #[error("the token is no longer active")]
    Inactive,
    /// The issuer could not be asked (JWKS or introspection). The cause is logged,
    /// never sent to the client.
    #[error("the authorization server could not be reached: {0}")]
    Unavailable(String),
    /// A DPoP-bound token (RFC 9449) presented as a bearer token, or where its proof
    /// cannot be checked.
    #[error("the token is DPoP-bound: send it with Authorization: DPoP and a DPoP proof")]
    DpopRequired,
    /// `Authorization: DPoP` with a token that is not bound to a key.
    #[error("the token is not DPoP-bound: send it with Authorization: Bearer")]
    NotDpopBound,
    /// The DPoP proof is missing, invalid, replayed or by another key.
    #[error("{0}")]
    DpopProof(String),
}

/// Errors while setting the verifier up (discovery, first JWKS fetch).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    #[error("the issuer {0} must be an https URL (http only on loopback)")]
    Insecure(String),
    #[error("invalid issuer URL {0}")]
    BadIssuer(String),
    #[error("cannot read the issuer's metadata from {url}: {cause}")]
    Discovery { url: String, cause: String },
    #[error("the metadata at {url} names the issuer {found}, not {expected} (RFC 8414 §3.3)")]
    IssuerMismatch {
        url: String,
        found: String,
        expected: String,
    },
    #[error("cannot read the issuer's keys from {url}: {cause}")]
    Jwks { url: String, cause: String },
    #[error("introspection was asked for but the issuer publishes no introspection_endpoint")]
    NoIntrospectionEndpoint,
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Token(VerifyError),
    InsufficientScope(Vec<String>),
    Misconfigured,
}

/// A refused request, rendered as RFC 6750 §3 says: status, `WWW-Authenticate`
/// challenge (with RFC 9728 `resource_metadata` when configured) and a small JSON
/// body `{"error", "error_description"}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    kind: Kind,
    resource_metadata: Option<Arc<str>>,
}

impl Rejection {
    pub(crate) fn token(e: VerifyError, resource_metadata: Option<Arc<str>>) -> Self {
        Self {
            kind: Kind::Token(e),
            resource_metadata,
        }
    }

    pub(crate) fn insufficient_scope(
        scopes: Vec<String>,
        resource_metadata: Option<Arc<str>>,
    ) -> Self {
        Self {
            kind: Kind::InsufficientScope(scopes),
            resource_metadata,
        }
    }

    pub(crate) fn misconfigured() -> Self {
        Self {
            kind: Kind::Misconfigured,
            resource_metadata: None,
        }
    }

    /// The token problem, when this is one (not a scope or set-up problem).
    pub fn verify_error(&self) -> Option<&VerifyError> {
        match &self.kind {
            Kind::Token(e) => Some(e),
            _ => None,
        }
    }

    /// The scopes that were missing, for a 403.
    pub fn missing_scopes(&self) -> &[String] {
        match &self.kind {
            Kind::InsufficientScope(s) => s,
            _ => &[],
        }
    }

    pub fn status(&self) -> StatusCode {
        match &self.kind {
            Kind::Token(VerifyError::BadRequest) => StatusCode::BAD_REQUEST,
            Kind::Token(VerifyError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Token(_) => StatusCode::UNAUTHORIZED,
            Kind::InsufficientScope(_) => StatusCode::FORBIDDEN,
            Kind::Misconfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The RFC 6750 error code, if the answer has one.
    pub fn error_code(&self) -> Option<&'static str> {
        match &self.kind {
            Kind::Token(VerifyError::Missing) => None,
            Kind::Token(VerifyError::BadRequest) => Some("invalid_request"),
            Kind::Token(VerifyError::Unavailable(_)) => Some("temporarily_unavailable"),
            Kind::Token(VerifyError::DpopProof(_)) => Some("invalid_dpop_proof"),
            Kind::Token(_) => Some("invalid_token"),
            Kind::InsufficientScope(_) => Some("insufficient_scope"),
            Kind::Misconfigured => Some("server_error"),
        }
    }

    fn description(&self) -> String {
        match &self.kind {
            // The cause (a URL, a network error) is for the logs only.
            Kind::Token(VerifyError::Unavailable(_)) => {
                "the authorization server could not be reached".to_owned()
            }
            Kind::Token(e) => e.to_string(),
            Kind::InsufficientScope(s) => format!("this request needs the scope {}", s.join(" ")),
            Kind::Misconfigured => "the API is misconfigured".to_owned(),
        }
    }

    /// The `WWW-Authenticate` value (RFC 6750 §3, RFC 9728 §5.1), or `None` for
    /// answers that are not about the token (503, 500).
    pub fn www_authenticate(&self) -> Option<String> {
        let mut params: Vec<(&str, String)> = Vec::new();
        match &self.kind {
            Kind::Token(VerifyError::Missing) => {}
            Kind::Token(VerifyError::Unavailable(_)) | Kind::Misconfigured => return None,
            Kind::Token(_) => {
                params.push(("error", self.error_code()?.to_owned()));
                params.push(("error_description", self.description()));
            }
            Kind::InsufficientScope(s) => {
                params.push(("error", "insufficient_scope".to_owned()));
                params.push(("error_description", self.description()));
                params.push(("scope", s.join(" ")));
            }
        }
        if let Some(url) = &self.resource_metadata {
            params.push(("resource_metadata", url.to_string()));
        }
        // RFC 9449 §7.1: problems with a DPoP presentation get a DPoP challenge,
        // naming the algorithms proofs may use.
        let scheme = if matches!(
            self.kind,
            Kind::Token(
                VerifyError::DpopRequired | VerifyError::NotDpopBound | VerifyError::DpopProof(_)
            )
        ) {
            params.insert(0, ("algs", portcullis_dpop::ALGORITHMS.join(" ")));
            "DPoP"
        } else {
            "Bearer"
        };
        if params.is_empty() {
            return Some(scheme.to_owned());
        }
        let list: Vec<String> = params
            .into_iter()
            .map(|(k, v)| format!("{k}=\"{}\"", quote(&v)))
            .collect();
        Some(format!("{scheme} {}", list.join(", ")))
    }
}

/// RFC 7230 quoted-string: escape `"` and `\`, drop control characters.
fn quote(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description())
    }
}

impl std::error::Error for Rejection {}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({});
        if let Some(code) = self.error_code() {
            body["error"] = code.into();
            body["error_description"] = self.description().into();
        }
        let mut resp = (
            self.status(),
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
        let h = resp.headers_mut();
        if let Some(v) = self
            .www_authenticate()
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            h.insert(header::WWW_AUTHENTICATE, v);
        }
        if matches!(self.kind, Kind::Token(VerifyError::Unavailable(_))) {
            h.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        resp
    }
}
