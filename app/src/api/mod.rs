//! Server functions: thin adapters that check who is asking, call one domain
//! function and map the result. Every state-changing one takes `csrf_token`, which
//! the server's CSRF middleware verifies before the function runs (ActionForm only
//! sends a function's own arguments, so the token has to be one). Read-only ones use
//! GET so they need no token.

pub mod account;
pub mod admin_config;
pub mod admin_registration;
pub mod admin_upstream;
pub mod apps;
pub mod audit;
#[cfg(feature = "ssr")]
mod audit_view;
pub mod consent;
pub mod developer_access;
pub mod device;
pub mod logout;
pub mod passkeys;
pub mod personal_tokens;
pub mod portal;
pub mod portal_admin;
pub mod recovery;
pub mod second_factor;
pub mod session;
pub mod upstream;
pub mod users;
