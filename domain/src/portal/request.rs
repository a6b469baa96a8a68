//! Change requests as stored and shown: what they ask for, their status, how each
//! scope was judged, and who decided.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use super::admission::Arrival;
use super::changes::{ChangeField, FieldChange};
use crate::accounts::users::User;
use crate::entities::{change_request, client};
use crate::platform::clock::{format_date, Timestamp};
use crate::portal::rules::Verdict;
use crate::{DomainError, DomainResult};

// ------------------------------------------------------------------ requests

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// What a request asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ask {
    Scopes {
        scopes: Vec<String>,
    },
    Extension {
        expires_at: Timestamp,
        previous: Option<Timestamp>,
    },
    Change {
        changes: Vec<FieldChange>,
    },
    /// A client that registered itself, or arrived by a metadata document from a
    /// host not trusted at once, asks to get tokens (issue 16).
    Admission(Arrival),
}

impl Ask {
    pub fn kind(&self) -> &'static str {
        match self {
            Ask::Scopes { .. } => "scopes",
            Ask::Extension { .. } => "extension",
            Ask::Change { .. } => "change",
            Ask::Admission(_) => "admission",
        }
    }
    /// One line for lists and e-mails.
    pub fn summary(&self) -> String {
        match self {
            Ask::Scopes { scopes } => format!("scopes {}", scopes.join(", ")),
            Ask::Extension { expires_at, .. } => {
                format!("extension until {}", format_date(*expires_at))
            }
            Ask::Change { changes } if changes.iter().all(|c| c.field == ChangeField::Stage) => {
                ChangeField::Stage.label().to_owned()
            }
            Ask::Change { changes } => format!(
                "change of {}",
                changes
                    .iter()
                    .map(|c| c.field.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Ask::Admission(a) => match a.via.as_str() {
                "metadata_document" => format!("admission of a client from {}", a.host),
                _ => "admission of a self-registered client".into(),
            },
        }
    }
}

/// How a scope was judged when the request was submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub scope: String,
    /// `policy` (the scope needs no approval) or `rule`; absent when a person decides.
    pub by: Option<String>,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Payload {
    pub(crate) ask: Option<Ask>,
    #[serde(default)]
    pub(crate) evaluations: Vec<Evaluation>,
}

/// Who decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decider {
    /// `user`, `rule`, `policy` or `operator`.
    pub kind: String,
    /// The user id or the rule's scope.
    pub id: Option<String>,
    /// A username, or a description of the rule.
    pub name: String,
}

impl Decider {
    /// How a decision by `actor` is recorded on the request.
    pub(crate) fn of(actor: &crate::audit::Actor) -> DomainResult<Self> {
        use crate::audit::Actor;
        let (kind, id) = match actor {
            Actor::User(id) => ("user", Some(id.clone())),
            Actor::Rule(scope) => ("rule", Some(scope.clone())),
            // The command line (`portcullis client enable`).
            Actor::Operator => ("operator", None),
            // The scopes asked for need no approval (the catalogue's policy).
            Actor::System => ("policy", None),
            other => {
                return Err(DomainError::Internal(format!(
                    "{other:?} cannot decide a request"
                )))
            }
        };
        Ok(Self {
            kind: kind.into(),
            id,
            name: String::new(),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub requester_id: Option<String>,
    pub requester_username: Option<String>,
    pub requester_email: Option<String>,
    pub ask: Ask,
    pub justification: String,
    pub status: Status,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    pub decider: Option<Decider>,
    pub reason: Option<String>,
    /// Scopes actually approved (a subset of those asked, for scope requests).
    pub granted: Option<Vec<String>>,
    pub evaluations: Vec<Evaluation>,
}

pub(crate) async fn to_requests<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<change_request::Model>,
) -> DomainResult<Vec<Request>> {
    let mut users: HashMap<String, Option<User>> = HashMap::new();
    let mut names: HashMap<String, String> = HashMap::new();
    let client_ids: Vec<String> = rows.iter().map(|r| r.client_id.clone()).collect();
    if !client_ids.is_empty() {
        for c in client::Entity::find()
            .filter(client::Column::Id.is_in(client_ids))
            .all(conn)
            .await?
        {
            names.insert(c.id, c.name);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        for uid in [r.requester_id.clone(), r.decider_id.clone()]
            .into_iter()
            .flatten()
        {
            if let std::collections::hash_map::Entry::Vacant(e) = users.entry(uid) {
                let u = crate::accounts::users::find_by_id(conn, e.key()).await?;
                e.insert(u);
            }
        }
        let requester = r
            .requester_id
            .as_ref()
            .and_then(|id| users.get(id).cloned().flatten());
        let payload: Payload = serde_json::from_str(&r.payload).unwrap_or_default();
        let ask = payload
            .ask
            .ok_or_else(|| DomainError::Internal(format!("request {} has no ask", r.id)))?;
        let decider = r.decider_kind.as_ref().map(|k| Decider {
            kind: k.clone(),
            id: r.decider_id.clone(),
            name: match k.as_str() {
                "user" => r
                    .decider_id
                    .as_ref()
                    .and_then(|id| users.get(id).cloned().flatten())
                    .map(|u| u.username)
                    .unwrap_or_else(|| "a former administrator".into()),
                "rule"
                    if r.decider_id.as_deref() == Some(crate::portal::rules::ADMISSION_TARGET) =>
                {
                    "the admission rule for new registrations".into()
                }
                "rule" => format!(
                    "auto-approval rule for {}",
                    r.decider_id.clone().unwrap_or_default()
                ),
                "operator" => "an operator (command line)".into(),
                _ => "policy: the scopes need no approval".into(),
            },
        });
        out.push(Request {
            client_name: names.get(&r.client_id).cloned().unwrap_or_default(),
            requester_username: requester.as_ref().map(|u| u.username.clone()),
            requester_email: requester.as_ref().map(|u| u.email.clone()),
            status: Status::parse(&r.status).unwrap_or(Status::Pending),
            granted: r
                .granted
                .as_deref()
                .and_then(|g| serde_json::from_str(g).ok()),
            evaluations: payload.evaluations,
            id: r.id,
            client_id: r.client_id,
            requester_id: r.requester_id,
            ask,
            justification: r.justification,
            created_at: r.created_at,
            decided_at: r.decided_at,
            decider,
            reason: r.reason,
        });
    }
    Ok(out)
}

/// What a person or a rule decided about a request.
pub(crate) enum Decision {
    Approve {
        scopes: Option<Vec<String>>,
        note: Option<String>,
    },
    Reject {
        reason: String,
    },
}
