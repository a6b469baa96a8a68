//! sea-orm entities, one module per table (see `migrations/` for the schema).

pub mod audit_event;
pub mod authorization_code;
pub mod client;
pub mod client_secret;
pub mod grant;
pub mod login_throttle;
pub mod refresh_token;
pub mod resource;
pub mod revoked_token;
pub mod scope;
pub mod server_setting;
pub mod session;
pub mod signing_key;
pub mod user;
