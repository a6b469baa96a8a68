//! Domain values to the UI's view types, and the form-field parsing the
//! portal's server functions share.

use domain::apis::ScopeInfo;
use domain::clients::Client;
use domain::platform::clock::{format_date, format_utc, Timestamp};
use domain::portal::rules::Verdict;
use domain::portal::{Ask, Request, Who};

use crate::error::AppError;
use crate::model::{
    ChangeView, ClientView, Expiry, RequestKind, RequestStatus, RequestView, ScopeView,
    UsageDayView, UsageView,
};
use crate::ssr::{request_ctx, require_user};

/// The signed-in caller as the domain sees them.
pub fn who() -> Result<Who, AppError> {
    let user = require_user()?;
    let ctx = request_ctx()?;
    Ok(Who::new(user, ctx.ip))
}

/// A request's status as the UI spells it.
pub fn status_view(s: domain::portal::Status) -> RequestStatus {
    match s {
        domain::portal::Status::Pending => RequestStatus::Pending,
        domain::portal::Status::Approved => RequestStatus::Approved,
        domain::portal::Status::Rejected => RequestStatus::Rejected,
    }
}

pub fn scope_view(s: ScopeInfo) -> ScopeView {
    ScopeView {
        name: s.name,
        description: s.description,
        api: s.audience,
        requires_approval: s.requires_approval,
    }
}

