//! The claims about a person that a scope set releases (OpenID Connect Core §5.4),
//! in ID tokens and at userinfo alike.

use std::sync::Arc;

use serde_json::{json, Value};

use super::ScopeSet;
use crate::accounts::users::User;

/// Seed 001: the scope that releases a person's portal role and the claim that
/// carries it (`user`, `developer` or `admin`), both named by the operator
/// (`role_scope`, `role_claim`).
#[derive(Clone, Debug)]
pub struct RoleClaim {
    pub scope: Arc<str>,
    pub claim: Arc<str>,
}

/// Claims the role claim may not be named after: the ones Portcullis already
/// sets, which it would overwrite (OIDC Core §2 and §5.1, RFC 9068 §2.2).
pub const RESERVED_CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "auth_time",
    "nonce",
    "sid",
    "azp",
    "acr",
    "amr",
    "at_hash",
    "c_hash",
    "client_id",
    "scope",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "updated_at",
    "email",
    "email_verified",
];

/// The claims `scopes` release about `user`, whom the client knows as `sub`
/// (see `oauth::subject`).
pub fn user_claims(sub: &str, user: &User, scopes: &ScopeSet, role: &RoleClaim) -> Value {
    let mut c = json!({ "sub": sub });
    if scopes.contains(&role.scope) {
        c[role.claim.as_ref()] = json!(user.role.as_str());
    }
    if scopes.contains("profile") {
        c["name"] = json!(user.display_name);
        // Only the names the person gave: an absent claim, not an empty one.
        if let Some(given) = &user.given_name {
            c["given_name"] = json!(given);
        }
        if let Some(family) = &user.family_name {
            c["family_name"] = json!(family);
        }
        c["preferred_username"] = json!(user.username);
        c["updated_at"] = json!(user.updated_at);
    }
    if scopes.contains("email") {
        c["email"] = json!(user.email);
        // True only for addresses an administrator or the operator vouched for.
        c["email_verified"] = json!(user.email_verified);
    }
    c
}
