//! Building and running the application: database, migrations, state, router.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::ssr::{AppState, PortalConfig};
use app::{shell, App};
use axum::extract::Request;
use axum::routing::get;
use axum::Router;
use domain::accounts::sessions::SessionPolicy;
use domain::accounts::throttle::ThrottlePolicy;
use domain::platform::password::PasswordHasher;
use domain::Clock;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::api::{self, ApiState};
use crate::audit_export;
use crate::health;
use crate::middleware::{self, WebState};
use crate::oauth::{self, OAuthShared, OAuthState};
use crate::settings::{redact_url, Settings, SmtpSettings};
use domain::clients::SecretCache;
use domain::oauth::keys::{Kek, KeyPolicy};

/// Errors that stop start-up, each one readable line.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database {url}: {cause}")]
    Database { url: String, cause: String },
    #[error("cannot migrate the database {url}: {cause}")]
    Migration { url: String, cause: String },
    #[error("cannot listen on {addr}: {cause}")]
    Bind { addr: SocketAddr, cause: String },
    #[error("{0}")]
    Other(String),
}

/// Connects (creating the SQLite file and its directory when needed) and migrates.
pub async fn open_database(settings: &Settings) -> Result<domain::platform::db::Db, StartupError> {
    let url = settings.database_url.expose();
    let shown = redact_url(url);
    if let Some(path) = sqlite_path(url) {
        if let Some(dir) = std::path::Path::new(&path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| StartupError::Database {
                url: shown.clone(),
                cause: format!("cannot create directory {}: {e}", dir.display()),
            })?;
        }
    }
    let db = domain::platform::db::connect(url)
        .await
        .map_err(|e| StartupError::Database {
            url: shown.clone(),
            cause: one_line(&e.to_string()),
        })?;
    domain::platform::db::migrate(&db)
        .await
        .map_err(|e| StartupError::Migration {
            url: shown,
            cause: one_line(&e.to_string()),
        })?;
    Ok(db)
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}

pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
    /// The Prometheus listener and its router, when `metrics_bind` is set.
    metrics: Option<(tokio::net::TcpListener, Router)>,
    pub state: AppState,
    audit: domain::audit::AuditWriter,
}

