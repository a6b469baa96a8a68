//! Bodies of `/api/v1/requests`: a request with its evaluations and decision,
//! new requests, approval and rejection.

use domain::portal::rules::Verdict;
use domain::portal::{self, Ask, Request};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    Pending,
    Approved,
    Rejected,
}

impl From<portal::Status> for RequestStatus {
    fn from(s: portal::Status) -> Self {
        match s {
            portal::Status::Pending => Self::Pending,
            portal::Status::Approved => Self::Approved,
            portal::Status::Rejected => Self::Rejected,
        }
    }
}

impl From<RequestStatus> for portal::Status {
    fn from(s: RequestStatus) -> Self {
        match s {
            RequestStatus::Pending => Self::Pending,
            RequestStatus::Approved => Self::Approved,
            RequestStatus::Rejected => Self::Rejected,
        }
    }
}

/// `scopes`: more scopes; `extension`: a later registration expiry; `change`: an
/// approval-gated edit (made by `PUT /clients/{id}` or `/enable`); `admission`: a
/// client that registered itself (RFC 7591) or came by a metadata document asks
/// to get tokens (opened by the server, never by `POST /requests`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RequestKind {
    Scopes,
    Extension,
    Change,
    Admission,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scopes => "scopes",
            Self::Extension => "extension",
            Self::Change => "change",
            Self::Admission => "admission",
        }
    }
}

/// How a client asking for admission came (kind `admission`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Arrival {
    /// `open` or `token` (dynamic registration), or `metadata_document`.
    pub via: String,
    /// The initial access token's id (`via = token`).
    pub initial_token: Option<String>,
    /// The address it registered from.
    pub ip: Option<String>,
    pub software_id: Option<String>,
    /// The metadata document's host (`via = metadata_document`), else empty.
    pub host: String,
    /// A protected name its own name imitates: never admitted by a rule.
    pub imitates: Option<String>,
    /// Every scope it asked for.
    pub scopes: Vec<String>,
    /// True when an admitted client asks again after changing its redirect URIs,
    /// grant types or keys.
    pub again: bool,
}

/// One field of a change request.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChange {
    /// `refresh_token_ttl_secs`, `password_grant`, `enabled`, `scopes`, `expires_at`,
    /// `grant_types` or `redirect_uris` (for these two, approving adds the entries of
    /// `after` that `before` lacks), or `stage` (a promotion, `development` to
    /// `production`).
    pub field: String,
    /// Any JSON value (a number, a boolean, null…).
    pub before: Value,
    /// Any JSON value.
    pub after: Value,
}

/// How one scope was judged when the request was made.
#[derive(Debug, Serialize, ToSchema)]
pub struct Evaluation {
    pub scope: String,
    /// `policy` (the scope needs no approval), `sandbox` (a sandbox scope, added
    /// at once to a client in development) or `rule`; null when a person decides.
    pub by: Option<String>,
    /// `approve`, `reject` or `human`.
    pub verdict: String,
    /// The rule's reason for a rejection, or why a person must decide.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Decider {
    /// `user`, `rule`, `policy` or `operator` (the command line).
    pub kind: String,
    pub id: Option<String>,
    pub name: String,
}

/// A request for something that needs approval. Times are Unix seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub requester_id: Option<String>,
    pub requester_username: Option<String>,
    pub kind: RequestKind,
    /// The scopes asked for (kind `scopes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// The expiry asked for (kind `extension`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// The expiry when the extension was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_expires_at: Option<i64>,
    /// The changes asked for (kind `change`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<FieldChange>>,
    /// How the client came (kind `admission`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrival: Option<Arrival>,
    pub justification: String,
    pub status: RequestStatus,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub decided_by: Option<Decider>,
    /// The rejection reason, or the approver's note.
    pub reason: Option<String>,
    /// The scopes approved (possibly fewer than asked).
    pub granted: Option<Vec<String>>,
    pub evaluations: Vec<Evaluation>,
    /// Only in the answer to `POST /requests` (kind `scopes`) when scopes that need
    /// no approval were asked together with gated ones: those were added at once,
    /// recorded as their own request (approved by policy); this request holds the
    /// gated ones only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_at_once: Option<AddedAtOnce>,
}

