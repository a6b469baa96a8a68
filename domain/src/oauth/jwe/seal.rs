//! Encrypting to a client's public key (OIDC Core §10.2): the ID tokens and
//! userinfo responses of a client that registered `…_encrypted_response_alg`.
//!
//! Key management (RFC 7518 §4): `RSA-OAEP-256` and `RSA-OAEP` (§4.3) to an RSA key
//! of at least 2048 bits; `ECDH-ES` (§4.6, the agreed key is the content key) and
//! `ECDH-ES+A128KW`/`+A256KW` (the agreed key wraps a random content key) to a
//! P-256 or P-384 key, with a fresh ephemeral key per message and the Concat KDF
//! of §4.6.2 (no `apu`/`apv`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use ring::agreement;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{content, JweError};

/// The key managements a client may register (discovery's
/// `id_token_encryption_alg_values_supported` and the userinfo one).
pub const SEAL_ALGS: &[&str] = ::metadata::jwe::SEAL_ALGS;

const MIN_RSA_BITS: usize = 2048;

/// A client's public key to encrypt to, parsed from its JWK.
#[derive(Clone, Debug)]
pub struct Recipient {
    kid: Option<String>,
    key: PublicKey,
}

#[derive(Clone, Debug)]
enum PublicKey {
    Rsa(rsa::RsaPublicKey),
    Ec {
        crv: &'static str,
        curve: &'static agreement::Algorithm,
        /// The uncompressed point, 0x04 ‖ x ‖ y.
        point: Vec<u8>,
    },
}

impl Recipient {
    /// The key of a JWK Set's `keys` to encrypt to with `alg`: of the right type,
    /// for encryption (`use` absent or `enc`; `key_ops`, when given, allowing it;
    /// its own `alg`, when given, this one). Keys marked `"use": "enc"` come first;
    /// then the set's order.
    pub fn choose(keys: &[Value], alg: &str) -> Result<Recipient, JweError> {
        if !SEAL_ALGS.contains(&alg) {
            return Err(JweError::Unsupported);
        }
        let mut last_problem = None;
        let mut ordered: Vec<&Value> = keys.iter().filter(|k| use_of(k) == Some("enc")).collect();
        ordered.extend(keys.iter().filter(|k| use_of(k).is_none()));
        for k in ordered {
            match Self::from_jwk(k, alg) {
                Ok(r) => return Ok(r),
                Err(e) => last_problem = Some(e),
            }
        }
        Err(last_problem.unwrap_or_else(|| {
            JweError::BadKey(format!(
                "the client's keys hold none for encryption with {alg} (a key with \"use\": \"enc\" or no \"use\")"
            ))
        }))
    }

    /// `jwk` as a key to encrypt to with `alg`, or why it cannot be one.
    pub fn from_jwk(jwk: &Value, alg: &str) -> Result<Recipient, JweError> {
        let bad = |why: &str| JweError::BadKey(why.to_owned());
        let text = |name: &str| jwk.get(name).and_then(Value::as_str);
        if use_of(jwk).is_some_and(|u| u != "enc") {
            return Err(bad("the key is not for encryption (\"use\")"));
        }
        if let Some(ops) = jwk.get("key_ops").and_then(Value::as_array) {
            let allowed = ["encrypt", "wrapKey", "deriveKey", "deriveBits"];
            if !ops
                .iter()
                .any(|o| o.as_str().is_some_and(|o| allowed.contains(&o)))
            {
                return Err(bad("the key's key_ops do not allow encryption"));
            }
        }
        if text("alg").is_some_and(|a| a != alg) {
            return Err(bad("the key is for another algorithm (\"alg\")"));
        }
        let b64 = |name: &str| {
            text(name)
                .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
                .ok_or_else(|| bad(&format!("the key's \"{name}\" is missing or not base64url")))
        };
        let key = if alg.starts_with("RSA-OAEP") {
            if text("kty") != Some("RSA") {
                return Err(bad("RSA-OAEP needs an RSA key"));
            }
            let n = rsa::BigUint::from_bytes_be(&b64("n")?);
            let e = rsa::BigUint::from_bytes_be(&b64("e")?);
            let key = rsa::RsaPublicKey::new(n, e)
                .map_err(|_| bad("not a usable RSA public key (2048 to 4096 bits)"))?;
            if rsa::traits::PublicKeyParts::n(&key).bits() < MIN_RSA_BITS {
                return Err(bad("RSA keys must have at least 2048 bits"));
            }
            PublicKey::Rsa(key)
        } else {
            if text("kty") != Some("EC") {
                return Err(bad("ECDH-ES needs an EC key"));
            }
            let (crv, curve, len) = match text("crv") {
                Some("P-256") => ("P-256", &agreement::ECDH_P256, 32),
                Some("P-384") => ("P-384", &agreement::ECDH_P384, 48),
                _ => return Err(bad("ECDH-ES keys must be on P-256 or P-384")),
            };
            let (x, y) = (b64("x")?, b64("y")?);
            if x.len() != len || y.len() != len {
                return Err(bad("the key's coordinates have the wrong length"));
            }
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            // A point off the curve is refused now, not at the first sign-in.
            let rng = ring::rand::SystemRandom::new();
            let probe = agreement::EphemeralPrivateKey::generate(curve, &rng)
                .map_err(|_| bad("no randomness"))?;
            agreement::agree_ephemeral(
                probe,
                &agreement::UnparsedPublicKey::new(curve, &point),
                |_| (),
            )
            .map_err(|_| bad("the key's point is not on its curve"))?;
            PublicKey::Ec { crv, curve, point }
        };
        Ok(Recipient {
            kid: text("kid").map(str::to_owned),
            key,
        })
    }
}

