//! The Portcullis business, with its storage: no HTTP types live here; adapters in
//! `server` (protocol endpoints, REST API, CLI) and `app` (pages) call in.
//!
//! One folder per context, lower ones first (a module imports only from its own
//! context or from those listed before it):
//! - `platform`: clock, database, caches, random secrets, password hashing, text
//!   rules, mail delivery — no business rules.
//! - `audit`: the tamper-evident event chain every change writes in its transaction.
//! - `accounts`: people, roles and administrator capabilities, sign-in, sessions,
//!   throttling of guesses.
//! - `apis`: the APIs (resource servers) and the scopes they define.
//! - `clients`: OAuth clients, their metadata and secrets, client authentication.
//! - `settings`: run-time settings administrators change.
//! - `oauth`: the protocol's state: codes, consents, tokens, keys, issuance and
//!   liveness.
//! - `portal`: developer self-service: change requests, approval rules (CEL),
//!   administrator decisions, notifications.
//! - `jobs`: periodic work (clean-up).
//!
//! `services::Services` holds the shared handles (database, hasher, caches) that
//! every adapter is given.
//!
//! `entities` are the sea-orm table models, used only inside this crate's contexts
//! and by migrations' tests.

pub mod accounts;
pub mod apis;
pub mod audit;
pub mod clients;
pub mod entities;
pub mod error;
pub mod jobs;
pub mod oauth;
pub mod platform;
pub mod portal;
pub mod services;
pub mod settings;

pub use error::{DomainError, DomainResult};
pub use platform::clock::{Clock, SystemClock};
