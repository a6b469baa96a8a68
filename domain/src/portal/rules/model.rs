//! Approval rules as stored, and what a rule sees (its CEL variables).

use serde::{Deserialize, Serialize};

use crate::accounts::users::User;
use crate::clients::model::Client;
use crate::entities::approval_rule;
use crate::platform::clock::Timestamp;

pub const MAX_EXPRESSION_LEN: usize = limits::RULE_EXPRESSION;

/// An approval rule: one pair of conditions deciding one or more scopes (seed 001:
/// "per scope (group of scopes)"). Each scope has at most one rule in force.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Names the rule; a rule saved before rules had several scopes is named after
    /// its scope (m0028).
    pub id: String,
    /// The scopes it decides, by name.
    pub scopes: Vec<String>,
    pub approve_if: Option<String>,
    pub reject_if: Option<String>,
    pub reject_reason: Option<String>,
    pub updated_at: Timestamp,
    pub updated_by: Option<String>,
}

impl Rule {
    /// The rules held in `rows` (one row per scope, sorted by scope), each with its
    /// scopes in that order; rules in the order of their first scope.
    pub(crate) fn from_rows(rows: Vec<approval_rule::Model>) -> Vec<Rule> {
        let mut out: Vec<Rule> = Vec::new();
        for m in rows {
            match out.iter_mut().find(|r| r.id == m.rule_id) {
                Some(r) => r.scopes.push(m.scope),
                None => out.push(Rule {
                    id: m.rule_id,
                    scopes: vec![m.scope],
                    approve_if: m.approve_if,
                    reject_if: m.reject_if,
                    reject_reason: m.reject_reason,
                    updated_at: m.updated_at,
                    updated_by: m.updated_by,
                }),
            }
        }
        out
    }
}

/// The key under which the one admission rule is stored, in place of a scope:
/// it decides whether a client that registered itself (RFC 7591) or arrived by a
/// metadata document from a host not trusted at once may get tokens. Scope names
/// hold only letters, digits and `: . _ - /`, so no scope can take this key.
pub const ADMISSION_TARGET: &str = "@registrations";

/// What a rule sees. Field names are the CEL names: `request` and `client` always,
/// `developer` for a developer's request, `registration` for an admission.
#[derive(Clone, Debug, Serialize)]
pub struct RuleInput {
    pub request: RequestVars,
    pub client: ClientVars,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub developer: Option<DeveloperVars>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration: Option<RegistrationVars>,
}