fn use_of(jwk: &Value) -> Option<&str> {
    jwk.get("use").and_then(Value::as_str)
}

fn random(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rand::rngs::OsRng.fill_bytes(&mut v);
    v
}

/// `plain` encrypted to `to` with `alg` and `enc`, as a compact JWE. `cty` names
/// the content type of a nested JWT (`"JWT"`, RFC 7519 §5.2).
pub fn seal(
    to: &Recipient,
    alg: &str,
    enc: &str,
    plain: &[u8],
    cty: Option<&str>,
) -> Result<String, JweError> {
    let cek_len = content::key_len(enc).ok_or(JweError::Unsupported)?;
    let mut header = Map::new();
    header.insert("alg".into(), json!(alg));
    header.insert("enc".into(), json!(enc));
    if let Some(kid) = &to.kid {
        header.insert("kid".into(), json!(kid));
    }
    if let Some(cty) = cty {
        header.insert("cty".into(), json!(cty));
    }
    let (cek, encrypted_key) = match (&to.key, alg) {
        (PublicKey::Rsa(key), "RSA-OAEP-256" | "RSA-OAEP") => {
            let cek = random(cek_len);
            let wrapped = if alg == "RSA-OAEP-256" {
                key.encrypt(&mut rand::rngs::OsRng, rsa::Oaep::new::<Sha256>(), &cek)
            } else {
                key.encrypt(&mut rand::rngs::OsRng, rsa::Oaep::new::<sha1::Sha1>(), &cek)
            }
            .map_err(|e| JweError::BadKey(e.to_string()))?;
            (cek, wrapped)
        }
        (PublicKey::Ec { crv, curve, point }, "ECDH-ES" | "ECDH-ES+A128KW" | "ECDH-ES+A256KW") => {
            // §4.6.2: the algorithm id is `enc` for direct agreement, else `alg`.
            let (id, bits) = match alg {
                "ECDH-ES" => (enc, cek_len * 8),
                "ECDH-ES+A128KW" => (alg, 128),
                _ => (alg, 256),
            };
            let rng = ring::rand::SystemRandom::new();
            let ephemeral = agreement::EphemeralPrivateKey::generate(curve, &rng)
                .map_err(|_| JweError::BadKey("no randomness".into()))?;
            let public = ephemeral
                .compute_public_key()
                .map_err(|_| JweError::BadKey("no ephemeral key".into()))?;
            let derived = agreement::agree_ephemeral(
                ephemeral,
                &agreement::UnparsedPublicKey::new(curve, point),
                |z| concat_kdf(z, id, b"", b"", bits),
            )
            .map_err(|_| JweError::BadKey("the key agreement failed".into()))?;
            let epk = public.as_ref();
            let len = (epk.len() - 1) / 2;
            header.insert(
                "epk".into(),
                json!({
                    "kty": "EC",
                    "crv": crv,
                    "x": URL_SAFE_NO_PAD.encode(&epk[1..1 + len]),
                    "y": URL_SAFE_NO_PAD.encode(&epk[1 + len..]),
                }),
            );
            if alg == "ECDH-ES" {
                (derived, Vec::new())
            } else {
                let cek = random(cek_len);
                let wrapped = if bits == 128 {
                    aes_kw::KekAes128::try_from(derived.as_slice()).and_then(|k| k.wrap_vec(&cek))
                } else {
                    aes_kw::KekAes256::try_from(derived.as_slice()).and_then(|k| k.wrap_vec(&cek))
                }
                .map_err(|_| JweError::BadKey("key wrapping failed".into()))?;
                (cek, wrapped)
            }
        }
        _ => return Err(JweError::Unsupported),
    };
    let head = URL_SAFE_NO_PAD.encode(Value::Object(header).to_string());
    // RFC 7516 §5.1 step 14: the AAD is the ASCII of the encoded protected header.
    let sealed = content::encrypt(enc, &cek, head.as_bytes(), plain)?;
    let e = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
    Ok(format!(
        "{head}.{}.{}.{}.{}",
        e(&encrypted_key),
        e(&sealed.iv),
        e(&sealed.ciphertext),
        e(&sealed.tag)
    ))
}

/// RFC 7518 §4.6.2 (NIST SP 800-56A Concat KDF with SHA-256): `bits` of key from
/// the shared secret `z`, for `alg_id`, with the parties' infos `apu` and `apv`.
pub(super) fn concat_kdf(z: &[u8], alg_id: &str, apu: &[u8], apv: &[u8], bits: usize) -> Vec<u8> {
    let field = |v: &[u8]| {
        let mut out = (v.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(v);
        out
    };
    let mut other = field(alg_id.as_bytes());
    other.extend(field(apu));
    other.extend(field(apv));
    other.extend((bits as u32).to_be_bytes());
    let mut out = Vec::with_capacity(bits / 8 + 32);
    let mut counter = 1u32;
    while out.len() < bits / 8 {
        let mut h = Sha256::new();
        h.update(counter.to_be_bytes());
        h.update(z);
        h.update(&other);
        out.extend_from_slice(&h.finalize());
        counter += 1;
    }
    out.truncate(bits / 8);
    out
}
