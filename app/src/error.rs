//! The portal's error type: what a server function can tell the browser. Internal
//! failures are logged on the server with their cause and reach the user only as a
//! generic message.

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    /// A field failed validation; `field` matches the form input's name.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// A message meant for the user as it is (e.g. "Incorrect username or password.").
    #[error("{0}")]
    Message(String),
    #[error("Something went wrong on our side. Please try again; if it keeps happening, contact an administrator.")]
    Internal,
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
        match self {
            AppError::Invalid { field: f, message } if f == field => Some(message.clone()),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<domain::DomainError> for AppError {
    fn from(e: domain::DomainError) -> Self {
        use domain::DomainError as D;
        match e {
            D::Invalid { field, message } => {
                let label = field.replace('_', " ");
                let mut label_cap = label.clone();
                if let Some(first) = label_cap.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                AppError::Invalid {
                    field: field.to_owned(),
                    message: format!("{label_cap} {message}."),
                }
            }
            D::Conflict(m) => AppError::Message(format!("{}.", capitalise(&m))),
            D::NotFound => AppError::NotFound,
            D::Forbidden => AppError::Forbidden,
            D::Internal(cause) => {
                tracing::error!(%cause, "internal error in a server function");
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
