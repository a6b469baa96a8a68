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
    use crate::ssr::{request_ctx, state};
    use domain::accounts::sign_in::{self, SignInError, SignInRequest};
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
    let settings = st.runtime.get(&st.db).await?;
    let required = sign_in::Requirements {
        second_factor_roles: &settings.second_factor_roles,
        terms: settings.terms.as_ref(),
    };
    let step = sign_in::sign_in(
        &st.db,
        st.passwords(),
        st.config.session_policy,
        st.throttle,
        required,
        req,
        st.now(),
    )
    .await
    .map_err(|e| match e {
        SignInError::Internal(d) => AppError::from(d),
        SignInError::InvalidCredentials => AppError::SignInFailed(e.to_string()),
        SignInError::Disabled | SignInError::Directory(_) => AppError::Refused(e.to_string()),
        SignInError::DirectoryUnavailable => AppError::Unavailable(e.to_string()),
        SignInError::Throttled { retry_after_secs } => AppError::TooManyAttempts {
            message: e.to_string(),
            retry_after_secs,
        },
    })?;
    go_to(step, &return_to)
}

/// A person the domain has already proven (a passkey, an upstream provider):
/// the settings' requirements (terms, second factor) and then `go_to`.
#[cfg(feature = "ssr")]
pub(crate) async fn signed_in_without_password(
    user: &domain::accounts::User,
    method: domain::accounts::second_factor::Method,
    return_to: &str,
) -> Result<(), AppError> {
    use domain::accounts::sign_in::{self, Requirements, SignInRequest};
    use domain::platform::secret::SecretString;
    let st = crate::ssr::state()?;
    let ctx = crate::ssr::request_ctx()?;
    let settings = st.runtime.get(&st.db).await?;
    let required = Requirements {
        second_factor_roles: &settings.second_factor_roles,
        terms: settings.terms.as_ref(),
    };
    let no_password = SecretString::default();
    let req = SignInRequest {
        username: &user.username,
        password: &no_password,
        ip: ctx.ip.clone(),
        user_agent: ctx.user_agent.clone(),
    };
    let step = sign_in::without_password(
        &st.db,
        user,
        method,
        &req,
        required,
        st.config.session_policy,
        st.now(),
    )
    .await?;
    go_to(step, return_to)
}

/// Where a sign-in goes next: the session cookie and `return_to`, or the page of
/// the next step. The next steps make no session: their pages are bound to this
/// browser by a short cookie of their own and carry on to `return_to`.
#[cfg(feature = "ssr")]
pub(crate) fn go_to(
    step: domain::accounts::sign_in::SignInStep,
    return_to: &str,
) -> Result<(), AppError> {
    use crate::ssr::{
        pending_cookie, pending_cookie_name, request_cookie, safe_return_to, session_cookie,
        set_cookie, state,
    };
    use domain::accounts::sign_in::SignInStep;
    let st = state()?;
    let return_to = safe_return_to(return_to);
    let (page, pending) = match step {
        SignInStep::Done(signed_in) => {
            if request_cookie(pending_cookie_name(st.config.secure_cookies)).is_some() {
                set_cookie(pending_cookie(st.config.secure_cookies, None));
            }
            set_cookie(session_cookie(
                st.config.secure_cookies,
                Some(&signed_in.token),
                st.config.session_policy.absolute_timeout_secs,
            ));
            leptos_axum::redirect(&return_to);
            return Ok(());
        }
        SignInStep::SecondFactor { pending } => ("/login/second-factor", pending),
        // An administrator requires a second factor of this person's role and
        // they have none: they set one up first.
        SignInStep::SetUp { pending } => ("/login/set-up-second-factor", pending),
        // Terms of use they have not accepted (a new version): those first.
        SignInStep::Terms { pending } => ("/login/terms", pending),
    };
    set_cookie(pending_cookie(st.config.secure_cookies, Some(&pending)));
    leptos_axum::redirect(&format!(
        "{page}?return_to={}",
        crate::navigation::encode_component(&return_to)
    ));
    Ok(())
}

/// The terms of use waiting for the sign-in pending in this browser (the page
/// `/login/terms`): an expired sign-in is an error that sends the person back.
#[server(input = GetUrl, endpoint = "sign_in_terms")]
pub async fn sign_in_terms() -> Result<Option<crate::model::TermsView>, AppError> {
    use crate::ssr::{pending_cookie_name, request_cookie, state};
    use domain::accounts::sign_in::{terms_pending, TermsStepError};
    let st = state()?;
    let expired = || AppError::Refused(TermsStepError::Expired.to_string());
    let pending =
        request_cookie(pending_cookie_name(st.config.secure_cookies)).ok_or_else(expired)?;
    terms_pending(&st.db, &pending, st.now())
        .await
        .map_err(terms_error)?;
    // None: withdrawn since the password step; the page's button goes on.
    let t = st.runtime.get(&st.db).await?.terms;
    Ok(t.map(|t| crate::model::TermsView {
        url: t.url,
        version: t.version,
    }))
}

