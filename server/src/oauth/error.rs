//! RFC 6749 §5.2 error responses (and RFC 7009 / 7662 / 8628 / 8707 codes).

use axum::response::{IntoResponse, Response};
use axum::Json;
use http::{header, HeaderValue, StatusCode};
use serde_json::json;

#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
    /// Seconds for `Retry-After` (RFC 6585 §4), on a 429.
    pub retry_after_secs: Option<i64>,
    /// A fresh `DPoP-Nonce` (RFC 9449 §8) for the client to retry with.
    pub dpop_nonce: Option<String>,
}

impl OAuthError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            retry_after_secs: None,
            dpop_nonce: None,
        }
    }
    /// 429 with `Retry-After`: a throttled attempt (too many failures), keeping the
    /// RFC 6749 §5.2 error code the attempt would otherwise fail with.
    pub fn too_many_requests(
        code: &'static str,
        d: impl Into<String>,
        retry_after_secs: i64,
    ) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, code, d)
        }
    }
    /// 400 with an error code the authorization endpoint would have sent to the
    /// client (a pushed request is checked the same way: RFC 9126 §2.1).
    pub fn bad_request(code: &'static str, d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, d)
    }
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }
    /// 401 with `WWW-Authenticate` (RFC 6749 §5.2).
    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", d)
    }
    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", d)
    }
    pub fn unsupported_grant_type(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", d)
    }
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", d)
    }
    /// RFC 8628 §3.5: `authorization_pending`, `slow_down`, `access_denied` and
    /// `expired_token`, answers to a device's poll (400 like every §5.2 error).
    pub fn device_poll(code: &'static str, d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, d)
    }
    /// RFC 9449 §5: the DPoP proof is missing (when required), invalid or replayed.
    pub fn invalid_dpop_proof(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", d)
    }
    /// RFC 9449 §8: retry with the nonce sent in `DPoP-Nonce`.
    pub fn use_dpop_nonce(nonce: String) -> Self {
        Self {
            dpop_nonce: Some(nonce),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "use_dpop_nonce",
                "the DPoP proof must carry the nonce in the DPoP-Nonce header",
            )
        }
    }
    /// RFC 7591 §3.2.2: `invalid_redirect_uri`, `invalid_client_metadata`,
    /// `invalid_software_statement` (400).
    pub fn registration(code: &'static str, d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, d)
    }
    /// 403: registration is turned off by an administrator.
    pub fn access_denied(d: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "access_denied", d)
    }
    /// RFC 6750 §3.1: a missing or wrong bearer token (an initial or a
    /// registration access token), 401 with `WWW-Authenticate: Bearer`.
    pub fn invalid_token(d: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", d)
    }
    /// RFC 8707 §2.
    pub fn invalid_target(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_target", d)
    }
    /// 503: something the endpoint depends on (the LDAP directory) did not answer;
    /// the client may retry (the registry's `temporarily_unavailable`).
    pub fn temporarily_unavailable(d: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            d,
        )
    }
    pub fn server_error(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error at a protocol endpoint");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error",
        )
    }
}

impl From<domain::oauth::IssueError> for OAuthError {
    fn from(e: domain::oauth::IssueError) -> Self {
        use domain::oauth::IssueError;
        match e {
            IssueError::InvalidScope(d) => OAuthError::invalid_scope(d),
            IssueError::InvalidTarget(d) => OAuthError::invalid_target(d),
            IssueError::InvalidGrant(d) => OAuthError::invalid_grant(d),
            IssueError::Internal(e) => OAuthError::server_error(e),
        }
    }
}

impl From<domain::DomainError> for OAuthError {
    fn from(e: domain::DomainError) -> Self {
        OAuthError::server_error(e)
    }
}

/// Headers every token-bearing response carries (RFC 6749 §5.1).
pub fn no_store(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            Json(json!({ "error": self.code, "error_description": self.description })),
        )
            .into_response();
        if self.code == "invalid_token" {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        } else if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"portcullis\", charset=\"UTF-8\""),
            );
        }
        if let Some(v) = self.dpop_nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
            resp.headers_mut().insert("dpop-nonce", v);
        }
        if let Some(secs) = self.retry_after_secs {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        no_store(&mut resp);
        resp
    }
}

/// GET (or any other method) on a POST-only endpoint.
pub async fn method_not_allowed() -> Response {
    let mut resp = OAuthError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request",
        "this endpoint accepts only POST",
    )
    .into_response();
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    resp
}
