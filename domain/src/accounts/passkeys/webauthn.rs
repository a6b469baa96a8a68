//! The WebAuthn checks (Level 2, §7.1 registration and §7.2 authentication) of
//! what a browser returns: client data, authenticator data, the COSE public key,
//! and the assertion's signature. Attestation is not verified (we ask for
//! `none`): a passkey proves possession of its key, not its maker.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::value::Value as Cbor;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// COSE algorithm numbers we accept.
pub const ES256: i64 = -7;
pub const RS256: i64 = -257;

/// Why a credential is refused; the message is for the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub &'static str);

const MALFORMED: Refused =
    Refused("Your browser sent a passkey answer we could not read. Try again.");

/// What the pages check a credential against.
#[derive(Clone, Debug)]
pub struct Relying {
    /// The issuer's host.
    pub rp_id: String,
    /// The issuer's origin (`scheme://host[:port]`).
    pub origin: String,
}

impl Relying {
    pub fn of_issuer(issuer: &str) -> Option<Self> {
        let u = url::Url::parse(issuer).ok()?;
        let host = u.host_str()?.to_owned();
        Some(Self {
            rp_id: host,
            origin: u.origin().ascii_serialization(),
        })
    }
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(s: &str) -> Result<Vec<u8>, Refused> {
    if s.len() > 16 * 1024 {
        return Err(MALFORMED);
    }
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|_| MALFORMED)
}

/// A public key as stored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PublicKey {
    pub alg: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

/// The parts of a `PublicKeyCredential` as the page's script sends them.
#[derive(Debug, Deserialize)]
pub struct Credential {
    #[serde(rename = "rawId")]
    pub raw_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub response: Response,
}

#[derive(Debug, Deserialize)]
pub struct Response {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    #[serde(rename = "attestationObject", default)]
    pub attestation_object: Option<String>,
    #[serde(rename = "authenticatorData", default)]
    pub authenticator_data: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
    #[serde(rename = "userHandle", default)]
    pub user_handle: Option<String>,
}

impl Credential {
    pub fn parse(json: &str) -> Result<Self, Refused> {
        if json.len() > 64 * 1024 {
            return Err(MALFORMED);
        }
        let c: Credential = serde_json::from_str(json).map_err(|_| MALFORMED)?;
        if c.kind != "public-key" {
            return Err(MALFORMED);
        }
        Ok(c)
    }

    pub fn id(&self) -> Result<Vec<u8>, Refused> {
        let id = unb64(&self.raw_id)?;
        if id.is_empty() || id.len() > 1023 {
            return Err(MALFORMED);
        }
        Ok(id)
    }
}

/// The client data's checks; returns its challenge (base64url, as sent).
fn client_data(raw: &[u8], kind: &str, rp: &Relying) -> Result<String, Refused> {
    #[derive(Deserialize)]
    struct ClientData {
        #[serde(rename = "type")]
        kind: String,
        challenge: String,
        origin: String,
        #[serde(rename = "crossOrigin", default)]
        cross_origin: bool,
    }
    let c: ClientData = serde_json::from_slice(raw).map_err(|_| MALFORMED)?;
    if c.kind != kind {
        return Err(MALFORMED);
    }
    if c.origin != rp.origin || c.cross_origin {
        return Err(Refused(
            "That passkey answer was made for another site. Use this site's own page.",
        ));
    }
    Ok(c.challenge)
}

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

struct AuthData<'a> {
    flags: u8,
    sign_count: u32,
    /// Attested credential data and extensions (registration).
    rest: &'a [u8],
}

