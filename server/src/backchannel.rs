//! Sends the back-channel logout outbox (OpenID Connect Back-Channel Logout 1.0
//! §2.5): a form POST of `logout_token` to each app's `backchannel_logout_uri`,
//! from a background task, so a person's sign-out never waits for an app. The
//! request goes through [`Outbound`] (public addresses only, pinned, no redirects:
//! §2.5 wants a 2xx from the URI itself).

use std::time::Duration;

use domain::oauth::logout_outbox::{self, Due};

use crate::oauth::OAuthState;
use crate::outbound::Outbound;
use crate::settings::LogoutSettings;

pub fn spawn(oauth: OAuthState, cfg: LogoutSettings, outbound: Outbound) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(cfg.poll_ms));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = pass(&oauth, &cfg, &outbound).await {
                tracing::error!(error = %e, "back-channel logout pass failed");
            }
        }
    });
}

async fn pass(
    oauth: &OAuthState,
    cfg: &LogoutSettings,
    outbound: &Outbound,
) -> Result<(), domain::DomainError> {
    let db = &oauth.services.db;
    let due = logout_outbox::claim_due(
        db,
        &oauth.keys(),
        &oauth.tokens.subjects,
        oauth.issuer(),
        oauth.services.now(),
        20,
    )
    .await?;
    if due.is_empty() {
        return Ok(());
    }
    // Apps are told in parallel: one slow app does not hold up the others.
    let mut sends = tokio::task::JoinSet::new();
    for d in due {
        let outbound = outbound.clone();
        sends.spawn(async move {
            let r = send(&d, &outbound).await;
            (d, r)
        });
    }
    while let Some(joined) = sends.join_next().await {
        let Ok((d, r)) = joined else { continue };
        let d = &d;
        let now = oauth.services.now();
        match r {
            Ok(()) => {
                tracing::info!(client_id = %d.client_id, "back-channel logout delivered");
                logout_outbox::delivered(db, d, now).await?;
            }
            Err(e) => {
                tracing::warn!(client_id = %d.client_id, error = %e, "back-channel logout failed; will retry");
                logout_outbox::failed(db, d, &e, cfg.retry_base_secs, now).await?;
            }
        }
    }
    Ok(())
}

async fn send(d: &Due, outbound: &Outbound) -> Result<(), String> {
    outbound
        .post_form(&d.uri, &[("logout_token", d.logout_token.as_str())])
        .await
}
