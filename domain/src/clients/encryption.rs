//! The encryption a client registers (OpenID Connect Registration §2): what this
//! server encrypts to the client's public key — ID tokens
//! (`id_token_encrypted_response_alg`/`_enc`) and userinfo responses
//! (`userinfo_encrypted_response_alg`/`_enc`), signed then encrypted — and how the
//! client encrypts its request objects to this server
//! (`request_object_encryption_alg`/`_enc`).
//!
//! Each is a pair. An `enc` without its `alg` is refused (it names no key
//! management); an `alg` without an `enc` gets the default the specification
//! names, `A128CBC-HS256`. Changing an `alg` without sending its `enc` resets the
//! `enc` to that default. Encrypting to the client needs a key of its own for it:
//! with inline `jwks` one must be there now; with a `jwks_uri` it is looked for
//! when a token is issued.

use serde_json::Value;

use super::model::ClientMetadata;
use crate::oauth::jwe;
use crate::DomainError;

/// An edit of the six fields: `None` keeps a field as it is, `Some(None)` clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncryptionPatch {
    pub id_token_encrypted_response_alg: Option<Option<String>>,
    pub id_token_encrypted_response_enc: Option<Option<String>>,
    pub userinfo_encrypted_response_alg: Option<Option<String>>,
    pub userinfo_encrypted_response_enc: Option<Option<String>>,
    pub request_object_encryption_alg: Option<Option<String>>,
    pub request_object_encryption_enc: Option<Option<String>>,
}

/// An `alg` and its `enc`: both set, or neither.
pub type Pair = (Option<String>, Option<String>);

/// The three pairs after an edit.
pub struct Resolved {
    pub id_token: Pair,
    pub userinfo: Pair,
    pub request_object: Pair,
}

/// Where the client's public keys are, for checking that it has one to encrypt to.
pub enum Keys<'a> {
    Inline(&'a Value),
    AtUri,
    Missing,
}

impl EncryptionPatch {
    /// Every field of `m` (what a form showing them all sends).
    pub fn all(m: &ClientMetadata) -> Self {
        Self {
            id_token_encrypted_response_alg: Some(m.id_token_encrypted_response_alg.clone()),
            id_token_encrypted_response_enc: Some(m.id_token_encrypted_response_enc.clone()),
            userinfo_encrypted_response_alg: Some(m.userinfo_encrypted_response_alg.clone()),
            userinfo_encrypted_response_enc: Some(m.userinfo_encrypted_response_enc.clone()),
            request_object_encryption_alg: Some(m.request_object_encryption_alg.clone()),
            request_object_encryption_enc: Some(m.request_object_encryption_enc.clone()),
        }
    }

    /// The pairs of `base` with this edit, and every problem found (one per field).
    pub fn apply(self, base: &ClientMetadata, keys: Keys<'_>) -> (Resolved, Vec<DomainError>) {
        let mut problems = Vec::new();
        let mut to_client = |alg_field, enc_field, alg, enc, base_alg, base_enc| {
            let p = pair(
                (alg_field, enc_field),
                (alg, enc),
                (base_alg, base_enc),
                jwe::SEAL_ALGS,
                &mut problems,
            );
            if let Some(alg) = &p.0 {
                if let Some(e) = key_problem(alg_field, alg, &keys) {
                    problems.push(e);
                }
            }
            p
        };
        let id_token = to_client(
            "id_token_encrypted_response_alg",
            "id_token_encrypted_response_enc",
            self.id_token_encrypted_response_alg,
            self.id_token_encrypted_response_enc,
            &base.id_token_encrypted_response_alg,
            &base.id_token_encrypted_response_enc,
        );
        let userinfo = to_client(
            "userinfo_encrypted_response_alg",
            "userinfo_encrypted_response_enc",
            self.userinfo_encrypted_response_alg,
            self.userinfo_encrypted_response_enc,
            &base.userinfo_encrypted_response_alg,
            &base.userinfo_encrypted_response_enc,
        );
        let request_object = pair(
            (
                "request_object_encryption_alg",
                "request_object_encryption_enc",
            ),
            (
                self.request_object_encryption_alg,
                self.request_object_encryption_enc,
            ),
            (
                &base.request_object_encryption_alg,
                &base.request_object_encryption_enc,
            ),
            jwe::ALGS,
            &mut problems,
        );
        (
            Resolved {
                id_token,
                userinfo,
                request_object,
            },
            problems,
        )
    }
}

fn nonempty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// A value named back in an error: short and printable, whatever was sent.
fn shown(v: &str) -> String {
    let mut s: String = v.chars().take(limits::JWS_ALG).collect();
    if s.len() < v.len() {
        s.push('…');
    }
    format!("{:?}", s)
}

