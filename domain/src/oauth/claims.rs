//! The claims about a person that a scope set releases (OpenID Connect Core §5.4),
//! in ID tokens and at userinfo alike.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::claims_request::{add_asked, ClaimsRequest};
use super::ScopeSet;
use crate::accounts::users::User;
use crate::clients::model::Client;
use crate::{DomainError, DomainResult};

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

/// The claims of the `profile` and `email` scopes (OIDC Core §5.4).
const PROFILE_CLAIMS: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "updated_at",
];
const EMAIL_CLAIMS: &[&str] = &["email", "email_verified"];

/// The claims a client may be approved to request individually (its
/// `requestable_claims`): the person's claims Portcullis has. `sub` is always
/// released; the role claim goes only with its scope.
pub const REQUESTABLE: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "updated_at",
    "email",
    "email_verified",
];

/// Every claim Portcullis can release (discovery's `claims_supported`).
pub fn supported(role: &RoleClaim) -> Vec<String> {
    let mut out = vec!["sub".to_owned()];
    out.extend(REQUESTABLE.iter().map(|c| (*c).to_owned()));
    out.push(role.claim.to_string());
    out.extend(
        [
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "azp",
            "sid",
        ]
        .iter()
        .map(|c| (*c).to_owned()),
    );
    out
}

/// How the consent page names a claim, in plain words.
pub fn label(claim: &str) -> &'static str {
    match claim {
        "name" => "Your full name",
        "given_name" => "Your given name",
        "family_name" => "Your family name",
        "preferred_username" => "Your username",
        "updated_at" => "When your profile last changed",
        "email" => "Your e-mail address",
        "email_verified" => "Whether your e-mail address is verified",
        _ => "Another detail of your account",
    }
}

/// Whether the standard scopes in `scopes` release `claim` (OIDC Core §5.4).
fn standard_scope_releases(scopes: &ScopeSet, claim: &str) -> bool {
    claim == "sub"
        || (scopes.contains("profile") && PROFILE_CLAIMS.contains(&claim))
        || (scopes.contains("email") && EMAIL_CLAIMS.contains(&claim))
}

/// Where released claims go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    IdToken,
    Userinfo,
}

/// The claims of `user` that `client` gets in `target`: what the granted
/// `scopes` release (in the ID token only when the client includes claims there,
/// OIDC Core §5.4), plus what the `claims` parameter asked for in `target` that
/// the scopes or the client's approved `requestable_claims` allow (§5.5). `sub`
/// is the one the client is given for `user` (`oauth::subject`).
pub fn release(
    sub: &str,
    user: &User,
    client: &Client,
    scopes: &ScopeSet,
    role: &RoleClaim,
    request: Option<&ClaimsRequest>,
    target: Target,
) -> Value {
    let Value::Object(scoped) = user_claims(sub, user, scopes, role) else {
        return json!({});
    };
    let mut out = match target {
        Target::IdToken if !client.metadata.include_claims_in_id_token => {
            let mut m = Map::new();
            m.insert("sub".into(), scoped["sub"].clone());
            m
        }
        _ => scoped.clone(),
    };
    if let Some(request) = request {
        let asks = match target {
            Target::IdToken => &request.id_token,
            Target::Userinfo => &request.userinfo,
        };
        let everything: ScopeSet = ["profile", "email", role.scope.as_ref()]
            .into_iter()
            .collect();
        let Value::Object(available) = user_claims(sub, user, &everything, role) else {
            return Value::Object(out);
        };
        add_asked(&mut out, asks, &available, |name| {
            scoped.contains_key(name) || may_request(client, name)
        });
    }
    Value::Object(out)
}

/// Whether `client` is approved to request `claim` individually.
pub fn may_request(client: &Client, claim: &str) -> bool {
    client
        .metadata
        .requestable_claims
        .iter()
        .any(|c| c == claim)
}

/// The claims `request` would release beyond what `scopes` do: the individually
/// requested ones the consent page names (sorted, once each). The role claim is
/// never requestable individually, so only the standard scopes matter here.
pub fn beyond_scopes(client: &Client, scopes: &ScopeSet, request: &ClaimsRequest) -> Vec<String> {
    let mut out: Vec<String> = request
        .names()
        .filter(|n| !standard_scope_releases(scopes, n) && may_request(client, n))
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A list of individually requested claims (OIDC Core §5.5) as sent: trimmed,
/// once each, only claims Portcullis can release one by one
/// (`oauth::claims::REQUESTABLE`), which also bounds its length.
pub fn requestable_list(list: &[String]) -> DomainResult<Vec<String>> {
    const FIELD: &str = "requestable_claims";
    let known = REQUESTABLE;
    if list.len() > known.len() {
        return Err(DomainError::invalid(
            FIELD,
            format!("at most {} entries", known.len()),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for c in list.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        if !known.contains(&c) {
            let shown: String = c.chars().take(64).collect();
            return Err(DomainError::invalid(
                FIELD,
                format!(
                    "'{shown}' is not a claim that can be requested individually (one of: {})",
                    known.join(", ")
                ),
            ));
        }
        if !out.iter().any(|o| o == c) {
            out.push(c.to_owned());
        }
    }
    Ok(out)
}
