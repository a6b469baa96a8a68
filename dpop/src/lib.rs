//! DPoP proof checks (RFC 9449 §4.3) and JWK thumbprints (RFC 7638).
//!
//! One implementation for the authorization server (token endpoint, userinfo, the
//! REST API) and for resource servers (`portcullis-verifier`), so both refuse the
//! same proofs. What needs storage stays with the caller: remembering `jti`s within
//! the window (replay, §11.1) and issuing and checking server nonces (§8, §9).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The signature algorithms accepted in proofs (`dpop_signing_alg_values_supported`):
/// asymmetric only (§4.2: never `none` or a MAC).
pub const ALGORITHMS: &[&str] = &["ES256", "ES384", "PS256", "RS256", "EdDSA"];

/// A proof bigger than this is refused before any parsing (an RSA-4096 JWK with a
/// long `htu` stays well under it).
pub const MAX_PROOF_BYTES: usize = 4096;

/// Bound on `jti` (§4.2 asks for 96 bits of randomness; nobody needs 200 characters).
pub const MAX_JTI_CHARS: usize = 200;

/// RSA keys shorter than this are refused (RFC 7518 §3.3 asks for 2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// What the proof must say about the request it came with.
#[derive(Clone, Debug)]
pub struct Expect<'a> {
    /// The request's method (`htm`), e.g. `POST`.
    pub htm: &'a str,
    /// The request's URL as the client addressed it (`htu`); query and fragment are
    /// ignored on both sides.
    pub htu: &'a str,
    /// The access token presented with the proof: its hash must be in `ath`
    /// (§4.3 item 11). `None` at the token endpoint, where a proof must not carry one
    /// to be bound to (it is ignored there).
    pub access_token: Option<&'a str>,
    /// Now, in seconds since the epoch.
    pub now: i64,
    /// How old `iat` may be, in seconds (§11.1: a short window bounds the replay
    /// cache).
    pub max_age: i64,
    /// How far in the future `iat` may be, in seconds (clock skew).
    pub future_skew: i64,
}

/// A proof that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// The JWK SHA-256 thumbprint of the proof's key, base64url (RFC 7638): what a
    /// bound token's `cnf.jkt` holds.
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
    /// The server nonce the client echoed, if any.
    pub nonce: Option<String>,
}

/// Why a proof was refused. The messages are safe to show to the client.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("the DPoP proof is not a compact JWS")]
    Malformed,
    #[error("the DPoP proof is too large")]
    TooLarge,
    #[error("the DPoP proof's typ must be dpop+jwt")]
    WrongType,
    #[error(
        "the DPoP proof's alg is not supported (use one of ES256, ES384, PS256, RS256, EdDSA)"
    )]
    UnsupportedAlgorithm,
    #[error("the DPoP proof's jwk is missing, private or unusable")]
    BadKey,
    #[error("the DPoP proof's signature is invalid")]
    BadSignature,
    #[error("the DPoP proof's htm does not match the request method")]
    WrongMethod,
    #[error("the DPoP proof's htu does not match the request URL")]
    WrongUri,
    #[error("the DPoP proof's iat is outside the accepted window")]
    Stale,
    #[error("the DPoP proof has no usable jti")]
    MissingJti,
    #[error("the DPoP proof's ath does not match the access token")]
    WrongTokenHash,
}

/// Checks `proof` (the value of the `DPoP` header) against the request.
pub fn verify(proof: &str, expect: &Expect<'_>) -> Result<Proof, ProofError> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(ProofError::TooLarge);
    }
    let mut parts = proof.split('.');
    let (Some(head), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ProofError::Malformed);
    };
    let header: Value = URL_SAFE_NO_PAD
        .decode(head)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(ProofError::Malformed)?;
    // §4.3 item 4: explicit typing, compared exactly (RFC 9449 §4.2 names it in
    // lower case).
    if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err(ProofError::WrongType);
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(algorithm)
        .ok_or(ProofError::UnsupportedAlgorithm)?;
    let jwk = header.get("jwk").ok_or(ProofError::BadKey)?;
    let key = public_key(jwk, alg)?;
    let jkt = thumbprint(jwk)?;

    let mut v = Validation::new(alg);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(proof, &key, &v)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => ProofError::BadSignature,
            _ => ProofError::Malformed,
        })?
        .claims;

    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let jti = text("jti")
        .filter(|j| !j.is_empty() && j.chars().count() <= MAX_JTI_CHARS)
        .ok_or(ProofError::MissingJti)?;
    // §4.3 item 8: the method, case-sensitively (methods are).
    if text("htm") != Some(expect.htm) {
        return Err(ProofError::WrongMethod);
    }
    if !text("htu").is_some_and(|u| same_htu(u, expect.htu)) {
        return Err(ProofError::WrongUri);
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(ProofError::Stale)?;
    if iat < expect.now - expect.max_age || iat > expect.now + expect.future_skew {
        return Err(ProofError::Stale);
    }
    if let Some(token) = expect.access_token {
        // §4.3 item 11; compared in constant time (it is derived from a secret).
        let expected = ath(token);
        let given = text("ath").unwrap_or("");
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(ProofError::WrongTokenHash);
        }
    }
    Ok(Proof {
        jkt,
        jti: jti.to_owned(),
        iat,
        nonce: text("nonce").map(str::to_owned),
    })
}

