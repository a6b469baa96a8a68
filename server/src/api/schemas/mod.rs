//! The REST API's request and response bodies, with their conversions from and
//! to the domain's types. utoipa derives the OpenAPI schemas from these; the
//! handlers in `clients`, `requests` and `scopes` only use them.

pub mod clients;
pub mod registration;
pub mod requests;
pub mod scopes;
pub mod secrets;
pub mod stage;
pub mod team;
pub mod usage;
