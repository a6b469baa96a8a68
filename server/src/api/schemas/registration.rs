//! Bodies of `/api/v1/registration`: the dynamic registration mode and initial
//! access tokens (administrators).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who may register clients at `/oauth/register` (RFC 7591).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Refused (403 `access_denied`): the default.
    Off,
    /// Anyone; every registration awaits admission.
    Open,
    /// Only with an initial access token.
    Token,
}

impl From<domain::settings::RegistrationMode> for Mode {
    fn from(m: domain::settings::RegistrationMode) -> Self {
        use domain::settings::RegistrationMode as R;
        match m {
            R::Off => Mode::Off,
            R::Open => Mode::Open,
            R::Token => Mode::Token,
        }
    }
}

impl From<Mode> for domain::settings::RegistrationMode {
    fn from(m: Mode) -> Self {
        match m {
            Mode::Off => Self::Off,
            Mode::Open => Self::Open,
            Mode::Token => Self::Token,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationSetting {
    pub mode: Mode,
}

/// A new initial access token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInitialToken {
    /// What it is for (shown to administrators).
    #[schema(example = "MCP pilot")]
    pub label: String,
    /// Registrations it allows (1 to 10000). Default 1.
    #[serde(default = "one")]
    pub max_uses: i64,
    /// Seconds until it expires (60 to one year). Default 7 days.
    #[serde(default = "week")]
    pub lifetime_secs: i64,
}

fn one() -> i64 {
    1
}

fn week() -> i64 {
    7 * 86_400
}

/// An initial access token as administrators see it (never the token itself,
/// except once in [`MintedToken`]).
#[derive(Debug, Serialize, ToSchema)]
pub struct InitialTokenView {
    pub id: String,
    pub label: String,
    pub max_uses: i64,
    pub uses: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

impl From<domain::clients::initial_tokens::InitialToken> for InitialTokenView {
    fn from(t: domain::clients::initial_tokens::InitialToken) -> Self {
        Self {
            id: t.id,
            label: t.label,
            max_uses: t.max_uses,
            uses: t.uses,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            created_at: t.created_at,
        }
    }
}

/// A minted token: shown here once, stored only as a hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct MintedToken {
    #[serde(flatten)]
    pub info: InitialTokenView,
    /// Send as `Authorization: Bearer …` to `/oauth/register`.
    pub token: String,
}

/// Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document):
/// whether a `client_id` may be a document's https URL, whose hosts are
/// admitted at once, and which names only their vendor's host may use.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataDocumentsSetting {
    /// Off by default.
    pub enabled: bool,
    /// Hosts (no scheme or port) whose documents' clients are admitted at once;
    /// any other host's client awaits an administrator.
    #[serde(default)]
    #[schema(example = json!(["app.example.com"]))]
    pub trusted_hosts: Vec<String>,
    /// A document from another host whose `client_name` matches one of these
    /// (case, spaces and punctuation ignored) is never admitted at once and is
    /// flagged to administrators.
    #[serde(default)]
    pub protected_names: Vec<ProtectedName>,
}

/// A protected client name and its vendor's host.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtectedName {
    #[schema(example = "Claude")]
    pub name: String,
    #[schema(example = "claude.ai")]
    pub host: String,
}

impl From<domain::settings::MetadataDocuments> for MetadataDocumentsSetting {
    fn from(m: domain::settings::MetadataDocuments) -> Self {
        Self {
            enabled: m.enabled,
            trusted_hosts: m.trusted_hosts,
            protected_names: m
                .protected_names
                .into_iter()
                .map(|p| ProtectedName {
                    name: p.name,
                    host: p.host,
                })
                .collect(),
        }
    }
}

impl From<MetadataDocumentsSetting> for domain::settings::MetadataDocuments {
    fn from(m: MetadataDocumentsSetting) -> Self {
        Self {
            enabled: m.enabled,
            trusted_hosts: m.trusted_hosts,
            protected_names: m
                .protected_names
                .into_iter()
                .map(|p| domain::settings::ProtectedName {
                    name: p.name,
                    host: p.host,
                })
                .collect(),
        }
    }
}

/// A developer claims a client that registered itself (RFC 7591), proving it with
/// the client's registration access token (RFC 7592).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub client_id: String,
    pub registration_access_token: String,
}
