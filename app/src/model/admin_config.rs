//! The administrators' configuration pages: self-registration, run-time settings
//! (with the terms of use, which sign-up and sign-in show too) and the API/scope
//! catalogue.

use serde::{Deserialize, Serialize};

use super::ScopeView;

/// The administrators' self-registration page (issue 16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationView {
    /// `off`, `open` or `token`.
    pub mode: String,
    pub tokens: Vec<InitialTokenView>,
    /// A token just minted, shown this once.
    pub new_token: Option<String>,
    pub documents_enabled: bool,
    pub trusted_hosts: Vec<String>,
    pub protected_names: Vec<ProtectedNameView>,
}

/// An initial access token as administrators see it (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitialTokenView {
    pub id: String,
    pub label: String,
    pub uses: i64,
    pub max_uses: i64,
    pub expires: String,
    /// `live`, `used up`, `expired` or `revoked`.
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedNameView {
    pub name: String,
    pub host: String,
}

/// The terms of use in force, for the sign-up form and the sign-in step that asks
/// for a new version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsView {
    pub url: String,
    pub version: String,
}

/// The administrators' settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    pub third_party_oauth: bool,
    pub access_token_secs: i64,
    pub refresh_token_hours: i64,
    pub allow_self_signup: bool,
    pub default_client_scopes: Vec<String>,
    pub default_client_lifetime_days: i64,
    /// The longest a personal access token may live (days).
    pub personal_token_max_days: i64,
    /// The roles (`user`, `developer`, `admin`) that must use a second factor.
    pub second_factor_roles: Vec<String>,
    /// The terms of use people accept (both empty: none).
    pub terms_url: String,
    pub terms_version: String,
    /// Every token request must carry a DPoP proof.
    pub require_dpop: bool,
    /// The settings file's values, shown as the defaults being overridden.
    pub file_access_token_secs: i64,
    pub file_refresh_token_hours: i64,
    pub file_allow_self_signup: bool,
    pub file_require_dpop: bool,
    /// Scopes that may be given to every new client (they need no approval).
    pub grantable: Vec<ScopeView>,
    /// New developers' clients start in development (issue 13, lifecycle states).
    #[serde(default)]
    pub new_clients_in_development: bool,
    /// Scopes a client in development adds without approval.
    #[serde(default)]
    pub sandbox_scopes: Vec<String>,
    /// The scopes that need approval (the candidates for the sandbox).
    #[serde(default)]
    pub gated: Vec<ScopeView>,
}

/// An API (resource server) and its scopes, for the catalogue page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiView {
    pub id: String,
    pub name: String,
    pub audience: String,
    pub scopes: Vec<ScopeView>,
    /// Client ids of its resource servers: they may introspect its tokens.
    pub introspectors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueView {
    pub apis: Vec<ApiView>,
    /// The OpenID Connect scopes: fixed wording; all but `openid` may be gated.
    pub builtin: Vec<ScopeView>,
}
