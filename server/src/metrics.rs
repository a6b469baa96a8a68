//! Prometheus metrics (issue 14, operability).
//!
//! The domain and the server record through the `metrics` facade; this module
//! installs the process-wide recorder, times every request, and renders the text
//! format for the metrics listener (`metrics_bind`, a separate port that operators
//! keep off the public network — the numbers describe traffic and load, so they are
//! not served on the public port).
//!
//! Labels are closed sets only: the route is the router's path template (never the
//! request's path, which carries client ids and codes), the status a number, the
//! grant a grant-type name, the outcome an RFC 6749 error code. Nothing a caller
//! types becomes a label, so the series count stays bounded.

use std::sync::OnceLock;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use domain::oauth::GrantType;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Request latency buckets, seconds: most requests are under a few milliseconds;
/// password hashing (argon2id) takes tens.
const LATENCY: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Invalidation lag buckets, seconds: the change feed is polled every 50 ms and
/// PostgreSQL's NOTIFY wakes it at once.
const LAG: &[f64] = &[
    0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];
/// Audit batch sizes (events per commit; at most `MAX_BATCH`).
const BATCH: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder once per process (tests build several applications in
/// one process; they share it) and returns its handle. Must run before anything
/// registers a metric handle: handles taken earlier record nowhere.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("portcullis_http_request_duration_seconds".into()),
                    LATENCY,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("portcullis_invalidation_lag_seconds".into()),
                        LAG,
                    )
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("portcullis_audit_batch_size".into()),
                        BATCH,
                    )
                })
                .expect("bucket lists are non-empty constants");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (a test harness); then
            // this handle renders what it alone sees, which is nothing — better
            // than failing to start.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            let upkeep = handle.clone();
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
                    loop {
                        tick.tick().await;
                        upkeep.run_upkeep();
                    }
                });
            }
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "portcullis_http_requests_total",
        "HTTP requests served, by route template, method and status"
    );
    describe_histogram!(
        "portcullis_http_request_duration_seconds",
        Unit::Seconds,
        "Time to the response's head, by route template and method"
    );
    describe_counter!(
        "portcullis_token_requests_total",
        "Token endpoint requests by grant type and outcome (issued or the RFC 6749 error code)"
    );
    describe_counter!(
        "portcullis_audit_events_total",
        "Audit events committed (written) or lost with their request (failed)"
    );
    describe_histogram!(
        "portcullis_audit_batch_size",
        "Audit events per group commit"
    );
    describe_gauge!(
        "portcullis_audit_queue_depth",
        "Audit events waiting for the writer after the last batch was taken"
    );
    describe_counter!(
        "portcullis_cache_requests_total",
        "Cache look-ups by cache and result (hit or miss)"
    );
    describe_histogram!(
        "portcullis_invalidation_lag_seconds",
        Unit::Seconds,
        "From a cached row's change being written to this process reading it from the change feed (database clock)"
    );
    describe_gauge!(
        "portcullis_db_pool_connections",
        "Database pool connections by state (idle, in_use) and the pool's maximum (max)"
    );
}

/// Counts and times every request. The route label is the matched path template
/// (`/oauth/token`, `/developer/clients/{id}`), or `unmatched` for the fallback
/// (static files and not-found pages).
pub async fn track(
    State(clock): State<std::sync::Arc<dyn domain::Clock>>,
    req: Request,
    next: Next,
) -> Response {
    let started = clock.monotonic();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::histogram!(
        "portcullis_http_request_duration_seconds",
        "route" => route.clone(),
        "method" => method.clone(),
    )
    .record(clock.monotonic().saturating_sub(started).as_secs_f64());
    metrics::counter!(
        "portcullis_http_requests_total",
        "route" => route,
        "method" => method,
        "status" => status,
    )
    .increment(1);
    resp
}

/// One token-endpoint outcome: `issued`, or the error code sent.
pub fn token_outcome(grant: GrantType, outcome: &'static str) {
    metrics::counter!(
        "portcullis_token_requests_total",
        "grant" => grant.as_str(),
        "outcome" => outcome,
    )
    .increment(1);
}

#[derive(Clone)]
struct Exposition {
    handle: PrometheusHandle,
    db: domain::platform::db::Db,
}

/// The metrics listener's router: `/metrics` (Prometheus text format 0.0.4).
pub fn router(handle: PrometheusHandle, db: domain::platform::db::Db) -> Router {
    Router::new()
        .route("/metrics", get(render))
        .with_state(Exposition { handle, db })
}

async fn render(State(x): State<Exposition>) -> Response {
    pool_gauges(&x.db);
    (
        [(
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        x.handle.render(),
    )
        .into_response()
}

/// Pool use, read at scrape time.
fn pool_gauges(db: &domain::platform::db::Db) {
    let (size, idle, max) = domain::platform::db::pool_use(db);
    let gauge = |state: &'static str, v: u32| {
        metrics::gauge!("portcullis_db_pool_connections", "state" => state).set(f64::from(v));
    };
    gauge("idle", idle);
    gauge("in_use", size.saturating_sub(idle));
    gauge("max", max);
}
