//! Client metadata as registered and edited: what is valid for which type of client
//! (RFC 7591 names, RFC 9700 and RFC 8252 rules for redirect URIs).

use serde::{Deserialize, Serialize};

use super::model::{
    ApplicationType, AuthMethod, Client, GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS,
    GRANT_PASSWORD, GRANT_REFRESH_TOKEN,
};
use super::redirect_uri::RedirectUri;
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

#[derive(Clone, Debug, Default)]
pub struct NewClient {
    pub name: String,
    pub description: String,
    pub application_type: Option<ApplicationType>,
    pub auth_method: Option<AuthMethod>,
    pub redirect_uris: Vec<String>,
    pub grant_types: Option<Vec<String>>,
    pub scopes: Vec<String>,
    pub first_party: bool,
    pub allowed_email_domains: Vec<String>,
    pub owner_id: Option<String>,
    pub id_token_alg: Option<crate::oauth::keys::Alg>,
    pub userinfo_alg: Option<crate::oauth::keys::Alg>,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub jwks_uri: Option<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub contacts: Vec<String>,
    /// Registration expiry (None = never).
    pub expires_at: Option<Timestamp>,
    /// A developer's self-service registration: nobody has reviewed its grant types
    /// and redirect URIs yet. Otherwise (the operator, an administrator) the
    /// registration itself is the review.
    pub unreviewed: bool,
}

/// Trims an optional text field; empty means absent.
pub(crate) fn opt(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A web page or document URI shown to people (logo, home page, policy, terms) or
/// fetched by us (JWKS): absolute https, or http on a loopback address for
/// development.
pub fn validate_web_uri(field: &'static str, uri: &str) -> DomainResult<()> {
    crate::platform::text::uri(field, uri)?;
    let u = url::Url::parse(uri)
        .map_err(|_| DomainError::invalid(field, format!("'{uri}' is not an absolute URI")))?;
    let loopback = matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    match u.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(DomainError::invalid(
            field,
            format!("'{uri}' must use https (http is allowed only for loopback addresses)"),
        )),
    }
}

/// Checks a contact e-mail address.
pub(crate) fn validate_contact(c: &str) -> DomainResult<()> {
    crate::platform::text::check_chars("contacts", c, false)?;
    crate::accounts::Email::parse(c)
        .map(|_| ())
        .map_err(|_| DomainError::invalid("contacts", format!("'{c}' is not an e-mail address")))
}

