//! The `claims` request parameter (OpenID Connect Core §5.5): claims asked for one
//! by one, for the ID token (`id_token`) and for userinfo (`userinfo`), each
//! `null` or `{essential, value, values}` (§5.5.1).
//!
//! Parsed once at the authorization endpoint (from the query, a pushed request or
//! a request object), bounded, kept with the code in this normalised form and
//! carried along the refresh family: what is released never depends on the
//! client sending it again.
//!
//! What it releases: a claim asked for is released when the granted scopes
//! already release it, or when it is one of the client's approved
//! [`requestable_claims`](metadata::ClientMetadata::requestable_claims). Anything
//! else is left out silently — §5.5: not an error, even when `essential` — and so
//! is a claim whose `value`/`values` does not match the person's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Bounds of the parameter: its length (as sent), the claims it names in all,
/// the length of a claim name, of a `values` list and of one value.
pub const MAX_BYTES: usize = 4096;
pub const MAX_CLAIMS: usize = 32;
pub const MAX_NAME: usize = 64;
pub const MAX_VALUES: usize = 16;
pub const MAX_VALUE: usize = 256;

/// One claim asked for (§5.5.1): `null` is the default (voluntary, any value).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimAsk {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub essential: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

impl ClaimAsk {
    /// Whether `actual` is what was asked for (no `value`/`values`: any value).
    pub fn accepts(&self, actual: &Value) -> bool {
        if let Some(v) = &self.value {
            if v != actual {
                return false;
            }
        }
        if let Some(vs) = &self.values {
            if !vs.contains(actual) {
                return false;
            }
        }
        true
    }
}

/// A parsed, bounded `claims` parameter.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub userinfo: BTreeMap<String, ClaimAsk>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub id_token: BTreeMap<String, ClaimAsk>,
}

impl ClaimsRequest {
    /// Parses the parameter as sent (a JSON object; in a request object it is an
    /// object already, serialised again by the caller). The error says what is
    /// wrong, for `invalid_request`'s description.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() > MAX_BYTES {
            return Err(format!(
                "the claims parameter is longer than {MAX_BYTES} bytes"
            ));
        }
        let v: Value = serde_json::from_str(raw)
            .map_err(|_| "the claims parameter must be a JSON object (OpenID Connect Core §5.5)")?;
        let Value::Object(top) = v else {
            return Err(
                "the claims parameter must be a JSON object (OpenID Connect Core §5.5)".into(),
            );
        };
        let mut out = ClaimsRequest::default();
        let mut count = 0;
        // §5.5: members other than userinfo and id_token are not understood here,
        // and so ignored.
        for (member, into) in [
            ("userinfo", &mut out.userinfo),
            ("id_token", &mut out.id_token),
        ] {
            match top.get(member) {
                None | Some(Value::Null) => {}
                Some(Value::Object(claims)) => {
                    for (name, ask) in claims {
                        count += 1;
                        if count > MAX_CLAIMS {
                            return Err(format!(
                                "the claims parameter names more than {MAX_CLAIMS} claims"
                            ));
                        }
                        if name.is_empty()
                            || name.len() > MAX_NAME
                            || name.chars().any(|c| c.is_control())
                        {
                            return Err(format!(
                                "claim names in the claims parameter must be 1 to {MAX_NAME} characters"
                            ));
                        }
                        into.insert(name.clone(), ask_of(member, name, ask)?);
                    }
                }
                Some(_) => {
                    return Err(format!(
                        "claims.{member} must be a JSON object of claim names"
                    ))
                }
            }
        }
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        self.userinfo.is_empty() && self.id_token.is_empty()
    }

    /// The normalised JSON kept with a code or refresh token.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// Reads what [`ClaimsRequest::to_stored`] wrote (a row without a request, or
    /// an unreadable one, asks for nothing: nothing beyond the scopes is released).
    pub fn from_stored(s: Option<&str>) -> Option<Self> {
        s.and_then(|s| serde_json::from_str(s).ok())
    }

    /// §5.5.1: the `sub` value the ID token must have, when one is asked for.
    pub fn required_sub(&self) -> Option<&Value> {
        self.id_token.get("sub").and_then(|a| a.value.as_ref())
    }

    /// The claim names asked for under either member.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.userinfo
            .keys()
            .chain(self.id_token.keys())
            .map(String::as_str)
    }
}

