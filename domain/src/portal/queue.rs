//! The request queue: finding, listing and counting requests, and trying a draft
//! rule against recent ones.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::access::{client_for, PortalAdmin, Who};
use super::request::{to_requests, Ask, Request, Status};
use crate::entities::{change_request, client};
use crate::platform::clock::Timestamp;
use crate::platform::page::Page;
use crate::portal::rules::{self, RuleInput, Verdict};
use crate::{DomainError, DomainResult};

pub(crate) async fn find_request_unchecked(
    db: &DatabaseConnection,
    id: &str,
) -> DomainResult<Request> {
    if !crate::platform::text::could_exist(id) {
        return Err(DomainError::NotFound);
    }
    let row = change_request::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok(to_requests(db, vec![row]).await?.remove(0))
}

/// One request, for its client's owner or an administrator.
pub async fn find_request(db: &DatabaseConnection, who: &Who, id: &str) -> DomainResult<Request> {
    let req = find_request_unchecked(db, id).await?;
    if who.is_admin() {
        return Ok(req);
    }
    client_for(db, who, &req.client_id).await?;
    Ok(req)
}

pub(crate) async fn pending_requests<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
) -> DomainResult<Vec<Request>> {
    let rows = change_request::Entity::find()
        .filter(change_request::Column::ClientId.eq(client_id))
        .filter(change_request::Column::Status.eq(Status::Pending.as_str()))
        .all(conn)
        .await?;
    to_requests(conn, rows).await
}

pub(crate) async fn pending_scope_requests<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
) -> DomainResult<Vec<Request>> {
    Ok(pending_requests(conn, client_id)
        .await?
        .into_iter()
        .filter(|r| matches!(r.ask, Ask::Scopes { .. }))
        .collect())
}

/// Filters for request listings.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RequestFilter {
    pub status: Option<Status>,
    /// `scopes`, `extension`, `change` or `admission`.
    pub kind: Option<String>,
    pub client_id: Option<String>,
}

/// Requests visible to the caller: administrators see all (`mine = false`), others
/// the requests for the clients they own. Pending requests are listed oldest
/// first (a queue); decided ones newest first.
pub async fn list_requests(
    db: &DatabaseConnection,
    who: &Who,
    mine: bool,
    filter: &RequestFilter,
    page: u64,
    per_page: u64,
) -> DomainResult<Page<Request>> {
    let (page, per_page) = crate::platform::page::page_bounds(page, per_page, limits::PER_PAGE);
    let mut q = change_request::Entity::find();
    if mine || !who.is_admin() {
        let owned: Vec<String> = client::Entity::find()
            .select_only()
            .column(client::Column::Id)
            .filter(client::Column::OwnerId.eq(who.user.id.clone()))
            .into_tuple()
            .all(db)
            .await?;
        q = q.filter(
            sea_orm::Condition::any()
                .add(change_request::Column::ClientId.is_in(owned))
                .add(change_request::Column::RequesterId.eq(who.user.id.clone())),
        );
    }
    if let Some(s) = filter.status {
        q = q.filter(change_request::Column::Status.eq(s.as_str()));
    }
    if let Some(k) = filter.kind.as_deref().filter(|k| !k.is_empty()) {
        q = q.filter(change_request::Column::Kind.eq(crate::platform::text::search("kind", k)?));
    }
    if let Some(c) = filter.client_id.as_deref().filter(|c| !c.is_empty()) {
        q = q.filter(
            change_request::Column::ClientId.eq(crate::platform::text::search("client_id", c)?),
        );
    }
    q = if filter.status == Some(Status::Pending) {
        q.order_by_asc(change_request::Column::CreatedAt)
            .order_by_asc(change_request::Column::Id)
    } else {
        q.order_by_desc(change_request::Column::CreatedAt)
            .order_by_desc(change_request::Column::Id)
    };
    let p = q.paginate(db, per_page);
    let total = p.num_items().await?;
    let rows = p.fetch_page(page - 1).await?;
    Ok(Page {
        items: to_requests(db, rows).await?,
        page,
        per_page,
        total,
    })
}

