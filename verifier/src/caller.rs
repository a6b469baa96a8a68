//! Who is calling: the application, and the person when there is one.

use std::fmt;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;

use crate::error::Rejection;

/// The end user a token was issued for (the token's `sub`, when it is not the
/// client itself).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject(String);

impl Subject {
    pub fn new(sub: impl Into<String>) -> Self {
        Self(sub.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A verified caller, handed to handlers by the [`crate::RequireLayer`] (extract it
/// as a handler argument).
///
/// Both identities are verified: `client_id` is the application that holds the
/// token, `user` the person it acts for — `None` for machine-to-machine tokens
/// (`client_credentials`), whose subject is the client itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The application (OAuth client) presenting the token.
    pub client_id: String,
    /// The end user, when a person authorised the application.
    pub user: Option<Subject>,
    /// The scopes granted to this token.
    pub scopes: Vec<String>,
    /// The token's `jti`: log it to correlate with the issuer's audit trail.
    pub token_id: String,
    /// When the token expires (Unix seconds).
    pub expires_at: i64,
    /// The JWK thumbprint of the key a DPoP-bound token is bound to (RFC 9449
    /// `cnf.jkt`); the request proved possession of that key.
    pub dpop_jkt: Option<String>,
    /// Who acts for the user, when the token came from a token exchange (RFC 8693
    /// `act`): the client presenting it first, then the ones it acted through,
    /// the app the person first allowed last. Empty for a token the person's app
    /// got directly. Audit it beside `user`.
    pub actors: Vec<Actor>,
    /// The RFC 9728 metadata URL for the challenge of a later 403.
    pub(crate) resource_metadata: Option<Arc<str>>,
}

/// One link of a delegation chain (RFC 8693 §4.1 `act`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The actor's subject: for Portcullis, its client id.
    pub sub: String,
    /// The actor's OAuth client, when the issuer names it.
    pub client_id: Option<String>,
}

impl Caller {
    /// A caller built by hand, for testing handlers without tokens.
    pub fn new(
        client_id: impl Into<String>,
        user: Option<Subject>,
        scopes: impl IntoIterator<Item = impl Into<String>>,
        token_id: impl Into<String>,
        expires_at: i64,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            user,
            scopes: scopes.into_iter().map(Into::into).collect(),
            token_id: token_id.into(),
            expires_at,
            dpop_jkt: None,
            actors: Vec::new(),
            resource_metadata: None,
        }
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// `Ok` when the token carries `scope`, else the RFC 6750 `403 insufficient_scope`
    /// rejection naming it: `caller.require("registrations:write")?;`
    pub fn require(&self, scope: &str) -> Result<(), Rejection> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(Rejection::insufficient_scope(
                vec![scope.to_owned()],
                self.resource_metadata.clone(),
            ))
        }
    }

    /// A token from a token exchange: someone acts for the user.
    pub fn is_delegated(&self) -> bool {
        !self.actors.is_empty()
    }

    /// A machine-to-machine token: no person involved.
    pub fn is_machine(&self) -> bool {
        self.user.is_none()
    }
}

/// Reads the caller the [`crate::RequireLayer`] put on the request. On a route
/// without that layer this is a programming error: it answers 500 (fail closed)
/// and logs why.
impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            tracing::error!(
                path = parts.uri.path(),
                "Caller extracted on a route without a portcullis_verifier layer"
            );
            Rejection::misconfigured()
        })
    }
}
