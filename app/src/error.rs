//! The portal's error type: what a server function can tell the browser. Internal
//! failures are logged on the server with their cause and reach the user only as a
//! generic message.
//!
//! Each variant has one HTTP status ([`AppError::status`]), set on every failed
//! server-function call in one place ([`FromServerFnError::ser`] below): user errors
//! answer 4xx and only our own faults 5xx, so monitoring can tell a brute-force run
//! (401/429) from an outage (500).

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    /// Wrong credentials (e.g. "Incorrect username or password.").
    #[error("{0}")]
    SignInFailed(String),
    #[error("You do not have permission to do that.")]
    Forbidden,
    /// Refused for a reason the user can act on (an expired form, sign-up turned off,
    /// a disabled account).
    #[error("{0}")]
    Refused(String),
    #[error("Not found.")]
    NotFound,
    /// The change conflicts with the current state (a taken name, a decided request).
    #[error("{0}")]
    Conflict(String),
    #[error("The request is too large.")]
    TooLarge,
    /// A field failed validation; `field` matches the form input's name.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// Several fields failed validation, each `(field, message)`, found at once; and
    /// what the form sent, `(input name, value)`, so that a form shown again
    /// without JavaScript keeps what the person typed (issue 13, defect 4).
    #[error("{}", fields_summary(errors.len()))]
    Fields {
        errors: Vec<(String, String)>,
        values: Vec<(String, String)>,
    },
    /// Throttled: too many attempts; try again after `retry_after_secs`.
    #[error("{message}")]
    TooManyAttempts {
        message: String,
        retry_after_secs: i64,
    },
    /// A message meant for the user as it is, about a request we cannot carry out.
    #[error("{0}")]
    Message(String),
    #[error("Something went wrong on our side. Please try again; if it keeps happening, contact an administrator.")]
    Internal,
    /// Something we depend on (the LDAP directory) did not answer: try again later.
    #[error("{0}")]
    Unavailable(String),
    /// The call itself failed: in the browser, the server could not be reached; on the
    /// server, the request could not be read (malformed arguments).
    #[error("The request could not be completed: {0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The message for `field`, when this error is about that form field.
    pub fn field_message(&self, field: &str) -> Option<String> {
        self.field_errors()
            .into_iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m)
    }

    /// Every `(field, message)` of this error (none when it is about no field).
    pub fn field_errors(&self) -> Vec<(String, String)> {
        match self {
            AppError::Invalid { field, message } => vec![(field.clone(), message.clone())],
            AppError::Fields { errors, .. } => errors.clone(),
            _ => Vec::new(),
        }
    }

    /// A refused rejection reason, as the problem of one queue card's field
    /// (`reason-{id}`): shown on that card, not on every card of the queue
    /// (issue 13, defect 4).
    pub fn on_card(self, id: &str) -> Self {
        match self {
            AppError::Invalid { field, message } if field == "reason" => AppError::Invalid {
                field: format!("reason-{id}"),
                message,
            },
            other => other,
        }
    }

    /// What the form sent as `input`, when this error carries the form's values.
    pub fn sent(&self, input: &str) -> Option<String> {
        match self {
            AppError::Fields { values, .. } => values
                .iter()
                .find(|(k, _)| k == input)
                .map(|(_, v)| v.clone()),
            _ => None,
        }
    }

    /// All of `problems` (the domain's, one per field) with the form's `values`; a
    /// problem that is not about a field is returned as it is.
    #[cfg(feature = "ssr")]
    pub fn fields(
        problems: Vec<domain::DomainError>,
        values: Vec<(&str, String)>,
    ) -> Result<(), Self> {
        if problems.is_empty() {
            return Ok(());
        }
        let mut errors = Vec::new();
        for p in problems {
            match AppError::from(p) {
                AppError::Invalid { field, message } => errors.push((field, message)),
                other => return Err(other),
            }
        }
        Err(AppError::Fields {
            errors,
            values: values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        })
    }

    /// The HTTP status of a server-function call that failed with this error
    /// (RFC 9110 §15): 4xx for the caller's mistakes, 5xx only for ours.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Message(_) | AppError::Transport(_) => 400,
            AppError::Unauthenticated | AppError::SignInFailed(_) => 401,
            AppError::Forbidden | AppError::Refused(_) => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::TooLarge => 413,
            AppError::Invalid { .. } | AppError::Fields { .. } => 422,
            AppError::TooManyAttempts { .. } => 429,
            AppError::Internal => 500,
            AppError::Unavailable(_) => 503,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server: our own result could not be encoded.
            ServerFnErrorErr::Serialization(_) | ServerFnErrorErr::Response(_) => {
                #[cfg(feature = "ssr")]
                tracing::error!(cause = %value, "a server function failed");
                AppError::Transport(value.to_string())
            }
            // A body over the limit (the server reads it through `http_body_util::Limited`).
            ServerFnErrorErr::Deserialization(m) if m.contains("length limit exceeded") => {
                AppError::TooLarge
            }
            other => AppError::Transport(other.to_string()),
        }
    }

    /// Called on the server for every failed call, with the request's context: this is
    /// where the error's status reaches the response. A plain HTML form post (no
    /// JavaScript) is answered with a redirect back to the form instead (server_fn's
    /// form redirects), which must stay a redirect.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        set_error_status(self);
        <Self::Encoder as leptos::server_fn::Encodes<Self>>::encode(self)
            .unwrap_or_else(|_| leptos::server_fn::Bytes::from_static(br#""Internal""#))
    }
}

