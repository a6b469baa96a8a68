//! An upstream provider's settings: a `[[upstream]]` section of the settings
//! file, or a provider an administrator added (`store`), and the rules both meet.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::accounts::users::Role;
use crate::platform::secret::SecretString;

/// How this server proves itself to a provider's token endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// The client secret in HTTP Basic authentication.
    #[default]
    ClientSecretBasic,
    /// The client secret in the request body.
    ClientSecretPost,
    /// A JWT signed with this server's signing key (RFC 7523); the provider
    /// reads the public keys from this server's `jwks_uri`. No secret.
    PrivateKeyJwt,
}

impl ClientAuth {
    pub const ALL: [ClientAuth; 3] = [
        ClientAuth::ClientSecretBasic,
        ClientAuth::ClientSecretPost,
        ClientAuth::PrivateKeyJwt,
    ];

    /// The registered name (`token_endpoint_auth_method`).
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuth::ClientSecretBasic => "client_secret_basic",
            ClientAuth::ClientSecretPost => "client_secret_post",
            ClientAuth::PrivateKeyJwt => "private_key_jwt",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn uses_secret(self) -> bool {
        self != ClientAuth::PrivateKeyJwt
    }
}

/// One provider: a `[[upstream]]` section as the operator wrote it, or one an
/// administrator added (`store`: the same fields, the secret sealed apart).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// The provider's short name in addresses, links and audit events: 1–32 of
    /// `a–z`, `0–9` and `-`. Changing it orphans the links made under it.
    pub id: String,
    /// What people see: "Continue with {name}".
    pub name: String,
    /// The provider's issuer; its discovery document is read from
    /// `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// How the token endpoint is told who we are.
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// For `client_secret_basic` and `client_secret_post`; never serialised
    /// (stored providers keep it sealed in a column of its own).
    #[serde(default, skip_serializing)]
    pub client_secret: SecretString,
    /// Asked for besides `openid`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// E-mail domains whose people this provider signs in (home-realm discovery).
    #[serde(default)]
    pub domains: Vec<String>,
    /// Make an account at a first sign-in; off: only people already linked.
    #[serde(default = "yes")]
    pub provision: bool,
    /// The role of a provisioned account that no mapped value gives a role.
    #[serde(default = "default_role")]
    pub default_role: Role,
    /// Mark the provider's addresses verified even without `email_verified`
    /// (a provider that vouches for every address it gives). Off by default.
    #[serde(default)]
    pub trust_email: bool,
    #[serde(default)]
    pub claims: Claims,
    /// A claim's values → role; roles stay the administrators' to set when unset.
    #[serde(default)]
    pub roles: Option<RoleClaim>,
    /// Each request to the provider gives up after this long.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_scopes() -> Vec<String> {
    vec!["profile".into(), "email".into()]
}
fn yes() -> bool {
    true
}
fn default_role() -> Role {
    Role::User
}
fn default_timeout() -> u64 {
    10
}

/// Which claim holds what (from the ID token, else from userinfo).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Claims {
    /// The username a provisioned account asks for (taken or unusable: one is
    /// made from the address).
    pub username: String,
    pub display_name: String,
    pub given_name: String,
    pub family_name: String,
    /// The address (and its `{email}_verified` beside it when the claim is
    /// not `email`: `email_verified` otherwise).
    pub email: String,
}

impl Default for Claims {
    fn default() -> Self {
        Self {
            username: "preferred_username".into(),
            display_name: "name".into(),
            given_name: "given_name".into(),
            family_name: "family_name".into(),
            email: "email".into(),
        }
    }
}

/// A claim's values → role: the highest role any value maps to, else
/// `default_role`. With this set, the provider decides roles at every sign-in.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleClaim {
    /// A string or an array of strings (e.g. `groups`).
    pub claim: String,
    #[serde(default)]
    pub admin: Vec<String>,
    #[serde(default)]
    pub developer: Vec<String>,
}

impl ProviderConfig {
    /// The role the values of the role claim give, when roles come from here.
    pub(crate) fn role_for(&self, values: &[String]) -> Option<Role> {
        let r = self.roles.as_ref()?;
        let has = |names: &[String]| values.iter().any(|v| names.contains(v));
        Some(if has(&r.admin) {
            Role::Admin
        } else if has(&r.developer) {
            Role::Developer
        } else {
            self.default_role
        })
    }

    /// Whether `email`'s domain is one this provider signs in.
    pub fn serves(&self, email: &str) -> bool {
        email
            .rsplit_once('@')
            .is_some_and(|(_, d)| self.domains.iter().any(|x| x.eq_ignore_ascii_case(d)))
    }
}

/// A provider's id: 1–32 of `a–z`, `0–9` and `-`.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// What people read after "Continue with": 1–60 characters.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.trim().is_empty() && name.chars().count() <= 60
}

