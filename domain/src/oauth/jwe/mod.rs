//! JSON Web Encryption (RFC 7516, compact serialisation), both ways:
//!
//! - [`decrypt`]: request objects encrypted to this server (RFC 9101 §6.1), key
//!   management `RSA-OAEP-256` to one of the encryption keys this server publishes.
//! - [`seal`]: ID tokens and userinfo responses encrypted to a client's public key
//!   (OIDC Core §10.2, Registration §2 `…_encrypted_response_alg/enc`): `RSA-OAEP-256`,
//!   `RSA-OAEP`, `ECDH-ES` and `ECDH-ES+A128KW`/`+A256KW` (P-256, P-384).
//!
//! Content encryption both ways ([`content`]): `A128CBC-HS256` (the default the
//! registration spec names), `A256CBC-HS512`, `A128GCM`, `A256GCM`. Never `RSA1_5`
//! (Bleichenbacher), `dir` (a shared key to keep), or compression (`zip`).

mod content;
mod open;
mod seal;
#[cfg(test)]
mod tests;

pub use content::{DEFAULT_ENC, ENCS};
pub use open::{decrypt, ALGS};
pub use seal::{seal, Recipient, SEAL_ALGS};

/// Why a JWE could not be opened or made. Deliberately coarse when opening: a
/// decryption failure says nothing about which step failed (no padding or tag
/// oracle).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum JweError {
    #[error("not a compact JWE")]
    Malformed,
    #[error("the JWE's alg or enc is not supported")]
    Unsupported,
    #[error("the JWE is for a key this server does not have")]
    UnknownKey,
    #[error("the JWE could not be decrypted")]
    Undecryptable,
    #[error("the recipient's key cannot be used: {0}")]
    BadKey(String),
}

/// Whether `token` looks like a compact JWE (five parts) rather than a JWS (three).
pub fn is_jwe(token: &str) -> bool {
    token.split('.').count() == 5
}

/// Whether `alg` is a key management a client may register for what this server
/// encrypts to it, and `enc` a content encryption.
pub fn valid_pair(alg: &str, enc: &str) -> bool {
    SEAL_ALGS.contains(&alg) && ENCS.contains(&enc)
}

/// What to encrypt a client's ID tokens or userinfo responses with: its key, and
/// the `alg` and `enc` it registered.
#[derive(Clone, Debug)]
pub struct Encryption {
    pub to: Recipient,
    pub alg: String,
    pub enc: String,
}

impl Encryption {
    /// A signed JWT, encrypted (a nested JWT, `cty: JWT`, RFC 7519 §5.2).
    pub fn seal_jwt(&self, jws: &str) -> Result<String, JweError> {
        seal(&self.to, &self.alg, &self.enc, jws.as_bytes(), Some("JWT"))
    }
}