fn auth_data<'a>(raw: &'a [u8], rp: &Relying) -> Result<AuthData<'a>, Refused> {
    if raw.len() < 37 {
        return Err(MALFORMED);
    }
    let rp_hash = Sha256::digest(rp.rp_id.as_bytes());
    if raw[..32] != rp_hash[..] {
        return Err(Refused(
            "That passkey belongs to another site. Use a passkey of this site.",
        ));
    }
    let flags = raw[32];
    if flags & UP == 0 || flags & UV == 0 {
        return Err(Refused(
            "Your passkey did not check that it is you (PIN, fingerprint or face). Try again and confirm on your device.",
        ));
    }
    let sign_count = u32::from_be_bytes([raw[33], raw[34], raw[35], raw[36]]);
    Ok(AuthData {
        flags,
        sign_count,
        rest: &raw[37..],
    })
}

/// A credential to register: its id, key and counter.
#[derive(Debug)]
pub struct NewCredential {
    pub id: Vec<u8>,
    pub key: PublicKey,
    pub sign_count: u32,
    /// The challenge it answers (base64url).
    pub challenge: String,
}

/// §7.1: a registration's client data and attestation object.
pub fn registration(c: &Credential, rp: &Relying) -> Result<NewCredential, Refused> {
    let cd = unb64(&c.response.client_data_json)?;
    let challenge = client_data(&cd, "webauthn.create", rp)?;
    let att = unb64(c.response.attestation_object.as_deref().ok_or(MALFORMED)?)?;
    let att: Cbor = ciborium::from_reader(att.as_slice()).map_err(|_| MALFORMED)?;
    let auth = text_entry(&att, "authData")
        .and_then(|v| v.as_bytes().cloned())
        .ok_or(MALFORMED)?;
    let ad = auth_data(&auth, rp)?;
    if ad.flags & AT == 0 || ad.rest.len() < 18 {
        return Err(MALFORMED);
    }
    let id_len = u16::from_be_bytes([ad.rest[16], ad.rest[17]]) as usize;
    let after = &ad.rest[18..];
    if after.len() < id_len {
        return Err(MALFORMED);
    }
    let (id, mut key_bytes) = after.split_at(id_len);
    if id != c.id()?.as_slice() {
        return Err(MALFORMED);
    }
    let cose: Cbor = ciborium::from_reader(&mut key_bytes).map_err(|_| MALFORMED)?;
    let key = cose_key(&cose)?;
    Ok(NewCredential {
        id: id.to_vec(),
        key,
        sign_count: ad.sign_count,
        challenge,
    })
}

fn text_entry<'a>(v: &'a Cbor, key: &str) -> Option<&'a Cbor> {
    v.as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

fn int_entry(v: &Cbor, key: i64) -> Option<&Cbor> {
    v.as_map()?
        .iter()
        .find(|(k, _)| {
            k.as_integer()
                .and_then(|i| i64::try_from(i).ok())
                .is_some_and(|i| i == key)
        })
        .map(|(_, v)| v)
}

fn cose_key(v: &Cbor) -> Result<PublicKey, Refused> {
    let unsupported =
        Refused("That kind of passkey is not supported here (we take ES256 and RS256 keys).");
    let int = |k| {
        int_entry(v, k)
            .and_then(Cbor::as_integer)
            .and_then(|i| i64::try_from(i).ok())
    };
    let bytes = |k| int_entry(v, k).and_then(Cbor::as_bytes).cloned();
    match (int(1), int(3)) {
        (Some(2), Some(ES256)) => {
            let (x, y) = (bytes(-2).ok_or(MALFORMED)?, bytes(-3).ok_or(MALFORMED)?);
            if int(-1) != Some(1) || x.len() != 32 || y.len() != 32 {
                return Err(unsupported);
            }
            Ok(PublicKey {
                alg: ES256,
                x: Some(b64(&x)),
                y: Some(b64(&y)),
                n: None,
                e: None,
            })
        }
        (Some(3), Some(RS256)) => {
            let (n, e) = (bytes(-1).ok_or(MALFORMED)?, bytes(-2).ok_or(MALFORMED)?);
            if n.len() < 256 || n.len() > 1024 || e.is_empty() || e.len() > 8 {
                return Err(unsupported);
            }
            Ok(PublicKey {
                alg: RS256,
                n: Some(b64(&n)),
                e: Some(b64(&e)),
                x: None,
                y: None,
            })
        }
        _ => Err(unsupported),
    }
}

