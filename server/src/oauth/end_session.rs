//! The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0), which is also
//! where the portal's own "Sign out" button posts.
//!
//! - `id_token_hint` must be an ID token of ours (expired is fine, §2); its audience
//!   names the client, and a `client_id` sent beside it must be the same client.
//! - `post_logout_redirect_uri` is followed only when it is registered for that
//!   client, compared exactly (§3: like redirect URIs, RFC 9700 §4.1.3); `state` is
//!   returned with it. Otherwise the person lands on our sign-in page, told they
//!   are signed out.
//! - The person is signed out without a question only when the hint names them and
//!   this session; anything else (no hint, someone else's) asks first (§2: "the OP
//!   SHOULD ask the End-User whether to log out"): the confirmation page's form comes
//!   back here with `confirm=yes` and the CSRF token, which is checked here.
//! - A POST from an app's page arrives cross-site, where the `SameSite=Lax` session
//!   cookie is not sent: it is turned into the same GET, on which it is.
//! - Ending the session queues the back-channel logouts; the front-channel pages are
//!   loaded in iframes by the page answered here before the person moves on.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use http::{header, HeaderValue, Method, StatusCode};

use app::ssr::RequestCtx;
use domain::oauth::logout::{verify_id_token_hint, FrontChannel};
use domain::platform::secret::ct_eq;

use super::authorize::error_page;
use super::authz_request::parse_query;
use super::untrusted::escape;
use super::OAuthState;

/// An ID token hint longer than this is not one of ours.
const MAX_HINT: usize = 8192;
/// `state` and the other short parameters.
const MAX_PARAM: usize = limits::URI;
/// Where the person lands when no app asked for a place.
const SIGNED_OUT: &str = "/login?notice=signed_out";

