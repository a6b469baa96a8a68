//! Reading the audit log for administrators: filters, a page for the viewer, and
//! fixed-size batches for export (newest first, keyset-paginated so a large log is
//! never loaded at once).

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait,
};

use crate::accounts::users::AdminCtx;
use crate::entities::{audit_event, audit_event::Column, user};
use crate::platform::clock::{parse_date_end, Timestamp};
use crate::platform::page::Page;
use crate::DomainResult;

/// The actor kinds `Actor` writes.
pub const ACTOR_KINDS: [&str; 6] = ["user", "client", "rule", "system", "operator", "anonymous"];

/// The viewer's filters, as typed into its form. Empty strings mean "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// An actor kind (`system`), `kind:id` (`client:abc`), a user name, or an id.
    pub actor: String,
    /// A client id: events by the client, or about it.
    pub client: String,
    /// A user name or id: events by the user, or about them.
    pub user: String,
    /// An event type such as `token.issued`.
    pub event_type: String,
    /// First day included, `YYYY-MM-DD` (UTC).
    pub from: String,
    /// Last day included, `YYYY-MM-DD` (UTC).
    pub to: String,
}

/// One event as the viewer and the exports show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    pub id: i64,
    pub seq: Option<i64>,
    pub occurred_at: Timestamp,
    pub event_type: String,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    /// The stored JSON text (before/after and other details).
    pub data: String,
    pub hash: Option<String>,
}

impl From<audit_event::Model> for EventRow {
    fn from(m: audit_event::Model) -> Self {
        Self {
            id: m.id,
            seq: m.seq,
            occurred_at: m.occurred_at,
            event_type: m.event_type,
            actor_kind: m.actor_kind,
            actor_id: m.actor_id,
            target_kind: m.target_kind,
            target_id: m.target_id,
            ip: m.ip,
            data: m.data,
            hash: m.hash,
        }
    }
}

/// A user name typed into a filter becomes the user's id; anything else is kept as
/// given (it may be an id already).
async fn user_id_for<C: ConnectionTrait>(conn: &C, name_or_id: &str) -> DomainResult<String> {
    Ok(crate::accounts::users::find_by_username(conn, name_or_id)
        .await?
        .map(|u| u.id)
        .unwrap_or_else(|| name_or_id.to_owned()))
}

fn by_or_about(kind: &str, id: &str) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(Column::ActorKind.eq(kind))
                .add(Column::ActorId.eq(id)),
        )
        .add(
            Condition::all()
                .add(Column::TargetKind.eq(kind))
                .add(Column::TargetId.eq(id)),
        )
}

async fn condition<C: ConnectionTrait>(conn: &C, f: &AuditFilter) -> DomainResult<Condition> {
    use crate::platform::text::search;
    let mut c = Condition::all();
    let actor = search("actor", &f.actor)?;
    let actor = actor.as_str();
    if !actor.is_empty() {
        c = c.add(match actor.split_once(':') {
            Some((kind, id)) if ACTOR_KINDS.contains(&kind) => {
                let id = if kind == "user" {
                    user_id_for(conn, id).await?
                } else {
                    id.to_owned()
                };
                Condition::all()
                    .add(Column::ActorKind.eq(kind))
                    .add(Column::ActorId.eq(id))
            }
            _ if ACTOR_KINDS.contains(&actor) => Condition::all().add(Column::ActorKind.eq(actor)),
            _ => Condition::all().add(Column::ActorId.eq(user_id_for(conn, actor).await?)),
        });
    }
    let client = search("client", &f.client)?;
    let client = client.as_str();
    if !client.is_empty() {
        // Also events about something of the client's (a grant, a request), which
        // name it in their data (`client_id` or `client`, indexed: m0050).
        c = c.add(by_or_about("client", client).add(Column::DataClient.eq(client)));
    }
    let who = search("user", &f.user)?;
    let who = who.as_str();
    if !who.is_empty() {
        c = c.add(by_or_about("user", &user_id_for(conn, who).await?));
    }
    let event_type = search("event_type", &f.event_type)?;
    let event_type = event_type.as_str();
    if !event_type.is_empty() {
        c = c.add(Column::EventType.eq(event_type));
    }
    if let Some(end) = parse_date_end(&f.from) {
        c = c.add(Column::OccurredAt.gte(end - 86_399));
    }
    if let Some(end) = parse_date_end(&f.to) {
        c = c.add(Column::OccurredAt.lte(end));
    }
    Ok(c)
}

/// The viewer counts matching events up to here and no further: counting 10
/// million rows for a page of 50 takes seconds (issue 14's scale benchmark), and
/// past ten thousand the number helps nobody. A larger match says "more than
/// 10,000" and pages on to the 10,000th event; the export has every one.
pub const COUNT_CAP: u64 = 10_000;

/// How many events match `cond`, counting at most [`COUNT_CAP`]` + 1`.
async fn count_capped<C: ConnectionTrait>(conn: &C, cond: Condition) -> DomainResult<u64> {
    use sea_orm::sea_query::{Alias, Expr, Query};
    let matching = audit_event::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(cond)
        .limit(COUNT_CAP + 1)
        .into_query();
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(matching, Alias::new("matching"))
        .to_owned();
    let row = conn.query_one(&count).await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

/// One page of matching events, newest first. `total` is at most
/// [`COUNT_CAP`]` + 1`: more than the cap reads as "more than 10,000".
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    _admin: &AdminCtx,
    filter: &AuditFilter,
    page: u64,
    per_page: u64,
) -> DomainResult<Page<EventRow>> {
    let (page, per_page) = crate::platform::page::page_bounds(page, per_page, limits::PER_PAGE);
    let cond = condition(conn, filter).await?;
    let total = count_capped(conn, cond.clone()).await?;
    let items = audit_event::Entity::find()
        .filter(cond)
        .order_by_desc(Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(conn)
        .await?
        .into_iter()
        .map(EventRow::from)
        .collect();
    Ok(Page {
        items,
        page,
        per_page,
        total,
    })
}

/// The next batch of matching events older than `before` (an event id; `None` starts
/// at the newest). An empty batch means the export is complete.
pub async fn export_batch<C: ConnectionTrait>(
    conn: &C,
    _admin: &AdminCtx,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<EventRow>> {
    let mut c = condition(conn, filter).await?;
    if let Some(id) = before {
        c = c.add(Column::Id.lt(id));
    }
    Ok(audit_event::Entity::find()
        .filter(c)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(EventRow::from)
        .collect())
}

/// `2026-11-24T05:12:09Z`.
pub fn rfc3339(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// User names for the user ids among `ids`, for display.
pub async fn user_names<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = String>,
) -> DomainResult<HashMap<String, String>> {
    let ids = distinct(ids);
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Username)
        .filter(user::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

fn distinct(ids: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut ids: Vec<String> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    ids
}
