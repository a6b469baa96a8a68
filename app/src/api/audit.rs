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
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One field that changed, in words: `before` → `after` (either may be empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// Who acted or what an event is about, for people: a name (linked to its page
/// where the portal has one) and what kind of thing it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// "Person", "Client", "Scope", …
    pub kind: String,
    pub label: String,
    pub href: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventView {
    pub id: i64,
    pub seq: Option<i64>,
    /// RFC 3339 in UTC (`2026-11-24T05:12:09Z`), for `<time datetime>`.
    pub time: String,
    pub event_type: String,
    pub actor: Party,
    pub target: Option<Party>,
    pub ip: String,
    pub changes: Vec<Change>,
    /// Other details, `(label, value)`.
    pub details: Vec<(String, String)>,
    /// The event as stored, pretty-printed JSON.
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEventView>,
    pub page: u64,
    pub pages: u64,
    /// Matching events, counted up to `domain::audit::query::COUNT_CAP`.
    pub total: u64,
    /// More match than `total` says: the count stopped at the cap.
    pub more: bool,
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
    use super::audit_view::{event_view, ids_of, Names};
    let names = Names {
        users: query::user_names(&st.db, ids_of(&p.items, "user")).await?,
        clients: domain::clients::names(&st.db, ids_of(&p.items, "client")).await?,
    };
    Ok(AuditPage {
        pages: p.pages(),
        page: p.page,
        total: p.total.min(query::COUNT_CAP),
        more: p.total > query::COUNT_CAP,
        events: p.items.iter().map(|e| event_view(e, &names)).collect(),
        query: q,
        event_types: domain::audit::EventType::ALL
            .iter()
            .map(|e| e.as_str().to_owned())
            .collect(),
    })
}
