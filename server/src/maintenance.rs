//! The server's periodic background work: the minutely flush of secret uses and
//! refused token requests (with the reminders it makes possible) and the hourly
//! maintenance. Started once by
//! `startup`, in every process.

use std::time::Duration;

use app::ssr::AppState;

/// Every minute: write the client secret uses and refused token requests counted in
/// memory, then warn owners
/// whose old secret, still in use, stops working within a day (rotation overlaps
/// can be an hour, so the hourly maintenance would be too late).
pub(crate) fn spawn_secret_uses(app: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            app.clients.uses.flush(&app.db).await;
            app.clients.refusals.flush(&app.db).await;
            match domain::portal::notify::send_secret_reminders(&app.db, app.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminders = n, "warned about old secrets still in use"),
                Err(e) => tracing::error!(error = %e, "warning about ending secrets failed"),
            }
        }
    });
}

/// Hourly: expire unused self-registered clients, delete rows that can no longer
/// matter (expired sessions, codes, ...), prune the change feed, send expiry
/// reminders.
pub(crate) fn spawn_hourly(app: AppState, expire_unused_days: i64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if expire_unused_days > 0 {
                // This process's recent secret uses first, so none is missed.
                app.clients.uses.flush(&app.db).await;
                match domain::clients::unused::expire_unused(
                    &app.db,
                    &app.clients,
                    expire_unused_days * 86_400,
                    app.now(),
                )
                .await
                {
                    Ok(ids) if ids.is_empty() => {}
                    Ok(ids) => tracing::info!(
                        clients = ids.len(),
                        "deleted unused self-registered clients"
                    ),
                    Err(e) => {
                        tracing::error!(error = %e, "expiring unused self-registered clients failed")
                    }
                }
            }
            match domain::jobs::cleanup::purge(
                &app.db,
                app.config.session_policy,
                app.throttle,
                app.now(),
            )
            .await
            {
                Ok(p) => tracing::debug!(?p, "purged expired rows"),
                Err(e) => tracing::error!(error = %e, "purging expired rows failed"),
            }
            // A process reads the feed every few milliseconds: 100,000 changes back
            // is far more than any live process can be behind.
            if let Err(e) = domain::portal::shown_once::purge(&app.db, app.now()).await {
                tracing::error!(error = %e, "purging unseen secrets failed");
            }
            // Refused token requests older than any usage chart.
            let before = app.now() - (domain::portal::usage::USAGE_DAYS + 1) * 86_400;
            if let Err(e) = domain::clients::refusals::TokenRefusals::prune(&app.db, before).await {
                tracing::error!(error = %e, "pruning refused token requests failed");
            }
            if let Err(e) = domain::platform::changes::prune(&app.db, 100_000).await {
                tracing::error!(error = %e, "pruning the change feed failed");
            }
            match domain::portal::notify::send_expiry_reminders(&app.db, app.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminders = n, "sent expiry reminders"),
                Err(e) => tracing::error!(error = %e, "sending expiry reminders failed"),
            }
        }
    });
}
