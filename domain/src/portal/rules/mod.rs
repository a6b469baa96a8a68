//! Per-scope auto-approval rules in CEL (the Common Expression Language).
//!
//! A rule decides one or more scopes that need approval — API scopes, or the
//! OpenID scopes administrators gated (each scope has at most one rule; a rule for
//! several is one rule, edited and deleted as one) — and has up to two boolean
//! expressions over three variables — `request`, `client` and `developer` (see [`RuleInput`]):
//! `reject_if` (checked first; when true the request is rejected with the rule's
//! stated reason) and `approve_if` (when true the scope is approved). When neither
//! holds, or an expression fails at run time, the scope is left for a human. CEL has
//! no loops or side effects, so a rule cannot hang or touch anything; both parsing
//! and evaluation also run behind `catch_unwind`, so no input can crash the server.

pub mod cel;
pub mod model;
pub mod store;

pub use cel::*;
pub use model::*;
pub use store::*;