/// How many requests wait for an administrator: client requests and requests for
/// developer access.
pub async fn pending_count<C: ConnectionTrait>(conn: &C) -> DomainResult<u64> {
    let client_requests = change_request::Entity::find()
        .filter(change_request::Column::Status.eq(Status::Pending.as_str()))
        .count(conn)
        .await?;
    Ok(client_requests + super::developer_access::waiting_count(conn).await?)
}

/// A rule tried against a recent scope request for one of its scopes, before
/// saving it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTrial {
    pub request_id: String,
    /// The scope the rule decided in that request.
    pub scope: String,
    pub client_name: String,
    pub developer: String,
    pub created_at: Timestamp,
    pub verdict: Verdict,
}

/// Evaluates a draft rule against the most recent scope requests that asked for
/// any of its scopes (at most `limit` requests; one outcome per scope of the rule
/// each asked for), without changing anything.
pub async fn test_rule(
    db: &DatabaseConnection,
    _admin: &PortalAdmin<'_>,
    draft: &rules::RuleDraft,
    limit: u64,
) -> DomainResult<Vec<RuleTrial>> {
    let rule = rules::validate(db, draft).await?;
    if rule.scopes.iter().any(|s| s == rules::ADMISSION_TARGET) {
        return test_admission_rule(db, &rule, limit).await;
    }
    let mut any = sea_orm::Condition::any();
    for s in &rule.scopes {
        let pat = format!("%\"{}\"%", s.replace(['%', '_'], ""));
        any = any.add(Expr::col(change_request::Column::Payload).like(pat));
    }
    let rows = change_request::Entity::find()
        .filter(change_request::Column::Kind.eq("scopes"))
        .filter(any)
        .order_by_desc(change_request::Column::CreatedAt)
        .limit(limit.clamp(1, 100))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for req in to_requests(db, rows).await? {
        let Ask::Scopes { scopes } = &req.ask else {
            continue;
        };
        if !rule.scopes.iter().any(|s| scopes.contains(s)) {
            continue;
        }
        let (Some(c), Some(dev)) = (
            crate::clients::store::find(db, &req.client_id).await?,
            match &req.requester_id {
                Some(id) => crate::accounts::users::find_by_id(db, id).await?,
                None => None,
            },
        ) else {
            continue;
        };
        for scope in rule.scopes.iter().filter(|s| scopes.contains(s)) {
            let input = RuleInput::new(
                &req.id,
                scope,
                scopes,
                &req.justification,
                req.created_at,
                &c,
                &dev,
            );
            out.push(RuleTrial {
                request_id: req.id.clone(),
                scope: scope.clone(),
                client_name: req.client_name.clone(),
                developer: dev.username.clone(),
                created_at: req.created_at,
                verdict: rules::evaluate(&rule, &input),
            });
        }
    }
    Ok(out)
}

/// [`test_rule`] for the admission rule: against the latest admissions, each with
/// its client as it is now.
async fn test_admission_rule(
    db: &DatabaseConnection,
    rule: &rules::Rule,
    limit: u64,
) -> DomainResult<Vec<RuleTrial>> {
    let rows = change_request::Entity::find()
        .filter(change_request::Column::Kind.eq("admission"))
        .order_by_desc(change_request::Column::CreatedAt)
        .limit(limit.clamp(1, 100))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for req in to_requests(db, rows).await? {
        let Ask::Admission(arrival) = &req.ask else {
            continue;
        };
        let Some(c) = crate::clients::store::find(db, &req.client_id).await? else {
            continue;
        };
        let input = RuleInput::admission(&req.id, req.created_at, &c, arrival.vars(&c));
        out.push(RuleTrial {
            request_id: req.id.clone(),
            scope: rules::ADMISSION_TARGET.into(),
            client_name: req.client_name.clone(),
            developer: match arrival.via.as_str() {
                "metadata_document" => format!("document on {}", arrival.host),
                via => format!("{via} registration"),
            },
            created_at: req.created_at,
            verdict: rules::evaluate(rule, &input),
        });
    }
    Ok(out)
}
