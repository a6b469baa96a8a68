//! Prometheus metrics (issue 14): served on their own listener, never on the public
//! port; requests counted by route template (no ids in labels); token outcomes by
//! grant; audit commits; cache hits; pool use; the change feed's lag.

use domain::audit::Actor;
use domain::clients::{ApplicationType, ClientPatch, NewClient};

use crate::helpers::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The value of the sample `name` whose labels include every pair in `labels`
/// (0 when there is none yet: counters appear on first use).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
            .then(|| value.parse::<f64>().unwrap())
        })
        .sum()
}

async fn scrape(metrics: &str) -> String {
    let r = reqwest::get(format!("{metrics}/metrics")).await.unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    r.text().await.unwrap()
}

async fn token(app: &TestApp, id: &str, secret: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn metrics_count_requests_tokens_audit_and_caches_on_their_own_port() {
    let port = free_port();
    let app = spawn_app_with(|s| {
        s.metrics_bind = Some(format!("127.0.0.1:{port}").parse().unwrap());
        // Long enough that the second token request finds the client cached.
        s.cache_ttl_ms = 600_000;
    })
    .await;
    let metrics = format!("http://127.0.0.1:{port}");
    let svc = register(
        &app,
        NewClient {
            metadata: ClientPatch {
                name: Some("Metered".into()),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Service),
            ..Default::default()
        },
    )
    .await;

    let before = scrape(&metrics).await;
    assert_eq!(token(&app, &svc.id, &svc.secret).await, 200);
    assert_eq!(token(&app, &svc.id, &svc.secret).await, 200);
    assert_eq!(token(&app, &svc.id, "not-the-secret").await, 401);
    // A page whose path carries the client's id.
    let page = app
        .browser()
        .get_html(&format!("/developer/clients/{}", svc.id))
        .await;
    assert!(page.status < 500, "{}", page.status);
    let after = scrape(&metrics).await;

    let delta = |name: &str, labels: &[(&str, &str)]| {
        sample(&after, name, labels) - sample(&before, name, labels)
    };
    let issued = [("grant", "client_credentials"), ("outcome", "issued")];
    assert_eq!(delta("portcullis_token_requests_total", &issued), 2.0);
    assert_eq!(
        sample(
            &after,
            "portcullis_token_requests_total",
            &[("outcome", "invalid_client")]
        ),
        0.0,
        "a request whose client fails authentication never reaches a grant"
    );
    let token_route = [("route", "/oauth/token"), ("method", "POST")];
    assert_eq!(
        delta(
            "portcullis_http_requests_total",
            &[token_route[0], token_route[1], ("status", "200")]
        ),
        2.0
    );
    assert_eq!(
        delta(
            "portcullis_http_requests_total",
            &[token_route[0], token_route[1], ("status", "401")]
        ),
        1.0
    );
    assert_eq!(
        delta(
            "portcullis_http_request_duration_seconds_count",
            &token_route
        ),
        3.0
    );
    assert!(
        after.contains("route=\"/developer/clients/{id}\""),
        "page routes are labelled by template"
    );
    assert!(
        !after.contains(&svc.id),
        "no client id becomes a label (bounded series, nothing identifying)"
    );
    assert!(
        delta("portcullis_audit_events_total", &[("result", "written")]) >= 2.0,
        "each issued token's audit event is counted"
    );
    assert!(sample(&after, "portcullis_audit_batch_size_count", &[]) >= 1.0);
    assert!(
        delta(
            "portcullis_cache_requests_total",
            &[("cache", "clients"), ("result", "hit")]
        ) >= 1.0,
        "the second request found the client cached"
    );
    assert!(
        sample(
            &after,
            "portcullis_db_pool_connections",
            &[("state", "max")]
        ) >= 1.0
    );

    // Not on the public port.
    let public = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(public.status(), 404);
}

#[tokio::test]
async fn the_change_feed_reports_how_late_it_learned_of_a_change() {
    let port = free_port();
    let app = spawn_app_with(|s| {
        s.metrics_bind = Some(format!("127.0.0.1:{port}").parse().unwrap());
    })
    .await;
    let metrics = format!("http://127.0.0.1:{port}");
    let before = sample(
        &scrape(&metrics).await,
        "portcullis_invalidation_lag_seconds_count",
        &[],
    );
    // Another writer (as the CLI would) changes a cached row.
    let c = domain::clients::create(
        &app.db,
        &app.hasher,
        Actor::Operator,
        NewClient {
            metadata: ClientPatch {
                name: Some("Changed elsewhere".into()),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Service),
            ..Default::default()
        },
        app.clock_now(),
    )
    .await
    .unwrap();
    assert!(!c.client.id.is_empty());
    let start = tokio::time::Instant::now();
    loop {
        let text = scrape(&metrics).await;
        if sample(&text, "portcullis_invalidation_lag_seconds_count", &[]) > before {
            // Lags are measured on the database's clock: under a second here.
            let le1 = sample(
                &text,
                "portcullis_invalidation_lag_seconds_bucket",
                &[("le", "1")],
            );
            assert!(le1 > 0.0, "{text}");
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "no lag recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
