//! Passkeys (`domain::accounts::passkeys`): the options the page's script hands
//! to `navigator.credentials`, what it sends back, and the person's list
//! (`/account/passkeys`). The ceremonies need JavaScript (`/passkeys.js`); the
//! list and removal work without it.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyView {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeysView {
    pub passkeys: Vec<PasskeyView>,
}

#[cfg(feature = "ssr")]
fn relying(
    st: &crate::ssr::AppState,
) -> Result<domain::accounts::passkeys::webauthn::Relying, AppError> {
    domain::accounts::passkeys::webauthn::Relying::of_issuer(&st.config.issuer).ok_or_else(|| {
        tracing::error!("the issuer has no host for WebAuthn");
        AppError::Internal
    })
}

#[cfg(feature = "ssr")]
pub(crate) fn passkey_error(e: domain::accounts::passkeys::PasskeyError) -> AppError {
    use domain::accounts::passkeys::PasskeyError;
    match e {
        PasskeyError::Refused(m) => AppError::Refused(m),
        PasskeyError::Disabled => AppError::Refused(e.to_string()),
        PasskeyError::Internal(d) => AppError::from(d),
    }
}

/// `navigator.credentials.create`'s `publicKey` options, for the signed-in person.
#[server(endpoint = "passkey_register_options")]
pub async fn passkey_register_options(csrf_token: String) -> Result<serde_json::Value, AppError> {
    check_csrf(&csrf_token)?;
    let user = crate::ssr::require_user()?;
    let st = crate::ssr::state()?;
    Ok(
        domain::accounts::passkeys::register_options(&st.db, &relying(&st)?, user.user(), st.now())
            .await?,
    )
}

/// Registers the credential the browser made (`credential`: its JSON).
#[server(endpoint = "passkey_register")]
pub async fn passkey_register(
    csrf_token: String,
    name: String,
    credential: String,
) -> Result<(), AppError> {
    check_csrf(&csrf_token)?;
    let user = crate::ssr::require_user()?;
    let st = crate::ssr::state()?;
    let ip = crate::ssr::request_ctx()?.ip.clone();
    domain::accounts::passkeys::register(
        &st.db,
        &relying(&st)?,
        user.user(),
        &name,
        &credential,
        ip,
        st.now(),
    )
    .await
    .map_err(passkey_error)?;
    leptos_axum::redirect("/account/passkeys?notice=passkey_added");
    Ok(())
}

/// `navigator.credentials.get`'s `publicKey` options for a sign-in.
#[server(endpoint = "passkey_sign_in_options")]
pub async fn passkey_sign_in_options(csrf_token: String) -> Result<serde_json::Value, AppError> {
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    Ok(domain::accounts::passkeys::sign_in_options(&st.db, &relying(&st)?, st.now()).await?)
}

/// Signs in the person whose passkey signed the challenge; on to `return_to` (or
/// the terms of use first).
#[server(endpoint = "passkey_sign_in")]
pub async fn passkey_sign_in(
    csrf_token: String,
    credential: String,
    #[server(default)] return_to: String,
) -> Result<(), AppError> {
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let now = st.now();
    let user = domain::accounts::passkeys::authenticate(&st.db, &relying(&st)?, &credential, now)
        .await
        .map_err(|e| match e {
            domain::accounts::passkeys::PasskeyError::Refused(m) => AppError::SignInFailed(m),
            other => passkey_error(other),
        })?;
    crate::api::session::signed_in_without_password(
        &user,
        domain::accounts::second_factor::Method::Passkey,
        &return_to,
    )
    .await
}

/// `navigator.credentials.get`'s `publicKey` options for the second step of the
/// sign-in pending in this browser: the person's own passkeys only.
#[server(endpoint = "passkey_second_step_options")]
pub async fn passkey_second_step_options(
    csrf_token: String,
) -> Result<serde_json::Value, AppError> {
    use crate::ssr::{pending_cookie_name, request_cookie};
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let pending =
        request_cookie(pending_cookie_name(st.config.secure_cookies)).ok_or_else(expired_step)?;
    domain::accounts::sign_in::second_step_passkey_options(
        &st.db,
        &relying(&st)?,
        &pending,
        st.now(),
    )
    .await
    .map_err(crate::api::session::step_error)
}

/// The second step of the sign-in pending in this browser, with one of the
/// person's passkeys: the session, then `return_to`.
#[server(endpoint = "passkey_second_step")]
pub async fn passkey_second_step(
    csrf_token: String,
    credential: String,
    #[server(default)] return_to: String,
) -> Result<(), AppError> {
    use crate::ssr::{pending_cookie_name, request_cookie};
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let ctx = crate::ssr::request_ctx()?;
    let pending =
        request_cookie(pending_cookie_name(st.config.secure_cookies)).ok_or_else(expired_step)?;
    let signed_in = domain::accounts::sign_in::second_step_passkey(
        &st.db,
        &relying(&st)?,
        &pending,
        &credential,
        ctx.ip.clone(),
        ctx.user_agent.clone(),
        st.config.session_policy,
        st.now(),
    )
    .await
    .map_err(crate::api::session::step_error)?;
    crate::api::session::go_to(
        domain::accounts::sign_in::SignInStep::Done(Box::new(signed_in)),
        &return_to,
    )
}

#[cfg(feature = "ssr")]
fn expired_step() -> AppError {
    AppError::Refused(domain::accounts::sign_in::SecondStepError::Expired.to_string())
}

#[server(input = GetUrl, endpoint = "account/passkeys")]
pub async fn my_passkeys() -> Result<PasskeysView, AppError> {
    use domain::platform::clock::format_utc;
    let user = crate::ssr::require_user()?;
    let st = crate::ssr::state()?;
    let passkeys = domain::accounts::passkeys::list(&st.db, &user.id)
        .await?
        .into_iter()
        .map(|p| PasskeyView {
            id: p.id,
            name: p.name,
            created: format_utc(p.created_at),
            last_used: p.last_used_at.map(format_utc),
        })
        .collect();
    Ok(PasskeysView { passkeys })
}

#[server(endpoint = "account/passkeys/delete")]
pub async fn remove_passkey(csrf_token: String, id: String) -> Result<(), AppError> {
    check_csrf(&csrf_token)?;
    let user = crate::ssr::require_user()?;
    let st = crate::ssr::state()?;
    if id.len() > 2048 {
        return Err(AppError::invalid("id", "No such passkey."));
    }
    let ip = crate::ssr::request_ctx()?.ip.clone();
    domain::accounts::passkeys::remove(&st.db, user.user(), &id, ip, st.now())
        .await
        .map_err(|e| match e {
            domain::DomainError::NotFound => AppError::invalid("id", "No such passkey."),
            other => AppError::from(other),
        })?;
    leptos_axum::redirect("/account/passkeys?notice=passkey_removed");
    Ok(())
}
