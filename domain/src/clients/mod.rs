//! OAuth clients: registration, secrets (shown once, stored as argon2id hashes) and
//! client authentication with a verification cache.
//!
//! Why the cache is safe: an argon2id verification costs ~16 ms, so the token
//! endpoint cannot run one per request. After one successful verification we keep
//! HMAC-SHA256(k, secret_row_id ‖ stored_hash ‖ presented_secret) in a bounded set,
//! where `k` is a random per-process key. A memory dump yields those tags and `k`,
//! but recovering a secret from them means guessing a 256-bit random value. An entry
//! is bound to the stored hash of one secret row: rotating, expiring or deleting the
//! secret (or the client) removes the row, so the entry can never match again — in
//! this process or any other sharing the database — without any invalidation
//! message. Wrong secrets are never cached. Concurrent requests with the same
//! presented secret share one verification (see `SecretCache::inflight`).

pub mod authenticate;
pub mod dynamic;
pub mod encryption;
mod fold;
pub mod initial_tokens;
pub mod metadata;
pub mod metadata_document;
pub mod model;
pub mod origins;
pub mod redirect_uri;
pub mod refusals;
pub mod secret_use;
pub mod secrets;
pub mod sector;
pub mod store;
pub mod unused;
pub mod validate;

pub use self::metadata::*;
pub use authenticate::*;
pub use encryption::EncryptionPatch;
pub use model::*;
pub use redirect_uri::*;
pub use secrets::*;
pub use store::*;
pub use validate::{grants_for, validate_email_domains, validate_web_uri};
