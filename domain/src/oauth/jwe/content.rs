//! Content encryption (RFC 7518 §5): AES-GCM (§5.3) and AES-CBC with
//! HMAC-SHA-2 (§5.2), with the encoded protected header as additional data.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm, Nonce};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::JweError;

/// The content encryptions accepted and offered (discovery's
/// `…_encryption_enc_values_supported`).
pub const ENCS: &[&str] = ::metadata::jwe::ENCS;

/// OIDC Registration §2: the `enc` when a client names only an `alg`.
pub const DEFAULT_ENC: &str = ::metadata::jwe::DEFAULT_ENC;

/// Bytes of the content encryption key `enc` needs (for CBC-HS, the MAC key and
/// the encryption key together, §5.2.2.1).
pub(super) fn key_len(enc: &str) -> Option<usize> {
    match enc {
        "A128GCM" => Some(16),
        "A256GCM" => Some(32),
        "A128CBC-HS256" => Some(32),
        "A256CBC-HS512" => Some(64),
        _ => None,
    }
}

/// The initialization vector, ciphertext and authentication tag of one message.
pub(super) struct Sealed {
    pub iv: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub tag: Vec<u8>,
}

fn random(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rand::rngs::OsRng.fill_bytes(&mut v);
    v
}

/// Encrypts `plain` under `cek` (of [`key_len`] bytes) with a fresh IV.
pub(super) fn encrypt(enc: &str, cek: &[u8], aad: &[u8], plain: &[u8]) -> Result<Sealed, JweError> {
    if key_len(enc) != Some(cek.len()) {
        return Err(JweError::Unsupported);
    }
    match enc {
        "A128GCM" | "A256GCM" => {
            let iv = random(12);
            let payload = Payload { msg: plain, aad };
            let nonce = Nonce::from_slice(&iv);
            let mut out = if enc == "A128GCM" {
                Aes128Gcm::new_from_slice(cek).map(|c| c.encrypt(nonce, payload))
            } else {
                Aes256Gcm::new_from_slice(cek).map(|c| c.encrypt(nonce, payload))
            }
            .map_err(|_| JweError::Unsupported)?
            .map_err(|_| JweError::Unsupported)?;
            let tag = out.split_off(out.len() - 16);
            Ok(Sealed {
                iv,
                ciphertext: out,
                tag,
            })
        }
        _ => {
            let half = cek.len() / 2;
            let (mac_key, enc_key) = cek.split_at(half);
            let iv = random(16);
            let ciphertext = if half == 16 {
                cbc::Encryptor::<aes::Aes128>::new_from_slices(enc_key, &iv)
                    .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(plain))
            } else {
                cbc::Encryptor::<aes::Aes256>::new_from_slices(enc_key, &iv)
                    .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(plain))
            }
            .map_err(|_| JweError::Unsupported)?;
            let tag = cbc_tag(mac_key, aad, &iv, &ciphertext);
            Ok(Sealed {
                iv,
                ciphertext,
                tag,
            })
        }
    }
}

/// RFC 7518 §5.2.2.1 steps 4–6: HMAC over AAD ‖ IV ‖ ciphertext ‖ AL (the AAD's
/// length in bits, 64-bit big-endian), its first half the tag. The MAC key's
/// length says which hash (16 bytes: SHA-256, 32: SHA-512).
fn cbc_tag(mac_key: &[u8], aad: &[u8], iv: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    let al = ((aad.len() as u64) * 8).to_be_bytes();
    let full = if mac_key.len() == 16 {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(mac_key).expect("any key length");
        for part in [aad, iv, ciphertext, &al[..]] {
            m.update(part);
        }
        m.finalize().into_bytes().to_vec()
    } else {
        let mut m = <Hmac<Sha512> as Mac>::new_from_slice(mac_key).expect("any key length");
        for part in [aad, iv, ciphertext, &al[..]] {
            m.update(part);
        }
        m.finalize().into_bytes().to_vec()
    };
    full[..mac_key.len()].to_vec()
}

/// Decrypts and authenticates; None for any failure (which one is not said). For
/// CBC-HS the tag is checked, in constant time, before any decryption (§5.2.2.2).
pub(super) fn decrypt(
    enc: &str,
    cek: &[u8],
    aad: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Option<Vec<u8>> {
    if key_len(enc) != Some(cek.len()) {
        return None;
    }
    match enc {
        "A128GCM" | "A256GCM" => {
            if iv.len() != 12 || tag.len() != 16 {
                return None;
            }
            let mut sealed = ciphertext.to_vec();
            sealed.extend_from_slice(tag);
            let payload = Payload { msg: &sealed, aad };
            let nonce = Nonce::from_slice(iv);
            if enc == "A128GCM" {
                Aes128Gcm::new_from_slice(cek)
                    .ok()?
                    .decrypt(nonce, payload)
                    .ok()
            } else {
                Aes256Gcm::new_from_slice(cek)
                    .ok()?
                    .decrypt(nonce, payload)
                    .ok()
            }
        }
        _ => {
            let half = cek.len() / 2;
            let (mac_key, enc_key) = cek.split_at(half);
            if iv.len() != 16 || tag.len() != half {
                return None;
            }
            let expected = cbc_tag(mac_key, aad, iv, ciphertext);
            if !bool::from(expected.ct_eq(tag)) {
                return None;
            }
            if half == 16 {
                cbc::Decryptor::<aes::Aes128>::new_from_slices(enc_key, iv)
                    .ok()?
                    .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
                    .ok()
            } else {
                cbc::Decryptor::<aes::Aes256>::new_from_slices(enc_key, iv)
                    .ok()?
                    .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
                    .ok()
            }
        }
    }
}
