//! People who sign in through an OpenID provider they already have (issue 15;
//! seed 002's "sign in via Google (or other OAuth provider)", seed 004's Campus
//! IdM).
//!
//! The operator names providers in the settings (`[[upstream]]`,
//! docs/IDENTITY.md). A sign-in goes to the provider with `state`, a `nonce` and
//! PKCE ([`flow`]: nothing secret is stored — both derive from a cookie only the
//! browser holds); what comes back is checked to the letter ([`oidc`]: the
//! authorization response's `iss` (RFC 9207), the code redeemed with the
//! verifier, the ID token's signature, issuer, audience, expiry and nonce). The
//! provider's subject then finds its account ([`link`]): linked before, or
//! provisioned, or — when an account here already has the address — offered for
//! linking, which only the holder of that account confirms, signed in.

pub mod flow;
pub mod link;
pub mod oidc;

use std::collections::HashSet;

use serde::Deserialize;

use crate::accounts::users::Role;
use crate::platform::secret::SecretString;

/// One `[[upstream]]` section, as the operator wrote it.
#[derive(Clone, Debug, Deserialize)]
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
    /// Sent with HTTP Basic authentication (`client_secret_basic`).
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
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Claims {
    /// The username a provisioned account asks for (taken or unusable: one is
    /// made from the address).
    pub username: String,
    pub display_name: String,
    pub given_name: String,
    pub family_name: String,
}

impl Default for Claims {
    fn default() -> Self {
        Self {
            username: "preferred_username".into(),
            display_name: "name".into(),
            given_name: "given_name".into(),
            family_name: "family_name".into(),
        }
    }
}

/// A claim's values → role: the highest role any value maps to, else
/// `default_role`. With this set, the provider decides roles at every sign-in.
#[derive(Clone, Debug, Deserialize)]
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

/// The checked `[[upstream]]` sections and the HTTP client that talks to them.
pub struct Upstreams {
    providers: Vec<ProviderConfig>,
    pub(crate) oidc: oidc::Discovery,
}

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.providers.iter().map(|p| p.id.as_str()).collect();
        f.debug_struct("Upstreams")
            .field("providers", &ids)
            .finish()
    }
}

impl Upstreams {
    /// Checks the settings; the message names the section and what is wrong.
    pub fn new(providers: Vec<ProviderConfig>) -> Result<Self, String> {
        check(&providers)?;
        Ok(Self {
            providers,
            oidc: oidc::Discovery::new()?,
        })
    }

    pub fn providers(&self) -> &[ProviderConfig] {
        &self.providers
    }

    pub fn get(&self, id: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.id == id)
    }

    /// The provider that signs in people of `email`'s domain (home-realm discovery).
    pub fn for_email(&self, email: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.serves(email))
    }
}