fn algorithm(name: &str) -> Option<Algorithm> {
    Some(match name {
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "PS256" => Algorithm::PS256,
        "RS256" => Algorithm::RS256,
        "EdDSA" => Algorithm::EdDSA,
        _ => return None,
    })
}

/// The verification key from the header's JWK, which must be a public key of the
/// family `alg` names (§4.3 item 6: "the jwk JOSE Header Parameter does not contain
/// a private key").
fn public_key(jwk: &Value, alg: Algorithm) -> Result<DecodingKey, ProofError> {
    let obj = jwk.as_object().ok_or(ProofError::BadKey)?;
    const PRIVATE: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];
    if PRIVATE.iter().any(|m| obj.contains_key(*m)) {
        return Err(ProofError::BadKey);
    }
    let s = |name: &str| obj.get(name).and_then(Value::as_str);
    let key = match (s("kty"), alg) {
        (Some("EC"), Algorithm::ES256 | Algorithm::ES384) => {
            let curve = if alg == Algorithm::ES256 {
                "P-256"
            } else {
                "P-384"
            };
            if s("crv") != Some(curve) {
                return Err(ProofError::BadKey);
            }
            DecodingKey::from_ec_components(
                s("x").ok_or(ProofError::BadKey)?,
                s("y").ok_or(ProofError::BadKey)?,
            )
        }
        (Some("RSA"), Algorithm::RS256 | Algorithm::PS256) => {
            let n = s("n").ok_or(ProofError::BadKey)?;
            let modulus = URL_SAFE_NO_PAD.decode(n).map_err(|_| ProofError::BadKey)?;
            let significant = modulus.iter().skip_while(|b| **b == 0).count();
            if significant < MIN_RSA_MODULUS_BYTES {
                return Err(ProofError::BadKey);
            }
            DecodingKey::from_rsa_components(n, s("e").ok_or(ProofError::BadKey)?)
        }
        (Some("OKP"), Algorithm::EdDSA) => {
            if s("crv") != Some("Ed25519") {
                return Err(ProofError::BadKey);
            }
            DecodingKey::from_ed_components(s("x").ok_or(ProofError::BadKey)?)
        }
        _ => return Err(ProofError::BadKey),
    };
    key.map_err(|_| ProofError::BadKey)
}

/// The JWK SHA-256 thumbprint (RFC 7638 §3): the required members in lexicographic
/// order, no whitespace, hashed, base64url.
pub fn thumbprint(jwk: &Value) -> Result<String, ProofError> {
    let member = |name: &str| -> Result<String, ProofError> {
        let v = jwk
            .get(name)
            .and_then(Value::as_str)
            .ok_or(ProofError::BadKey)?;
        serde_json::to_string(v).map_err(|_| ProofError::BadKey)
    };
    let canonical = match jwk.get("kty").and_then(Value::as_str) {
        Some("EC") => format!(
            r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
            member("crv")?,
            member("x")?,
            member("y")?
        ),
        Some("RSA") => format!(
            r#"{{"e":{},"kty":"RSA","n":{}}}"#,
            member("e")?,
            member("n")?
        ),
        Some("OKP") => format!(
            r#"{{"crv":{},"kty":"OKP","x":{}}}"#,
            member("crv")?,
            member("x")?
        ),
        _ => return Err(ProofError::BadKey),
    };
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

/// `ath` (§4.2): base64url of the SHA-256 of the access token's ASCII.
pub fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// Whether two `htu` values name the same resource (§4.3 item 9): scheme, host and
/// port after RFC 3986 §6.2.2–6.2.3 normalisation (case, default port, dot
/// segments), and the path; query and fragment ignored.
pub fn same_htu(a: &str, b: &str) -> bool {
    let (Ok(a), Ok(b)) = (url::Url::parse(a), url::Url::parse(b)) else {
        return false;
    };
    a.scheme() == b.scheme()
        && a.host_str().is_some()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path() == b.path()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests;
