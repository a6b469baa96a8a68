//! Per-request plumbing for the portal: resolve the session, attach [`RequestCtx`],
//! and refuse state-changing requests without a valid CSRF token.
//!
//! CSRF design (OWASP "signed double-submit cookie"): every browser gets a random
//! `pc_csrf` cookie (HttpOnly, SameSite=Lax; `__Host-` and Secure under https). The
//! token forms carry is HMAC-SHA256(session_secret, cookie). An attacker's page can
//! neither read the cookie nor compute the MAC, and under https the `__Host-`
//! prefix stops a sibling subdomain from planting a cookie of its own. The check is
//! here, fail-closed, for every POST/PUT/PATCH/DELETE — server functions included —
//! so a handler cannot forget it; only the protocol endpoints that never read cookies
//! (`oauth::routes::COOKIELESS`) and the bearer-authenticated REST API
//! (`api::is_api_path`) bypass this middleware.

use std::net::SocketAddr;
use std::sync::Arc;

use app::ssr::{csrf_cookie_name, session_cookie_name, AppState, RequestCtx};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::platform::secret::{ct_eq, hmac_b64, random_token};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};

/// Largest form body the CSRF check buffers.
const MAX_FORM_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    pub session_secret: Arc<Vec<u8>>,
    pub trust_proxy_headers: bool,
}

pub fn csrf_token_for(secret: &[u8], cookie: &str) -> String {
    hmac_b64(secret, format!("csrf:{cookie}").as_bytes())
}

/// Values of cookie `name` in the request (first match).
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn client_ip(req: &Request, trust_proxy: bool) -> Option<String> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0);
    crate::net::client_ip(req.headers(), peer, trust_proxy)
}

fn is_plausible_token(v: &str) -> bool {
    v.len() == 43
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn csrf_refused(set_cookie: Option<HeaderValue>) -> Response {
    let mut resp = (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "This request was refused because its security token (CSRF) is missing or invalid. \
         Go back, reload the page and try again.",
    )
        .into_response();
    if let Some(c) = set_cookie {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

pub async fn request_context(State(web): State<WebState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if crate::oauth::routes::is_cookieless(path) || crate::api::is_api_path(path) {
        return next.run(req).await;
    }
    let secure = web.app.config.secure_cookies;
    let headers = req.headers();

    let existing_csrf = cookie(headers, csrf_cookie_name(secure)).filter(|v| is_plausible_token(v));
    let (csrf_cookie, new_cookie) = match existing_csrf {
        Some(v) => (v, None),
        None => {
            let v = random_token();
            let secure_attr = if secure { "; Secure" } else { "" };
            let header = format!(
                "{}={v}; Path=/; HttpOnly; SameSite=Lax{secure_attr}",
                csrf_cookie_name(secure)
            );
            (v, HeaderValue::from_str(&header).ok())
        }
    };
    let expected = csrf_token_for(&web.session_secret, &csrf_cookie);

    // The end-session endpoint takes apps' cross-site posts and checks the token
    // of its own confirmation form itself.
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && req.uri().path() != crate::oauth::routes::END_SESSION;
    let mut req = req;
    if unsafe_method {
        // A freshly minted cookie cannot match any token: refuse.
        if new_cookie.is_some() {
            return csrf_refused(new_cookie);
        }
        let from_header = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let presented = match from_header {
            Some(t) => Some(t),
            None => {
                let is_form = req
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
                if !is_form {
                    None
                } else {
                    let (parts, body) = req.into_parts();
                    let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
                        Ok(b) => b,
                        Err(_) => {
                            return (
                                StatusCode::PAYLOAD_TOO_LARGE,
                                "The submitted form is too large.",
                            )
                                .into_response()
                        }
                    };
                    let token = form_urlencoded::parse(&bytes)
                        .find(|(k, _)| k == "csrf_token")
                        .map(|(_, v)| v.into_owned());
                    req = Request::from_parts(parts, Body::from(bytes));
                    token
                }
            }
        };
        if !presented.is_some_and(|t| ct_eq(&t, &expected)) {
            tracing::warn!(path = %req.uri().path(), "refused a request without a valid CSRF token");
            return csrf_refused(None);
        }
    }

    let ip = client_ip(&req, web.trust_proxy_headers);
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let session_token = cookie(req.headers(), session_cookie_name(secure));
    let mut user = None;
    let mut auth_time = None;
    let mut sid = None;
    let mut amr = None;
    if let Some(token) = &session_token {
        match domain::accounts::sessions::resolve(
            &web.app.db,
            token,
            web.app.config.session_policy,
            web.app.now(),
        )
        .await
        {
            Ok(Some(s)) => {
                // A session made without a second factor is no session for a
                // person whose role an administrator requires one of: they sign in
                // again, and set one up (`second_factor::policy`).
                let counts = match web.app.runtime.get(&web.app.db).await {
                    Ok(rt) => domain::accounts::second_factor::policy::session_counts(
                        &rt.second_factor_roles,
                        s.user.user().role,
                        s.amr.as_deref(),
                    ),
                    Err(e) => {
                        tracing::error!(error = %e, "reading the settings");
                        return (
                            StatusCode::SERVICE_UNAVAILABLE,
                            "The service is temporarily unavailable.",
                        )
                            .into_response();
                    }
                };
                if counts {
                    auth_time = Some(s.created_at);
                    sid = s.sid;
                    amr = s.amr;
                    user = Some(s.user);
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The service is temporarily unavailable.",
                )
                    .into_response();
            }
        }
    }
    let notice = crate::notice::carried(req.headers(), secure);
    req.extensions_mut().insert(RequestCtx {
        user,
        auth_time,
        sid,
        amr,
        session_token,
        csrf_token: expected,
        ip,
        user_agent,
        notice,
    });

    // The shell hands the token to the browser's code; pages carry it in forms.
    let hands_out_token = req.uri().path() == "/api/shell";
    // A browser says what a request is for (Fetch Metadata); a favicon or script
    // fetch is not a page the person will submit forms from.
    let navigation = req
        .headers()
        .get("sec-fetch-dest")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|d| d == "document");
    let notice = crate::notice::Request::of(&req, navigation, secure);
    let mut resp = next.run(req).await;
    notice.finish(&mut resp);
    if let Some(c) = new_cookie {
        // Only a response that carries the token matching the new cookie sets it.
        // A cookie minted by a side request (the favicon a browser fetches after a
        // plain-text error page: a 404 page) could otherwise land after the page
        // that rendered its own cookie's token, and every form on it would be
        // refused.
        let is_page = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/html"));
        if (is_page && navigation) || hands_out_token {
            resp.headers_mut().append(header::SET_COOKIE, c);
        }
    }
    resp
}

/// Removes a client-supplied `X-Request-Id`, so `SetRequestIdLayer` always makes a
/// new one.
pub async fn drop_client_request_id(mut req: Request) -> Request {
    req.headers_mut().remove("x-request-id");
    req
}

/// Headers for every response: no framing (the sign-in and consent pages must never
/// be framed: clickjacking), no MIME sniffing, no cross-site Referer, and no caching
/// of pages that may show personal data.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/pkg/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !is_static && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}
