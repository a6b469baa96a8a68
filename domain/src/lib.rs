//! The Portcullis business: accounts, sessions, login throttling and audit, with
//! their storage. No HTTP types live here; adapters in `server` and `app` call in.

pub mod audit;
pub mod auth;
pub mod authz;
pub mod cache;
pub mod clients;
pub mod clock;
pub mod db;
pub mod entities;
pub mod error;
pub mod grants;
pub mod keys;
pub mod lookalike;
pub mod mail;
pub mod maintenance;
pub mod notify;
pub mod oauth;
pub mod password;
pub mod portal;
pub mod resources;
pub mod review;
pub mod rules;
pub mod secret;
pub mod server_settings;
pub mod sessions;
pub mod text;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use clock::{Clock, SystemClock};
pub use error::{DomainError, DomainResult};
