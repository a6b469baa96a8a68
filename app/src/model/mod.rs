//! Types shared by the server and the browser (no storage types here).

use serde::{Deserialize, Serialize};

mod admin_config;
mod developer_access;
mod team;

pub use admin_config::*;
pub use developer_access::*;
pub use team::*;

/// The signed-in user as pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub email_verified: bool,
    pub created: String,
}

impl UserView {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
    pub fn can_develop(&self) -> bool {
        matches!(self.role, Role::Developer | Role::Admin)
    }
}

/// What an account may do. Spelled on the wire as the domain spells it (`user`,
/// `developer`, `admin`); the browser bundle cannot use the domain's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Developer,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Developer, Role::Admin];

    /// The form value (the wire spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Developer => "developer",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Developer => "Developer",
            Role::User => "End user",
        }
    }
}

// A client's metadata and its closed sets, as the domain and the REST API have them.
pub use metadata::{ApplicationType, AuthMethod, ClientMetadata, GrantType, SigningAlg};

/// What every page needs: who is signed in, the CSRF token for forms, and whether
/// self sign-up is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellInfo {
    pub user: Option<UserView>,
    pub csrf_token: String,
    pub allow_signup: bool,
    /// Unread notifications of the signed-in user (the bell).
    #[serde(default)]
    pub unread: u64,
    /// Requests waiting for a decision (administrators only).
    #[serde(default)]
    pub pending_requests: u64,
}

/// One page of users for the admin list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<UserView>,
    /// The ids of the users on this page whose password is an LDAP directory's.
    pub directory: Vec<String>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub search: String,
}

/// An API scope as the catalogue shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeView {
    pub name: String,
    pub description: String,
    /// The API's identifier (audience); None for OpenID scopes.
    pub api: Option<String>,
    pub requires_approval: bool,
}

/// How close a registration is to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expiry {
    Never,
    /// More than 30 days left.
    Ok,
    /// Less than 30 days left: shown in red (seed 001).
    Soon,
    Expired,
}

/// An OAuth client as the portal shows it. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientView {
    pub id: String,
    /// Flattened: the JSON of the portal's server functions keeps the RFC 7591
    /// names at the top level, as the REST API does.
    #[serde(flatten)]
    pub metadata: ClientMetadata,
    pub scopes: Vec<String>,
    pub allowed_email_domains: Vec<String>,
    pub refresh_token_ttl_secs: Option<i64>,
    pub first_party: bool,
    /// No consent screen (set by administrators).
    #[serde(default)]
    pub pre_authorized: bool,
    /// This client's access-token lifetime (None: the server's).
    #[serde(default)]
    pub access_token_ttl_secs: Option<i64>,
    pub disabled: bool,
    pub expires: Option<String>,
    pub expiry: Expiry,
    pub days_left: Option<i64>,
    pub created: String,
    pub owner: Option<String>,
    /// The row version the page was rendered with; the edit form sends it back so
    /// that a stale form cannot overwrite someone else's change.
    pub version: i64,
    /// For administrators: why the name may deceive (mixed scripts, looks like
    /// another client's name). Empty for developers.
    #[serde(default)]
    pub name_warnings: Vec<String>,
    /// For administrators: how a client registered through `/oauth/register` came
    /// (mode, address, time). None for portal clients, and for developers.
    #[serde(default)]
    pub origin: Option<String>,
    /// In development: only its team signs in to it (issue 13, lifecycle states).
    #[serde(default)]
    pub in_development: bool,
    /// Its co-owners' usernames, where a page shows the team beside the owner
    /// (the approval queue); empty elsewhere.
    #[serde(default)]
    pub co_owners: Vec<String>,
}