/// The person accepts the terms of use (the version they read) on their way in.
#[server(endpoint = "sign_in_accept_terms")]
pub async fn sign_in_accept_terms(
    csrf_token: String,
    #[server(default)] accept_terms: Option<String>,
    #[server(default)] return_to: String,
) -> Result<(), AppError> {
    use crate::ssr::{pending_cookie_name, request_cookie, request_ctx, state};
    use domain::accounts::sign_in::{self, SignInRequest, TermsStepError};
    use domain::platform::secret::SecretString;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let ctx = request_ctx()?;
    let Some(pending) = request_cookie(pending_cookie_name(st.config.secure_cookies)) else {
        return Err(AppError::Refused(TermsStepError::Expired.to_string()));
    };
    let accepted = accept_terms.filter(|a| !a.is_empty());
    if accepted
        .as_ref()
        .is_some_and(|a| a.len() > domain::accounts::terms::VERSION_MAX * 4)
    {
        return Err(AppError::invalid(
            "accept_terms",
            "That is no version of our terms.",
        ));
    }
    let settings = st.runtime.get(&st.db).await?;
    let required = sign_in::Requirements {
        second_factor_roles: &settings.second_factor_roles,
        terms: settings.terms.as_ref(),
    };
    let no_password = SecretString::default();
    let req = SignInRequest {
        username: "",
        password: &no_password,
        ip: ctx.ip.clone(),
        user_agent: ctx.user_agent.clone(),
    };
    let step = sign_in::accept_terms(
        &st.db,
        &pending,
        accepted.as_deref(),
        &req,
        required,
        st.config.session_policy,
        st.now(),
    )
    .await
    .map_err(terms_error)?;
    go_to(step, &return_to)
}

#[cfg(feature = "ssr")]
fn terms_error(e: domain::accounts::sign_in::TermsStepError) -> AppError {
    use domain::accounts::sign_in::TermsStepError;
    match e {
        TermsStepError::Expired => AppError::Refused(e.to_string()),
        TermsStepError::NotAccepted(m) => AppError::invalid("accept_terms", m),
        TermsStepError::Internal(d) => AppError::from(d),
    }
}

/// What the second step of a pending sign-in can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SecondStepKindsView {
    /// A code from the authenticator app, or a recovery code.
    pub code: bool,
    /// One of the person's passkeys.
    pub passkey: bool,
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
        SecondStepError::Passkey(p) => crate::api::passkeys::passkey_error(p),
    }
}

/// What the second step of the sign-in pending in this browser takes (its page
/// shows the code field, the passkey button, or both).
#[server(input = GetUrl, endpoint = "sign_in_second_step_kinds")]
pub async fn sign_in_second_step_kinds() -> Result<SecondStepKindsView, AppError> {
    use crate::ssr::{pending_cookie_name, request_cookie, state};
    use domain::accounts::sign_in::SecondStepError;
    let st = state()?;
    let Some(pending) = request_cookie(pending_cookie_name(st.config.secure_cookies)) else {
        return Err(AppError::Refused(SecondStepError::Expired.to_string()));
    };
    let k = domain::accounts::sign_in::second_step_kinds(&st.db, &pending, st.now())
        .await
        .map_err(step_error)?;
    Ok(SecondStepKindsView {
        code: k.code,
        passkey: k.passkey,
    })
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

/// The terms of use people accept to sign up (none when not configured).
#[server(input = GetUrl, endpoint = "terms")]
pub async fn get_terms() -> Result<Option<crate::model::TermsView>, AppError> {
    let st = crate::ssr::state()?;
    Ok(st
        .runtime
        .get(&st.db)
        .await?
        .terms
        .map(|t| crate::model::TermsView {
            url: t.url,
            version: t.version,
        }))
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    csrf_token: String,
    username: String,
    email: String,
    #[server(default)] display_name: String,
    password: String,
    password_confirm: String,
    #[server(default)] return_to: String,
    /// The version of the terms of use the person ticked (the box's value).
    #[server(default)]
    accept_terms: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{safe_return_to, state};
    use domain::accounts::{self, NewUser, Role};
    use domain::platform::secret::SecretString;

    check_csrf(&csrf_token)?;
    let st = state()?;
    let settings = st.runtime.get(&st.db).await?;
    if !settings.allow_self_signup {
        return Err(AppError::Refused(
            "Self sign-up is turned off. Ask an administrator for an account.".into(),
        ));
    }
    // A field's error comes back with what was typed in the fields that hold no
    // secret, so the form shown again without JavaScript keeps them (issue 13,
    // defect 4); the passwords are never echoed.
    let kept = [
        ("username", username.clone()),
        ("email", email.clone()),
        ("display_name", display_name.clone()),
    ];
    let with_values = |e: AppError| match e {
        AppError::Invalid { field, message } => AppError::Fields {
            errors: vec![(field, message)],
            values: kept
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        },
        other => other,
    };
    if password != password_confirm {
        return Err(with_values(AppError::invalid(
            "password_confirm",
            "The two passwords do not match.",
        )));
    }
    let new = NewUser {
        username,
        email,
        display_name,
        password: SecretString::new(password),
        role: Role::User,
    };
    accounts::sign_up(
        &st.db,
        &st.hasher,
        st.directory.as_deref(),
        &st.config.recovery,
        new,
        settings.terms.as_ref(),
        accept_terms.as_deref(),
        st.now(),
    )
    .await
    .map_err(|e| with_values(AppError::from(e)))?;
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