/// Scopes that need no approval, added to the client at once.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddedAtOnce {
    /// The request (status `approved`, decided by `policy`) that records them.
    pub request_id: String,
    pub scopes: Vec<String>,
}

impl From<Request> for RequestView {
    fn from(r: Request) -> Self {
        let mut arrival = None;
        let (kind, scopes, expires_at, previous_expires_at, changes) = match r.ask {
            Ask::Scopes { scopes } => (RequestKind::Scopes, Some(scopes), None, None, None),
            Ask::Admission(a) => {
                arrival = Some(Arrival {
                    via: a.via,
                    initial_token: a.initial_token,
                    ip: a.ip,
                    software_id: a.software_id,
                    host: a.host,
                    imitates: a.imitates,
                    scopes: a.scopes,
                    again: a.again,
                });
                (RequestKind::Admission, None, None, None, None)
            }
            Ask::Extension {
                expires_at,
                previous,
            } => (
                RequestKind::Extension,
                None,
                Some(expires_at),
                previous,
                None,
            ),
            Ask::Change { changes } => (
                RequestKind::Change,
                None,
                None,
                None,
                Some(
                    changes
                        .into_iter()
                        .map(|c| FieldChange {
                            field: c.field.as_str().to_owned(),
                            before: c.before,
                            after: c.after,
                        })
                        .collect(),
                ),
            ),
        };
        Self {
            id: r.id,
            client_id: r.client_id,
            client_name: r.client_name,
            requester_id: r.requester_id,
            requester_username: r.requester_username,
            kind,
            scopes,
            expires_at,
            previous_expires_at,
            changes,
            arrival,
            justification: r.justification,
            status: r.status.into(),
            created_at: r.created_at,
            decided_at: r.decided_at,
            decided_by: r.decider.map(|d| Decider {
                kind: d.kind,
                id: d.id,
                name: d.name,
            }),
            reason: r.reason,
            granted: r.granted,
            evaluations: r
                .evaluations
                .into_iter()
                .map(|e| {
                    let (verdict, reason) = match e.verdict {
                        Verdict::Approve => ("approve", None),
                        Verdict::Reject { reason } => ("reject", Some(reason)),
                        Verdict::Human { why } => ("human", Some(why)),
                    };
                    Evaluation {
                        scope: e.scope,
                        by: e.by,
                        verdict: verdict.into(),
                        reason,
                    }
                })
                .collect(),
            added_at_once: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestPage {
    pub items: Vec<RequestView>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListRequests {
    pub status: Option<RequestStatus>,
    pub kind: Option<RequestKind>,
    pub client_id: Option<String>,
    /// Administrators: only requests for their own clients (default: everyone's).
    pub mine: Option<bool>,
    /// 1-based page number (default 1). A page past the end is empty.
    pub page: Option<i64>,
    /// Items per page, 1 to 200 (default 50).
    pub per_page: Option<i64>,
}

/// What a new request asks for: `scopes` (more scopes) or `extension` (a later
/// registration expiry). Change requests come from editing the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NewRequestKind {
    Scopes,
    Extension,
}

/// A new request. Scope requests are judged at once. Scopes that need no approval
/// are the developer's to add: they are added immediately, whatever else is asked
/// with them. When every scope asked needs none, the answer is the request that
/// added them (`status` `approved`, `decided_by.kind` `policy`) and `justification`
/// may be empty. Otherwise the answer is the request for the scopes that need
/// approval (with `added_at_once` naming the others, if any): approved or rejected
/// at once when their auto-approval rules decide, else `pending` for an
/// administrator; `justification` is then required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    pub client_id: String,
    pub kind: NewRequestKind,
    /// For `scopes`: the scopes to add.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// For `extension`: the new expiry (Unix seconds).
    pub expires_at: Option<i64>,
    /// Why, for the administrator: required for `extension`, and for `scopes`
    /// when a scope asked needs approval.
    #[serde(default)]
    pub justification: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// For scope requests: approve only these (a subset of those asked).
    pub scopes: Option<Vec<String>>,
    /// Told to the developer.
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// Required: the developer is told why.
    #[serde(default)]
    pub reason: String,
}
