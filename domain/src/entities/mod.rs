//! sea-orm entities, one module per table (see `migrations/` for the schema).

pub mod audit_event;
pub mod login_throttle;
pub mod session;
pub mod user;
