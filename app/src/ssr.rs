//! Server-side plumbing for server functions: the application state, the per-request
//! context the server's middleware attaches, and the checks every server function
//! makes itself (each is a public endpoint).

use std::sync::Arc;

use domain::accounts::sessions::SessionPolicy;
use domain::accounts::{AdminCtx, Principal, Role, User};
use leptos::prelude::*;

use crate::error::AppError;
use crate::model::UserView;

/// The part of the settings the portal needs.
#[derive(Clone, Debug)]
pub struct PortalConfig {
    pub session_policy: SessionPolicy,
    /// Cookies get `Secure` and the `__Host-` prefix when the issuer is https.
    pub secure_cookies: bool,
    /// Reset and verification links: lifetimes, where they point, their throttle.
    pub recovery: domain::accounts::recovery::RecoveryPolicy,
    /// Seals second-factor secrets at rest (as signing keys are).
    pub kek: domain::oauth::keys::Kek,
    /// The issuer: upstream providers send people back to
    /// `{issuer}/api/upstream_callback`.
    pub issuer: String,
}

/// Shared by every request; provided to server functions as context. The domain's
/// handles (`Services`: database, hasher, caches) are reached through it directly
/// (`state.db`); what is here besides is the web portal's own.
#[derive(Clone)]
pub struct AppState {
    pub services: domain::services::Services,
    pub config: Arc<PortalConfig>,
    /// Whether SMTP is configured (else e-mail stays in the outbox).
    pub smtp_configured: bool,
}

impl std::ops::Deref for AppState {
    type Target = domain::services::Services;
    fn deref(&self) -> &Self::Target {
        &self.services
    }
}

/// The id the server's middleware gave this request (`x-request-id`).
pub fn request_id() -> Option<String> {
    use_context::<http::request::Parts>().and_then(|p| {
        p.headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    })
}

/// Attached to each request's extensions by the server's middleware.
#[derive(Clone, Debug)]
pub struct RequestCtx {
    /// The signed-in person, proven by the session cookie.
    pub user: Option<Principal>,
    /// When the session signed in (the OpenID `auth_time`).
    pub auth_time: Option<i64>,
    /// The session's public id (OIDC `sid`), when it has one.
    pub sid: Option<String>,
    /// How the session signed in (stored RFC 8176 values; None: a password).
    pub amr: Option<String>,
    /// The raw session token from the cookie (for sign-out).
    pub session_token: Option<String>,
    pub csrf_token: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The notice code a plain form post's redirect put in the notice cookie: the
    /// page shows a `?notice=` only when it agrees (see `components::layout`).
    pub notice: Option<String>,
}

pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-pc_session"
    } else {
        "pc_session"
    }
}

pub fn csrf_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-pc_csrf"
    } else {
        "pc_csrf"
    }
}

pub fn notice_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-pc_notice"
    } else {
        "pc_notice"
    }
}

/// The cookie of a sign-in waiting for its second step (no session).
pub fn pending_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-pc_pending"
    } else {
        "pc_pending"
    }
}

/// `Set-Cookie` value for the pending sign-in's cookie; `None` clears it.
pub fn pending_cookie(secure: bool, token: Option<&str>) -> String {
    let name = pending_cookie_name(secure);
    let secure_attr = if secure { "; Secure" } else { "" };
    let (value, max_age) = match token {
        // The longer of the two waits: the row's own expiry is what counts.
        Some(t) => (t, domain::accounts::second_factor::pending::SET_UP_TTL_SECS),
        None => ("", 0),
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure_attr}")
}

/// The value of cookie `name` on this request.
pub fn request_cookie(name: &str) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// The throttle, key and clock a second-factor check needs.
pub fn attempt<'a>(
    st: &'a AppState,
    ip: Option<String>,
) -> domain::accounts::second_factor::factor::Attempt<'a> {
    domain::accounts::second_factor::factor::Attempt {
        kek: &st.config.kek,
        directory: st.directory.as_deref(),
        throttle: st.throttle,
        ip,
        now: st.now(),
    }
}

/// `Set-Cookie` value for the session cookie; `None` clears it.
pub fn session_cookie(secure: bool, token: Option<&str>, max_age: i64) -> String {
    let name = session_cookie_name(secure);
    let secure_attr = if secure { "; Secure" } else { "" };
    match token {
        Some(t) => {
            format!("{name}={t}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure_attr}")
        }
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure_attr}"),
    }
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

