//! The second-factor page's server functions (`/account/two-factor`): thin
//! adapters over `domain::accounts::second_factor`.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

/// What the page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorView {
    /// `off`, `pending` (a secret shown, not yet confirmed) or `active`.
    pub status: String,
    pub recovery_codes_left: u64,
    /// While pending: what the authenticator app needs.
    pub enrollment: Option<EnrollmentView>,
    /// Recovery codes just made, shown this once.
    pub new_codes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentView {
    pub secret: String,
    pub uri: String,
    /// An SVG drawn on the server from `uri` (no script, no outside request).
    pub qr_svg: String,
}

/// The `shown_once` slot of new recovery codes (beside the clients' secrets).
#[cfg(feature = "ssr")]
const CODES_SLOT: &str = "recovery-codes";

#[cfg(feature = "ssr")]
fn me() -> Result<(domain::accounts::Principal, crate::ssr::RequestCtx, String), AppError> {
    let me = crate::ssr::require_user()?;
    let ctx = crate::ssr::request_ctx()?;
    let token = ctx.session_token.clone().ok_or(AppError::Unauthenticated)?;
    Ok((me, ctx, token))
}

#[server(input = GetUrl, endpoint = "second_factor")]
pub async fn second_factor() -> Result<SecondFactorView, AppError> {
    use domain::accounts::second_factor::factor::{self, Status};
    let st = crate::ssr::state()?;
    let (me, _, token) = me()?;
    let u = me.user();
    let (status, left) = match factor::status(&st.db, &u.id).await? {
        Status::Off => ("off", 0),
        Status::Pending => ("pending", 0),
        Status::Active {
            recovery_codes_left,
        } => ("active", recovery_codes_left),
    };
    let enrollment = factor::pending(&st.db, &st.config.kek, u)
        .await?
        .map(|e| EnrollmentView {
            secret: e.secret_base32,
            uri: e.uri,
            qr_svg: e.qr_svg,
        });
    let new_codes = match crate::ssr::request_id() {
        Some(rid) => domain::portal::shown_once::take(&st.db, &token, CODES_SLOT, &rid, st.now())
            .await?
            .map(|c| c.split('\n').map(str::to_owned).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(SecondFactorView {
        status: status.to_owned(),
        recovery_codes_left: left,
        enrollment,
        new_codes,
    })
}

/// Keeps new recovery codes for the next view of the page (this session only).
#[cfg(feature = "ssr")]
async fn keep_codes(
    st: &crate::ssr::AppState,
    token: &str,
    codes: &[String],
) -> Result<(), AppError> {
    let joined = domain::platform::secret::SecretString::new(codes.join("\n"));
    domain::portal::shown_once::put(&st.db, token, CODES_SLOT, &joined, st.now()).await?;
    Ok(())
}

/// A new secret for an authenticator app (replacing one not yet confirmed).
#[server(endpoint = "totp_begin")]
pub async fn totp_begin(csrf_token: String) -> Result<(), AppError> {
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let (me, _, _) = me()?;
    domain::accounts::second_factor::factor::begin(&st.db, &st.config.kek, me.user(), st.now())
        .await?;
    leptos_axum::redirect("/account/two-factor");
    Ok(())
}

/// The first code from the app: the factor is on, and the recovery codes are made.
#[server(endpoint = "totp_confirm")]
pub async fn totp_confirm(csrf_token: String, code: String) -> Result<(), AppError> {
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let (me, ctx, token) = me()?;
    if code.trim().is_empty() || code.len() > 64 {
        return Err(AppError::invalid(
            "code",
            "Enter the 6-digit code your app shows.",
        ));
    }
    let codes = domain::accounts::second_factor::factor::confirm(
        &st.db,
        &crate::ssr::attempt(&st, ctx.ip.clone()),
        me.user(),
        &code,
    )
    .await
    .map_err(|e| super::account::own_error(e.into(), vec![]))?;
    keep_codes(&st, &token, &codes).await?;
    leptos_axum::redirect("/account/two-factor?notice=second_factor_on");
    Ok(())
}

#[cfg(feature = "ssr")]
fn proof<'a>(
    password: &'a domain::platform::secret::SecretString,
    code: &'a str,
) -> domain::accounts::second_factor::account::Proof<'a> {
    use domain::accounts::second_factor::account::Proof;
    if password.is_empty() && !code.trim().is_empty() {
        Proof::Code(code)
    } else {
        Proof::Password(password)
    }
}

/// Turns the second factor off: the current password (or a current code), and a
/// ticked confirmation.
#[server(endpoint = "totp_disable")]
pub async fn totp_disable(
    csrf_token: String,
    #[server(default)] current_password: String,
    #[server(default)] code: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    use domain::platform::secret::SecretString;
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let (me, ctx, _) = me()?;
    if confirm.is_none() {
        return Err(AppError::invalid("confirm", "Tick the box to confirm."));
    }
    if code.len() > 64 || current_password.len() > limits::PASSWORD {
        return Err(AppError::invalid("code", "That is no code of ours."));
    }
    let password = SecretString::new(current_password);
    domain::accounts::second_factor::account::turn_off(
        &st.db,
        &st.hasher,
        &crate::ssr::attempt(&st, ctx.ip.clone()),
        &me,
        proof(&password, &code),
    )
    .await
    .map_err(|e| super::account::own_error(e, vec![]))?;
    leptos_axum::redirect("/account/two-factor?notice=second_factor_off");
    Ok(())
}

/// Ten new recovery codes; the old ones stop working.
#[server(endpoint = "recovery_codes_new")]
pub async fn recovery_codes_new(
    csrf_token: String,
    #[server(default)] current_password: String,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    use domain::platform::secret::SecretString;
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let (me, ctx, token) = me()?;
    if code.len() > 64 || current_password.len() > limits::PASSWORD {
        return Err(AppError::invalid("code", "That is no code of ours."));
    }
    let password = SecretString::new(current_password);
    let codes = domain::accounts::second_factor::account::new_recovery_codes(
        &st.db,
        &st.hasher,
        &crate::ssr::attempt(&st, ctx.ip.clone()),
        &me,
        proof(&password, &code),
    )
    .await
    .map_err(|e| super::account::own_error(e, vec![]))?;
    keep_codes(&st, &token, &codes).await?;
    leptos_axum::redirect("/account/two-factor?notice=recovery_codes_new");
    Ok(())
}
