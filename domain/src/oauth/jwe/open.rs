//! Opening JWEs sent to this server: encrypted request objects (RFC 9101 §6.1).
//! Key management `RSA-OAEP-256` (RFC 7518 §4.3) to one of the encryption keys
//! published in the JWKS; any content encryption of [`super::ENCS`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use super::{content, JweError};
use crate::oauth::keys::{KeySet, ENC_ALG};

/// The key managements accepted (`request_object_encryption_alg_values_supported`).
pub const ALGS: &[&str] = ::metadata::jwe::REQUEST_OBJECT_ALGS;

/// The plaintext of `compact`, and its protected header (for `alg`, `enc`, `cty`).
pub fn decrypt(keys: &KeySet, compact: &str) -> Result<(Vec<u8>, Value), JweError> {
    let parts: Vec<&str> = compact.split('.').collect();
    let [head, encrypted_key, iv, ciphertext, tag] = parts[..] else {
        return Err(JweError::Malformed);
    };
    let b64 = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| JweError::Malformed);
    let header: Value = serde_json::from_slice(&b64(head)?).map_err(|_| JweError::Malformed)?;
    let text = |name: &str| header.get(name).and_then(Value::as_str);
    if text("alg") != Some(ENC_ALG) || header.get("zip").is_some() {
        return Err(JweError::Unsupported);
    }
    let enc = text("enc").ok_or(JweError::Unsupported)?;
    let key_len = content::key_len(enc).ok_or(JweError::Unsupported)?;
    // With a kid, that key; without one, whichever published key opens it.
    let candidates: Vec<_> = match text("kid") {
        Some(kid) => vec![keys
            .decrypting
            .get(kid)
            .ok_or(JweError::UnknownKey)?
            .clone()],
        None => keys.decrypting.values().cloned().collect(),
    };
    let encrypted_key = b64(encrypted_key)?;
    let (iv, ciphertext, tag) = (b64(iv)?, b64(ciphertext)?, b64(tag)?);
    for key in candidates {
        let Ok(cek) = key.decrypt(rsa::Oaep::new::<sha2::Sha256>(), &encrypted_key) else {
            continue;
        };
        if cek.len() != key_len {
            continue;
        }
        // RFC 7516 §5.2 step 14: the AAD is the ASCII of the encoded protected header.
        if let Some(plain) = content::decrypt(enc, &cek, head.as_bytes(), &iv, &ciphertext, &tag) {
            return Ok((plain, header));
        }
    }
    Err(JweError::Undecryptable)
}
