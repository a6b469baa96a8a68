//! Admission (issue 16, item 1): a client that registered itself (RFC 7591), or
//! arrived by a client ID metadata document from a host not trusted at once,
//! starts disabled and asks to be admitted — a request in the same queue as
//! developers' requests, opened in the registration's transaction.
//!
//! The admission rule (a CEL rule stored under [`ADMISSION_TARGET`] instead of a
//! scope) decides it at once when it can: approved, the client is enabled;
//! rejected, it stays disabled and the authorization page says it was refused.
//! Otherwise a person decides in the queue. A client that imitates a protected
//! name never reaches the rule. Enabling the client directly (the admin page,
//! `POST /api/v1/clients/{id}/enable`, `portcullis client enable`) admits it too:
//! its pending admission is closed as approved by whoever enabled it.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::decisions::decide;
use super::request::{Ask, Decision, Evaluation, Payload, Status};
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::clients::model::Client;
use crate::entities::change_request;
use crate::platform::clock::Timestamp;
use crate::portal::notify::{self, Message};
use crate::portal::rules::{self, RegistrationVars, RuleInput, Verdict, ADMISSION_TARGET};
use crate::{DomainError, DomainResult};

/// How a client asking for admission arrived: what the queue card shows and the
/// admission rule reads (as `registration`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    /// `open` or `token` (dynamic registration), or `metadata_document`.
    pub via: String,
    /// The initial access token's id, when one was used.
    #[serde(default)]
    pub initial_token: Option<String>,
    /// The address it registered from.
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub software_id: Option<String>,
    /// A metadata document's host; empty for a dynamic registration.
    #[serde(default)]
    pub host: String,
    /// The protected name it imitates, if any (metadata documents).
    #[serde(default)]
    pub imitates: Option<String>,
    /// Every scope it asked for.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Why it asks again: set when a change to what admission vetted (redirect
    /// URIs, grant types, keys) sent an admitted client back.
    #[serde(default)]
    pub again: bool,
}

impl Arrival {
    /// What the admission rule sees of it.
    pub fn vars(&self, client: &Client) -> RegistrationVars {
        let mut redirect_hosts: Vec<String> = client
            .metadata
            .redirect_uris
            .iter()
            .filter_map(|u| url::Url::parse(u).ok()?.host_str().map(str::to_owned))
            .collect();
        redirect_hosts.sort();
        redirect_hosts.dedup();
        RegistrationVars {
            via: self.via.clone(),
            initial_token: self.initial_token.clone().unwrap_or_default(),
            ip: self.ip.clone().unwrap_or_default(),
            software_id: self.software_id.clone().unwrap_or_default(),
            host: self.host.clone(),
            redirect_hosts,
            scopes: self.scopes.clone(),
        }
    }
}

async fn pending<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
) -> DomainResult<Vec<change_request::Model>> {
    Ok(change_request::Entity::find()
        .filter(change_request::Column::ClientId.eq(client_id))
        .filter(change_request::Column::Kind.eq("admission"))
        .filter(change_request::Column::Status.eq(Status::Pending.as_str()))
        .all(conn)
        .await?)
}

/// Opens the admission of `client` (disabled, in the caller's transaction): a
/// pending request, decided at once by the admission rule when the rule decides,
/// else announced to administrators. Nothing is opened while one is pending.
/// Returns how it stands.
pub(crate) async fn open<C: ConnectionTrait>(
    conn: &C,
    client: &Client,
    arrival: Arrival,
    now: Timestamp,
) -> DomainResult<Status> {
    if !client.disabled {
        return Err(DomainError::Internal(
            "admission is asked only for a disabled client".into(),
        ));
    }
    if !pending(conn, &client.id).await?.is_empty() {
        return Ok(Status::Pending);
    }
    let id = uuid::Uuid::now_v7().to_string();
    let evaluation = match &arrival.imitates {
        Some(name) => Some(Evaluation {
            scope: ADMISSION_TARGET.into(),
            by: None,
            verdict: Verdict::Human {
                why: format!("its name imitates \"{name}\": a person decides"),
            },
        }),
        None => match rules::find(conn, ADMISSION_TARGET).await? {
            Some(rule) => {
                let input = RuleInput::admission(&id, now, client, arrival.vars(client));
                Some(Evaluation {
                    scope: ADMISSION_TARGET.into(),
                    by: Some("rule".into()),
                    verdict: rules::evaluate(&rule, &input),
                })
            }
            None => None,
        },
    };
    let verdict = evaluation.as_ref().map(|e| e.verdict.clone());
    let ask = Ask::Admission(arrival);
    let payload = Payload {
        ask: Some(ask.clone()),
        evaluations: evaluation.into_iter().collect(),
    };
    let row = super::submit::pending_row(&id, &client.id, None, &payload, "", now)?
        .insert(conn)
        .await?;
    audit::record(
        conn,
        now,
        AuditEvent::new(
            EventType::RequestSubmitted,
            Actor::Client(client.id.clone()),
        )
        .target("request", &id)
        .data(json!({ "client_id": client.id, "ask": ask })),
    )
    .await?;
    let rule = || Actor::Rule(ADMISSION_TARGET.into());
    match verdict {
        Some(Verdict::Approve) => {
            let approve = Decision::Approve {
                scopes: None,
                note: None,
            };
            decide(conn, &row, client, rule(), approve, None, now).await?;
            Ok(Status::Approved)
        }
        Some(Verdict::Reject { reason }) => {
            decide(
                conn,
                &row,
                client,
                rule(),
                Decision::Reject { reason },
                None,
                now,
            )
            .await?;
            Ok(Status::Rejected)
        }
        _ => {
            notify::notify_admins(
                conn,
                &Message {
                    kind: "request.pending",
                    title: format!("\"{}\" asks to be admitted", client.metadata.name),
                    body: format!(
                        "The client \"{}\" ({}) came by {} and gets no tokens until it is admitted. Review it in the approval queue.",
                        client.metadata.name,
                        client.id,
                        ask.summary()
                    ),
                    link: Some(format!("/admin/requests#{id}")),
                },
                now,
            )
            .await?;
            Ok(Status::Pending)
        }
    }
}

/// Closes the pending admission of a client that `actor` enabled directly, as
/// approved by them (in the caller's transaction, after the client was saved).
pub(crate) async fn settle<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
    actor: &Actor,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<()> {
    for row in pending(conn, client_id).await? {
        let client = crate::clients::store::find_for_update(conn, client_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let approve = Decision::Approve {
            scopes: None,
            note: Some("admitted by enabling the client".into()),
        };
        decide(conn, &row, &client, actor.clone(), approve, ip.clone(), now).await?;
    }
    Ok(())
}

/// Where a client's latest admission stands, if it ever asked for one.
pub async fn latest<C: ConnectionTrait>(conn: &C, client_id: &str) -> DomainResult<Option<Status>> {
    Ok(change_request::Entity::find()
        .filter(change_request::Column::ClientId.eq(client_id))
        .filter(change_request::Column::Kind.eq("admission"))
        .order_by_desc(change_request::Column::CreatedAt)
        .order_by_desc(change_request::Column::Id)
        .one(conn)
        .await?
        .and_then(|r| Status::parse(&r.status)))
}
