use leptos::prelude::*;

use crate::error::AppError;
use crate::model::ShellInfo;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;
use leptos::server_fn::codec::GetUrl;

/// Who is signed in, the CSRF token for forms, and whether sign-up is open.
#[server(input = GetUrl, endpoint = "shell")]
pub async fn get_shell_info() -> Result<ShellInfo, AppError> {
    use crate::ssr::{request_ctx, state, user_view};
    let st = state()?;
    let ctx = request_ctx()?;
    let (mut unread, mut pending_requests) = (0, 0);
    if let Some(u) = &ctx.user {
        unread = domain::portal::notify::unread_count(&st.db, &u.id).await?;
        if u.role == domain::accounts::Role::Admin {
            pending_requests = domain::portal::pending_count(&st.db).await?;
        }
    }
    Ok(ShellInfo {
        user: ctx.user.as_deref().map(user_view),
        csrf_token: ctx.csrf_token,
        allow_signup: st.runtime.get(&st.db).await?.allow_self_signup,
        unread,
        pending_requests,
    })
}

#[server(endpoint = "sign_in")]
pub async fn sign_in(
    csrf_token: String,
    username: String,
    password: String,
    #[server(default)] return_to: String,
) -> Result<(), AppError> {
    use crate::ssr::{
        pending_cookie, request_ctx, safe_return_to, session_cookie, set_cookie, state,
    };
    use domain::accounts::sign_in::{self, SignInError, SignInRequest, SignInStep};
    use domain::platform::secret::SecretString;

    check_csrf(&csrf_token)?;
    let st = state()?;
    let ctx = request_ctx()?;
    if username.trim().is_empty() {
        return Err(AppError::invalid("username", "Enter your username."));
    }
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    let password = SecretString::new(password);
    let req = SignInRequest {
        username: &username,
        password: &password,
        ip: ctx.ip.clone(),
        user_agent: ctx.user_agent,
    };
    let required = st.runtime.get(&st.db).await?.second_factor_roles;
    let step = sign_in::sign_in(
        &st.db,
        &st.hasher,
        st.config.session_policy,
        st.throttle,
        &required,
        req,
        st.now(),
    )
    .await
    .map_err(|e| match e {
        SignInError::Internal(d) => AppError::from(d),
        SignInError::InvalidCredentials => AppError::SignInFailed(e.to_string()),
        SignInError::Disabled => AppError::Refused(e.to_string()),
        SignInError::Throttled { retry_after_secs } => AppError::TooManyAttempts {
            message: e.to_string(),
            retry_after_secs,
        },
    })?;
    match step {
        SignInStep::Done(signed_in) => {
            set_cookie(session_cookie(
                st.config.secure_cookies,
                Some(&signed_in.token),
                st.config.session_policy.absolute_timeout_secs,
            ));
            leptos_axum::redirect(&safe_return_to(&return_to));
        }
        // No session yet: the second step's page, bound to this browser by its
        // own short cookie, carries on to `return_to`.
        SignInStep::SecondFactor { pending } => {
            set_cookie(pending_cookie(st.config.secure_cookies, Some(&pending)));
            leptos_axum::redirect(&format!(
                "/login/second-factor?return_to={}",
                crate::navigation::encode_component(&safe_return_to(&return_to))
            ));
        }
        // An administrator requires a second factor of this person's role and
        // they have none: they set one up first (the same short cookie).
        SignInStep::SetUp { pending } => {
            set_cookie(pending_cookie(st.config.secure_cookies, Some(&pending)));
            leptos_axum::redirect(&format!(
                "/login/set-up-second-factor?return_to={}",
                crate::navigation::encode_component(&safe_return_to(&return_to))
            ));
        }
    }
    Ok(())
}

