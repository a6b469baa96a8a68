//! People whose password lives in an LDAP directory (issue 15; seed 001's first
//! storage, seed 004's Campus IdM).
//!
//! A sign-in of someone without a local password goes to the directory:
//! search-then-bind ([`ldap`]: the service account finds the person's entry, then
//! a bind as that entry checks the password — no LDAP password is ever stored
//! here). The first success provisions an account, later ones bring its names,
//! address and role up to date ([`link`]). Local accounts are never taken over: a
//! local account's name is checked against its own password only.
//!
//! The settings (`[ldap]`, docs/IDENTITY.md) are checked once, at start-up, into a
//! [`Directory`].

pub mod ldap;
pub mod link;

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::accounts::users::Role;
use crate::platform::secret::SecretString;

/// The `[ldap]` settings, as the operator wrote them.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryConfig {
    /// `ldaps://host[:636]`, or `ldap://host[:389]` with `starttls` (plain
    /// `ldap://` only to a loopback address: passwords cross the wire).
    pub url: String,
    #[serde(default)]
    pub starttls: bool,
    /// PEM file of the certificate authorities to trust; the system's when unset.
    #[serde(default)]
    pub ca_file: Option<String>,
    /// The service account that searches; an anonymous search when unset.
    #[serde(default)]
    pub bind_dn: Option<String>,
    #[serde(default)]
    pub bind_password: Option<SecretString>,
    /// Where people's entries are searched (the whole subtree).
    pub base_dn: String,
    /// Finds one person; `{username}` is what they typed, escaped (RFC 4515).
    /// Leave disabled accounts out here (e.g. `(!(employeeType=disabled))`, or
    /// Active Directory's `(!(userAccountControl:1.2.840.113556.1.4.803:=2))`).
    #[serde(default = "default_user_filter")]
    pub user_filter: String,
    #[serde(default)]
    pub attributes: Attributes,
    /// Group → role; roles stay the administrators' to set when unset.
    #[serde(default)]
    pub groups: Option<Groups>,
    /// The role of a new account that no mapped group gives a role.
    #[serde(default = "default_role")]
    pub default_role: Role,
    /// Mark the directory's addresses verified (it vouches for them). Off by
    /// default: each person confirms theirs by mail, as after a sign-up.
    #[serde(default)]
    pub trust_email: bool,
    /// Each connection, bind and search gives up after this long.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_user_filter() -> String {
    "(uid={username})".into()
}
fn default_role() -> Role {
    Role::User
}
fn default_timeout() -> u64 {
    5
}

/// Which attribute holds what.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Attributes {
    /// The account's username here (3–64 of a–z, 0–9, `.`, `_`, `-`).
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub given_name: String,
    pub family_name: String,
}

impl Default for Attributes {
    fn default() -> Self {
        Self {
            username: "uid".into(),
            email: "mail".into(),
            display_name: "cn".into(),
            given_name: "givenName".into(),
            family_name: "sn".into(),
        }
    }
}

/// Group membership → role: the highest role of any mapped group the person is in,
/// else `default_role`. With this set, the directory decides roles at every sign-in.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Groups {
    pub base_dn: String,
    /// `{dn}` is the person's entry, `{username}` what they typed (both escaped).
    #[serde(default = "default_group_filter")]
    pub filter: String,
    #[serde(default)]
    pub admin: Vec<String>,
    #[serde(default)]
    pub developer: Vec<String>,
}

fn default_group_filter() -> String {
    "(member={dn})".into()
}

