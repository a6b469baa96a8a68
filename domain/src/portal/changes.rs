//! What an edit changes: the diff of two versions of a client, and the approval-gated
//! field changes a request carries.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clients::model::{Client, GrantType, SubjectType};

/// The fields that changed between two versions of a client, as
/// `{field: {"before": …, "after": …}}`.
pub fn diff(before: &Client, after: &Client) -> Value {
    let (Ok(Value::Object(b)), Ok(Value::Object(a))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return json!({});
    };
    let mut out = serde_json::Map::new();
    for (k, av) in &a {
        if k == "updated_at" || k == "version" {
            continue;
        }
        let bv = b.get(k).cloned().unwrap_or(Value::Null);
        if &bv != av {
            out.insert(k.clone(), json!({ "before": bv, "after": av }));
        }
    }
    Value::Object(out)
}

// ------------------------------------------------------------------ clients

/// The approval-gated settings of a client (seed 001: "Approval"), as a developer
/// may propose them on the edit form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gated {
    /// None = the server default.
    pub refresh_token_ttl_secs: Option<i64>,
    pub password_grant: bool,
    /// OIDC Core §8: changing it gives every person a new `sub` at this client.
    #[serde(default)]
    pub subject_type: SubjectType,
    /// Individually requested claims (OIDC Core §5.5); `None`: left as they are.
    #[serde(default)]
    pub requestable_claims: Option<Vec<String>>,
}

impl Gated {
    pub fn of(c: &Client) -> Self {
        Self {
            refresh_token_ttl_secs: c.refresh_token_ttl_secs,
            password_grant: c.allows(GrantType::Password),
            subject_type: c.metadata.subject_type,
            requestable_claims: Some(c.metadata.requestable_claims.clone()),
        }
    }
}

/// A client field whose change can wait for approval. Stored in requests by these
/// snake_case names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeField {
    RefreshTokenTtlSecs,
    PasswordGrant,
    /// Re-enabling a disabled client.
    Enabled,
    ExpiresAt,
    /// Grant types beyond what was reviewed (M7).
    GrantTypes,
    /// Redirect URIs on origins nobody reviewed (M7).
    RedirectUris,
    /// Public or pairwise subjects (seed 001: Approval).
    SubjectType,
    /// Claims the client may request individually (OIDC Core §5.5): the entries of
    /// `after` missing from `before` are added on approval.
    RequestableClaims,
    /// Promotion from development to production (issue 13, lifecycle states):
    /// the review of the client as it is, every scope it holds included.
    Stage,
}

impl ChangeField {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RefreshTokenTtlSecs => "refresh_token_ttl_secs",
            Self::PasswordGrant => "password_grant",
            Self::Enabled => "enabled",
            Self::ExpiresAt => "expires_at",
            Self::GrantTypes => "grant_types",
            Self::RedirectUris => "redirect_uris",
            Self::SubjectType => "subject_type",
            Self::RequestableClaims => "requestable_claims",
            Self::Stage => "stage",
        }
    }
}

impl ChangeField {
    /// How people read it (the portal's pages, e-mails, request summaries).
    pub fn label(self) -> &'static str {
        match self {
            Self::RefreshTokenTtlSecs => "refresh-token lifetime",
            Self::PasswordGrant => "password grant",
            Self::Enabled => "re-enabling",
            Self::ExpiresAt => "registration expiry",
            Self::GrantTypes => "grant types",
            Self::RedirectUris => "redirect URIs",
            Self::SubjectType => "subject type (public or pairwise)",
            Self::RequestableClaims => "individually requested claims",
            Self::Stage => "promotion to production",
        }
    }
}

impl std::fmt::Display for ChangeField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field change that waits for approval. For `grant_types` and `redirect_uris`
/// the entries of `after` missing from `before` are added on approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: ChangeField,
    pub before: Value,
    pub after: Value,
}

pub(crate) fn set_grant(c: &mut Client, grant: GrantType, on: bool) {
    c.metadata.grant_types.retain(|g| *g != grant);
    if on {
        c.metadata.grant_types.push(grant);
    }
}