/// A scope token (RFC 6749 §3.3), at most 100 characters.
pub(crate) fn valid_scope(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
}

/// A domain name (lower-case) for home-realm discovery.
pub(crate) fn valid_domain(d: &str) -> bool {
    d.len() >= 3
        && d.len() <= 253
        && d.contains('.')
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// The rules every section must meet (also run when the settings are read).
pub fn check(providers: &[ProviderConfig]) -> Result<(), String> {
    let mut ids = HashSet::new();
    let mut domains = HashSet::new();
    for p in providers {
        let at = format!("upstream '{}'", p.id);
        if !valid_id(&p.id) {
            return Err(format!("{at}: id must be 1 to 32 of a-z, 0-9 and '-'"));
        }
        if !ids.insert(p.id.as_str()) {
            return Err(format!("{at}: two upstream sections have this id"));
        }
        if !valid_name(&p.name) {
            return Err(format!("{at}: name must be 1 to 60 characters"));
        }
        crate::oauth::check_issuer(&p.issuer).map_err(|e| format!("{at}: {e}"))?;
        if p.client_id.is_empty() || p.client_id.len() > 255 {
            return Err(format!("{at}: client_id must be 1 to 255 characters"));
        }
        if p.client_auth.uses_secret() && p.client_secret.expose().is_empty() {
            return Err(format!(
                "{at}: client_secret must not be empty (or client_auth = \"private_key_jwt\")"
            ));
        }
        if p.client_secret.expose().len() > 1024 {
            return Err(format!(
                "{at}: client_secret must be at most 1024 characters"
            ));
        }
        for s in &p.scopes {
            if !valid_scope(s) {
                return Err(format!("{at}: scope '{s}' is not a scope token"));
            }
        }
        for d in &p.domains {
            let d = d.to_ascii_lowercase();
            if !valid_domain(&d) {
                return Err(format!("{at}: domain '{d}' is not a domain name"));
            }
            if !domains.insert(d.clone()) {
                return Err(format!(
                    "{at}: domain '{d}' belongs to two providers; each domain goes to one"
                ));
            }
        }
        if !(1..=60).contains(&p.timeout_secs) {
            return Err(format!("{at}: timeout_secs must be 1 to 60"));
        }
        let c = &p.claims;
        for name in [
            &c.username,
            &c.display_name,
            &c.given_name,
            &c.family_name,
            &c.email,
        ] {
            if name.is_empty() || name.len() > 100 {
                return Err(format!("{at}: claim names must be 1 to 100 characters"));
            }
        }
        if let Some(r) = &p.roles {
            if r.claim.is_empty() || r.claim.len() > 100 {
                return Err(format!("{at}: roles.claim must be 1 to 100 characters"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(id: &str, issuer: &str) -> ProviderConfig {
        ProviderConfig {
            id: id.into(),
            name: "Campus".into(),
            issuer: issuer.into(),
            client_id: "portcullis".into(),
            client_auth: ClientAuth::ClientSecretBasic,
            client_secret: SecretString::new("s3cret"),
            scopes: default_scopes(),
            domains: vec!["campus.example".into()],
            provision: true,
            default_role: Role::User,
            trust_email: false,
            claims: Claims::default(),
            roles: None,
            timeout_secs: 10,
        }
    }

    #[test]
    fn refuses_cleartext_off_the_machine_and_shared_domains() {
        assert!(check(&[provider("campus", "https://idp.campus.example")]).is_ok());
        assert!(check(&[provider("campus", "http://localhost:8080")]).is_ok());
        let e = check(&[provider("campus", "http://idp.campus.example")]).unwrap_err();
        assert!(e.contains("https"), "{e}");
        let e = check(&[provider("Campus!", "https://idp.campus.example")]).unwrap_err();
        assert!(e.contains("id must be"), "{e}");
        let e = check(&[
            provider("a", "https://a.example"),
            provider("b", "https://b.example"),
        ])
        .unwrap_err();
        assert!(e.contains("two providers"), "{e}");
    }

    #[test]
    fn roles_come_from_the_highest_mapped_value_and_domains_find_providers() {
        let mut p = provider("campus", "https://idp.campus.example");
        assert_eq!(p.role_for(&["staff".into()]), None);
        p.roles = Some(RoleClaim {
            claim: "groups".into(),
            admin: vec!["it".into()],
            developer: vec!["dev".into()],
        });
        assert_eq!(p.role_for(&["dev".into(), "it".into()]), Some(Role::Admin));
        assert_eq!(p.role_for(&["dev".into()]), Some(Role::Developer));
        assert_eq!(p.role_for(&[]), Some(Role::User));
        assert!(p.serves("ada@Campus.Example"));
        assert!(!p.serves("ada@evilcampus.example"));
        assert!(!p.serves("campus.example"));
    }
}
