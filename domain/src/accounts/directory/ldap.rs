//! Search-then-bind: the service account finds the one entry the user filter
//! matches, then a bind as that entry checks the password. One connection per
//! sign-in, closed after it; every step bounded by `timeout_secs`.

use std::collections::HashMap;

use ldap3::{ldap_escape, LdapConnAsync, LdapConnSettings, Scope, SearchEntry, SearchOptions};

use super::Directory;
use crate::platform::secret::SecretString;

/// What the directory says of a person whose password it accepted.
#[derive(Clone, Debug)]
pub struct Person {
    pub dn: String,
    /// The username attribute's value (checked into a local username by `link`).
    pub username: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// The DNs of the groups the group filter found (empty without `[ldap.groups]`).
    pub groups: Vec<String>,
}

/// The directory's answer.
#[derive(Debug)]
pub enum Outcome {
    Accepted(Person),
    /// No entry matched the user filter (unknown, or left out by it: disabled).
    NoSuchPerson,
    /// More than one entry matched: nobody signs in as an ambiguous name.
    Ambiguous,
    /// The bind as the entry failed (wrong password, or a locked entry).
    WrongPassword,
}

/// The directory could not answer: unreachable, timed out, or it refused the
/// service account. The person is not to blame; the log says why.
#[derive(Debug, thiserror::Error)]
#[error("the directory is unavailable: {0}")]
pub struct Unavailable(pub String);

enum Found {
    None,
    One(SearchEntry),
    Many,
}

/// LDAP result code 49: invalidCredentials (RFC 4511 §4.1.9).
const INVALID_CREDENTIALS: u32 = 49;

impl Directory {
    /// Checks `password` for `username` against the directory.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &SecretString,
    ) -> Result<Outcome, Unavailable> {
        // An empty password makes a simple bind "unauthenticated" (RFC 4513
        // §5.1.2), which many servers answer with success: never send one.
        if password.is_empty() || username.trim().is_empty() {
            return Ok(Outcome::WrongPassword);
        }
        let mut ldap = self.connect().await?;
        let result = self.search_then_bind(&mut ldap, username, password).await;
        let _ = ldap.unbind().await;
        result
    }

    /// A connection (TLS as configured), driven in the background until unbound.
    async fn connect(&self) -> Result<ldap3::Ldap, Unavailable> {
        let c = &self.config;
        let settings = LdapConnSettings::new()
            .set_conn_timeout(self.timeout())
            .set_starttls(c.starttls)
            .set_config(self.tls.clone());
        let (conn, ldap) = LdapConnAsync::with_settings(settings, &c.url)
            .await
            .map_err(|e| Unavailable(format!("connecting to {}: {e}", c.url)))?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    /// Whether the user filter finds an entry for `username` (self sign-up may not
    /// take a name the directory's people sign in with).
    pub async fn has(&self, username: &str) -> Result<bool, Unavailable> {
        let mut ldap = self.connect().await?;
        let found = self.find(&mut ldap, username.trim()).await;
        let _ = ldap.unbind().await;
        Ok(!matches!(found?, Found::None))
    }

    /// The service account's bind and the search for the one entry of `typed`.
    async fn find(&self, ldap: &mut ldap3::Ldap, typed: &str) -> Result<Found, Unavailable> {
        let c = &self.config;
        let timeout = self.timeout();
        if let (Some(dn), Some(pw)) = (&c.bind_dn, &c.bind_password) {
            ldap.with_timeout(timeout)
                .simple_bind(dn, pw.expose())
                .await
                .and_then(|r| r.success())
                .map_err(|e| Unavailable(format!("the service account's bind: {e}")))?;
        }
        let filter = c.user_filter.replace("{username}", &ldap_escape(typed));
        let a = &c.attributes;
        let attrs = vec![
            a.username.as_str(),
            a.email.as_str(),
            a.display_name.as_str(),
            a.given_name.as_str(),
            a.family_name.as_str(),
        ];
        let found = ldap
            .with_timeout(timeout)
            .with_search_options(SearchOptions::new().sizelimit(2))
            .search(&c.base_dn, Scope::Subtree, &filter, attrs)
            .await
            .map_err(|e| Unavailable(format!("searching {}: {e}", c.base_dn)))?;
        // 4: sizeLimitExceeded — more than the two asked for matched.
        if found.1.rc == 4 || found.0.len() > 1 {
            return Ok(Found::Many);
        }
        let (entries, _) = found
            .success()
            .map_err(|e| Unavailable(format!("searching {}: {e}", c.base_dn)))?;
        Ok(match entries.into_iter().next() {
            Some(e) => Found::One(SearchEntry::construct(e)),
            None => Found::None,
        })
    }

    async fn search_then_bind(
        &self,
        ldap: &mut ldap3::Ldap,
        username: &str,
        password: &SecretString,
    ) -> Result<Outcome, Unavailable> {
        let c = &self.config;
        let timeout = self.timeout();
        let typed = username.trim();
        let entry = match self.find(ldap, typed).await? {
            Found::None => return Ok(Outcome::NoSuchPerson),
            Found::Many => return Ok(Outcome::Ambiguous),
            Found::One(entry) => entry,
        };
        let groups = match &c.groups {
            None => Vec::new(),
            Some(g) => {
                let filter = g
                    .filter
                    .replace("{dn}", &ldap_escape(entry.dn.as_str()))
                    .replace("{username}", &ldap_escape(typed));
                let (entries, _) = ldap
                    .with_timeout(timeout)
                    .search(&g.base_dn, Scope::Subtree, &filter, vec!["1.1"])
                    .await
                    .and_then(|r| r.success())
                    .map_err(|e| Unavailable(format!("searching groups in {}: {e}", g.base_dn)))?;
                entries
                    .into_iter()
                    .map(|e| SearchEntry::construct(e).dn)
                    .collect()
            }
        };
        let bound = ldap
            .with_timeout(timeout)
            .simple_bind(&entry.dn, password.expose())
            .await
            .map_err(|e| Unavailable(format!("binding as the person: {e}")))?;
        match bound.rc {
            0 => {}
            INVALID_CREDENTIALS => return Ok(Outcome::WrongPassword),
            rc => {
                return Err(Unavailable(format!(
                    "binding as the person: result {rc} ({})",
                    bound.text
                )))
            }
        }
        let a = &c.attributes;
        let get = |name: &str| first(&entry.attrs, name);
        Ok(Outcome::Accepted(Person {
            username: get(&a.username),
            email: get(&a.email),
            display_name: get(&a.display_name),
            given_name: get(&a.given_name),
            family_name: get(&a.family_name),
            dn: entry.dn,
            groups,
        }))
    }
}

/// An attribute's first value; attribute names compare case-insensitively.
fn first(attrs: &HashMap<String, Vec<String>>, name: &str) -> Option<String> {
    attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.first())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}