impl Application {
    /// Opens the database, migrates it and binds the listener (port 0 picks a free port).
    pub async fn build(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Application, StartupError> {
        let db = open_database(&settings).await?;
        Self::build_with_db(settings, clock, db).await
    }

    pub async fn build_with_db(
        settings: Settings,
        clock: Arc<dyn Clock>,
        db: domain::platform::db::Db,
    ) -> Result<Application, StartupError> {
        // Before any metric handle is taken (the caches take theirs when built).
        let recorder = crate::metrics::install();
        let config = PortalConfig {
            session_policy: SessionPolicy {
                idle_timeout_secs: settings.session.idle_timeout_secs,
                absolute_timeout_secs: settings.session.absolute_timeout_secs,
            },
            secure_cookies: settings.secure_cookies(),
            recovery: settings.recovery_policy(),
            kek: Kek::from_setting(&settings.key_encryption_key),
            issuer: settings.issuer.clone(),
        };
        let cache_ttl = Duration::from_millis(settings.cache_ttl_ms);
        let catalogue = domain::oauth::Catalogue::new(db.clone(), cache_ttl, clock.clone());
        let directory = match &settings.ldap {
            Some(c) => Some(Arc::new(
                domain::accounts::directory::Directory::new(c.clone())
                    .map_err(StartupError::Other)?,
            )),
            None => None,
        };
        let services = domain::services::Services {
            db,
            hasher: PasswordHasher::new(),
            clients: SecretCache::new(10_000, cache_ttl, clock.clone()),
            revocations: Arc::new(domain::oauth::access_tokens::RevocationMirror::new(
                revocation_list_ttl(&settings),
                clock.clone(),
            )),
            catalogue,
            runtime: domain::settings::SettingsCache::new(
                domain::settings::FileDefaults {
                    access_token_secs: settings.tokens.access_token_ttl_secs,
                    refresh_token_secs: settings.tokens.refresh_token_ttl_secs,
                    allow_self_signup: settings.allow_self_signup,
                    require_dpop: settings.dpop.required,
                    new_clients_in_development: settings.new_clients_in_development,
                },
                cache_ttl,
                clock.clone(),
            ),
            throttle: ThrottlePolicy {
                account_max_failures: settings.throttle.account_max_failures,
                ip_max_failures: settings.throttle.ip_max_failures,
                window_secs: settings.throttle.window_secs,
                lockout_secs: settings.throttle.lockout_secs,
                clients: settings.throttle.clients,
            },
            clock: clock.clone(),
            directory,
            upstreams: Arc::new(
                domain::accounts::upstream::Upstreams::new(
                    settings.upstream.clone(),
                    Kek::from_setting(&settings.key_encryption_key),
                    clock.clone(),
                    cache_ttl,
                )
                .map_err(StartupError::Other)?,
            ),
            documents: {
                let outbound = crate::outbound::Outbound::new(&settings.outbound);
                domain::platform::fetch::Documents::new(move |uri: String, max| {
                    let outbound = outbound.clone();
                    async move { outbound.get_limited(&uri, max).await }
                })
            },
        };
        let state = AppState {
            services,
            config: Arc::new(config),
            smtp_configured: settings.smtp.is_some(),
        };
        let audit = domain::audit::AuditWriter::spawn(state.db.clone());
        let oauth = oauth_state(&settings, state.services.clone(), audit.clone()).await?;
        domain::apis::ensure_portal_api(&state.db, oauth.issuer(), state.now())
            .await
            .map_err(|e| StartupError::Other(format!("cannot create the portal API: {e}")))?;
        domain::apis::ensure_role_scope(&state.db, &settings.role_scope, state.now())
            .await
            .map_err(|e| StartupError::Other(format!("cannot create the role scope: {e}")))?;
        spawn_key_rotation(oauth.clone());
        if settings.change_poll_ms > 0 {
            spawn_change_feed(
                oauth.clone(),
                Duration::from_millis(settings.change_poll_ms),
            )
            .await?;
        }
        crate::maintenance::spawn_hourly(state.clone(), settings.registration.expire_unused_days);
        crate::maintenance::spawn_secret_uses(state.clone());
        crate::backchannel::spawn(
            oauth.clone(),
            settings.logout.clone(),
            crate::outbound::Outbound::new(&settings.outbound),
        );
        if let Some(smtp) = &settings.smtp {
            spawn_mail_sender(state.clone(), smtp)?;
        }
        let router = build_router(&settings, state.clone(), oauth)?;
        let listener = bind(settings.bind).await?;
        let metrics = match settings.metrics_bind {
            Some(addr) => Some((
                bind(addr).await?,
                crate::metrics::router(recorder, state.db.clone()),
            )),
            None => None,
        };
        Ok(Application {
            listener,
            router,
            metrics,
            state,
            audit,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Where `/metrics` is served, when it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    /// Serves until Ctrl-C / SIGTERM, then finishes in-flight requests and writes
    /// the audit events still queued.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if let Some((listener, router)) = self.metrics {
            // Scrapes need no draining: the task ends with the process.
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            });
        }
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await;
        self.audit.shutdown().await;
        self.state.clients.uses.flush(&self.state.db).await;
        self.state.clients.refusals.flush(&self.state.db).await;
        served
    }
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, StartupError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| StartupError::Bind {
            addr,
            cause: e.to_string(),
        })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

fn leptos_options(settings: &Settings) -> Result<LeptosOptions, StartupError> {
    let mut opts = get_configuration(None)
        .map_err(|e| StartupError::Other(format!("invalid LEPTOS_* environment: {e}")))?
        .leptos_options;
    opts.site_root = settings.site_root.clone().into();
    opts.site_addr = settings.bind;
    Ok(opts)
}