/// The rules every section must meet (also run when the settings are read).
pub fn check(providers: &[ProviderConfig]) -> Result<(), String> {
    let mut ids = HashSet::new();
    let mut domains = HashSet::new();
    for p in providers {
        let at = format!("upstream '{}'", p.id);
        if p.id.is_empty()
            || p.id.len() > 32
            || !p
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!("{at}: id must be 1 to 32 of a-z, 0-9 and '-'"));
        }
        if !ids.insert(p.id.as_str()) {
            return Err(format!("{at}: two upstream sections have this id"));
        }
        if p.name.trim().is_empty() || p.name.chars().count() > 60 {
            return Err(format!("{at}: name must be 1 to 60 characters"));
        }
        check_issuer(&p.issuer).map_err(|e| format!("{at}: {e}"))?;
        if p.client_id.is_empty() || p.client_id.len() > 255 {
            return Err(format!("{at}: client_id must be 1 to 255 characters"));
        }
        if p.client_secret.expose().is_empty() {
            return Err(format!("{at}: client_secret must not be empty"));
        }
        for s in &p.scopes {
            if s.is_empty()
                || s.len() > 100
                || !s
                    .chars()
                    .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
            {
                return Err(format!("{at}: scope '{s}' is not a scope token"));
            }
        }
        for d in &p.domains {
            let d = d.to_ascii_lowercase();
            if d.len() < 3
                || d.len() > 253
                || !d.contains('.')
                || !d
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
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
        for name in [&c.username, &c.display_name, &c.given_name, &c.family_name] {
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

fn check_issuer(issuer: &str) -> Result<(), String> {
    let u = url::Url::parse(issuer).map_err(|e| format!("issuer '{issuer}' is not a URL: {e}"))?;
    let loopback = matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match u.scheme() {
        "https" => {}
        // Codes and ID tokens cross the wire: plain http only on this machine.
        "http" if loopback => {}
        _ => {
            return Err(format!(
                "issuer '{issuer}' must be https (http only for localhost)"
            ))
        }
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(format!(
            "issuer '{issuer}' must not have a query or fragment"
        ));
    }
    Ok(())
}

/// Why an upstream sign-in ended without a session; [`Refusal::code`] travels in
/// the address of the page that explains it, so the page words it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The person said no at the provider (`access_denied`).
    #[error("You did not allow the sign-in at the provider.")]
    Cancelled,
    /// The provider answered with an error, or with something that failed our checks.
    #[error("The provider's answer could not be accepted.")]
    Failed,
    /// The provider did not answer.
    #[error("The provider is not answering.")]
    Unavailable,
    /// No sign-in of this browser is waiting (expired, finished, another browser).
    #[error("This sign-in expired or was started in another browser.")]
    Expired,
    #[error("This account is disabled.")]
    Disabled,
    /// No account is linked and the provider makes none.
    #[error("No account here is linked to this identity.")]
    NoAccount,
    /// An account here has the address, which the provider has not verified.
    #[error("An account here has this e-mail address, which the provider has not verified.")]
    Unverified,
    /// The provider gave no usable address for a new account.
    #[error("The provider did not give a usable e-mail address.")]
    NoEmail,
    /// The identity is another account's.
    #[error("This identity is linked to another account.")]
    LinkedElsewhere,
    /// The account already has another identity at this provider.
    #[error("Your account is already linked to another identity at this provider.")]
    AlreadyLinked,
}

impl Refusal {
    pub const ALL: [Refusal; 10] = [
        Refusal::Cancelled,
        Refusal::Failed,
        Refusal::Unavailable,
        Refusal::Expired,
        Refusal::Disabled,
        Refusal::NoAccount,
        Refusal::Unverified,
        Refusal::NoEmail,
        Refusal::LinkedElsewhere,
        Refusal::AlreadyLinked,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Cancelled => "cancelled",
            Refusal::Failed => "failed",
            Refusal::Unavailable => "unavailable",
            Refusal::Expired => "expired",
            Refusal::Disabled => "disabled",
            Refusal::NoAccount => "no_account",
            Refusal::Unverified => "unverified",
            Refusal::NoEmail => "no_email",
            Refusal::LinkedElsewhere => "linked_elsewhere",
            Refusal::AlreadyLinked => "already_linked",
        }
    }
}

/// A refused upstream sign-in, audited (`session.sign_in_failed`, naming the
/// provider and the refusal's code) in a transaction of its own.
pub(crate) async fn record_refusal(
    db: &sea_orm::DatabaseConnection,
    provider: &str,
    refusal: &Refusal,
    ip: Option<String>,
    now: crate::platform::clock::Timestamp,
) -> Result<(), crate::DomainError> {
    use crate::audit::{self, Actor, AuditEvent, EventType};
    let txn = crate::platform::db::write_txn(db).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::SessionSignInFailed, Actor::Anonymous)
            .ip(ip)
            .data(serde_json::json!({ "upstream": provider, "refused": refusal.code() })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What went wrong with an upstream sign-in.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("{0}")]
    Refused(Refusal),
    #[error(transparent)]
    Internal(#[from] crate::DomainError),
}

impl From<sea_orm::DbErr> for UpstreamError {
    fn from(e: sea_orm::DbErr) -> Self {
        UpstreamError::Internal(e.into())
    }
}

impl From<Refusal> for UpstreamError {
    fn from(r: Refusal) -> Self {
        UpstreamError::Refused(r)
    }
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
