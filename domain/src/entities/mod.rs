//! sea-orm entities, one module per table (see `migrations/` for the schema).

pub mod approval_rule;
pub mod audit_event;
pub mod authorization_code;
pub mod cache_change;
pub mod change_request;
pub mod client;
pub mod client_secret;
pub mod client_secret_use;
pub mod device_code;
pub mod expiry_reminder;
pub mod grant;
pub mod login_throttle;
pub mod notification;
pub mod outbox_email;
pub mod refresh_token;
pub mod resource;
pub mod resource_introspector;
pub mod revoked_token;
pub mod scope;
pub mod server_setting;
pub mod session;
pub mod shown_once;
pub mod signing_key;
pub mod user;
