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
    /// An administrator requires a second factor of the person's role: it
    /// cannot be turned off.
    pub required: bool,
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
    let required = domain::accounts::second_factor::policy::covers(
        &st.runtime.get(&st.db).await?.second_factor_roles,
        u.role,
    );
    Ok(SecondFactorView {
        status: status.to_owned(),
        recovery_codes_left: left,
        enrollment,
        new_codes,
        required,
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
        &st.runtime.get(&st.db).await?.second_factor_roles,
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

/// A sign-in that must set up a second factor first (an administrator requires
/// one of the person's role): what the authenticator app needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetUpView {
    pub username: String,
    pub role: String,
    pub enrollment: EnrollmentView,
}

#[server(input = GetUrl, endpoint = "sign_in_set_up")]
pub async fn sign_in_set_up() -> Result<SetUpView, AppError> {
    use crate::ssr::{pending_cookie_name, request_cookie};
    use domain::accounts::sign_in::{set_up_enrollment, SecondStepError};
    let st = crate::ssr::state()?;
    let Some(pending) = request_cookie(pending_cookie_name(st.config.secure_cookies)) else {
        return Err(AppError::Refused(SecondStepError::Expired.to_string()));
    };
    let (user, e) = set_up_enrollment(&st.db, &st.config.kek, &pending, st.now())
        .await
        .map_err(super::session::step_error)?;
    Ok(SetUpView {
        username: user.username,
        role: user.role.as_str().to_owned(),
        enrollment: EnrollmentView {
            secret: e.secret_base32,
            uri: e.uri,
            qr_svg: e.qr_svg,
        },
    })
}

/// The first code from the app: the factor is on and the sign-in is done; the
/// recovery codes are shown next, once.
#[server(endpoint = "sign_in_set_up_confirm")]
pub async fn sign_in_set_up_confirm(
    csrf_token: String,
    code: String,
    #[server(default)] return_to: String,
) -> Result<(), AppError> {
    use crate::ssr::{
        pending_cookie, pending_cookie_name, request_cookie, request_ctx, safe_return_to,
        session_cookie, set_cookie,
    };
    use domain::accounts::sign_in::{set_up_step, SecondStepError};
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let ctx = request_ctx()?;
    if code.trim().is_empty() || code.len() > 64 {
        return Err(AppError::invalid(
            "code",
            "Enter the 6-digit code your app shows.",
        ));
    }
    let Some(pending) = request_cookie(pending_cookie_name(st.config.secure_cookies)) else {
        return Err(AppError::Refused(SecondStepError::Expired.to_string()));
    };
    let (signed_in, codes) = set_up_step(
        &st.db,
        &crate::ssr::attempt(&st, ctx.ip.clone()),
        &pending,
        &code,
        ctx.user_agent.clone(),
        st.config.session_policy,
    )
    .await
    .map_err(super::session::step_error)?;
    keep_codes(&st, &signed_in.token, &codes).await?;
    set_cookie(pending_cookie(st.config.secure_cookies, None));
    set_cookie(session_cookie(
        st.config.secure_cookies,
        Some(&signed_in.token),
        st.config.session_policy.absolute_timeout_secs,
    ));
    leptos_axum::redirect(&format!(
        "/login/recovery-codes?return_to={}",
        crate::navigation::encode_component(&safe_return_to(&return_to))
    ));
    Ok(())
}

/// After a sign-in that set up a second factor: the recovery codes (once) and
/// where the sign-in was going, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetUpDone {
    pub codes: Vec<String>,
    pub continue_to: String,
}

#[server(input = GetUrl, endpoint = "sign_in_set_up_done")]
pub async fn sign_in_set_up_done(
    #[server(default)] return_to: String,
) -> Result<SetUpDone, AppError> {
    let st = crate::ssr::state()?;
    let (_, _, token) = me()?;
    let codes = match crate::ssr::request_id() {
        Some(rid) => domain::portal::shown_once::take(&st.db, &token, CODES_SLOT, &rid, st.now())
            .await?
            .map(|c| c.split('\n').map(str::to_owned).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(SetUpDone {
        codes,
        continue_to: crate::ssr::safe_return_to(&return_to),
    })
}