impl ClientView {
    pub fn type_label(&self) -> &'static str {
        self.metadata.application_type.label()
    }
    pub fn is_public(&self) -> bool {
        self.metadata.is_public()
    }
    /// Whether the client holds the approval-gated password grant.
    pub fn password_grant(&self) -> bool {
        self.metadata.allows(GrantType::Password)
    }
    pub fn status_label(&self) -> &'static str {
        if self.disabled {
            "Disabled"
        } else if self.expiry == Expiry::Expired {
            "Expired"
        } else {
            "Active"
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientPage {
    pub clients: Vec<ClientView>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub search: String,
    pub sort: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeView {
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub requester: Option<String>,
    pub requester_email: Option<String>,
    pub kind: RequestKind,
    pub summary: String,
    pub scopes: Vec<ScopeView>,
    pub changes: Vec<ChangeView>,
    pub justification: String,
    pub status: RequestStatus,
    pub created: String,
    pub decided: Option<String>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub granted: Option<Vec<String>>,
    /// One line per scope judged on submission, e.g. "api:read: left for a person (no rule)".
    pub evaluations: Vec<String>,
    /// An admission's facts (how the client came), as label and value.
    #[serde(default)]
    pub facts: Vec<(String, String)>,
    /// For administrators: why the client's name may deceive.
    #[serde(default)]
    pub name_warnings: Vec<String>,
    /// For administrators reviewing a pending request: the client as it is now
    /// (type, redirect URIs, scopes, owner, registration date).
    #[serde(default)]
    pub client: Option<Box<ClientView>>,
    /// Whole days since the client was registered (with `client`).
    #[serde(default)]
    pub client_age_days: Option<i64>,
    /// Whole days the request has waited (pending requests, for administrators).
    #[serde(default)]
    pub waiting_days: Option<i64>,
}

/// Where a request stands, spelled on the wire as the domain spells it
/// (`pending`, `approved`, `rejected`); the browser bundle cannot use the domain's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    Pending,
    Approved,
    Rejected,
}

impl RequestStatus {
    /// The wire spelling (also the filter value in URLs).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
        }
    }
}

/// The key of the rule for new registrations, in place of a scope (the domain's
/// `portal::rules::ADMISSION_TARGET`; a unit test keeps the two equal).
pub const ADMISSION_TARGET: &str = "@registrations";

/// What a request asks for, spelled on the wire as the domain spells it
/// (`scopes`, `extension`, `change`, `admission`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestKind {
    Scopes,
    Extension,
    Change,
    Admission,
}

impl RequestKind {
    /// The wire spelling (also the filter value in URLs).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Scopes => "scopes",
            RequestKind::Extension => "extension",
            RequestKind::Change => "change",
            RequestKind::Admission => "admission",
        }
    }

    /// As people read it on a card.
    pub fn label(self) -> &'static str {
        match self {
            RequestKind::Scopes => "scopes",
            RequestKind::Extension => "extension",
            RequestKind::Change => "field change",
            RequestKind::Admission => "admission",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestPage {
    pub requests: Vec<RequestView>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
}

/// Everything the client page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientDetail {
    pub client: ClientView,
    /// A secret just created or rotated, shown this once.
    pub new_secret: Option<String>,
    pub requests: Vec<RequestView>,
    /// Scopes the client could request (not yet held, fitting its type).
    pub requestable: Vec<ScopeView>,
    /// Descriptions of the scopes the client holds.
    pub scopes: Vec<ScopeView>,
    pub viewer_is_admin: bool,
    pub viewer_is_owner: bool,
    /// The working secrets of a confidential client, newest first.
    pub secrets: Vec<SecretView>,
    /// The latest back-channel logout deliveries, newest first.
    pub logout_deliveries: Vec<LogoutDeliveryView>,
    /// Its use over the last days.
    pub usage: UsageView,
    /// Who it belongs to (issue 13, teams).
    pub team: TeamView,
    /// A request to promote it to production waits for a decision.
    #[serde(default)]
    pub promotion_pending: bool,
    /// In development: the scopes it may add at once (the sandbox scopes).
    #[serde(default)]
    pub sandbox: Vec<String>,
}

/// A client's use over the last days (issue 13, "usage for developers").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageView {
    /// Oldest first, every day (UTC) present.
    pub days: Vec<UsageDayView>,
    /// People whose consent for the client stands.
    pub people: u64,
    /// Token responses in the window (refreshes included).
    pub issued: u64,
    /// Codes and refresh tokens presented twice, refused.
    pub refused: u64,
    /// The last token response in the window (RFC 3339, UTC).
    pub last_token: Option<String>,
    /// Refused token requests in the window (replays included).
    pub failed: u64,
    /// Those by OAuth error code, most first.
    pub failures: Vec<FailureView>,
}

/// A client's refused token requests with one error code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureView {
    pub code: String,
    pub count: u64,
    /// What it usually means, in plain words.
    pub meaning: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageDayView {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub issued: u64,
    pub refreshed: u64,
    pub refused: u64,
    pub failed: u64,
}

