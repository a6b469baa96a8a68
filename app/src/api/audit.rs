//! The audit log viewer's one server function (read-only, GET) and the types it
//! returns. The exports are plain server routes (`/admin/audit/export.*`).

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub const EVENTS_PER_PAGE: u64 = 50;

/// The viewer's filters: the query parameters of `/admin/audit` and of the exports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub actor: String,
    pub client: String,
    pub user: String,
    pub event_type: String,
    pub from: String,
    pub to: String,
}

impl AuditQuery {
    /// `actor=…&client=…` with only the filters that are set, percent-encoded.
    pub fn query_string(&self) -> String {
        [
            ("actor", &self.actor),
            ("client", &self.client),
            ("user", &self.user),
            ("event_type", &self.event_type),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One field that changed: `before` → `after` (either may be empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventView {
    pub id: i64,
    pub seq: Option<i64>,
    pub time: String,
    pub event_type: String,
    /// e.g. `user ada`, `client 0193…`, `system`.
    pub actor: String,
    pub target: String,
    pub ip: String,
    pub changes: Vec<Change>,
    /// Other details (`key: value`), one per entry.
    pub details: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEventView>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub query: AuditQuery,
    pub event_types: Vec<String>,
}

#[server(input = GetUrl, endpoint = "admin/audit")]
pub async fn list_audit(
    #[server(default)] actor: String,
    #[server(default)] client: String,
    #[server(default)] user: String,
    #[server(default)] event_type: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] page: u64,
) -> Result<AuditPage, AppError> {
    use crate::ssr::{require_admin, state};
    use domain::audit::query::{self, AuditFilter};
    let (_, admin) = require_admin()?;
    let st = state()?;
    let q = AuditQuery {
        actor,
        client,
        user,
        event_type,
        from,
        to,
    };
    let filter = AuditFilter {
        actor: q.actor.clone(),
        client: q.client.clone(),
        user: q.user.clone(),
        event_type: q.event_type.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
    };
    let p = query::list(&st.db, &admin, &filter, page.max(1), EVENTS_PER_PAGE).await?;
    let user_ids = p.items.iter().flat_map(|e| {
        let a = (e.actor_kind == "user")
            .then(|| e.actor_id.clone())
            .flatten();
        let t = (e.target_kind.as_deref() == Some("user"))
            .then(|| e.target_id.clone())
            .flatten();
        a.into_iter().chain(t)
    });
    let names = query::user_names(&st.db, user_ids.collect::<Vec<_>>()).await?;
    Ok(AuditPage {
        pages: p.pages(),
        page: p.page,
        total: p.total,
        events: p.items.iter().map(|e| event_view(e, &names)).collect(),
        query: q,
        event_types: domain::audit::EventType::ALL
            .iter()
            .map(|e| e.as_str().to_owned())
            .collect(),
    })
}

#[cfg(feature = "ssr")]
fn event_view(
    e: &domain::audit::query::EventRow,
    names: &std::collections::HashMap<String, String>,
) -> AuditEventView {
    use serde_json::Value;
    let who = |kind: &str, id: Option<&String>| match id {
        Some(id) if kind == "user" => match names.get(id) {
            Some(n) => format!("user {n}"),
            None => format!("user {id}"),
        },
        Some(id) => format!("{kind} {id}"),
        None => kind.to_owned(),
    };
    let show = |v: Option<&Value>| match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join(" "),
        Some(other) => other.to_string(),
    };
    let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
    let mut changes = Vec::new();
    let mut details = Vec::new();
    if let Value::Object(map) = &data {
        let before = map.get("before");
        let after = map.get("after");
        let mut fields: Vec<String> = [before, after]
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(|o| o.keys().cloned())
            .collect();
        fields.sort();
        fields.dedup();
        for f in fields {
            changes.push(Change {
                before: show(before.and_then(|b| b.get(&f))),
                after: show(after.and_then(|a| a.get(&f))),
                field: f,
            });
        }
        for (k, v) in map {
            if k != "before" && k != "after" {
                details.push(format!("{k}: {}", show(Some(v))));
            }
        }
    }
    AuditEventView {
        id: e.id,
        seq: e.seq,
        time: domain::audit::query::rfc3339(e.occurred_at)
            .replace('T', " ")
            .replace('Z', " UTC"),
        event_type: e.event_type.clone(),
        actor: who(&e.actor_kind, e.actor_id.as_ref()),
        target: e
            .target_kind
            .as_deref()
            .map(|k| who(k, e.target_id.as_ref()))
            .unwrap_or_default(),
        ip: e.ip.clone().unwrap_or_default(),
        changes,
        details,
    }
}