async fn oauth_state(
    settings: &Settings,
    app: domain::services::Services,
    audit: domain::audit::AuditWriter,
) -> Result<OAuthState, StartupError> {
    let t = &settings.tokens;
    let longest = t.access_token_secs_max();
    let key_policy = KeyPolicy {
        rotate_after_secs: t.signing_key_rotation_days * 86_400,
        publish_retired_for_secs: longest + 3600,
        // Twice the JWKS's `max-age` (discovery.rs): relying parties hold the
        // successor before anything is signed with it.
        prepublish_secs: 600,
    };
    let kek = Kek::from_setting(&settings.key_encryption_key);
    let keys = domain::oauth::keys::ensure_and_load(&app.db, &kek, key_policy, app.now())
        .await
        .map_err(|e| StartupError::Other(format!("cannot load the signing keys: {e}")))?;
    let issuer: Arc<str> = settings.issuer.trim_end_matches('/').into();
    let role = domain::oauth::claims::RoleClaim {
        scope: settings.role_scope.as_str().into(),
        claim: settings.role_claim.as_str().into(),
    };
    let metadata = serde_json::to_vec(&oauth::metadata_document(
        &issuer,
        &role,
        settings.require_pushed_authorization_requests,
    ))
    .map_err(|e| StartupError::Other(e.to_string()))?;
    let keys = domain::oauth::keys::KeyRing::new(keys);
    // Client assertions to upstream providers (`private_key_jwt`) are signed with
    // the keys this server publishes.
    app.upstreams.sign_with(keys.clone());
    let tokens = domain::oauth::Tokens {
        db: app.db.clone(),
        issuer,
        keys,
        audit,
        catalogue: app.catalogue.clone(),
        clients: app.clients.clone(),
        revocations: app.revocations.clone(),
        runtime: app.runtime.clone(),
        lifetimes: domain::oauth::Lifetimes {
            access_token_secs: t.access_token_ttl_secs,
            id_token_secs: t.id_token_ttl_secs,
            refresh_token_secs: t.refresh_token_ttl_secs,
            authorization_code_secs: t.authorization_code_ttl_secs,
            password_grant_secs: t.password_grant_ttl_secs,
        },
        role,
        subjects: domain::oauth::subject::Subjects::load(&app.db, app.now())
            .await
            .map_err(|e| StartupError::Other(e.to_string()))?,
    };
    Ok(OAuthState::new(OAuthShared {
        tokens,
        kek,
        key_policy,
        services: app,
        metadata_json: metadata.into(),
        trust_proxy_headers: settings.trust_proxy_headers,
        secure_cookies: settings.secure_cookies(),
        require_par: settings.require_pushed_authorization_requests,
        client_keys: oauth::ClientKeys::new(crate::outbound::Outbound::new(&settings.outbound)),
        metadata_documents: oauth::cimd::MetadataDocuments::new(crate::outbound::Outbound::new(
            &settings.outbound,
        )),
        dpop: oauth::dpop::DpopPolicy::new(
            settings.dpop.require_nonce,
            settings.session_secret.expose().as_bytes(),
        ),
        device: settings.device.policy(),
        exchange: settings.token_exchange.policy(),
        open_registration: settings.registration.limit(),
    }))
}

/// How long the revocation list may be served before it is read whole again. With
/// the change feed, every revocation reaches the loaded list within milliseconds,
/// so the whole list (up to an access-token lifetime of revocations) is reread only
/// as a safety net, once a minute at most; without the feed, `cache_ttl_ms` bounds
/// how late another process's revocation is seen. Zero keeps no copy.
fn revocation_list_ttl(settings: &Settings) -> Duration {
    let ttl = Duration::from_millis(settings.cache_ttl_ms);
    if ttl.is_zero() || settings.change_poll_ms == 0 {
        ttl
    } else {
        ttl.max(Duration::from_secs(60))
    }
}

/// Delivers the e-mail outbox over SMTP every `poll_interval_ms`.
fn spawn_mail_sender(app: AppState, smtp: &SmtpSettings) -> Result<(), StartupError> {
    let mailer = domain::platform::mail::Mailer::new(&domain::platform::mail::SmtpConfig {
        host: smtp.host.clone(),
        port: smtp.port,
        username: smtp.username.clone(),
        password: smtp.password.clone(),
        from: smtp.from.clone(),
        tls: smtp.tls.clone(),
    })
    .map_err(|e| StartupError::Other(format!("invalid SMTP settings: {e}")))?;
    let every = Duration::from_millis(smtp.poll_interval_ms.max(50));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match domain::platform::mail::deliver_pending(&app.db, &mailer, app.now(), 50).await {
                Ok((0, 0)) => {}
                Ok((sent, failed)) => tracing::info!(sent, failed, "delivered e-mail"),
                Err(e) => tracing::error!(error = %e, "e-mail delivery pass failed"),
            }
        }
    });
    Ok(())
}

