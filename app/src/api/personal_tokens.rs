//! The person's personal access tokens (`/account/tokens`): made and revoked in a
//! signed-in browser only, the new token shown once on the next view of the page
//! (`portal::shown_once`, keyed by a name no client id starts with).

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
const MADE: &str = "@personal-token";

/// The person's personal access tokens, as `/account/tokens` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalTokensView {
    pub tokens: Vec<PersonalTokenView>,
    /// The token just made, shown this once.
    pub new_token: Option<String>,
    /// The administrators' cap (days).
    pub max_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalTokenView {
    pub id: String,
    pub name: String,
    pub read_only: bool,
    pub created: String,
    /// When it stops: its own expiry, or sooner under a lowered cap.
    pub expires: String,
    pub live: bool,
    pub last_used: Option<String>,
}

#[server(input = GetUrl, endpoint = "account/tokens")]
pub async fn personal_tokens() -> Result<PersonalTokensView, AppError> {
    use crate::ssr::{request_ctx, require_user, state};
    let user = require_user()?;
    let st = state()?;
    let now = st.now();
    let max_days = st.runtime.get(&st.db).await?.personal_token_max_days;
    let tokens = token_views(&st, &user.id, max_days).await?;
    let ctx = request_ctx()?;
    let new_token = match (ctx.session_token.as_deref(), crate::ssr::request_id()) {
        (Some(s), Some(rid)) => {
            domain::portal::shown_once::take(&st.db, s, MADE, &rid, now).await?
        }
        _ => None,
    };
    Ok(PersonalTokensView {
        tokens,
        new_token,
        max_days,
    })
}

/// `user_id`'s tokens as the pages show them, under the cap `max_days`: each
/// with when it stops and whether it still works.
#[cfg(feature = "ssr")]
pub(crate) async fn token_views(
    st: &crate::ssr::AppState,
    user_id: &str,
    max_days: i64,
) -> Result<Vec<PersonalTokenView>, AppError> {
    use domain::platform::clock::format_utc;
    let now = st.now();
    Ok(domain::accounts::personal_tokens::list(&st.db, user_id)
        .await?
        .into_iter()
        .map(|t| {
            let ends = t.ends(max_days);
            PersonalTokenView {
                read_only: t.read_only(),
                live: now < ends,
                expires: format_utc(ends),
                created: format_utc(t.created_at),
                last_used: t.last_used_at.map(format_utc),
                id: t.id,
                name: t.name,
            }
        })
        .collect())
}

/// An administrator revokes one of a person's tokens (their authorizations page).
#[server(endpoint = "admin/revoke_user_token")]
pub async fn admin_revoke_token(
    csrf_token: String,
    user_id: String,
    id: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, require_admin, state};
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    if confirm.is_none() {
        return Err(AppError::invalid(
            "confirm",
            "Tick “I understand” to confirm that whatever uses the token stops working.",
        ));
    }
    let st = state()?;
    let ip = request_ctx()?.ip;
    domain::accounts::personal_tokens::revoke_as_admin(&st.db, &admin, &user_id, &id, ip, st.now())
        .await?;
    leptos_axum::redirect(&format!(
        "/admin/users/{}/apps?notice=personal_token_revoked",
        crate::api::audit::encode(&user_id)
    ));
    Ok(())
}

#[server(endpoint = "account/create_token")]
pub async fn create_personal_token(
    csrf_token: String,
    #[server(default)] name: String,
    #[server(default)] scope: String,
    #[server(default)] days: String,
) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, require_user, state};
    check_csrf(&csrf_token)?;
    let user = require_user()?;
    let st = state()?;
    let days: i64 = days
        .trim()
        .parse()
        .map_err(|_| AppError::invalid("days", "Enter a whole number of days."))?;
    let max_days = st.runtime.get(&st.db).await?.personal_token_max_days;
    let ctx = request_ctx()?;
    let (_, token) = domain::accounts::personal_tokens::create(
        &st.db,
        user.user(),
        &name,
        &scope,
        days,
        max_days,
        ctx.ip.clone(),
        st.now(),
    )
    .await?;
    if let Some(session) = ctx.session_token.as_deref() {
        domain::portal::shown_once::put(&st.db, session, MADE, &token, st.now()).await?;
    }
    leptos_axum::redirect("/account/tokens?notice=personal_token_created#new-token");
    Ok(())
}

#[server(endpoint = "account/revoke_token")]
pub async fn revoke_personal_token(
    csrf_token: String,
    id: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, require_user, state};
    check_csrf(&csrf_token)?;
    let user = require_user()?;
    if confirm.is_none() {
        return Err(AppError::invalid(
            "confirm",
            "Tick “I understand” to confirm that what uses the token stops working.",
        ));
    }
    let st = state()?;
    let ip = request_ctx()?.ip;
    domain::accounts::personal_tokens::revoke(&st.db, &user.id, &id, ip, st.now()).await?;
    leptos_axum::redirect("/account/tokens?notice=personal_token_revoked");
    Ok(())
}