pub fn request_ctx() -> Result<RequestCtx, AppError> {
    current_request_ctx().ok_or_else(|| {
        tracing::error!("RequestCtx missing from request extensions");
        AppError::Internal
    })
}

/// The request's context when there is a request: none while the router lists
/// the routes at start-up (rendering the shell without one), which is no error.
pub fn current_request_ctx() -> Option<RequestCtx> {
    use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<RequestCtx>().cloned())
}

/// The signed-in user, or `Unauthenticated`.
pub fn require_user() -> Result<Principal, AppError> {
    request_ctx()?.user.ok_or(AppError::Unauthenticated)
}

/// Proof of administrator rights for domain calls, or an error.
pub fn require_admin() -> Result<(Principal, AdminCtx), AppError> {
    let user = require_user()?;
    let ctx = AdminCtx::for_principal(&user).ok_or(AppError::Forbidden)?;
    Ok((user, ctx))
}

pub fn require_developer() -> Result<Principal, AppError> {
    let user = require_user()?;
    if user.role >= Role::Developer {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

pub fn set_cookie(value: String) {
    if let (Some(resp), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&value),
    ) {
        resp.append_header(http::header::SET_COOKIE, v);
    }
}

pub fn user_view(u: &User) -> UserView {
    UserView {
        id: u.id.clone(),
        username: u.username.clone(),
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        role: u.role.into(),
        disabled: u.disabled,
        email_verified: u.email_verified,
        created: domain::platform::clock::format_utc(u.created_at),
    }
}

/// A local path to return to after sign-in, or `/`.
///
/// Parsed as a URL against this site, as a browser would resolve it (WHATWG URL:
/// TAB and newlines are stripped and `\` counts as `/`, so `/\t/evil.example` and
/// `/\\evil.example` are `//evil.example`); only a same-origin result is kept, and
/// it is returned re-serialised, so the browser follows exactly what was checked.
/// The query is kept as it came (percent-encoded), so the parameters of an
/// authorization request (e.g. `state`) survive unchanged (RFC 6749 §4.1.2).
pub fn safe_return_to(s: &str) -> String {
    const BASE: &str = "http://portcullis.invalid/";
    let Ok(base) = url::Url::parse(BASE) else {
        return "/".to_owned();
    };
    let ok = s.starts_with('/');
    match base.join(s) {
        Ok(u) if ok && u.origin() == base.origin() && !u.path().starts_with("//") => {
            let mut out = u.path().to_owned();
            if let Some(q) = u.query() {
                out.push('?');
                out.push_str(q);
            }
            if let Some(f) = u.fragment() {
                out.push('#');
                out.push_str(f);
            }
            out
        }
        _ => "/".to_owned(),
    }
}

/// Second line of the CSRF defence: the server's middleware has already refused
/// requests without a valid token; a server function checks again that the token
/// it was given is this browser's.
pub fn check_csrf(presented: &str) -> Result<(), AppError> {
    let ctx = request_ctx()?;
    if domain::platform::secret::ct_eq(presented, &ctx.csrf_token) {
        Ok(())
    } else {
        Err(AppError::Refused(
            "Your form expired. Reload the page and try again.".into(),
        ))
    }
}

// The domain's closed sets as the browser bundle sees them (it cannot link the
// domain crate); the spelling on the wire is the same.

impl From<Role> for crate::model::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::User => Self::User,
            Role::Developer => Self::Developer,
            Role::Admin => Self::Admin,
        }
    }
}

#[cfg(test)]
mod tests {
    use domain::accounts::Role;
    use serde_json::Value;

    use crate::model;

    /// Pages and scripts read these values from the server functions' JSON: the
    /// UI's roles must spell every value as the domain does. (Client types, auth
    /// methods and grant types are the same types on both sides: the `metadata`
    /// crate.)
    #[test]
    fn the_ui_spells_roles_as_the_domain_does() {
        for r in Role::ALL {
            let ui = model::Role::from(r);
            assert_eq!(serde_json::to_value(ui).unwrap(), Value::from(r.as_str()));
            assert_eq!(
                serde_json::from_value::<model::Role>(Value::from(r.as_str())).unwrap(),
                ui
            );
            assert_eq!(ui.as_str(), r.as_str());
        }
    }
}
