//! The developer portal's server functions: clients, secrets, scope and change
//! requests, notifications. Every rule lives in `domain::portal`; these adapt forms
//! to it and redirect with a notice, so each form also works without JavaScript.

pub mod claim;
pub mod client_edit;
pub mod clients;
#[cfg(feature = "ssr")]
pub(crate) mod conv;
pub mod notifications;
pub mod requests;
pub mod stage;
pub mod team;

pub const CLIENTS_PER_PAGE: u64 = 20;
pub const REQUESTS_PER_PAGE: u64 = 20;
