use std::collections::HashMap;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};

use super::*;
use crate::oauth::keys::{KeySet, ENC_ALG};

fn server_keys() -> (KeySet, rsa::RsaPublicKey) {
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

fn rsa_jwk(key: &rsa::RsaPublicKey, extra: Value) -> Value {
    let mut jwk = json!({
        "kty": "RSA",
        "kid": "k1",
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    });
    for (k, v) in extra.as_object().unwrap() {
        jwk[k] = v.clone();
    }
    jwk
}

/// What this server seals to an RSA key, its own request-object opener opens
/// (both directions over one content encryption); the independent check (a JWE
/// library in Node) is in the integration and browser tests.
#[test]
fn sealed_to_rsa_opens_and_tampering_is_refused() {
    let (set, public) = server_keys();
    let to = Recipient::from_jwk(&rsa_jwk(&public, json!({})), ENC_ALG).unwrap();
    for enc in ENCS {
        let jwe = seal(&to, ENC_ALG, enc, b"hello", Some("JWT")).unwrap();
        assert!(is_jwe(&jwe));
        let (plain, header) = decrypt(&set, &jwe).unwrap();
        assert_eq!(plain, b"hello", "{enc}");
        assert_eq!(header["cty"], "JWT");
        assert_eq!(header["enc"], *enc);
        assert_eq!(header["kid"], "k1");

        let parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
        // Another ciphertext, the same tag: the tag check fails.
        let mut other = parts.clone();
        other[3] = URL_SAFE_NO_PAD.encode(b"0123456789abcdef");
        assert_eq!(
            decrypt(&set, &other.join(".")),
            Err(JweError::Undecryptable)
        );
        // A changed protected header (it is the AAD).
        let mut other = parts.clone();
        other[0] =
            URL_SAFE_NO_PAD.encode(json!({ "alg": ENC_ALG, "enc": enc, "kid": "k1" }).to_string());
        assert_eq!(
            decrypt(&set, &other.join(".")),
            Err(JweError::Undecryptable)
        );
        // A cut tag.
        let mut other = parts.clone();
        other[4] = URL_SAFE_NO_PAD.encode(b"short");
        assert_eq!(
            decrypt(&set, &other.join(".")),
            Err(JweError::Undecryptable)
        );
    }
}

#[test]
fn opening_refuses_unknown_keys_algorithms_and_junk() {
    let (set, public) = server_keys();
    let mut jwk = rsa_jwk(&public, json!({}));
    jwk["kid"] = json!("k2");
    let to = Recipient::from_jwk(&jwk, ENC_ALG).unwrap();
    let other = seal(&to, ENC_ALG, "A256GCM", b"x", None).unwrap();
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

#[test]
fn the_key_to_encrypt_to_is_chosen_by_use_type_and_alg() {
    let (_, public) = server_keys();
    let small =
        rsa::RsaPublicKey::from(&rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 1024).unwrap());
    let sig = rsa_jwk(&public, json!({ "use": "sig", "kid": "s" }));
    let enc = rsa_jwk(&public, json!({ "use": "enc", "kid": "e" }));
    let bare = rsa_jwk(&public, json!({ "kid": "b" }));
    // A signing key is never used; a key marked for encryption comes first.
    let chosen = Recipient::choose(&[sig.clone(), bare.clone(), enc], "RSA-OAEP").unwrap();
    let jwe = seal(&chosen, "RSA-OAEP", "A128GCM", b"x", None).unwrap();
    let head: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwe.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(head["kid"], "e");
    assert!(Recipient::choose(std::slice::from_ref(&sig), "RSA-OAEP").is_err());
    // Wrong type, another alg, no encryption in key_ops, too small, unsupported alg.
    assert!(Recipient::choose(std::slice::from_ref(&bare), "ECDH-ES").is_err());
    let other_alg = rsa_jwk(&public, json!({ "alg": "RSA-OAEP" }));
    assert!(Recipient::from_jwk(&other_alg, "RSA-OAEP-256").is_err());
    let verify_only = rsa_jwk(&public, json!({ "key_ops": ["verify"] }));
    assert!(Recipient::from_jwk(&verify_only, "RSA-OAEP-256").is_err());
    assert!(Recipient::from_jwk(&rsa_jwk(&small, json!({})), "RSA-OAEP-256").is_err());
    assert_eq!(
        Recipient::choose(std::slice::from_ref(&bare), "RSA1_5").unwrap_err(),
        JweError::Unsupported
    );
}

#[test]
fn ec_keys_must_be_points_on_their_curve() {
    let rng = ring::rand::SystemRandom::new();
    let k =
        ring::agreement::EphemeralPrivateKey::generate(&ring::agreement::ECDH_P256, &rng).unwrap();
    let point = k.compute_public_key().unwrap();
    let p = point.as_ref();
    let jwk = |x: &[u8], y: &[u8]| json!({ "kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y) });
    let good = jwk(&p[1..33], &p[33..]);
    for alg in ["ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A256KW"] {
        let to = Recipient::from_jwk(&good, alg).unwrap();
        for enc in ENCS {
            let jwe = seal(&to, alg, enc, b"x", None).unwrap();
            let head: Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(jwe.split('.').next().unwrap())
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(head["epk"]["crv"], "P-256");
            // Direct agreement carries no encrypted key; key wrapping does.
            assert_eq!(jwe.split('.').nth(1).unwrap().is_empty(), alg == "ECDH-ES");
        }
    }
    let mut y = p[33..].to_vec();
    y[31] ^= 1;
    assert!(Recipient::from_jwk(&jwk(&p[1..33], &y), "ECDH-ES").is_err());
    assert!(Recipient::from_jwk(&jwk(&p[1..32], &p[33..]), "ECDH-ES").is_err());
}

/// RFC 7518 §4.6.2: the Concat KDF's output length and inputs all count.
#[test]
fn concat_kdf_depends_on_every_input() {
    let z = [7u8; 32];
    let a = super::seal::concat_kdf(&z, "A128GCM", b"", b"", 128);
    assert_eq!(a.len(), 16);
    assert_eq!(
        super::seal::concat_kdf(&z, "A256CBC-HS512", b"", b"", 512).len(),
        64
    );
    assert_ne!(a, super::seal::concat_kdf(&z, "A256GCM", b"", b"", 128));
    assert_ne!(
        a,
        super::seal::concat_kdf(&z, "A128GCM", b"Alice", b"", 128)
    );
    assert_ne!(
        a,
        super::seal::concat_kdf(&[8u8; 32], "A128GCM", b"", b"", 128)
    );
    assert_eq!(a, super::seal::concat_kdf(&z, "A128GCM", b"", b"", 128));
}