/// An assertion, checked but for its challenge and counter, which the caller
/// checks against what it stored.
#[derive(Debug)]
pub struct Asserted {
    pub challenge: String,
    pub sign_count: u32,
    pub user_handle: Option<Vec<u8>>,
}

/// §7.2: an assertion's client data, authenticator data and signature by `key`.
pub fn assertion(c: &Credential, key: &PublicKey, rp: &Relying) -> Result<Asserted, Refused> {
    let cd = unb64(&c.response.client_data_json)?;
    let challenge = client_data(&cd, "webauthn.get", rp)?;
    let auth = unb64(c.response.authenticator_data.as_deref().ok_or(MALFORMED)?)?;
    let ad = auth_data(&auth, rp)?;
    let sig = unb64(c.response.signature.as_deref().ok_or(MALFORMED)?)?;
    let mut signed = auth.clone();
    signed.extend_from_slice(&Sha256::digest(&cd));
    if !verify(key, &signed, &sig) {
        return Err(Refused("That passkey's signature is not right. Try again."));
    }
    let user_handle = match c.response.user_handle.as_deref() {
        Some(h) if !h.is_empty() => Some(unb64(h)?),
        _ => None,
    };
    Ok(Asserted {
        challenge,
        sign_count: ad.sign_count,
        user_handle,
    })
}

fn verify(key: &PublicKey, msg: &[u8], sig: &[u8]) -> bool {
    use ring::signature::{self, UnparsedPublicKey};
    let dec = |s: &Option<String>| s.as_deref().and_then(|s| unb64(s).ok());
    match key.alg {
        ES256 => {
            let (Some(x), Some(y)) = (dec(&key.x), dec(&key.y)) else {
                return false;
            };
            let mut point = vec![0x04];
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, point)
                .verify(msg, sig)
                .is_ok()
        }
        RS256 => {
            let (Some(n), Some(e)) = (dec(&key.n), dec(&key.e)) else {
                return false;
            };
            signature::RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, msg, sig)
                .is_ok()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rp() -> Relying {
        Relying::of_issuer("https://login.example.edu").unwrap()
    }

    #[test]
    fn the_origin_and_rp_id_come_from_the_issuer() {
        let r = Relying::of_issuer("http://localhost:3000").unwrap();
        assert_eq!(r.rp_id, "localhost");
        assert_eq!(r.origin, "http://localhost:3000");
        assert_eq!(rp().origin, "https://login.example.edu");
    }

    #[test]
    fn client_data_for_another_origin_or_ceremony_is_refused() {
        let cd = |kind: &str, origin: &str| {
            serde_json::json!({"type": kind, "challenge": "abc", "origin": origin}).to_string()
        };
        assert_eq!(
            client_data(
                cd("webauthn.get", "https://login.example.edu").as_bytes(),
                "webauthn.get",
                &rp()
            ),
            Ok("abc".into())
        );
        assert!(client_data(
            cd("webauthn.get", "https://evil.example").as_bytes(),
            "webauthn.get",
            &rp()
        )
        .is_err());
        assert!(client_data(
            cd("webauthn.create", "https://login.example.edu").as_bytes(),
            "webauthn.get",
            &rp()
        )
        .is_err());
    }

    #[test]
    fn authenticator_data_needs_our_rp_id_presence_and_verification() {
        let mut raw = Sha256::digest(b"login.example.edu").to_vec();
        raw.push(UP | UV);
        raw.extend_from_slice(&7u32.to_be_bytes());
        assert_eq!(auth_data(&raw, &rp()).unwrap().sign_count, 7);
        raw[32] = UP;
        assert!(auth_data(&raw, &rp()).is_err(), "no user verification");
        raw[32] = UP | UV;
        raw[0] ^= 1;
        assert!(auth_data(&raw, &rp()).is_err(), "another rp id");
        assert!(auth_data(&raw[..20], &rp()).is_err());
    }
}
