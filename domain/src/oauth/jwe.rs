//! Decrypting JWEs sent to this server (RFC 7516 compact serialisation): encrypted
//! request objects (RFC 9101 §6.1). Key management `RSA-OAEP-256` (RFC 7518 §4.3) to
//! one of the encryption keys published in the JWKS, content encryption `A256GCM`
//! or `A128GCM` (§5.3). Nothing else: no `dir`, no `RSA1_5` (Bleichenbacher), no
//! compression (`zip`).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::oauth::keys::{KeySet, ENC_ALG};

/// The content encryptions accepted (discovery's `…_encryption_enc_values_supported`).
pub const ENCS: &[&str] = &["A256GCM", "A128GCM"];
/// The key managements accepted (`…_encryption_alg_values_supported`).
pub const ALGS: &[&str] = &[ENC_ALG];

/// Why a JWE could not be opened. Deliberately coarse: a decryption failure says
/// nothing about which step failed (no padding or tag oracle).
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
}

/// Whether `token` looks like a compact JWE (five parts) rather than a JWS (three).
pub fn is_jwe(token: &str) -> bool {
    token.split('.').count() == 5
}

/// The plaintext of `compact`, and its protected header (for `cty`).
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
    let key_len = match enc {
        "A256GCM" => 32,
        "A128GCM" => 16,
        _ => return Err(JweError::Unsupported),
    };
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
    let (iv, tag) = (b64(iv)?, b64(tag)?);
    if iv.len() != 12 || tag.len() != 16 {
        return Err(JweError::Malformed);
    }
    let mut sealed = b64(ciphertext)?;
    sealed.extend_from_slice(&tag);
    for key in candidates {
        let Ok(cek) = key.decrypt(rsa::Oaep::new::<sha2::Sha256>(), &encrypted_key) else {
            continue;
        };
        if cek.len() != key_len {
            continue;
        }
        // RFC 7516 §5.2 step 14: the AAD is the ASCII of the encoded protected header.
        let payload = Payload {
            msg: &sealed,
            aad: head.as_bytes(),
        };
        let nonce = Nonce::from_slice(&iv);
        let plain = match key_len {
            32 => Aes256Gcm::new_from_slice(&cek)
                .ok()
                .and_then(|c| c.decrypt(nonce, payload).ok()),
            _ => Aes128Gcm::new_from_slice(&cek)
                .ok()
                .and_then(|c| c.decrypt(nonce, payload).ok()),
        };
        if let Some(plain) = plain {
            return Ok((plain, header));
        }
    }
    Err(JweError::Undecryptable)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;

    /// A JWE made by hand (RFC 7516 §5.1), for the unit tests; the browser tests
    /// use an independent library (`jose`).
    fn encrypt(key: &rsa::RsaPublicKey, kid: &str, enc: &str, plain: &[u8]) -> String {
        use rand::RngCore;
        let len = if enc == "A256GCM" { 32 } else { 16 };
        let mut cek = vec![0u8; len];
        rand::rngs::OsRng.fill_bytes(&mut cek);
        let mut iv = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut iv);
        let head = URL_SAFE_NO_PAD.encode(
            serde_json::json!({ "alg": ENC_ALG, "enc": enc, "kid": kid, "cty": "JWT" }).to_string(),
        );
        let ek = key
            .encrypt(
                &mut rand::rngs::OsRng,
                rsa::Oaep::new::<sha2::Sha256>(),
                &cek,
            )
            .unwrap();
        let payload = Payload {
            msg: plain,
            aad: head.as_bytes(),
        };
        let out = if len == 32 {
            Aes256Gcm::new_from_slice(&cek)
                .unwrap()
                .encrypt(Nonce::from_slice(&iv), payload)
                .unwrap()
        } else {
            Aes128Gcm::new_from_slice(&cek)
                .unwrap()
                .encrypt(Nonce::from_slice(&iv), payload)
                .unwrap()
        };
        let (ct, tag) = out.split_at(out.len() - 16);
        let e = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        format!("{head}.{}.{}.{}.{}", e(&ek), e(&iv), e(ct), e(tag))
    }

    fn keys() -> (KeySet, rsa::RsaPublicKey) {
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        let public = rsa::RsaPublicKey::from(&private);
        let set = KeySet {
            signing: HashMap::new(),
            verifying: HashMap::new(),
            decrypting: HashMap::from([("k1".to_owned(), Arc::new(private))]),
            jwks_json: Arc::from(&b"{}"[..]),
        };
        (set, public)
    }

    #[test]
    fn round_trips_and_refuses_tampering() {
        let (set, public) = keys();
        for enc in ENCS {
            let jwe = encrypt(&public, "k1", enc, b"hello");
            assert!(is_jwe(&jwe));
            let (plain, header) = decrypt(&set, &jwe).unwrap();
            assert_eq!(plain, b"hello");
            assert_eq!(header["cty"], "JWT");
        }
        let jwe = encrypt(&public, "k1", "A256GCM", b"hello");
        let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
        // Another ciphertext, the same tag: the tag check fails.
        parts[3] = URL_SAFE_NO_PAD.encode(b"HELLO");
        assert_eq!(
            decrypt(&set, &parts.join(".")),
            Err(JweError::Undecryptable)
        );
        // A changed protected header (it is the AAD).
        let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
        parts[0] = URL_SAFE_NO_PAD.encode(
            serde_json::json!({ "alg": ENC_ALG, "enc": "A256GCM", "kid": "k1" }).to_string(),
        );
        assert_eq!(
            decrypt(&set, &parts.join(".")),
            Err(JweError::Undecryptable)
        );
        // Unknown key, unsupported algorithms, junk.
        let other = encrypt(&public, "k2", "A256GCM", b"x");
        assert_eq!(decrypt(&set, &other), Err(JweError::UnknownKey));
        let rsa15 = format!(
            "{}.a.b.c.d",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RSA1_5","enc":"A128GCM"}"#)
        );
        assert_eq!(decrypt(&set, &rsa15), Err(JweError::Unsupported));
        for junk in ["", "a.b.c", "a.b.c.d.e", "....", "!.!.!.!.!"] {
            assert!(decrypt(&set, junk).is_err(), "{junk}");
        }
    }
}
