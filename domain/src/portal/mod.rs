//! The developer portal's rules (seed 001): who may see and change which client,
//! which changes apply at once and which become requests for an administrator,
//! and how requests are decided — by a scope's policy, its CEL rule, or a person.
//!
//! Every function here checks access itself (the UI, the REST API and the CLI all
//! call in), writes its audit event, notifications and e-mails in the same
//! transaction as the change, and returns `NotFound` — never `Forbidden` — for a
//! client the caller may not see, so client ids cannot be probed.
//!
//! What a developer may change directly follows seed 001's table: the "YES" fields
//! (see [`ClientUpdate`]). The "Approval" fields — scopes, refresh-token lifetime,
//! re-enabling a disabled client, registration expiry — and enabling the password
//! grant become requests. Changes that only reduce what a client can do (removing a
//! scope, turning the password grant off, disabling the client) apply at once:
//! least privilege never waits for a person.

pub mod access;
pub mod admission;
pub mod changes;
pub mod claim;
pub mod decisions;
pub mod developer_access;
pub mod edits;
mod gated;
pub mod governed;
pub mod logout_deliveries;
pub mod notify;
pub mod queue;
pub mod registration;
pub mod request;
pub mod requests;
pub mod review;
pub mod rules;
pub mod shown_once;
pub mod stage;
pub mod submit;
pub mod team;
pub mod usage;

pub use access::*;
pub use changes::*;
pub use decisions::*;
pub use edits::*;
pub use governed::Governed;
pub use logout_deliveries::logout_deliveries;
pub use queue::*;
pub use registration::{register, Registration};
pub use request::*;
pub use requests::*;

#[cfg(test)]
mod tests;
