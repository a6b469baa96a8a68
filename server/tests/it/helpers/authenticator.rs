//! A software WebAuthn authenticator, as a browser and a platform authenticator
//! would answer the server's options together: ES256 (P-256) keys from `ring`,
//! attestation "none", a signature counter, and knobs to break one thing at a
//! time (the flags, the RP ID it hashes, the type of the client data).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::value::Value as Cbor;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// User present.
pub const UP: u8 = 0x01;
/// User verified.
pub const UV: u8 = 0x04;
/// Attested credential data included.
const AT: u8 = 0x40;

pub struct Authenticator {
    pub credential_id: Vec<u8>,
    pkcs8: Vec<u8>,
    key: EcdsaKeyPair,
    pub sign_count: u32,
    /// The user handle it keeps with the credential (the options' `user.id`).
    pub user_handle: Vec<u8>,
    /// The RP ID it hashes: the options' (`rp.id`, `rpId`) unless set here.
    pub rp_id: Option<String>,
    /// The authenticator data's flags (AT is added when registering).
    pub flags: u8,
    /// The client data's `type`, instead of `webauthn.create`/`webauthn.get`.
    pub client_type: Option<String>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The options themselves, whether the server sent them bare, under
/// `publicKey`, or as a JSON string.
pub fn public_key(options: &Value) -> Value {
    let v = match options.as_str() {
        Some(text) => serde_json::from_str(text).expect("options are JSON"),
        None => options.clone(),
    };
    v.get("publicKey").cloned().unwrap_or(v)
}

impl Default for Authenticator {
    fn default() -> Self {
        Self::new()
    }
}

impl Authenticator {
    /// A new device with a fresh key and credential ID, holding no credential yet.
    pub fn new() -> Authenticator {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .unwrap()
            .as_ref()
            .to_vec();
        let mut credential_id = vec![0u8; 32];
        rng.fill(&mut credential_id).unwrap();
        Self::from_parts(credential_id, pkcs8, 0, Vec::new())
    }

    fn from_parts(credential_id: Vec<u8>, pkcs8: Vec<u8>, count: u32, user: Vec<u8>) -> Self {
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            &pkcs8,
            &SystemRandom::new(),
        )
        .unwrap();
        Authenticator {
            credential_id,
            pkcs8,
            key,
            sign_count: count,
            user_handle: user,
            rp_id: None,
            flags: UP | UV,
            client_type: None,
        }
    }

    /// A copy of this device, key and counter included (a cloned authenticator).
    pub fn clone_device(&self) -> Authenticator {
        Self::from_parts(
            self.credential_id.clone(),
            self.pkcs8.clone(),
            self.sign_count,
            self.user_handle.clone(),
        )
    }

    /// A device that claims this one's credential (ID, user handle, counter)
    /// but signs with a key of its own.
    pub fn impostor(&self) -> Authenticator {
        let mut other = Authenticator::new();
        other.credential_id = self.credential_id.clone();
        other.user_handle = self.user_handle.clone();
        other.sign_count = self.sign_count;
        other
    }

    /// The credential's ID as the server sees it (base64url).
    pub fn id(&self) -> String {
        b64(&self.credential_id)
    }

    fn client_data(&self, kind: &str, options: &Value, origin: &str) -> Vec<u8> {
        let kind = self.client_type.as_deref().unwrap_or(kind);
        serde_json::to_vec(&json!({
            "type": kind,
            "challenge": options["challenge"].as_str().expect("a challenge"),
            "origin": origin,
            "crossOrigin": false,
        }))
        .unwrap()
    }

    fn auth_data(&self, rp_id: &str, flags: u8) -> Vec<u8> {
        let rp_id = self.rp_id.as_deref().unwrap_or(rp_id);
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend_from_slice(&self.sign_count.to_be_bytes());
        data
    }

    /// The credential public key as a COSE_Key (RFC 9053): EC2, ES256, P-256.
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.public_key().as_ref();
        assert_eq!(point.len(), 65, "an uncompressed P-256 point");
        let int = |i: i64| Cbor::Integer(i.into());
        cbor(&Cbor::Map(vec![
            (int(1), int(2)),
            (int(3), int(-7)),
            (int(-1), int(1)),
            (int(-2), Cbor::Bytes(point[1..33].to_vec())),
            (int(-3), Cbor::Bytes(point[33..].to_vec())),
        ]))
    }

    /// `navigator.credentials.create()`: the credential JSON the page posts.
    pub fn register(&mut self, options: &Value, origin: &str) -> String {
        let options = public_key(options);
        self.user_handle = URL_SAFE_NO_PAD
            .decode(options["user"]["id"].as_str().expect("a user id"))
            .expect("user.id is base64url");
        let rp_id = options["rp"]["id"].as_str().expect("an RP ID").to_owned();
        let client_data = self.client_data("webauthn.create", &options, origin);
        let mut auth_data = self.auth_data(&rp_id, self.flags | AT);
        auth_data.extend_from_slice(&[0u8; 16]); // AAGUID: none
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&self.cose_key());
        let text = |s: &str| Cbor::Text(s.to_owned());
        let attestation = cbor(&Cbor::Map(vec![
            (text("fmt"), text("none")),
            (text("attStmt"), Cbor::Map(vec![])),
            (text("authData"), Cbor::Bytes(auth_data)),
        ]));
        json!({
            "id": self.id(),
            "rawId": self.id(),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&attestation),
                "transports": ["internal"],
            },
        })
        .to_string()
    }

    /// `navigator.credentials.get()`: the assertion JSON the page posts. The
    /// counter goes up first, as a device's does with each use.
    pub fn assert(&mut self, options: &Value, origin: &str) -> String {
        let options = public_key(options);
        self.sign_count += 1;
        let rp_id = options["rpId"].as_str().expect("an RP ID").to_owned();
        let client_data = self.client_data("webauthn.get", &options, origin);
        let auth_data = self.auth_data(&rp_id, self.flags);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        json!({
            "id": self.id(),
            "rawId": self.id(),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.as_ref()),
                "userHandle": b64(&self.user_handle),
            },
        })
        .to_string()
    }
}

fn cbor(v: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}
