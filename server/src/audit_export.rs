//! `/admin/audit/export.jsonl` and `/admin/audit/export.csv`: the audit viewer's
//! filtered events as a download. Plain GET endpoints (a link works without
//! JavaScript) behind the portal's session: administrators only. The body is
//! streamed in batches of [`BATCH`] events, so a large log is never held in memory.

use app::ssr::{AppState, RequestCtx};
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use domain::accounts::AdminCtx;
use domain::audit::query::{export_batch, AuditFilter, EventRow};
use http::{header, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

pub const JSONL: &str = "/admin/audit/export.jsonl";
pub const CSV: &str = "/admin/audit/export.csv";

const BATCH: u64 = 500;

/// The viewer's query parameters, the same names as its form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    actor: String,
    client: String,
    user: String,
    event_type: String,
    from: String,
    to: String,
}

impl From<ExportQuery> for AuditFilter {
    fn from(q: ExportQuery) -> Self {
        AuditFilter {
            actor: q.actor,
            client: q.client,
            user: q.user,
            event_type: q.event_type,
            from: q.from,
            to: q.to,
        }
    }
}

#[derive(Clone, Copy)]
enum Format {
    JsonLines,
    Csv,
}

pub async fn jsonl(
    State(app): State<AppState>,
    ctx: Option<Extension<RequestCtx>>,
    Query(q): Query<ExportQuery>,
) -> Response {
    export(app, ctx, q.into(), Format::JsonLines).await
}

pub async fn csv(
    State(app): State<AppState>,
    ctx: Option<Extension<RequestCtx>>,
    Query(q): Query<ExportQuery>,
) -> Response {
    export(app, ctx, q.into(), Format::Csv).await
}

async fn export(
    app: AppState,
    ctx: Option<Extension<RequestCtx>>,
    filter: AuditFilter,
    format: Format,
) -> Response {
    let Some(user) = ctx.and_then(|Extension(c)| c.user) else {
        return (StatusCode::UNAUTHORIZED, "Sign in as an administrator.").into_response();
    };
    let Some(admin) = AdminCtx::for_principal(&user) else {
        return (
            StatusCode::FORBIDDEN,
            "Only administrators may export the audit log.",
        )
            .into_response();
    };
    // Fail before the headers go out when the database is down, not mid-download.
    let first = match export_batch(&app.db, &admin, &filter, None, BATCH).await {
        Ok(b) => b,
        Err(e @ domain::DomainError::Invalid { .. }) => {
            return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "audit export failed");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The export failed; try again.",
            )
                .into_response();
        }
    };
    let head = match format {
        Format::Csv => Some(Bytes::from_static(CSV_HEADER.as_bytes())),
        Format::JsonLines => None,
    };
    struct Cursor {
        app: AppState,
        admin: AdminCtx,
        filter: AuditFilter,
        batch: Option<Vec<EventRow>>,
        before: Option<i64>,
    }
    let start = Cursor {
        app,
        admin,
        filter,
        batch: Some(first),
        before: None,
    };
    let rows = futures_util::stream::unfold(start, move |mut c| async move {
        let batch = match c.batch.take() {
            Some(b) => b,
            None => {
                match export_batch(&c.app.db, &c.admin, &c.filter, c.before, BATCH).await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(error = %e, "audit export failed mid-stream");
                        // Ends the body with an error: the download is visibly cut.
                        c.batch = Some(Vec::new());
                        return Some((Err(std::io::Error::other("audit export failed")), c));
                    }
                }
            }
        };
        let last = batch.last()?.id;
        c.before = Some(last);
        let mut out = String::new();
        for row in &batch {
            match format {
                Format::JsonLines => {
                    out.push_str(&json_line(row).to_string());
                    out.push('\n');
                }
                Format::Csv => out.push_str(&csv_line(row)),
            }
        }
        if (batch.len() as u64) < BATCH {
            // The last batch: make the next poll end the stream without a query.
            c.batch = Some(Vec::new());
        }
        Some((Ok::<_, std::io::Error>(Bytes::from(out)), c))
    });
    let body = futures_util::StreamExt::chain(futures_util::stream::iter(head.map(Ok)), rows);
    let (content_type, name) = match format {
        Format::JsonLines => ("application/jsonl; charset=utf-8", "audit-log.jsonl"),
        Format::Csv => ("text/csv; charset=utf-8", "audit-log.csv"),
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

fn json_line(r: &EventRow) -> Value {
    json!({
        "id": r.id,
        "seq": r.seq,
        "occurred_at": r.occurred_at,
        "time": domain::audit::query::rfc3339(r.occurred_at),
        "event_type": r.event_type,
        "actor": { "kind": r.actor_kind, "id": r.actor_id },
        "target": r.target_kind.as_ref().map(|k| json!({ "kind": k, "id": r.target_id })),
        "ip": r.ip,
        // The details as JSON, not as a string of JSON.
        "data": serde_json::from_str::<Value>(&r.data).unwrap_or_else(|_| json!(r.data)),
        "hash": r.hash,
    })
}

const CSV_HEADER: &str =
    "id,seq,time,event_type,actor_kind,actor_id,target_kind,target_id,ip,data,hash\r\n";

fn csv_line(r: &EventRow) -> String {
    let cells = [
        r.id.to_string(),
        r.seq.map(|s| s.to_string()).unwrap_or_default(),
        domain::audit::query::rfc3339(r.occurred_at),
        r.event_type.clone(),
        r.actor_kind.clone(),
        r.actor_id.clone().unwrap_or_default(),
        r.target_kind.clone().unwrap_or_default(),
        r.target_id.clone().unwrap_or_default(),
        r.ip.clone().unwrap_or_default(),
        r.data.clone(),
        r.hash.clone().unwrap_or_default(),
    ];
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// RFC 4180 quoting, plus OWASP's defence against formula injection: a cell a
/// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return) gets a leading `'` so it is shown as text.
pub fn csv_cell(s: &str) -> String {
    let mut v = String::with_capacity(s.len() + 2);
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        v.push('\'');
    }
    v.push_str(s);
    if v.contains([',', '"', '\n', '\r']) || v.starts_with('\'') {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_when_they_must_be() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(csv_cell("=1+1"), "\"'=1+1\"");
        assert_eq!(csv_cell("+cmd"), "\"'+cmd\"");
        assert_eq!(csv_cell("-2"), "\"'-2\"");
        assert_eq!(csv_cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }
}