/// Reads the change feed every `every` (and on PostgreSQL whenever a change is
/// notified) and drops what this process caches for what
/// changed (any process's changes, this one's included); reloads the signing keys
/// when they changed. After the database was unreachable, everything cached is
/// dropped: changes may have been missed.
async fn spawn_change_feed(oauth: OAuthState, every: Duration) -> Result<(), StartupError> {
    use domain::platform::changes::{Change, Feed};
    let services = oauth.services.clone();
    let mut feed = Feed::start(&services.db)
        .await
        .map_err(|e| StartupError::Other(format!("cannot read the change feed: {e}")))?;
    let wake = Arc::new(tokio::sync::Notify::new());
    domain::platform::changes::spawn_wakeups(&services.db, wake.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut lost = false;
        loop {
            // PostgreSQL's notifications wake the feed at once; the poll is the
            // fallback (and the only way on SQLite).
            tokio::select! {
                _ = tick.tick() => {}
                _ = wake.notified() => {}
            }
            match feed.poll(&services.db, services.clock.monotonic()).await {
                Ok(changes) => {
                    if lost {
                        tracing::info!("change feed readable again: dropping every cached row");
                        services.forget_all();
                        lost = false;
                    }
                    let mut keys = false;
                    for c in &changes {
                        services.apply(c);
                        keys |= *c == Change::Keys;
                    }
                    if keys {
                        if let Err(e) = oauth.reload_keys().await {
                            tracing::error!(error = %e, "reloading the signing keys failed");
                        }
                    }
                }
                Err(e) => {
                    if !lost {
                        tracing::error!(error = %e, "reading the change feed failed");
                    }
                    lost = true;
                }
            }
        }
    });
    Ok(())
}

/// Hourly: rotate keys when due, and pick up keys other processes rotated.
fn spawn_key_rotation(oauth: OAuthState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = oauth.refresh_keys().await {
                tracing::error!(error = %e, "signing key rotation failed");
            }
        }
    });
}

pub fn build_router(
    settings: &Settings,
    state: AppState,
    oauth: OAuthState,
) -> Result<Router, StartupError> {
    let options = leptos_options(settings)?;
    let routes = generate_route_list(App);
    let web = WebState {
        app: state.clone(),
        session_secret: Arc::new(settings.session_secret.expose().as_bytes().to_vec()),
        trust_proxy_headers: settings.trust_proxy_headers,
    };
    let ctx_state = state.clone();
    let fallback_state = state.clone();
    let shell_options = options.clone();

    Ok(Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz).with_state(oauth.clone()))
        .route(
            audit_export::JSONL,
            get(audit_export::jsonl).with_state(state.clone()),
        )
        .route(
            audit_export::CSV,
            get(audit_export::csv).with_state(state.clone()),
        )
        .merge(api::router(ApiState::new(
            oauth.clone(),
            settings.trust_proxy_headers,
        )))
        .merge(oauth::router(oauth))
        .leptos_routes_with_context(
            &options,
            routes,
            move || provide_context(ctx_state.clone()),
            move || shell(shell_options.clone()),
        )
        // The not-found page renders the same layout (who is signed in) as every
        // other page, so it needs the same context.
        .fallback(leptos_axum::file_and_error_handler_with_context(
            move || provide_context(fallback_state.clone()),
            shell,
        ))
        .layer(axum::middleware::from_fn_with_state(web, middleware::request_context))
        .layer(axum::middleware::from_fn(
            crate::text_guard::refuse_forbidden_characters,
        ))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clock.clone(),
            crate::metrics::track,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_response(
                    |resp: &axum::response::Response, latency: Duration, _span: &tracing::Span| {
                        tracing::info!(status = resp.status().as_u16(), ms = latency.as_millis() as u64, "served");
                    },
                ),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // Every request gets our own id, never one the client sent: the id marks the
        // one page view that may show a new client secret (`SecretFlash`), so a
        // repeated client-chosen id would show it again; and logs should not carry
        // ids a client picked.
        .layer(axum::middleware::map_request(middleware::drop_client_request_id))
        .layer(CatchPanicLayer::custom(health::panic_response))
        .with_state(options))
}
