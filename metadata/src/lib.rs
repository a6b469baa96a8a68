//! What a client is, as RFC 7591 (OAuth 2.0 Dynamic Client Registration) and
//! OpenID Connect Dynamic Client Registration 1.0 §2 name it.
//!
//! One definition for every layer: the domain stores and validates a
//! [`ClientMetadata`], the REST API shows it as it is (the wire names are the
//! field names), and the portal's pages carry it to the browser. A new client
//! field is added here once (plus its column and migration in the domain).
//!
//! This crate holds values only: no storage, no I/O, no validation beyond the
//! closed sets (validation needs the domain's rules and limits). It builds for
//! wasm, which the domain does not.

mod metadata;
mod sets;

pub use metadata::{code_only, ClientMetadata};
pub use sets::{jwe, ApplicationType, AuthMethod, GrantType, SigningAlg, SubjectType};