/// Sets the failed call's status (and `Retry-After` when throttled) on the response.
#[cfg(feature = "ssr")]
fn set_error_status(e: &AppError) {
    use http::{header, HeaderValue, StatusCode};
    let Some(resp) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    // The same test server_fn uses to answer a plain form post with a redirect.
    let form_post = use_context::<http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if form_post {
        return;
    }
    resp.set_status(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    match e {
        // RFC 6585 §4.
        AppError::TooManyAttempts {
            retry_after_secs, ..
        } => {
            if let Ok(v) = HeaderValue::from_str(&(*retry_after_secs).max(1).to_string()) {
                resp.insert_header(header::RETRY_AFTER, v);
            }
        }
        // RFC 9110 §15.5.2: a 401 carries a challenge. The portal's only scheme is
        // the session cookie from the sign-in form; the name is not one a browser
        // acts on (no password dialog).
        AppError::Unauthenticated | AppError::SignInFailed(_) => {
            resp.insert_header(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Session realm=\"Portcullis\""),
            );
        }
        _ => {}
    }
}

fn fields_summary(n: usize) -> String {
    if n == 1 {
        "One field needs correcting: see the message beside it.".to_owned()
    } else {
        format!("{n} fields need correcting: see the messages beside them.")
    }
}

/// A field's name as the forms label it, for messages (internal names must not
/// reach people: "Redirect uris", "Refresh token ttl secs").
#[cfg(feature = "ssr")]
fn field_label(field: &str) -> String {
    let known = match field {
        "redirect_uris" => "Redirect URIs",
        "post_logout_redirect_uris" => "Post-logout redirect URIs",
        "allowed_origins" => "JavaScript origins",
        "request_uris" => "Request URIs",
        "include_claims_in_id_token" => "Claims in the ID token",
        "requestable_claims" => "Individually requested claims",
        "logo_uri" => "Logo URI",
        "client_uri" => "Home page URI",
        "policy_uri" => "Privacy policy URI",
        "tos_uri" => "Terms of service URI",
        "jwks_uri" => "JWKS URI",
        "backchannel_logout_uri" => "Back-channel logout URI",
        "frontchannel_logout_uri" => "Front-channel logout URI",
        "token_endpoint_auth_method" => "Token endpoint authentication",
        "refresh_token_ttl_secs" => "Refresh-token lifetime",
        "allowed_email_domains" => "Allowed e-mail domains",
        "who" => "Username or e-mail address",
        other => return capitalise(&other.replace('_', " ")),
    };
    known.to_owned()
}

#[cfg(feature = "ssr")]
impl From<domain::DomainError> for AppError {
    fn from(e: domain::DomainError) -> Self {
        use domain::DomainError as D;
        match e {
            D::Invalid { field, message } => AppError::Invalid {
                field: field.to_owned(),
                message: format!("{} {message}.", field_label(field)),
            },
            D::Conflict(m) => AppError::Conflict(format!("{}.", capitalise(&m))),
            D::NotFound => AppError::NotFound,
            D::Forbidden => AppError::Forbidden,
            D::NotAllowed(m) => AppError::Refused(m),
            D::Unavailable(m) => AppError::Unavailable(m),
            D::Internal(cause) => {
                tracing::error!(%cause, "internal error in a server function");
                AppError::Internal
            }
            D::Database(e) => {
                tracing::error!(
                    error = &e as &dyn std::error::Error,
                    "database error in a server function"
                );
                AppError::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