/// One back-channel logout as the client's developer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutDeliveryView {
    pub created: String,
    pub attempts: i64,
    /// `delivered`, `retrying` or `failed` (given up).
    pub state: String,
    pub last_error: Option<String>,
    pub next_attempt: Option<String>,
}

/// A secret that still works, as its owner sees it (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretView {
    pub id: String,
    pub created: String,
    /// When it stops working, after a rotation; `None`: until rotated.
    pub expires: Option<String>,
    /// The newest use known (recorded about once a minute); `None`: never used.
    pub last_used: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub created: String,
    pub read: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleView {
    pub id: String,
    /// The scopes it decides (one rule for them all).
    pub scopes: Vec<String>,
    pub approve_if: String,
    pub reject_if: String,
    pub reject_reason: String,
    pub updated: String,
}

/// A rule as typed in the editor (not yet checked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDraftView {
    /// The rule being edited; empty for a new one.
    pub id: String,
    pub scopes: Vec<String>,
    pub approve_if: String,
    pub reject_if: String,
    pub reject_reason: String,
}

/// The rules page: the scopes a rule may decide and the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesPage {
    pub scopes: Vec<ScopeView>,
    pub rules: Vec<RuleView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTrialView {
    /// The scope decided.
    pub scope: String,
    pub client_name: String,
    pub developer: String,
    pub created: String,
    /// `approve`, `reject` or `human`.
    pub verdict: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxView {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created: String,
    pub sent: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxPage {
    pub items: Vec<OutboxView>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub smtp_configured: bool,
}

/// A length of time in words: "5 minutes", "1 hour", "1 minute 30 seconds".
pub fn human_duration(secs: i64) -> String {
    let unit = |n: i64, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let parts: Vec<String> = [
        (86_400, "day"),
        (3600, "hour"),
        (60, "minute"),
        (1, "second"),
    ]
    .into_iter()
    .scan(secs.max(0), |left, (size, name)| {
        let n = *left / size;
        *left %= size;
        Some((n, name))
    })
    .filter(|(n, _)| *n > 0)
    .map(|(n, name)| unit(n, name))
    .collect();
    if parts.is_empty() {
        "0 seconds".into()
    } else {
        parts.join(" ")
    }
}

/// A scope with its consent-screen wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeText {
    pub name: String,
    pub description: String,
}

/// An app the signed-in person has allowed (a grant), as "My apps" shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedAppView {
    pub grant_id: String,
    pub client_id: String,
    pub name: String,
    pub logo_uri: Option<String>,
    pub owner: Option<String>,
    pub scopes: Vec<ScopeText>,
    pub first_authorised: String,
    pub last_used: Option<String>,
    /// How long its access tokens live: how long one already issued can still be
    /// accepted by an API that checks it offline after access is revoked.
    pub access_token_secs: i64,
    /// Agents acting for the person through this app (token exchange).
    pub agents: Vec<AgentView>,
    /// Who may act for the person through it (`may_act`): `any`, `none` or `only`.
    pub may_act: String,
    /// The agents the person can tick for `only`: those acting now and those
    /// named before, with whether each is allowed.
    pub agent_choices: Vec<AgentChoice>,
    /// Whether it holds access to an API (which it could hand on to an agent).
    pub delegable: bool,
}

/// One agent the person can allow or not (`may_act`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentChoice {
    pub client_id: String,
    pub name: String,
    pub allowed: bool,
}

/// An agent acting for the person through one of their apps (RFC 8693).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentView {
    pub client_id: String,
    pub name: String,
    pub last_used: String,
    pub live_tokens: usize,
    /// 1: it got its token from the app's; more: through other agents.
    pub depth: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedApps {
    pub apps: Vec<ConnectedAppView>,
    /// The server's access-token lifetime now in force.
    pub access_token_secs: i64,
}

/// One person's authorizations, as an administrator sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserApps {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub list: ConnectedApps,
    /// Their personal access tokens.
    pub tokens: Vec<crate::api::personal_tokens::PersonalTokenView>,
    /// Whether they have an authenticator app set up (two-step sign-in).
    pub second_factor: bool,
}

#[cfg(test)]
mod tests {
    use super::human_duration;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(human_duration(300), "5 minutes");
        assert_eq!(human_duration(3600), "1 hour");
        assert_eq!(human_duration(90), "1 minute 30 seconds");
        assert_eq!(human_duration(60), "1 minute");
    }
}