/// Seed 003's e-mail domain restriction: at most [`limits::EMAIL_DOMAINS`] domain
/// names, lower-cased, without duplicates.
pub fn validate_email_domains(domains: &[String]) -> DomainResult<Vec<String>> {
    const FIELD: &str = "allowed_email_domains";
    crate::platform::text::check_items(FIELD, domains, limits::EMAIL_DOMAINS)?;
    let mut out: Vec<String> = Vec::new();
    for d in domains {
        let d = crate::platform::text::line(FIELD, d, limits::DOMAIN_NAME)?.to_lowercase();
        if d.is_empty() {
            continue;
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if !d.contains('.') || !d.split('.').all(label_ok) {
            return Err(DomainError::invalid(
                FIELD,
                format!("'{d}' is not a domain name (like example.edu)"),
            ));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

pub(crate) fn check_auth(app: ApplicationType, auth: AuthMethod) -> DomainResult<()> {
    match (app, auth) {
        (ApplicationType::Native, AuthMethod::None) => Ok(()),
        (ApplicationType::Native, _) => Err(DomainError::invalid(
            "token_endpoint_auth_method",
            "native and single-page clients cannot keep a secret: use none (PKCE)",
        )),
        (_, AuthMethod::None) => Err(DomainError::invalid(
            "token_endpoint_auth_method",
            "only native clients may be public (none)",
        )),
        _ => Ok(()),
    }
}

pub(crate) fn check_grants(app: ApplicationType, grants: &[String]) -> DomainResult<()> {
    if grants.is_empty() {
        return Err(DomainError::invalid("grant_types", "choose at least one"));
    }
    for g in grants {
        let ok = match app {
            ApplicationType::Service => g == GRANT_CLIENT_CREDENTIALS,
            ApplicationType::Web => [
                GRANT_AUTHORIZATION_CODE,
                GRANT_REFRESH_TOKEN,
                GRANT_CLIENT_CREDENTIALS,
                GRANT_PASSWORD,
            ]
            .contains(&g.as_str()),
            ApplicationType::Native => {
                [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN].contains(&g.as_str())
            }
        };
        if !ok {
            return Err(DomainError::invalid(
                "grant_types",
                format!("'{g}' is not available to {} clients", app.as_str()),
            ));
        }
    }
    Ok(())
}

/// The fields of seed 001's table that a developer may change directly ("YES").
/// The application type is fixed at creation: switching between public and
/// confidential would silently create or orphan a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientUpdate {
    pub name: String,
    pub description: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Without `password`: enabling the password grant needs approval.
    pub grant_types: Vec<String>,
    pub auth_method: Option<AuthMethod>,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub jwks_uri: Option<String>,
    pub contacts: Vec<String>,
    pub id_token_alg: Option<crate::oauth::keys::Alg>,
    pub userinfo_alg: Option<crate::oauth::keys::Alg>,
}

impl ClientUpdate {
    /// The client's current values, as the starting point of an edit.
    pub fn from_client(c: &Client) -> Self {
        Self {
            name: c.name.clone(),
            description: c.description.clone(),
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            grant_types: c
                .grant_types
                .iter()
                .filter(|g| *g != GRANT_PASSWORD)
                .cloned()
                .collect(),
            auth_method: Some(c.auth_method),
            logo_uri: c.logo_uri.clone(),
            client_uri: c.client_uri.clone(),
            policy_uri: c.policy_uri.clone(),
            tos_uri: c.tos_uri.clone(),
            jwks_uri: c.jwks_uri.clone(),
            contacts: c.contacts.clone(),
            id_token_alg: Some(c.id_token_alg),
            userinfo_alg: c.userinfo_alg,
        }
    }
}

/// Validates and normalises the directly editable fields for a client type.
/// Returns the cleaned values; the first problem found is the error, naming its field.
pub fn validate_update(app: ApplicationType, u: &ClientUpdate) -> DomainResult<ClientUpdate> {
    let name = crate::platform::text::line("name", &u.name, limits::CLIENT_NAME)?;
    if name.is_empty() {
        return Err(DomainError::invalid(
            "name",
            format!("must be 1 to {} characters", limits::CLIENT_NAME),
        ));
    }
    let description = crate::platform::text::paragraph(
        "description",
        &u.description,
        limits::CLIENT_DESCRIPTION,
    )?;
    // Lists are bounded before anything looks at their entries.
    crate::platform::text::check_items("redirect_uris", &u.redirect_uris, limits::REDIRECT_URIS)?;
    crate::platform::text::check_items(
        "post_logout_redirect_uris",
        &u.post_logout_redirect_uris,
        limits::POST_LOGOUT_REDIRECT_URIS,
    )?;
    crate::platform::text::check_items("grant_types", &u.grant_types, limits::GRANT_TYPES)?;
    crate::platform::text::check_items("contacts", &u.contacts, limits::CONTACTS)?;
    let clean = |v: &[String]| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for x in v.iter().map(|x| x.trim()).filter(|x| !x.is_empty()) {
            if !out.iter().any(|o| o == x) {
                out.push(x.to_owned());
            }
        }
        out
    };
    let redirect_uris = clean(&u.redirect_uris);
    let post_logout = clean(&u.post_logout_redirect_uris);
    let grants = clean(&u.grant_types);
    let contacts = clean(&u.contacts);
    let auth = u.auth_method.unwrap_or(match app {
        ApplicationType::Native => AuthMethod::None,
        _ => AuthMethod::ClientSecretBasic,
    });
    check_auth(app, auth)?;
    check_grants(app, &grants)?;
    if app != ApplicationType::Service
        && redirect_uris.is_empty()
        && grants.iter().any(|g| g == GRANT_AUTHORIZATION_CODE)
    {
        return Err(DomainError::invalid(
            "redirect_uris",
            "need at least one entry for the authorization code grant",
        ));
    }
    for uri in &redirect_uris {
        RedirectUri::parse(app, uri)?;
    }
    for uri in &post_logout {
        RedirectUri::parse(app, uri).map_err(|e| match e {
            DomainError::Invalid { message, .. } => {
                DomainError::invalid("post_logout_redirect_uris", message)
            }
            other => other,
        })?;
    }
    let (logo, home, policy, tos, jwks) = (
        opt(&u.logo_uri),
        opt(&u.client_uri),
        opt(&u.policy_uri),
        opt(&u.tos_uri),
        opt(&u.jwks_uri),
    );
    for (field, v) in [
        ("logo_uri", &logo),
        ("client_uri", &home),
        ("policy_uri", &policy),
        ("tos_uri", &tos),
        ("jwks_uri", &jwks),
    ] {
        if let Some(v) = v {
            validate_web_uri(field, v)?;
        }
    }
    for c in &contacts {
        validate_contact(c)?;
    }
    Ok(ClientUpdate {
        name,
        description,
        redirect_uris,
        post_logout_redirect_uris: post_logout,
        grant_types: grants,
        auth_method: Some(auth),
        logo_uri: logo,
        client_uri: home,
        policy_uri: policy,
        tos_uri: tos,
        jwks_uri: jwks,
        contacts,
        id_token_alg: Some(u.id_token_alg.unwrap_or(crate::oauth::keys::Alg::RS256)),
        userinfo_alg: u.userinfo_alg,
    })
}

/// An edit of a client's directly editable metadata: `None` leaves a field as it
/// is when the edit is written, so two edits of different fields both apply (the
/// REST API's PUT sends only what it changes; the portal's form sends every field).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Without `password` (approval-gated: see `portal::Gated`).
    pub grant_types: Option<Vec<String>>,
    pub auth_method: Option<AuthMethod>,
    /// `Some(None)` clears the field.
    pub logo_uri: Option<Option<String>>,
    pub client_uri: Option<Option<String>>,
    pub policy_uri: Option<Option<String>>,
    pub tos_uri: Option<Option<String>>,
    pub jwks_uri: Option<Option<String>>,
    pub contacts: Option<Vec<String>>,
    pub id_token_alg: Option<crate::oauth::keys::Alg>,
    pub userinfo_alg: Option<Option<crate::oauth::keys::Alg>>,
}

impl ClientPatch {
    /// Every field, as a form that shows them all sends them.
    pub fn all(u: ClientUpdate) -> Self {
        Self {
            name: Some(u.name),
            description: Some(u.description),
            redirect_uris: Some(u.redirect_uris),
            post_logout_redirect_uris: Some(u.post_logout_redirect_uris),
            grant_types: Some(u.grant_types),
            auth_method: u.auth_method,
            logo_uri: Some(u.logo_uri),
            client_uri: Some(u.client_uri),
            policy_uri: Some(u.policy_uri),
            tos_uri: Some(u.tos_uri),
            jwks_uri: Some(u.jwks_uri),
            contacts: Some(u.contacts),
            id_token_alg: u.id_token_alg,
            userinfo_alg: Some(u.userinfo_alg),
        }
    }

    /// The client's editable metadata with this patch applied.
    pub fn applied_to(self, c: &Client) -> ClientUpdate {
        let mut u = ClientUpdate::from_client(c);
        let set = |slot: &mut Option<String>, v: Option<Option<String>>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        if let Some(v) = self.name {
            u.name = v;
        }
        if let Some(v) = self.description {
            u.description = v;
        }
        if let Some(v) = self.redirect_uris {
            u.redirect_uris = v;
        }
        if let Some(v) = self.post_logout_redirect_uris {
            u.post_logout_redirect_uris = v;
        }
        if let Some(v) = self.grant_types {
            u.grant_types = v;
        }
        if let Some(v) = self.auth_method {
            u.auth_method = Some(v);
        }
        set(&mut u.logo_uri, self.logo_uri);
        set(&mut u.client_uri, self.client_uri);
        set(&mut u.policy_uri, self.policy_uri);
        set(&mut u.tos_uri, self.tos_uri);
        set(&mut u.jwks_uri, self.jwks_uri);
        if let Some(v) = self.contacts {
            u.contacts = v;
        }
        if let Some(v) = self.id_token_alg {
            u.id_token_alg = Some(v);
        }
        if let Some(v) = self.userinfo_alg {
            u.userinfo_alg = v;
        }
        u
    }
}

/// Applies directly editable fields (already validated) to a client value.
pub fn apply_update(c: &mut Client, u: ClientUpdate) {
    let had_password = c.allows_grant(GRANT_PASSWORD);
    c.name = u.name;
    c.description = u.description;
    c.redirect_uris = u.redirect_uris;
    c.post_logout_redirect_uris = u.post_logout_redirect_uris;
    c.grant_types = u.grant_types;
    c.grant_types.retain(|g| g != GRANT_PASSWORD);
    if had_password {
        c.grant_types.push(GRANT_PASSWORD.into());
    }
    if let Some(a) = u.auth_method {
        c.auth_method = a;
    }
    c.logo_uri = u.logo_uri;
    c.client_uri = u.client_uri;
    c.policy_uri = u.policy_uri;
    c.tos_uri = u.tos_uri;
    c.jwks_uri = u.jwks_uri;
    c.contacts = u.contacts;
    if let Some(a) = u.id_token_alg {
        c.id_token_alg = a;
    }
    c.userinfo_alg = u.userinfo_alg;
}