/// How a client that asks for admission arrived (`registration` in CEL).
#[derive(Clone, Debug, Default, Serialize)]
pub struct RegistrationVars {
    /// `open` or `token` (dynamic registration), or `metadata_document`.
    pub via: String,
    /// The initial access token's id (`via == "token"`), else empty.
    pub initial_token: String,
    /// The address it registered from, or empty (a metadata document's client
    /// was fetched, not sent).
    pub ip: String,
    /// RFC 7591 `software_id`, or empty.
    pub software_id: String,
    /// A metadata document's host, or empty.
    pub host: String,
    /// The hosts of its redirect URIs, sorted, each once.
    pub redirect_hosts: Vec<String>,
    /// Every scope it asked for (granted at once or not).
    pub scopes: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RequestVars {
    pub id: String,
    /// `scopes`.
    pub kind: String,
    /// The scope this rule is deciding.
    pub scope: String,
    /// Every scope in the request: the scopes that need approval (those that need
    /// none are added at once, apart, and never reach a rule).
    pub scopes: Vec<String>,
    pub justification: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClientVars {
    pub id: String,
    pub name: String,
    /// `web`, `native` or `service`.
    pub application_type: String,
    pub scopes: Vec<String>,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub first_party: bool,
    pub created_at: i64,
    /// 0 when the registration never expires.
    pub expires_at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct DeveloperVars {
    pub id: String,
    pub username: String,
    pub email: String,
    pub role: String,
    pub created_at: i64,
}

impl ClientVars {
    pub(crate) fn of(client: &Client) -> Self {
        Self {
            id: client.id.clone(),
            name: client.metadata.name.clone(),
            application_type: client.metadata.application_type.as_str().into(),
            scopes: client.scopes.clone(),
            grant_types: client
                .metadata
                .grant_types
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            redirect_uris: client.metadata.redirect_uris.clone(),
            first_party: client.first_party,
            created_at: client.created_at,
            expires_at: client.expires_at.unwrap_or(0),
        }
    }
}

impl RuleInput {
    /// The names a rule for `target` may use (for error messages).
    pub fn names(admission: bool) -> &'static str {
        if admission {
            "request, client or registration"
        } else {
            "request, client or developer"
        }
    }

    /// What the admission rule sees for a client asking to be admitted.
    pub fn admission(
        request_id: &str,
        created_at: Timestamp,
        client: &Client,
        registration: RegistrationVars,
    ) -> Self {
        Self {
            request: RequestVars {
                id: request_id.to_owned(),
                kind: "admission".into(),
                scope: ADMISSION_TARGET.into(),
                scopes: registration.scopes.clone(),
                justification: String::new(),
                created_at,
            },
            client: ClientVars::of(client),
            developer: None,
            registration: Some(registration),
        }
    }

    pub fn new(
        request_id: &str,
        scope: &str,
        scopes: &[String],
        justification: &str,
        created_at: Timestamp,
        client: &Client,
        developer: &User,
    ) -> Self {
        Self {
            request: RequestVars {
                id: request_id.to_owned(),
                kind: "scopes".into(),
                scope: scope.to_owned(),
                scopes: scopes.to_vec(),
                justification: justification.to_owned(),
                created_at,
            },
            client: ClientVars::of(client),
            developer: Some(DeveloperVars {
                id: developer.id.clone(),
                username: developer.username.clone(),
                email: developer.email.clone(),
                role: developer.role.as_str().into(),
                created_at: developer.created_at,
            }),
            registration: None,
        }
    }

    /// A plausible input for checking a new rule before it is saved.
    pub(crate) fn sample() -> Self {
        Self {
            request: RequestVars {
                id: "sample".into(),
                kind: "scopes".into(),
                scope: "api:read".into(),
                scopes: vec!["api:read".into()],
                justification: "sample".into(),
                created_at: 0,
            },
            client: ClientVars {
                id: "sample".into(),
                name: "Sample".into(),
                application_type: "web".into(),
                scopes: vec!["openid".into()],
                grant_types: vec!["authorization_code".into()],
                redirect_uris: vec!["https://app.example/cb".into()],
                first_party: false,
                created_at: 0,
                expires_at: 0,
            },
            developer: Some(DeveloperVars {
                id: "sample".into(),
                username: "sample".into(),
                email: "dev@example.org".into(),
                role: "developer".into(),
                created_at: 0,
            }),
            registration: None,
        }
    }

    /// A plausible admission, for checking an admission rule before it is saved.
    pub(crate) fn admission_sample() -> Self {
        let mut input = Self::sample();
        input.request.kind = "admission".into();
        input.request.scope = ADMISSION_TARGET.into();
        input.request.justification = String::new();
        input.developer = None;
        input.registration = Some(RegistrationVars {
            via: "open".into(),
            initial_token: String::new(),
            ip: "192.0.2.1".into(),
            software_id: "sample".into(),
            host: String::new(),
            redirect_hosts: vec!["app.example".into()],
            scopes: vec!["openid".into()],
        });
        input
    }

    /// The sample a rule deciding `scopes` is checked against.
    pub(crate) fn sample_for(scopes: &[String]) -> Self {
        if scopes.iter().any(|s| s == ADMISSION_TARGET) {
            Self::admission_sample()
        } else {
            Self::sample()
        }
    }
}