pub fn usage_view(u: &domain::portal::usage::Usage) -> UsageView {
    UsageView {
        days: u
            .days
            .iter()
            .map(|d| UsageDayView {
                date: format_date(d.start),
                issued: d.issued,
                refreshed: d.refreshed,
                refused: d.refused,
                failed: d.failed,
            })
            .collect(),
        people: u.people,
        issued: u.issued(),
        refused: u.refused(),
        last_token: u.last_token_at.map(format_utc),
        failed: u.failed(),
        failures: u
            .failures
            .iter()
            .map(|(code, n)| crate::model::FailureView {
                code: code.clone(),
                count: *n,
                meaning: domain::clients::refusals::meaning(code)
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect(),
    }
}

pub fn client_view(c: &Client, owner: Option<String>, now: Timestamp) -> ClientView {
    let days_left = c.expires_at.map(|e| (e - now).div_euclid(86_400));
    let expiry = match c.expires_at {
        None => Expiry::Never,
        Some(e) if e <= now => Expiry::Expired,
        Some(e) if e - now < 30 * 86_400 => Expiry::Soon,
        Some(_) => Expiry::Ok,
    };
    ClientView {
        id: c.id.clone(),
        metadata: c.metadata.clone(),
        scopes: c.scopes.clone(),
        allowed_email_domains: c.allowed_email_domains.clone(),
        refresh_token_ttl_secs: c.refresh_token_ttl_secs,
        first_party: c.first_party,
        pre_authorized: c.pre_authorized,
        access_token_ttl_secs: c.access_token_ttl_secs,
        disabled: c.disabled,
        expires: c.expires_at.map(format_date),
        expiry,
        days_left,
        created: format_utc(c.created_at),
        owner,
        version: c.version,
        name_warnings: Vec::new(),
        origin: None,
        in_development: c.stage == domain::clients::Stage::Development,
        co_owners: Vec::new(),
    }
}

/// How a client ID metadata document's client came, in words (administrators'
/// list).
pub fn document_origin_text(d: &domain::clients::metadata_document::DocumentOrigin) -> String {
    format!(
        "Metadata document at {} (host {}), first seen {}, last fetched {}",
        d.url,
        d.host,
        format_utc(d.first_seen),
        format_utc(d.fetched_at)
    )
}

/// How a dynamically registered client came, in words (administrators' list).
pub fn origin_text(o: &domain::clients::dynamic::Origin) -> String {
    let how = match (o.via.as_str(), &o.initial_token_id) {
        ("token", Some(t)) => format!("initial access token {t}"),
        ("token", None) => "initial access token".to_owned(),
        _ => "open registration".to_owned(),
    };
    let from =
        o.ip.as_deref()
            .map(|ip| format!(" from {ip}"))
            .unwrap_or_default();
    let software = o
        .software_id
        .as_deref()
        .map(|s| format!(", software {s}"))
        .unwrap_or_default();
    format!(
        "Self-registered ({how}){from}, {}{software}",
        format_utc(o.registered_at)
    )
}

fn show(v: &serde_json::Value, field: &str) -> String {
    match (field, v) {
        (_, serde_json::Value::Null) => "server default".into(),
        ("refresh_token_ttl_secs", serde_json::Value::Number(n)) => n
            .as_i64()
            .map(|s| format!("{} days", s / 86_400))
            .unwrap_or_default(),
        ("expires_at", serde_json::Value::Number(n)) => {
            n.as_i64().map(format_date).unwrap_or_default()
        }
        (_, serde_json::Value::Bool(true)) => "on".into(),
        (_, serde_json::Value::Bool(false)) => "off".into(),
        (_, serde_json::Value::String(s)) => s.clone(),
        // Grant types and redirect URIs (issue 11, M7).
        (_, serde_json::Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        (_, other) => other.to_string(),
    }
}

pub async fn request_view(
    conn: &domain::platform::db::Db,
    r: Request,
) -> Result<RequestView, AppError> {
    let mut scopes = Vec::new();
    let mut changes = Vec::new();
    let mut facts = Vec::new();
    match &r.ask {
        Ask::Scopes { scopes: names } => {
            for n in names {
                let info = domain::apis::find_scope(conn, n).await?;
                scopes.push(match info {
                    Some(i) => scope_view(i),
                    None => ScopeView {
                        name: n.clone(),
                        description: "(no longer in the catalogue)".into(),
                        api: None,
                        requires_approval: true,
                    },
                });
            }
        }
        Ask::Extension {
            expires_at,
            previous,
        } => changes.push(ChangeView {
            field: "registration expiry".into(),
            before: previous.map(format_date).unwrap_or_else(|| "never".into()),
            after: format_date(*expires_at),
        }),
        Ask::Admission(a) => facts = arrival_facts(a),
        Ask::Change { changes: cs } => {
            for c in cs {
                changes.push(ChangeView {
                    field: c.field.label().to_owned(),
                    before: show(&c.before, c.field.as_str()),
                    after: show(&c.after, c.field.as_str()),
                })
            }
        }
    }
    let evaluations = r
        .evaluations
        .iter()
        .map(|e| {
            let what = match &e.verdict {
                Verdict::Approve if e.by.as_deref() == Some("policy") => {
                    "approved: needs no approval".to_owned()
                }
                Verdict::Approve if e.by.as_deref() == Some("sandbox") => {
                    "approved: a sandbox scope, added at once while the client is in development"
                        .to_owned()
                }
                Verdict::Approve => "approved by its rule".to_owned(),
                Verdict::Reject { reason } => format!("rejected by its rule: {reason}"),
                Verdict::Human { why } => format!("left for a person ({why})"),
            };
            match e.scope.as_str() {
                domain::portal::rules::ADMISSION_TARGET => format!("admission: {what}"),
                scope => format!("{scope}: {what}"),
            }
        })
        .collect();
    Ok(RequestView {
        summary: r.ask.summary(),
        kind: match &r.ask {
            Ask::Scopes { .. } => RequestKind::Scopes,
            Ask::Extension { .. } => RequestKind::Extension,
            Ask::Change { .. } => RequestKind::Change,
            Ask::Admission(_) => RequestKind::Admission,
        },
        id: r.id,
        client_id: r.client_id,
        client_name: r.client_name,
        requester: r.requester_username,
        requester_email: r.requester_email,
        scopes,
        changes,
        justification: r.justification,
        status: status_view(r.status),
        created: format_utc(r.created_at),
        decided: r.decided_at.map(format_utc),
        decided_by: r.decider.map(|d| d.name),
        reason: r.reason,
        granted: r.granted,
        evaluations,
        facts,
        name_warnings: Vec::new(),
        client: None,
        client_age_days: None,
        waiting_days: None,
    })
}

/// How a client asking for admission came, as rows for its queue card.
fn arrival_facts(a: &domain::portal::admission::Arrival) -> Vec<(String, String)> {
    let mut rows = vec![(
        "Came by".to_owned(),
        match (a.via.as_str(), &a.initial_token) {
            ("metadata_document", _) => format!("its metadata document on {}", a.host),
            ("token", Some(t)) => format!("dynamic registration with initial access token {t}"),
            ("open", _) => "open dynamic registration".to_owned(),
            (via, _) => format!("dynamic registration ({via})"),
        },
    )];
    let mut push = |label: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            rows.push((label.to_owned(), v));
        }
    };
    push("From address", a.ip.clone());
    push("Software id", a.software_id.clone());
    push("Scopes it asked for", Some(a.scopes.join(", ")));
    push(
        "Imitates",
        a.imitates
            .as_ref()
            .map(|n| format!("\"{n}\" (a protected name) from another host")),
    );
    push(
        "Asks again",
        a.again.then(|| {
            "it was admitted before, then changed its redirect URIs, grant types or keys".to_owned()
        }),
    );
    rows
}

/// Splits a textarea into trimmed, non-empty lines (also accepts commas and spaces
/// for e-mail domains and contacts).
pub fn lines(s: &str) -> Vec<String> {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn opt(s: String) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// An ownership offer as the pages show it.
pub fn offer_view(o: domain::portal::team::Offer) -> crate::model::OfferView {
    crate::model::OfferView {
        client_id: o.client_id,
        client_name: o.client_name,
        to_name: o.to_name,
        from_name: o.from_name,
        offered: format_utc(o.offered_at),
        expires: format_utc(o.expires_at),
    }
}

/// A client's team as its page shows it.
pub fn team_view(t: domain::portal::team::Team, is_admin: bool) -> crate::model::TeamView {
    use domain::portal::team::TeamRole;
    crate::model::TeamView {
        members: t
            .members
            .into_iter()
            .map(|m| crate::model::MemberView {
                user_id: m.user_id,
                name: m.display_name,
                username: m.username,
                email: m.email,
                owner: m.role == TeamRole::Owner,
                since: m.added_at.map(format_utc),
                active: m.active,
            })
            .collect(),
        offer: t.offer.map(offer_view),
        viewer_manages_team: t.viewer_is_owner || is_admin,
        viewer_is_co_owner: t.viewer_is_co_owner,
        viewer_may_take_over: t.viewer_may_take_over,
    }
}
