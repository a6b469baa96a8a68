//! The account page's server functions: the signed-in person's own profile,
//! password, e-mail address and sessions (thin adapters over
//! `domain::accounts::own`).

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

/// What the account page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub username: String,
    pub role: String,
    pub display_name: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub email_verified: bool,
    pub pending_email: Option<String>,
    /// The password and address are an LDAP directory's (changed there).
    pub directory: bool,
    pub sessions: Vec<SessionView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub handle: String,
    /// RFC 3339, UTC.
    pub created: String,
    pub last_seen: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub current: bool,
}

#[cfg(feature = "ssr")]
pub(crate) fn own_error(
    e: domain::accounts::own::OwnError,
    values: Vec<(&str, String)>,
) -> AppError {
    use domain::accounts::own::OwnError as O;
    match e {
        O::Problems(problems) => match AppError::fields(problems, values) {
            Err(e) => e,
            Ok(()) => AppError::Internal,
        },
        O::Throttled { retry_after_secs } => AppError::TooManyAttempts {
            message: e.to_string(),
            retry_after_secs,
        },
        O::Domain(d) => d.into(),
    }
}

/// The session token of this request: every function here needs a session.
#[cfg(feature = "ssr")]
fn session() -> Result<(domain::accounts::Principal, crate::ssr::RequestCtx, String), AppError> {
    let me = crate::ssr::require_user()?;
    let ctx = crate::ssr::request_ctx()?;
    let token = ctx.session_token.clone().ok_or(AppError::Unauthenticated)?;
    Ok((me, ctx, token))
}

#[server(input = GetUrl, endpoint = "my_account")]
pub async fn my_account() -> Result<AccountView, AppError> {
    use domain::accounts::own;
    use domain::platform::clock::format_utc;
    let st = crate::ssr::state()?;
    let (me, _, token) = session()?;
    let now = st.now();
    let p = own::profile(&st.db, &me, now).await?;
    let sessions = own::list_sessions(&st.db, &me, &token, st.config.session_policy, now)
        .await?
        .into_iter()
        .map(|s| SessionView {
            handle: s.handle,
            created: format_utc(s.created_at),
            last_seen: format_utc(s.last_seen_at),
            ip: s.ip,
            user_agent: s.user_agent,
            current: s.current,
        })
        .collect();
    Ok(AccountView {
        username: p.username,
        role: p.role.as_str().to_owned(),
        display_name: p.display_name,
        given_name: p.given_name.unwrap_or_default(),
        family_name: p.family_name.unwrap_or_default(),
        email: p.email,
        email_verified: p.email_verified,
        pending_email: p.pending_email,
        directory: p.directory,
        sessions,
    })
}

#[server(endpoint = "update_profile")]
pub async fn update_profile(
    csrf_token: String,
    display_name: String,
    #[server(default)] given_name: String,
    #[server(default)] family_name: String,
) -> Result<(), AppError> {
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let (me, ctx, _) = session()?;
    let update = domain::accounts::own::ProfileUpdate {
        display_name,
        given_name,
        family_name,
    };
    if let Err(e) =
        domain::accounts::own::update_profile(&st.db, &me, &update, ctx.ip, st.now()).await
    {
        return Err(own_error(
            e,
            vec![
                ("display_name", update.display_name),
                ("given_name", update.given_name),
                ("family_name", update.family_name),
            ],
        ));
    }
    leptos_axum::redirect("/account?notice=profile_saved");
    Ok(())
}

/// A new password: the current one first (throttled as sign-in); the other
/// sessions end, this one stays. Passwords are never sent back into the form.
#[server(endpoint = "change_password")]
pub async fn change_password(
    csrf_token: String,
    current_password: String,
    new_password: String,
    new_password_confirm: String,
) -> Result<(), AppError> {
    use domain::platform::secret::SecretString;
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let (me, ctx, token) = session()?;
    domain::accounts::own::change_password(
        &st.db,
        &st.hasher,
        st.throttle,
        &st.revocations,
        &me,
        &token,
        &SecretString::new(current_password),
        &SecretString::new(new_password),
        &SecretString::new(new_password_confirm),
        ctx.ip,
        st.now(),
    )
    .await
    .map_err(|e| own_error(e, Vec::new()))?;
    leptos_axum::redirect("/account?notice=password_changed");
    Ok(())
}

/// A new e-mail address: stays pending until the link mailed to it is opened.
#[server(endpoint = "change_email")]
pub async fn change_email(
    csrf_token: String,
    current_password: String,
    email: String,
) -> Result<(), AppError> {
    use domain::platform::secret::SecretString;
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let (me, ctx, _) = session()?;
    domain::accounts::own::request_email_change(
        &st.db,
        &st.hasher,
        st.throttle,
        &st.config.recovery,
        &me,
        &SecretString::new(current_password),
        &email,
        ctx.ip,
        st.now(),
    )
    .await
    .map_err(|e| own_error(e, vec![("email", email.clone())]))?;
    leptos_axum::redirect("/account?notice=email_change_sent");
    Ok(())
}

/// Signs out one of the person's own sessions (404 for any other).
#[server(endpoint = "end_my_session")]
pub async fn end_my_session(csrf_token: String, session: String) -> Result<(), AppError> {
    use crate::ssr::{session_cookie, set_cookie};
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let (me, ctx, token) = self::session()?;
    let current =
        domain::accounts::own::end_session(&st.db, &me, &token, &session, ctx.ip, st.now()).await?;
    if current {
        set_cookie(session_cookie(st.config.secure_cookies, None, 0));
        leptos_axum::redirect("/login?notice=signed_out");
    } else {
        leptos_axum::redirect("/account?notice=session_ended");
    }
    Ok(())
}

/// "Sign out everywhere else", once the person ticked the confirmation.
#[server(endpoint = "end_other_sessions")]
pub async fn end_other_sessions(
    csrf_token: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let (me, ctx, token) = session()?;
    if confirm != "on" {
        return Err(AppError::invalid(
            "confirm",
            "Tick the box to confirm that your other sessions are to end.",
        ));
    }
    domain::accounts::own::end_other_sessions(&st.db, &me, &token, ctx.ip, st.now()).await?;
    leptos_axum::redirect("/account?notice=other_sessions_ended");
    Ok(())
}