/// The second step of a sign-in: a code from the authenticator app, or a recovery
/// code, for the sign-in pending in this browser.
#[server(endpoint = "sign_in_second_step")]
pub async fn sign_in_second_step(
    csrf_token: String,
    code: String,
    #[server(default)] return_to: String,
) -> Result<(), AppError> {
    use crate::ssr::{
        attempt, pending_cookie, pending_cookie_name, request_cookie, request_ctx, safe_return_to,
        session_cookie, set_cookie, state,
    };
    use domain::accounts::sign_in::{second_step, SecondStepError};

    check_csrf(&csrf_token)?;
    let st = state()?;
    let ctx = request_ctx()?;
    if code.trim().is_empty() {
        return Err(AppError::invalid(
            "code",
            "Enter the code from your app, or a recovery code.",
        ));
    }
    if code.len() > 64 {
        return Err(AppError::invalid("code", "That is no code of ours."));
    }
    let Some(pending) = request_cookie(pending_cookie_name(st.config.secure_cookies)) else {
        return Err(AppError::Refused(SecondStepError::Expired.to_string()));
    };
    let signed_in = second_step(
        &st.db,
        &attempt(&st, ctx.ip.clone()),
        &pending,
        &code,
        ctx.user_agent.clone(),
        st.config.session_policy,
    )
    .await
    .map_err(step_error)?;
    set_cookie(pending_cookie(st.config.secure_cookies, None));
    set_cookie(session_cookie(
        st.config.secure_cookies,
        Some(&signed_in.token),
        st.config.session_policy.absolute_timeout_secs,
    ));
    leptos_axum::redirect(&safe_return_to(&return_to));
    Ok(())
}

/// What a failed second step (or set-up step) tells the person.
#[cfg(feature = "ssr")]
pub(crate) fn step_error(e: domain::accounts::sign_in::SecondStepError) -> AppError {
    use domain::accounts::second_factor::factor::CodeError;
    use domain::accounts::sign_in::SecondStepError;
    match e {
        SecondStepError::Expired => AppError::Refused(e.to_string()),
        SecondStepError::Code(CodeError::Wrong) => {
            AppError::invalid("code", CodeError::Wrong.to_string())
        }
        SecondStepError::Code(CodeError::Throttled { retry_after_secs }) => {
            AppError::TooManyAttempts {
                message: CodeError::Throttled { retry_after_secs }.to_string(),
                retry_after_secs,
            }
        }
        SecondStepError::Code(CodeError::Domain(d)) => AppError::from(d),
    }
}

#[server(endpoint = "sign_out")]
pub async fn sign_out(csrf_token: String) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, session_cookie, set_cookie, state};
    check_csrf(&csrf_token)?;
    let st = state()?;
    let ctx = request_ctx()?;
    if let Some(token) = &ctx.session_token {
        // Back-channel logouts are queued; the portal's button posts to the
        // end-session endpoint instead, which also loads the front-channel pages.
        domain::accounts::sign_in::sign_out(&st.db, token, ctx.ip.clone(), st.now()).await?;
    }
    set_cookie(session_cookie(st.config.secure_cookies, None, 0));
    leptos_axum::redirect("/login?notice=signed_out");
    Ok(())
}

#[server(endpoint = "sign_up")]
pub async fn sign_up(
    csrf_token: String,
    username: String,
    email: String,
    #[server(default)] display_name: String,
    password: String,
    password_confirm: String,
    #[server(default)] return_to: String,
) -> Result<(), AppError> {
    use crate::ssr::{safe_return_to, state};
    use domain::accounts::{self, NewUser, Role};
    use domain::platform::secret::SecretString;

    check_csrf(&csrf_token)?;
    let st = state()?;
    if !st.runtime.get(&st.db).await?.allow_self_signup {
        return Err(AppError::Refused(
            "Self sign-up is turned off. Ask an administrator for an account.".into(),
        ));
    }
    if password != password_confirm {
        return Err(AppError::invalid(
            "password_confirm",
            "The two passwords do not match.",
        ));
    }
    let new = NewUser {
        username,
        email,
        display_name,
        password: SecretString::new(password),
        role: Role::User,
    };
    accounts::sign_up(&st.db, &st.hasher, &st.config.recovery, new, st.now()).await?;
    // Back to sign-in, then on to where the person was going (e.g. an app's
    // authorization request that sent them here).
    let return_to = safe_return_to(&return_to);
    if return_to == "/" {
        leptos_axum::redirect("/login?notice=signed_up");
    } else {
        leptos_axum::redirect(&format!(
            "/login?notice=signed_up&return_to={}",
            crate::navigation::encode_component(&return_to)
        ));
    }
    Ok(())
}