/// A directory the settings describe, checked: what sign-in uses.
#[derive(Clone)]
pub struct Directory {
    pub(crate) config: Arc<DirectoryConfig>,
    pub(crate) tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Directory {
    /// Checks the settings; the error names the key that is wrong.
    pub fn new(config: DirectoryConfig) -> Result<Self, String> {
        let url = url::Url::parse(&config.url).map_err(|e| format!("ldap.url: {e}"))?;
        let host = url.host_str().unwrap_or_default().to_owned();
        match (url.scheme(), config.starttls) {
            ("ldaps", false) => {}
            ("ldaps", true) => {
                return Err("ldap.starttls: an ldaps:// URL is already TLS; drop starttls".into())
            }
            ("ldap", true) => {}
            ("ldap", false) if is_loopback(&host) => {}
            ("ldap", false) => {
                return Err(format!(
                    "ldap.url: passwords would cross the network in the clear to {host}; \
                     use ldaps:// or starttls = true"
                ))
            }
            (other, _) => return Err(format!("ldap.url: '{other}' is not ldap or ldaps")),
        }
        if host.is_empty() {
            return Err("ldap.url: names no host".into());
        }
        if !config.user_filter.contains("{username}") {
            return Err("ldap.user_filter: must contain {username}".into());
        }
        check_filter("ldap.user_filter", &config.user_filter)?;
        if config.base_dn.trim().is_empty() {
            return Err("ldap.base_dn: is empty".into());
        }
        if config.bind_dn.is_some() != config.bind_password.is_some() {
            return Err("ldap.bind_dn and ldap.bind_password: set both or neither".into());
        }
        if let Some(g) = &config.groups {
            check_filter("ldap.groups.filter", &g.filter)?;
            if g.base_dn.trim().is_empty() {
                return Err("ldap.groups.base_dn: is empty".into());
            }
        }
        if !(1..=60).contains(&config.timeout_secs) {
            return Err("ldap.timeout_secs: must be 1 to 60".into());
        }
        if config.default_role == Role::Admin {
            return Err(
                "ldap.default_role: admin for everyone in the directory is refused; \
                 map an administrators' group instead"
                    .into(),
            );
        }
        let tls = tls_config(config.ca_file.as_deref())?;
        Ok(Self {
            config: Arc::new(config),
            tls,
        })
    }

    pub(crate) fn timeout(&self) -> Duration {
        Duration::from_secs(self.config.timeout_secs)
    }

    /// The role the directory gives someone in `groups` (their groups' DNs), or
    /// `None` when roles are not the directory's to give.
    pub(crate) fn role_for(&self, groups: &[String]) -> Option<Role> {
        let g = self.config.groups.as_ref()?;
        let member_of = |wanted: &[String]| {
            wanted
                .iter()
                .any(|w| groups.iter().any(|have| same_dn(w, have)))
        };
        Some(if member_of(&g.admin) {
            Role::Admin
        } else if member_of(&g.developer) {
            Role::Developer
        } else {
            self.config.default_role
        })
    }
}

/// DNs compared as directories do for the usual attribute types: case-insensitive,
/// without the spaces around separators.
pub(crate) fn same_dn(a: &str, b: &str) -> bool {
    fn norm(s: &str) -> String {
        s.split(',')
            .map(|rdn| rdn.split('=').map(str::trim).collect::<Vec<_>>().join("="))
            .collect::<Vec<_>>()
            .join(",")
            .to_lowercase()
    }
    norm(a) == norm(b)
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

fn check_filter(key: &str, f: &str) -> Result<(), String> {
    let f = f.trim();
    let balanced = f.chars().try_fold(0i32, |depth, c| match c {
        '(' => Some(depth + 1),
        ')' if depth > 0 => Some(depth - 1),
        ')' => None,
        _ => Some(depth),
    });
    if !(f.starts_with('(') && f.ends_with(')') && balanced == Some(0)) {
        return Err(format!("{key}: '{f}' is not an LDAP filter (RFC 4515)"));
    }
    Ok(())
}

fn tls_config(ca_file: Option<&str>) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("ldap.ca_file: cannot read {path}: {e}"))?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("ldap.ca_file: {path}: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("ldap.ca_file: {path}: {e}"))?;
            }
            if roots.is_empty() {
                return Err(format!("ldap.ca_file: {path} holds no certificate"));
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                // A system store may hold a certificate rustls cannot use; skip it.
                let _ = roots.add(cert);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("ldap: TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> DirectoryConfig {
        DirectoryConfig {
            url: url.into(),
            starttls: false,
            ca_file: None,
            bind_dn: None,
            bind_password: None,
            base_dn: "ou=people,dc=example,dc=org".into(),
            user_filter: default_user_filter(),
            attributes: Attributes::default(),
            groups: None,
            default_role: Role::User,
            trust_email: false,
            timeout_secs: 5,
        }
    }

    #[test]
    fn refuses_cleartext_passwords_off_the_machine() {
        assert!(Directory::new(config("ldap://127.0.0.1:3890")).is_ok());
        assert!(Directory::new(config("ldaps://ldap.example.org")).is_ok());
        let e = Directory::new(config("ldap://ldap.example.org")).unwrap_err();
        assert!(e.contains("in the clear"), "{e}");
        let mut c = config("ldap://ldap.example.org");
        c.starttls = true;
        assert!(Directory::new(c).is_ok());
        let mut c = config("ldaps://ldap.example.org");
        c.starttls = true;
        assert!(Directory::new(c).is_err());
        assert!(Directory::new(config("http://ldap.example.org")).is_err());
    }

    #[test]
    fn checks_filters_and_the_service_account() {
        let mut c = config("ldap://localhost");
        c.user_filter = "(uid=alice)".into();
        assert!(Directory::new(c).unwrap_err().contains("{username}"));
        let mut c = config("ldap://localhost");
        c.user_filter = "(uid={username}".into();
        assert!(Directory::new(c).is_err());
        let mut c = config("ldap://localhost");
        c.bind_dn = Some("cn=svc,dc=example,dc=org".into());
        assert!(Directory::new(c).unwrap_err().contains("bind_password"));
        let mut c = config("ldap://localhost");
        c.default_role = Role::Admin;
        assert!(Directory::new(c).is_err());
    }

    #[test]
    fn roles_come_from_the_highest_mapped_group() {
        let mut c = config("ldap://localhost");
        c.groups = Some(Groups {
            base_dn: "ou=groups,dc=example,dc=org".into(),
            filter: default_group_filter(),
            admin: vec!["cn=Admins,ou=groups,dc=example,dc=org".into()],
            developer: vec!["cn=devs,ou=groups,dc=example,dc=org".into()],
        });
        let d = Directory::new(c).unwrap();
        let g = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(d.role_for(&g(&[])), Some(Role::User));
        assert_eq!(
            d.role_for(&g(&["cn=devs, ou=groups, dc=example, dc=org"])),
            Some(Role::Developer)
        );
        assert_eq!(
            d.role_for(&g(&[
                "cn=devs,ou=groups,dc=example,dc=org",
                "CN=admins,OU=groups,DC=example,DC=org"
            ])),
            Some(Role::Admin)
        );
        assert_eq!(
            Directory::new(config("ldap://localhost"))
                .unwrap()
                .role_for(&g(&["cn=admins,ou=groups,dc=example,dc=org"])),
            None
        );
    }
}