fn ask_of(member: &str, name: &str, v: &Value) -> Result<ClaimAsk, String> {
    let obj = match v {
        Value::Null => return Ok(ClaimAsk::default()),
        Value::Object(o) => o,
        _ => {
            return Err(format!(
                "claims.{member}.{name} must be null or an object with essential, value or values"
            ))
        }
    };
    let essential = match obj.get("essential") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(format!(
                "claims.{member}.{name}.essential must be true or false"
            ))
        }
    };
    let scalar = |v: &Value| {
        match v {
        Value::String(s) if s.len() <= MAX_VALUE => Ok(v.clone()),
        Value::Bool(_) | Value::Number(_) => Ok(v.clone()),
        _ => Err(format!(
            "claims.{member}.{name}: values must be strings of at most {MAX_VALUE} bytes, numbers or booleans"
        )),
    }
    };
    let value = match obj.get("value") {
        None | Some(Value::Null) => None,
        Some(v) => Some(scalar(v)?),
    };
    let values = match obj.get("values") {
        None | Some(Value::Null) => None,
        Some(Value::Array(vs)) if vs.len() <= MAX_VALUES => {
            Some(vs.iter().map(scalar).collect::<Result<Vec<_>, _>>()?)
        }
        Some(_) => {
            return Err(format!(
                "claims.{member}.{name}.values must be an array of at most {MAX_VALUES} values"
            ))
        }
    };
    Ok(ClaimAsk {
        essential,
        value,
        values,
    })
}

/// The claims of `asks` to add to `out`: those `may_release` allows, that the
/// person has (`available`), whose value is the one asked for. `sub` is never
/// taken from here (it is always there, computed in one place).
pub fn add_asked(
    out: &mut Map<String, Value>,
    asks: &BTreeMap<String, ClaimAsk>,
    available: &Map<String, Value>,
    may_release: impl Fn(&str) -> bool,
) {
    for (name, ask) in asks {
        if name == "sub" || !may_release(name) {
            continue;
        }
        if let Some(v) = available.get(name) {
            if ask.accepts(v) {
                out.insert(name.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_of_both_members_parses_with_nulls_and_objects() {
        let r = ClaimsRequest::parse(
            r#"{"userinfo":{"email":{"essential":true},"name":null},
                "id_token":{"sub":{"value":"u1"},"email_verified":{"values":[true]}},
                "x-ext":{"ignored":1}}"#,
        )
        .unwrap();
        assert!(r.userinfo["email"].essential);
        assert_eq!(r.userinfo["name"], ClaimAsk::default());
        assert_eq!(r.required_sub(), Some(&json!("u1")));
        assert!(r.id_token["email_verified"].accepts(&json!(true)));
        assert!(!r.id_token["email_verified"].accepts(&json!(false)));
        let back = ClaimsRequest::from_stored(Some(&r.to_stored())).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn malformed_or_oversized_requests_are_refused_with_a_reason() {
        for bad in [
            "",
            "not json",
            "[]",
            "\"x\"",
            r#"{"userinfo":[]}"#,
            r#"{"userinfo":{"email":1}}"#,
            r#"{"userinfo":{"email":{"essential":"yes"}}}"#,
            r#"{"userinfo":{"email":{"values":"a"}}}"#,
            r#"{"userinfo":{"email":{"value":{"nested":1}}}}"#,
            r#"{"id_token":{"":null}}"#,
        ] {
            assert!(ClaimsRequest::parse(bad).is_err(), "{bad}");
        }
        let many: Map<String, Value> = (0..=MAX_CLAIMS)
            .map(|i| (format!("c{i}"), Value::Null))
            .collect();
        let e = ClaimsRequest::parse(&json!({ "userinfo": many }).to_string()).unwrap_err();
        assert!(e.contains("more than"), "{e}");
        let long = "n".repeat(MAX_NAME + 1);
        assert!(ClaimsRequest::parse(&json!({ "id_token": { long: null } }).to_string()).is_err());
        assert!(ClaimsRequest::parse(&"x".repeat(MAX_BYTES + 1)).is_err());
    }

    #[test]
    fn only_releasable_present_matching_claims_are_added() {
        let r = ClaimsRequest::parse(
            r#"{"id_token":{"email":{"essential":true},"name":{"value":"Someone else"},
                "shoe_size":null,"sub":null,"preferred_username":null}}"#,
        )
        .unwrap();
        let available = json!({"sub":"u1","email":"a@x","name":"Ada","preferred_username":"ada"});
        let mut out = Map::new();
        add_asked(&mut out, &r.id_token, available.as_object().unwrap(), |n| {
            n != "preferred_username"
        });
        assert_eq!(Value::Object(out), json!({"email":"a@x"}));
    }
}
