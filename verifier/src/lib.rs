//! Protect an API with access tokens issued by a Portcullis authorization server.
//!
//! Portcullis issues RFC 9068 JWT access tokens that name the calling application
//! (`client_id`) and, when a person signed in, the person (`sub`), with the API's
//! identifier in `aud`. This crate checks them for a resource server:
//!
//! - fetches the issuer's metadata (RFC 8414) and its JWKS, caches the keys, and
//!   refetches the JWKS when a token names an unknown `kid` (at most once per
//!   [`VerifierBuilder::jwks_refresh_interval`], concurrent callers sharing one fetch);
//! - checks the signature (asymmetric algorithms only, the one the key is published
//!   for), `typ` = `at+jwt`, `iss`, `aud`, `exp`/`nbf` with a small leeway, and the
//!   scopes a route requires;
//! - optionally asks the issuer's introspection endpoint (RFC 7662) whether the token
//!   is still active, with a short cache, for APIs that must see revocation at once;
//! - answers failures as RFC 6750 says (`401` with `WWW-Authenticate: Bearer
//!   error="invalid_token"`, `403` with `insufficient_scope`), with the RFC 9728
//!   `resource_metadata` parameter when configured. Tokens never reach the logs.
//!
//! ```no_run
//! use axum::{routing::get, Router};
//! use portcullis_verifier::{Caller, Verifier};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder("https://auth.example.edu", "https://api.example.edu/registrations")
//!     .build()
//!     .await?;
//! let app: Router = Router::new()
//!     .route("/me", get(me).layer(verifier.require("registrations:read")));
//!
//! async fn me(caller: Caller) -> String {
//!     format!("{} for {:?}", caller.client_id, caller.user)
//! }
//! # Ok(()) }
//! ```

mod caller;
mod clock;
mod dpop;
mod error;
mod introspect;
mod jwks;
mod layer;
mod verifier;

pub use caller::{Actor, Caller, Subject};
pub use clock::{Clock, SystemClock};
pub use error::{Rejection, SetupError, VerifyError};
pub use layer::{RequireLayer, RequireService};
pub use verifier::{Verifier, VerifierBuilder};

#[cfg(test)]
mod tests;