fn pair(
    (alg_field, enc_field): (&'static str, &'static str),
    (alg, enc): (Option<Option<String>>, Option<Option<String>>),
    (base_alg, base_enc): (&Option<String>, &Option<String>),
    algs: &[&str],
    problems: &mut Vec<DomainError>,
) -> Pair {
    let alg_sent = alg.is_some();
    let alg = nonempty(alg.unwrap_or_else(|| base_alg.clone()));
    let enc = match enc {
        Some(v) => nonempty(v),
        // A new alg starts from the default enc unless one is sent with it.
        None if alg_sent => None,
        None => base_enc.clone(),
    };
    let Some(alg) = alg else {
        if enc.is_some() {
            problems.push(DomainError::invalid(
                enc_field,
                format!("needs {alg_field} too: an enc alone names no key management (OpenID Connect Registration §2)"),
            ));
        }
        return (None, None);
    };
    if !algs.contains(&alg.as_str()) {
        problems.push(DomainError::invalid(
            alg_field,
            format!(
                "{} is not supported: choose {}",
                shown(&alg),
                algs.join(", ")
            ),
        ));
    }
    let enc = enc.unwrap_or_else(|| jwe::DEFAULT_ENC.to_owned());
    if !jwe::ENCS.contains(&enc.as_str()) {
        problems.push(DomainError::invalid(
            enc_field,
            format!(
                "{} is not supported: choose {}",
                shown(&enc),
                jwe::ENCS.join(", ")
            ),
        ));
    }
    (Some(alg), Some(enc))
}

/// Why the client has no key this server could encrypt to with `alg`, if so.
fn key_problem(field: &'static str, alg: &str, keys: &Keys<'_>) -> Option<DomainError> {
    if !jwe::SEAL_ALGS.contains(&alg) {
        return None;
    }
    match keys {
        Keys::AtUri => None,
        Keys::Missing => Some(DomainError::invalid(
            field,
            "encrypting to the client needs its public key: set jwks or jwks_uri",
        )),
        Keys::Inline(set) => {
            let keys = set.get("keys").and_then(Value::as_array)?;
            jwe::Recipient::choose(keys, alg)
                .err()
                .map(|e| DomainError::invalid(field, format!("no key of jwks can be used: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::{defaults, ApplicationType};

    fn patch(alg: Option<&str>, enc: Option<&str>) -> EncryptionPatch {
        EncryptionPatch {
            request_object_encryption_alg: alg.map(|a| Some(a.to_owned())),
            request_object_encryption_enc: enc.map(|e| Some(e.to_owned())),
            ..Default::default()
        }
    }

    #[test]
    fn pairs_default_reset_and_refuse() {
        let mut base = defaults(ApplicationType::Web);
        let (r, p) = patch(Some("RSA-OAEP-256"), None).apply(&base, Keys::Missing);
        assert!(p.is_empty());
        assert_eq!(
            r.request_object,
            (Some("RSA-OAEP-256".into()), Some("A128CBC-HS256".into()))
        );
        base.request_object_encryption_alg = Some("RSA-OAEP-256".into());
        base.request_object_encryption_enc = Some("A256GCM".into());
        // Untouched: kept; the alg sent again alone: the enc starts from the default.
        let (r, _) = EncryptionPatch::default().apply(&base, Keys::Missing);
        assert_eq!(r.request_object.1.as_deref(), Some("A256GCM"));
        let (r, _) = patch(Some("RSA-OAEP-256"), None).apply(&base, Keys::Missing);
        assert_eq!(r.request_object.1.as_deref(), Some("A128CBC-HS256"));
        // Clearing the alg clears both; an enc alone is refused.
        let cleared = EncryptionPatch {
            request_object_encryption_alg: Some(None),
            ..Default::default()
        };
        assert_eq!(
            cleared.apply(&base, Keys::Missing).0.request_object,
            (None, None)
        );
        let base = defaults(ApplicationType::Web);
        let (_, p) = patch(None, Some("A256GCM")).apply(&base, Keys::Missing);
        assert!(matches!(
            &p[..],
            [DomainError::Invalid {
                field: "request_object_encryption_enc",
                ..
            }]
        ));
        let (_, p) = patch(Some("RSA1_5"), Some("A512GCM")).apply(&base, Keys::Missing);
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn encrypting_to_the_client_needs_its_key() {
        let base = defaults(ApplicationType::Web);
        let p = EncryptionPatch {
            id_token_encrypted_response_alg: Some(Some("RSA-OAEP-256".into())),
            ..Default::default()
        };
        let (_, problems) = p.clone().apply(&base, Keys::Missing);
        assert!(matches!(
            &problems[..],
            [DomainError::Invalid {
                field: "id_token_encrypted_response_alg",
                ..
            }]
        ));
        assert!(p.clone().apply(&base, Keys::AtUri).1.is_empty());
        // An EC signing key only: nothing to encrypt to with RSA-OAEP-256.
        let set = serde_json::json!({ "keys": [{ "kty": "EC", "use": "sig", "crv": "P-256", "x": "AA", "y": "AA" }] });
        assert_eq!(p.apply(&base, Keys::Inline(&set)).1.len(), 1);
    }
}
