//! The claims about a person that a scope set releases (OpenID Connect Core §5.4),
//! in ID tokens and at userinfo alike.

use serde_json::{json, Value};

use super::ScopeSet;
use crate::accounts::users::User;

pub fn user_claims(user: &User, scopes: &ScopeSet) -> Value {
    let mut c = json!({ "sub": user.id });
    if scopes.contains("profile") {
        c["name"] = json!(user.display_name);
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
