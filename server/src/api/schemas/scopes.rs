//! Bodies of `/api/v1/scopes` and `/api/v1/rules`: the scope catalogue, which
//! scopes need approval, and the auto-approval rules (one rule may decide a group
//! of scopes).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A scope of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScopeView {
    pub name: String,
    /// What people read on the consent screen.
    pub description: String,
    /// The API (audience) it belongs to; null for OpenID scopes.
    pub api: Option<String>,
    /// Developers' requests for it wait for an administrator (or its rule).
    pub requires_approval: bool,
}

impl From<domain::apis::ScopeInfo> for ScopeView {
    fn from(s: domain::apis::ScopeInfo) -> Self {
        Self {
            name: s.name,
            description: s.description,
            api: s.audience,
            requires_approval: s.requires_approval,
        }
    }
}

/// Administrators: whether clients need approval to get a scope, and (API scopes)
/// its consent-screen wording. The built-in OpenID scopes keep their wording;
/// `openid` never needs approval.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeChange {
    pub requires_approval: bool,
    /// API scopes: the new wording (left out: unchanged). OpenID scopes: left out,
    /// or their fixed wording.
    pub description: Option<String>,
}

/// An auto-approval rule (CEL) and the scopes it decides, each on its own.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: String,
    pub scopes: Vec<String>,
    pub approve_if: Option<String>,
    pub reject_if: Option<String>,
    pub reject_reason: Option<String>,
    /// Unix seconds.
    pub updated_at: i64,
}

impl From<domain::portal::rules::Rule> for RuleView {
    fn from(r: domain::portal::rules::Rule) -> Self {
        Self {
            id: r.id,
            scopes: r.scopes,
            approve_if: r.approve_if,
            reject_if: r.reject_if,
            reject_reason: r.reject_reason,
            updated_at: r.updated_at,
        }
    }
}

/// A rule as written: its scopes (`scopes`, or `scope` for one, as before rules
/// could decide several), at least one condition, and a reason with `reject_if`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// One scope (kept for callers written before `scopes`).
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub approve_if: String,
    #[serde(default)]
    pub reject_if: String,
    #[serde(default)]
    pub reject_reason: String,
}

impl RuleBody {
    pub fn draft(self, id: Option<String>) -> domain::portal::rules::RuleDraft {
        let mut scopes = self.scopes;
        scopes.extend(self.scope);
        domain::portal::rules::RuleDraft {
            id,
            scopes,
            approve_if: self.approve_if,
            reject_if: self.reject_if,
            reject_reason: self.reject_reason,
        }
    }
}
