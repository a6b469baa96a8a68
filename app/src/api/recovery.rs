//! Account recovery and e-mail verification: "Forgot your password?", the reset
//! link's page, the verification link's page and "Resend" (thin adapters over
//! `domain::accounts::recovery`).

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

#[cfg(feature = "ssr")]
fn app_error(e: domain::accounts::recovery::RecoveryError) -> AppError {
    use domain::accounts::recovery::RecoveryError as R;
    match e {
        R::InvalidLink | R::Disabled => AppError::Refused(e.to_string()),
        R::Throttled { retry_after_secs } => AppError::TooManyAttempts {
            message: e.to_string(),
            retry_after_secs,
        },
        R::Domain(d) => d.into(),
    }
}

/// Mails a reset link when `who` names an account. The answer is the same whether
/// or not one does (docs/SECURITY.md, "Account recovery").
#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(csrf_token: String, who: String) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, state};
    check_csrf(&csrf_token)?;
    let st = state()?;
    let ctx = request_ctx()?;
    domain::accounts::recovery::request_reset(
        &st.db,
        &st.config.recovery,
        &who,
        ctx.ip.clone(),
        st.now(),
    )
    .await
    .map_err(app_error)?;
    leptos_axum::redirect("/login?notice=reset_requested");
    Ok(())
}

/// Whose password a reset link resets, while it is good: the page asks first.
#[server(input = GetUrl, endpoint = "reset_link")]
pub async fn reset_link(token: String) -> Result<String, AppError> {
    use crate::ssr::state;
    let st = state()?;
    let u = domain::accounts::recovery::reset_link_user(&st.db, &token, st.now())
        .await
        .map_err(app_error)?;
    Ok(u.username)
}

/// Sets a new password through a reset link; then the person signs in with it.
#[server(endpoint = "reset_password")]
pub async fn reset_password(
    csrf_token: String,
    token: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, state};
    use domain::platform::secret::SecretString;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let ctx = request_ctx()?;
    if password != password_confirm {
        return Err(AppError::invalid(
            "password_confirm",
            "The two passwords do not match.",
        ));
    }
    domain::accounts::recovery::reset_password(
        &st.db,
        &st.hasher,
        &st.revocations,
        &token,
        &SecretString::new(password),
        ctx.ip.clone(),
        st.now(),
    )
    .await
    .map_err(app_error)?;
    leptos_axum::redirect("/login?notice=password_reset");
    Ok(())
}

/// Confirms an address from the mailed link (a button on the link's page: a link
/// scanner that only fetches the page verifies nothing).
#[server(endpoint = "verify_email")]
pub async fn verify_email(csrf_token: String, token: String) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, state};
    check_csrf(&csrf_token)?;
    let st = state()?;
    let ctx = request_ctx()?;
    domain::accounts::recovery::verify_email(&st.db, &token, ctx.ip.clone(), st.now())
        .await
        .map_err(app_error)?;
    leptos_axum::redirect("/?notice=email_verified");
    Ok(())
}

/// "Resend" on the banner of a person whose address is not verified yet.
#[server(endpoint = "resend_verification")]
pub async fn resend_verification(csrf_token: String) -> Result<(), AppError> {
    use crate::ssr::{require_user, state};
    check_csrf(&csrf_token)?;
    let st = state()?;
    let me = require_user()?;
    domain::accounts::recovery::resend_verification(&st.db, &st.config.recovery, &me, st.now())
        .await
        .map_err(app_error)?;
    leptos_axum::redirect("/?notice=verification_sent");
    Ok(())
}