pub async fn end_session(
    State(st): State<OAuthState>,
    Extension(ctx): Extension<RequestCtx>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let raw = if method == Method::POST {
        match std::str::from_utf8(&body) {
            Ok(s) => s.to_owned(),
            Err(_) => return error_page("logout_malformed"),
        }
    } else {
        query.unwrap_or_default()
    };
    let p = match parse_query(&raw) {
        Ok(p) => p,
        Err(_) => return error_page("repeated_parameter"),
    };
    let too_long = p.iter().any(|(k, v)| {
        let max = if k == "id_token_hint" {
            MAX_HINT
        } else {
            MAX_PARAM
        };
        v.len() > max
    });
    if too_long {
        return error_page("logout_malformed");
    }
    let confirming = method == Method::POST && p.get("confirm").map(String::as_str) == Some("yes");
    if method == Method::POST && !confirming {
        // An app's form post: the same request as a GET, which carries the cookie.
        return Redirect::to(&format!("{}?{}", super::routes::END_SESSION, query_of(&p)))
            .into_response();
    }
    let req = match LogoutRequest::check(&st, &p).await {
        Ok(r) => r,
        Err(reason) => return error_page(reason),
    };
    let (Some(user), Some(token)) = (&ctx.user, &ctx.session_token) else {
        // Nobody is signed in here: nothing to end; the app gets its person back.
        return finish(&st, &[], req.destination());
    };
    if confirming {
        let presented = p.get("csrf_token").map(String::as_str).unwrap_or_default();
        if !ct_eq(presented, &ctx.csrf_token) {
            return (
                StatusCode::FORBIDDEN,
                "This sign-out was refused because its security token (CSRF) is missing or invalid. Go back, reload the page and try again.",
            )
                .into_response();
        }
    }
    // The hint names the person by the `sub` its client was given (pairwise or not).
    let sub = match &req.client {
        Some(c) => st.tokens.subjects.of(c, &user.id),
        None => user.id.clone(),
    };
    let hint_is_this_session = req.hint.as_ref().is_some_and(|h| {
        h.sub == sub
            && h.sid
                .as_ref()
                .is_none_or(|sid| ctx.sid.as_ref() == Some(sid))
    });
    if !(confirming || hint_is_this_session) {
        return Redirect::to(&format!("/oauth/logout?{}", req.confirmation_query()))
            .into_response();
    }
    let now = st.services.now();
    let ended = match domain::accounts::sign_in::sign_out(
        &st.services.db,
        token,
        ctx.ip.clone(),
        now,
    )
    .await
    {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "ending a session failed");
            return error_page("server_error");
        }
    };
    let mut resp = finish(&st, &ended.front_channel, req.destination());
    if let Ok(v) = HeaderValue::from_str(&app::ssr::session_cookie(st.secure_cookies, None, 0)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// A checked logout request.
struct LogoutRequest {
    hint: Option<domain::oauth::logout::IdTokenHint>,
    client_id: Option<String>,
    client: Option<domain::clients::Client>,
    /// Registered for the client; None when none was asked for.
    redirect: Option<String>,
    state: Option<String>,
    id_token_hint: Option<String>,
}

impl LogoutRequest {
    async fn check(st: &OAuthState, p: &HashMap<String, String>) -> Result<Self, &'static str> {
        let nonempty = |k: &str| p.get(k).filter(|v| !v.is_empty()).cloned();
        let id_token_hint = nonempty("id_token_hint");
        let hint = match &id_token_hint {
            Some(h) => {
                Some(verify_id_token_hint(&st.keys(), h, st.issuer()).ok_or("logout_bad_hint")?)
            }
            None => None,
        };
        let client_id = match (
            hint.as_ref().map(|h| h.client_id.clone()),
            nonempty("client_id"),
        ) {
            (Some(a), Some(b)) if a != b => return Err("logout_client_mismatch"),
            (a, b) => a.or(b),
        };
        let client = match &client_id {
            Some(id) => Some(
                domain::clients::find(&st.services.db, id)
                    .await
                    .map_err(|_| "server_error")?
                    .ok_or("unknown_client")?,
            ),
            None => None,
        };
        let redirect = match nonempty("post_logout_redirect_uri") {
            None => None,
            Some(uri) => {
                let c = client.as_ref().ok_or("logout_redirect_without_client")?;
                if !c
                    .metadata
                    .post_logout_redirect_uris
                    .iter()
                    .any(|r| r == &uri)
                {
                    return Err("bad_redirect_uri");
                }
                if c.unusable_reason(st.services.now()).is_some() {
                    return Err("client_unavailable");
                }
                Some(uri)
            }
        };
        Ok(Self {
            hint,
            client_id,
            client,
            redirect,
            state: p.get("state").cloned(),
            id_token_hint,
        })
    }

    /// Where the person goes once signed out: the app's registered page with its
    /// `state` (§3), or our sign-in page.
    fn destination(&self) -> String {
        let Some(uri) = &self.redirect else {
            return SIGNED_OUT.to_owned();
        };
        match (url::Url::parse(uri), &self.state) {
            (Ok(mut u), Some(state)) => {
                u.query_pairs_mut().append_pair("state", state);
                u.to_string()
            }
            _ => uri.clone(),
        }
    }

    /// The confirmation page's query: what its form must send back here.
    fn confirmation_query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(h) = &self.id_token_hint {
            q.append_pair("id_token_hint", h);
        }
        if let Some(c) = &self.client_id {
            q.append_pair("client_id", c);
        }
        if let Some(r) = &self.redirect {
            q.append_pair("post_logout_redirect_uri", r);
        }
        if let Some(s) = &self.state {
            q.append_pair("state", s);
        }
        q.finish()
    }
}

fn query_of(p: &HashMap<String, String>) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(p.iter())
        .finish()
}

/// On to `destination`; first through a page that loads each app's front-channel
/// logout page in an iframe when there are any (Front-Channel Logout §4). The page
/// moves on by itself (a refresh, so without JavaScript too) and has a link.
fn finish(st: &OAuthState, front: &[FrontChannel], destination: String) -> Response {
    if front.is_empty() {
        return Redirect::to(&destination).into_response();
    }
    let dest = escape(&destination);
    let frames: String = front
        .iter()
        .map(|f| {
            format!(
                r#"<li>{name}<iframe hidden src="{src}" title="Signing you out of {name}"></iframe></li>"#,
                name = escape(&f.client_name),
                src = escape(&f.uri(st.issuer()))
            )
        })
        .collect();
    let page = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="2;url={dest}">
<title>Signing you out · Portcullis</title><link rel="stylesheet" href="/pkg/portcullis.css"></head>
<body class="bg-slate-50 text-slate-900"><main class="mx-auto max-w-lg p-8">
<section class="rounded-lg border border-slate-200 bg-white p-8" data-testid="signing-out">
<h1 class="text-xl font-semibold">You are signed out</h1>
<p class="mt-3">Telling the apps you used to sign you out too:</p>
<ul class="mt-2 list-disc pl-6">{frames}</ul>
<p class="mt-4"><a class="text-sky-800 underline" href="{dest}">Continue</a></p>
</section></main></body></html>"#
    );
    let mut resp = Html(page).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The portal's own sign-out lands on `/login?notice=signed_out` after this page.
    crate::notice::vouch_for(&mut resp, &destination, st.secure_cookies);
    resp
}
