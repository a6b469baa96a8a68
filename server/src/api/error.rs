//! The REST API's errors: JSON `{"error": code, "message": …, "field": …}` with a
//! stable code. Authentication failures follow RFC 6750 §3 (status, code and a
//! `WWW-Authenticate: Bearer` challenge); 5xx causes are logged, never shown.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::DomainError;
use http::{header, HeaderValue, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use domain::apis::PORTAL_SCOPE;

/// Every error the API answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable: `invalid_request`, `invalid_token`,
    /// `insufficient_scope`, `forbidden`, `not_found`, `method_not_allowed`,
    /// `conflict`, `precondition_failed` or `server_error`.
    #[schema(example = "invalid_request")]
    pub error: &'static str,
    /// For people; may change.
    #[schema(example = "must be 1 to 100 characters")]
    pub message: String,
    /// The request field at fault, for `invalid_request`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "name")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// RFC 6750 §3 challenge for 401 and `insufficient_scope`.
    challenge: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                error,
                message: message.into(),
                field: None,
            },
            challenge: None,
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::invalid_request(message);
        e.body.field = Some(field.to_owned());
        e
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// RFC 9110 §13.1.1: an `If-Match` that does not match the current version.
    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
            "the client was changed since the version in If-Match: GET it again and make your change again",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this method is not allowed here",
        )
    }

    /// RFC 6750 §3.1: no credentials at all — a challenge without an error code.
    pub fn missing_token() -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "an access token is required: send Authorization: Bearer <token>",
        );
        e.challenge = Some("Bearer realm=\"portcullis\"".into());
        e
    }

    pub fn invalid_token(message: &'static str) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "invalid_token", message);
        e.challenge = Some(format!(
            "Bearer realm=\"portcullis\", error=\"invalid_token\", error_description=\"{message}\""
        ));
        e
    }

    /// A refused DPoP presentation (RFC 9449 §7.1): 401 with a `DPoP` challenge.
    pub fn dpop(refusal: crate::oauth::dpop::UseRefusal) -> Self {
        use crate::oauth::dpop::{challenge, UseRefusal};
        let (code, message) = match refusal {
            UseRefusal::Token(m) => ("invalid_token", m.to_owned()),
            UseRefusal::Proof(m) => ("invalid_dpop_proof", m),
        };
        let mut e = Self::new(StatusCode::UNAUTHORIZED, code, message.clone());
        e.challenge = Some(challenge(code, &message));
        e
    }

    pub fn insufficient_scope() -> Self {
        let mut e = Self::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("the access token must carry the '{PORTAL_SCOPE}' scope"),
        );
        e.challenge = Some(format!(
            "Bearer realm=\"portcullis\", error=\"insufficient_scope\", scope=\"{PORTAL_SCOPE}\""
        ));
        e
    }

    pub fn server_error(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error in the REST API");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error",
        )
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, message } => Self::invalid_field(field, message),
            DomainError::Conflict(m) => Self::new(StatusCode::CONFLICT, "conflict", m),
            DomainError::NotFound => Self::not_found(),
            DomainError::Forbidden => {
                Self::forbidden("your account may not do this (an administrator may)")
            }
            DomainError::NotAllowed(m) => Self::forbidden(m),
            DomainError::Unavailable(m) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
            }
            DomainError::Internal(cause) => Self::server_error(cause),
            e @ DomainError::Database(_) => Self::server_error(e.to_string()),
        }
    }
}

// Axum's own rejections are plain text: the API answers JSON, always.
impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let message = match &r {
            JsonRejection::MissingJsonContentType(_) => {
                "send a JSON body with Content-Type: application/json".to_owned()
            }
            _ => r.body_text(),
        };
        let mut e = Self::invalid_request(message);
        e.body.field = field_in(&e.body.message);
        e.status = match r.status() {
            // 415 and 413 keep their statuses; a body that does not fit is a 400.
            s @ (StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::PAYLOAD_TOO_LARGE) => s,
            _ => StatusCode::BAD_REQUEST,
        };
        e
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let mut e = Self::invalid_request(r.body_text());
        e.body.field = field_in(&e.body.message);
        e
    }
}

/// The field a deserialisation error is about, from its text: axum puts the path
/// to the value first (`per_page: number too large…`, `redirect_uris[0]: invalid
/// type…`, `client_secret: unknown field…`), and serde names a missing field in
/// backquotes.
fn field_in(message: &str) -> Option<String> {
    let rest = ["target type: ", "query string: "]
        .iter()
        .find_map(|m| message.split_once(m).map(|(_, r)| r))?;
    let (head, tail) = rest.split_once(": ").unwrap_or(("", rest));
    let path = Some(head).filter(|p| is_path(p) && *p != ".");
    let missing = tail
        .split_once("missing field `")
        .and_then(|(_, r)| r.split('`').next());
    let unknown = tail
        .split_once("unknown field `")
        .and_then(|(_, r)| r.split('`').next());
    match (path, missing.or(unknown)) {
        (Some(p), Some(_)) if unknown.is_some() => Some(p.to_owned()),
        (Some(p), Some(n)) => Some(format!("{p}.{n}")),
        (Some(p), None) => Some(p.to_owned()),
        (None, Some(n)) => Some(n.to_owned()),
        (None, None) => None,
    }
}

fn is_path(p: &str) -> bool {
    !p.is_empty()
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c))
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::invalid_request(r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(self.body)).into_response();
        if let Some(v) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
