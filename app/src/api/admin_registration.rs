//! Administrators' self-registration settings (issue 16): the dynamic
//! registration mode, initial access tokens (minted and shown once, listed,
//! revoked) and client ID metadata documents (on or off, trusted hosts, protected
//! names). The same domain functions as `portcullis registration …` and
//! `/api/v1/registration`.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::RegistrationView;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

/// The key under which a just-minted initial access token waits, shown once, for
/// the next view of the page (`portal::shown_once`, which otherwise holds client
/// secrets by client id; no client id starts with `@`).
#[cfg(feature = "ssr")]
const MINTED: &str = "@initial-access-token";

#[server(input = GetUrl, endpoint = "admin/registration")]
pub async fn registration_settings() -> Result<RegistrationView, AppError> {
    use crate::model::{InitialTokenView, ProtectedNameView};
    use crate::ssr::{request_ctx, require_admin, state};
    use domain::platform::clock::format_utc;
    let (_, admin) = require_admin()?;
    let st = state()?;
    let now = st.now();
    let mode = domain::settings::registration_mode(&st.db).await?;
    let docs = domain::settings::metadata_documents(&st.db).await?;
    let tokens = domain::clients::initial_tokens::list(&st.db, &admin)
        .await?
        .into_iter()
        .map(|t| InitialTokenView {
            state: if t.revoked_at.is_some() {
                "revoked"
            } else if t.uses >= t.max_uses {
                "used up"
            } else if t.expires_at <= now {
                "expired"
            } else {
                "live"
            }
            .into(),
            id: t.id,
            label: t.label,
            uses: t.uses,
            max_uses: t.max_uses,
            expires: format_utc(t.expires_at),
        })
        .collect();
    let ctx = request_ctx()?;
    let new_token = match (ctx.session_token.as_deref(), crate::ssr::request_id()) {
        (Some(s), Some(rid)) => {
            domain::portal::shown_once::take(&st.db, s, MINTED, &rid, now).await?
        }
        _ => None,
    };
    Ok(RegistrationView {
        mode: mode.as_str().into(),
        tokens,
        new_token,
        documents_enabled: docs.enabled,
        trusted_hosts: docs.trusted_hosts,
        protected_names: docs
            .protected_names
            .into_iter()
            .map(|p| ProtectedNameView {
                name: p.name,
                host: p.host,
            })
            .collect(),
    })
}

#[server(endpoint = "admin/registration_mode")]
pub async fn set_registration_mode(csrf_token: String, mode: String) -> Result<(), AppError> {
    use crate::ssr::{require_admin, state};
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    let st = state()?;
    let mode = domain::settings::RegistrationMode::parse(&mode)
        .ok_or_else(|| AppError::invalid("mode", "Choose off, open or token."))?;
    domain::settings::set_registration_mode(&st.db, &admin, mode, st.now()).await?;
    leptos_axum::redirect("/admin/registration?notice=settings_saved");
    Ok(())
}

#[server(endpoint = "admin/mint_initial_token")]
pub async fn mint_initial_token(
    csrf_token: String,
    #[server(default)] label: String,
    #[server(default)] max_uses: String,
    #[server(default)] days: String,
) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, require_admin, state};
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    let st = state()?;
    let number = |field: &'static str, s: &str| -> Result<i64, AppError> {
        s.trim()
            .parse()
            .map_err(|_| AppError::invalid(field, "Enter a whole number."))
    };
    let max_uses = number("max_uses", &max_uses)?;
    let days = number("days", &days)?;
    let (_, token) = domain::clients::initial_tokens::mint(
        &st.db,
        &admin,
        &label,
        max_uses,
        days.saturating_mul(86_400),
        st.now(),
    )
    .await
    // The lifetime is asked in days here, in seconds by the domain (1 day to a year).
    .map_err(|e| match AppError::from(e) {
        AppError::Invalid { field, .. } if field == "lifetime" => {
            AppError::invalid("days", "must be between 1 and 365")
        }
        other => other,
    })?;
    if let Some(session) = request_ctx()?.session_token.as_deref() {
        domain::portal::shown_once::put(&st.db, session, MINTED, &token, st.now()).await?;
    }
    leptos_axum::redirect("/admin/registration?notice=token_minted#new-token");
    Ok(())
}

#[server(endpoint = "admin/revoke_initial_token")]
pub async fn revoke_initial_token(
    csrf_token: String,
    id: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::{require_admin, state};
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    if confirm != "yes" {
        return Err(AppError::invalid(
            format!("confirm-{id}"),
            "Tick the box to confirm: registrations with this token stop at once.",
        ));
    }
    let st = state()?;
    domain::clients::initial_tokens::revoke(&st.db, &admin, &id, st.now()).await?;
    leptos_axum::redirect("/admin/registration?notice=token_revoked");
    Ok(())
}

/// Protected names as the form holds them: one per line, `Name @ host`.
#[cfg(feature = "ssr")]
fn protected_names(raw: &str) -> Result<Vec<domain::settings::ProtectedName>, AppError> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.rsplit_once('@') {
            Some((name, host)) => Ok(domain::settings::ProtectedName {
                name: name.trim().to_owned(),
                host: host.trim().to_owned(),
            }),
            None => Err(AppError::invalid(
                "protected_names",
                format!("\"{l}\" is not of the form Name @ host."),
            )),
        })
        .collect()
}

#[server(endpoint = "admin/metadata_documents")]
pub async fn save_metadata_documents(
    csrf_token: String,
    #[server(default)] enabled: Option<String>,
    #[server(default)] trusted_hosts: String,
    #[server(default)] protected_names: String,
) -> Result<(), AppError> {
    use crate::ssr::{require_admin, state};
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    let st = state()?;
    let new = domain::settings::MetadataDocuments {
        enabled: enabled.is_some(),
        trusted_hosts: trusted_hosts
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect(),
        protected_names: self::protected_names(&protected_names)?,
    };
    domain::settings::set_metadata_documents(&st.db, &admin, new, st.now()).await?;
    st.runtime.invalidate();
    leptos_axum::redirect("/admin/registration?notice=settings_saved");
    Ok(())
}
