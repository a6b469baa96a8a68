//! The authorization endpoint (RFC 6749 §4.1, OAuth 2.1, OpenID Connect Core §3.1)
//! and the consent decision.
//!
//! Errors about the client or the redirect URI are shown on our own page and never
//! redirected (RFC 6749 §4.1.2.1): we cannot trust where they would go. Every other
//! error goes back to the client with `state` and `iss` (RFC 9207) — automatically
//! only to a redirect URI we trust, a first-party client's or one on an origin an
//! administrator reviewed (RFC 9700 §4.11.2); otherwise the person sees our page
//! and a link that carries the error (see `untrusted`). Codes, and the person's own
//! "Deny" on our consent page, always go back.

use domain::accounts::second_factor::{acr_of, factor, ACR_MFA};
use std::collections::HashMap;

use app::ssr::RequestCtx;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use domain::oauth::codes::{self, NewCode};

use super::authz_request::{parse_query, validate, AuthzRequest, Failure};
use super::OAuthState;

/// The client's redirect URI with `params`, `state` and `iss` appended.
fn back_to_client(
    st: &OAuthState,
    redirect_uri: &str,
    params: &[(&str, &str)],
    state: Option<&str>,
) -> Response {
    match client_url(st, redirect_uri, params, state) {
        Some(url) => Redirect::to(url.as_str()).into_response(),
        None => error_page("bad_redirect_uri"),
    }
}

/// An error for the client: redirected when the redirect URI is trusted, else shown
/// on our page with a link that carries it (RFC 9700 §4.11.2). `detail` is our own
/// fixed wording, safe to show.
#[allow(clippy::too_many_arguments)]
fn error_to_client(
    st: &OAuthState,
    client_name: &str,
    trusted: bool,
    redirect_uri: &str,
    error: &'static str,
    description: &str,
    detail: Option<&'static str>,
    state: Option<&str>,
) -> Response {
    let params = [("error", error), ("error_description", description)];
    let params = &params[..if description.is_empty() { 1 } else { 2 }];
    if trusted {
        return back_to_client(st, redirect_uri, params, state);
    }
    match client_url(st, redirect_uri, params, state) {
        Some(url) => super::untrusted::error_page(client_name, error, detail, &url),
        None => error_page("bad_redirect_uri"),
    }
}

/// [`error_to_client`] for a validated request.
fn fail_request(
    st: &OAuthState,
    req: &AuthzRequest,
    error: &'static str,
    description: &str,
    detail: Option<&'static str>,
) -> Response {
    error_to_client(
        st,
        &req.client.metadata.name,
        req.client.trusts_redirect(&req.redirect_uri),
        &req.redirect_uri,
        error,
        description,
        detail,
        req.state.as_deref(),
    )
}

fn client_url(
    st: &OAuthState,
    redirect_uri: &str,
    params: &[(&str, &str)],
    state: Option<&str>,
) -> Option<url::Url> {
    let mut url = url::Url::parse(redirect_uri).ok()?;
    {
        let mut qp = url.query_pairs_mut();
        for (k, v) in params {
            qp.append_pair(k, v);
        }
        if let Some(s) = state {
            qp.append_pair("state", s);
        }
        qp.append_pair("iss", st.issuer());
    }
    Some(url)
}

pub fn error_page(reason: &str) -> Response {
    Redirect::to(&format!("/oauth/error?reason={reason}")).into_response()
}

fn failure_response(st: &OAuthState, f: Failure) -> Response {
    match f {
        Failure::Page(reason) => error_page(reason),
        Failure::Redirect {
            redirect_uri,
            error,
            description,
            state,
            client_name,
            trusted,
        } => error_to_client(
            st,
            &client_name,
            trusted,
            &redirect_uri,
            error,
            &description,
            None,
            state.as_deref(),
        ),
    }
}

/// GET /oauth/authorize
pub async fn authorize(
    State(st): State<OAuthState>,
    Extension(ctx): Extension<RequestCtx>,
    RawQuery(raw): RawQuery,
) -> Response {
    let raw = raw.unwrap_or_default();
    let q = match parse_query(&raw) {
        Ok(q) => q,
        Err(f) => return failure_response(&st, f),
    };
    if let Some(request) = q.get("request") {
        return open_request_object(&st, &q, request).await;
    }
    // RFC 9101 §5.2: a request object by reference, fetched only from a URI the
    // client registered, then handled as if it had been sent inline.
    if let Some(uri) = q
        .get("request_uri")
        .filter(|u| !u.starts_with(domain::oauth::pushed::URN_PREFIX))
    {
        return match super::request_uri::fetch(&st, &q, uri).await {
            Ok((rest, object)) => open_request_object(&st, &rest, &object).await,
            Err(reason) => error_page(reason),
        };
    }
    let req = match validate(&st, &q, ctx.ip.as_deref()).await {
        Ok(r) => r,
        Err(f) => return failure_response(&st, f),
    };
    let now = st.services.now();
    let fail = |error: &'static str, d: &str| fail_request(&st, &req, error, d, None);
    let prompt_none = req.prompt.iter().any(|p| p == "none");

    let (Some(user), Some(auth_time)) = (ctx.user.clone(), ctx.auth_time) else {
        return if prompt_none {
            fail("login_required", "the user is not signed in")
        } else {
            sign_in_then(&raw)
        };
    };
    // OIDC Core §3.1.2.1: `prompt=login`, or a sign-in older than `max_age`, makes
    // the person sign in again. Without `max_age` in the request, the client's
    // registered `default_max_age` applies (OIDC Registration §2); it is at least a
    // minute, so the sign-in it asks for satisfies it on the way back.
    let max_age = req.max_age.or(req.client.metadata.default_max_age);
    let wants_fresh =
        req.prompt.iter().any(|p| p == "login") || max_age.is_some_and(|m| now - auth_time > m);
    if wants_fresh {
        return if prompt_none {
            fail("login_required", "a fresh sign-in is required")
        } else {
            sign_in_then(&without_freshness_demands(&raw))
        };
    }
    // Step-up: a request that demands a second factor of a session without one.
    if req.wants_mfa && acr_of(ctx.amr.as_deref()) != ACR_MFA {
        return match factor::is_active(&st.services.db, &user.id).await {
            Ok(true) if prompt_none => fail(
                "login_required",
                "a sign-in with a second factor is required",
            ),
            Ok(true) => sign_in_then(&raw),
            // OpenID Connect Core §3.1.2.6 (errata set 2).
            Ok(false) => fail(
                "unmet_authentication_requirements",
                "the request asks for a second factor, which this person has not set up",
            ),
            Err(e) => {
                tracing::error!(error = %e, "looking up a second factor");
                fail("server_error", "internal error")
            }
        };
    }
    match domain::portal::stage::refuses(&st.services.db, &req.client, &user).await {
        Ok(Some(d)) => return fail_request(&st, &req, "access_denied", d, Some(d)),
        Ok(None) => {}
        Err(e) => {
            tracing::error!(error = %e, "checking who may sign in to the client");
            return fail("server_error", "internal error");
        }
    }
    if names_another_person(&st, &req, &user.id) {
        return fail(LOGIN_REQUIRED, ANOTHER_PERSON);
    }
    let existing =
        match domain::oauth::consents::find(&st.services.db, &user.id, &req.client.id).await {
            Ok(g) => g,
            Err(e) => {
                // The cause goes to the log, never into the client's redirect URI.
                tracing::error!(error = %e, "looking up a consent");
                return fail("server_error", "internal error");
            }
        };
    let covered = existing
        .as_ref()
        .is_some_and(|g| req.scopes.iter().all(|s| g.scopes.contains(s)));
    let force_consent = req.prompt.iter().any(|p| p == "consent") || claims_beyond_scopes(&req);
    // Seed 001 "Persist Client Authorizations": a client that asks for consent
    // every time gets the consent page even when the grant covers the request.
    let remembered = covered && req.client.metadata.persist_consent;
    match existing {
        Some(g) if covered && !force_consent && (remembered || req.client.pre_authorized) => {
            issue_code_and_redirect(&st, &req, &ctx, &user.id, &g.id, auth_time).await
        }
        // Seed 001 "Pre-Authorization": an administrator trusts the client, so the
        // consent is recorded for the person (audited as such) and the code issued;
        // `prompt=consent` still shows the page (OIDC Core §3.1.2.1).
        _ if req.client.pre_authorized && !force_consent => {
            pre_authorized(&st, &req, &ctx, &user.id, auth_time).await
        }
        _ if prompt_none => fail(
            "consent_required",
            "the user has not consented to this client",
        ),
        _ => Redirect::to(&format!("/oauth/consent?{raw}")).into_response(),
    }
}

/// A signed request object (RFC 9101) sent through the browser: verified, kept as a
/// pushed request, and the browser sent on with its `request_uri` (see
/// `request_object`), so every later step sees only the verified parameters.
async fn open_request_object(
    st: &OAuthState,
    q: &HashMap<String, String>,
    request: &str,
) -> Response {
    if q.contains_key("request_uri") {
        return error_page("invalid_request_object");
    }
    let Some(client_id) = q
        .get("client_id")
        .cloned()
        .or_else(|| super::request_object::named_client(request))
    else {
        return error_page("missing_client_id");
    };
    let (client, params) = match super::request_object::open(st, &client_id, request).await {
        Ok(opened) => opened,
        Err(reason) => return error_page(reason),
    };
    // Not pushed: a client (or server) that requires pushed requests refuses it too.
    if st.require_par || client.metadata.require_pushed_authorization_requests {
        return error_page("par_required");
    }
    match domain::oauth::pushed::push(&st.services.db, &client_id, &params, st.services.now()).await
    {
        Ok(uri) => Redirect::to(&format!(
            "{}?client_id={}&request_uri={}",
            super::routes::AUTHORIZE,
            urlencode(&client_id),
            urlencode(&uri)
        ))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "keeping a request object");
            error_page("server_error")
        }
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// To the sign-in page, which returns to the authorization request `raw` (the query
/// exactly as the client sent it, encoded once more as one parameter value).
fn sign_in_then(raw: &str) -> Response {
    Redirect::to(&format!(
        "/login?return_to={}",
        urlencode(&format!("/oauth/authorize?{raw}"))
    ))
    .into_response()
}

/// The request to return to after the sign-in that `prompt=login` or `max_age`
/// asked for: without those demands, which that sign-in has just met (the ID
/// token's `auth_time` tells the client when), so the browser is not sent to sign in
/// again in a loop. Every other parameter is kept byte for byte.
fn without_freshness_demands(raw: &str) -> String {
    let decoded = |pair: &str| {
        form_urlencoded::parse(pair.as_bytes())
            .next()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .unwrap_or_default()
    };
    raw.split('&')
        .filter_map(|pair| match decoded(pair) {
            (k, _) if k == "max_age" => None,
            (k, v) if k == "prompt" => {
                let rest: Vec<&str> = v
                    .split(' ')
                    .filter(|p| !p.is_empty() && *p != "login")
                    .collect();
                (!rest.is_empty()).then(|| format!("prompt={}", urlencode(&rest.join(" "))))
            }
            _ => Some(pair.to_owned()),
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn issue_code_and_redirect(
    st: &OAuthState,
    req: &AuthzRequest,
    ctx: &RequestCtx,
    user_id: &str,
    grant_id: &str,
    auth_time: i64,
) -> Response {
    let now = st.services.now();
    let new = NewCode {
        client_id: req.client.id.clone(),
        user_id: user_id.to_owned(),
        grant_id: grant_id.to_owned(),
        redirect_uri: req.redirect_uri.clone(),
        redirect_uri_given: req.redirect_given,
        scopes: req.scopes.clone(),
        nonce: req.nonce.clone(),
        code_challenge: req.code_challenge.clone(),
        resource: req.resource.clone(),
        auth_time,
        sid: ctx.sid.clone(),
        claims_request: req.claims.as_ref().map(|c| c.to_stored()),
        amr: ctx.amr.clone(),
    };
    // The code and the session's note that it signed in to this client (so its end
    // is told to the client: OIDC Back-/Front-Channel Logout) are written together.
    let issued = async {
        let txn = domain::platform::db::write_txn(&st.services.db).await?;
        // A pushed request ends in one code (RFC 9126 §4): the second try loses.
        if let Some(uri) = &req.request_uri {
            if !domain::oauth::pushed::consume(&txn, uri, &req.client.id, now).await? {
                return Ok(None);
            }
        }
        let code =
            codes::issue_code(&txn, new, st.tokens.lifetimes.authorization_code_secs, now).await?;
        if let Some(token) = &ctx.session_token {
            domain::oauth::logout::signed_in_to(&txn, token, &req.client.id, now).await?;
        }
        txn.commit().await?;
        Ok::<_, domain::DomainError>(Some(code))
    }
    .await;
    let issued = match issued {
        Ok(None) => return error_page("invalid_request_uri"),
        Ok(Some(code)) => Ok(code),
        Err(e) => Err(e),
    };
    match issued {
        Ok(code) => back_to_client(
            st,
            &req.redirect_uri,
            &[("code", &code)],
            req.state.as_deref(),
        ),
        Err(e) => {
            tracing::error!(error = %e, "could not issue an authorization code");
            fail_request(st, req, "server_error", "", None)
        }
    }
}

/// The consent of `user_id` to a pre-authorized client, recorded for them (the
/// grant the consent page would write, with its audit event, in one
/// transaction), then the code.
async fn pre_authorized(
    st: &OAuthState,
    req: &AuthzRequest,
    ctx: &RequestCtx,
    user_id: &str,
    auth_time: i64,
) -> Response {
    let now = st.services.now();
    let grant = async {
        let txn = domain::platform::db::write_txn(&st.services.db).await?;
        let g = domain::oauth::consents::pre_authorize(
            &txn,
            user_id,
            &req.client.id,
            &req.scopes,
            ctx.ip.clone(),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok::<_, domain::DomainError>(g)
    }
    .await;
    match grant {
        Ok(g) => issue_code_and_redirect(st, req, ctx, user_id, &g.id, auth_time).await,
        Err(e) => {
            tracing::error!(error = %e, "could not record a pre-authorized consent");
            fail_request(st, req, "server_error", "", None)
        }
    }
}

const LOGIN_REQUIRED: &str = "login_required";
const ANOTHER_PERSON: &str =
    "the signed-in user is not the one claims.id_token.sub names (OpenID Connect Core §5.5.1)";

/// OIDC Core §5.5.1: a `sub` value asked for in the ID token must be the signed-in
/// person's — compared with the `sub` this client is given for them
/// (`oauth::subject`, the one place it is computed) — or no code is issued.
fn names_another_person(st: &OAuthState, req: &AuthzRequest, user_id: &str) -> bool {
    req.claims
        .as_ref()
        .and_then(|c| c.required_sub())
        .is_some_and(|want| *want != serde_json::json!(st.tokens.subjects.of(&req.client, user_id)))
}

/// Claims asked for one by one beyond the scopes (OIDC Core §5.5) are shown to the
/// person on the consent page every time: an earlier consent to the scopes did not
/// cover them.
fn claims_beyond_scopes(req: &AuthzRequest) -> bool {
    let scopes: domain::oauth::ScopeSet = req.scopes.iter().cloned().collect();
    req.claims
        .as_ref()
        .is_some_and(|c| !domain::oauth::claims::beyond_scopes(&req.client, &scopes, c).is_empty())
}

/// POST /oauth/consent: the Allow / Deny form of the consent page. The CSRF
/// middleware has checked the form's token; the request is validated again from
/// the original parameters the form carries.
pub async fn consent(
    State(st): State<OAuthState>,
    Extension(ctx): Extension<RequestCtx>,
    body: Bytes,
) -> Response {
    let mut form = match parse_query(std::str::from_utf8(&body).unwrap_or_default()) {
        Ok(f) => f,
        Err(f) => return failure_response(&st, f),
    };
    let decision = form.remove("decision").unwrap_or_default();
    let agents = form.remove("agents");
    form.remove("csrf_token");
    let req = match validate(&st, &form, ctx.ip.as_deref()).await {
        Ok(r) => r,
        Err(f) => return failure_response(&st, f),
    };
    let (Some(user), Some(auth_time)) = (ctx.user.clone(), ctx.auth_time) else {
        let raw: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter())
            .finish();
        return sign_in_then(&raw);
    };
    if decision != "allow" {
        if let Some(uri) = &req.request_uri {
            // The person's answer uses the pushed request up too.
            let _ = domain::oauth::pushed::consume(
                &st.services.db,
                uri,
                &req.client.id,
                st.services.now(),
            )
            .await;
        }
        return back_to_client(
            &st,
            &req.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "the user denied the request"),
            ],
            req.state.as_deref(),
        );
    }
    // Seed 003: a client may be limited to verified users of some e-mail domains.
    match domain::portal::stage::refuses(&st.services.db, &req.client, &user).await {
        Ok(Some(d)) => return fail_request(&st, &req, "access_denied", d, Some(d)),
        Ok(None) => {}
        Err(e) => {
            tracing::error!(error = %e, "checking who may sign in to the client");
            return fail_request(&st, &req, "server_error", "internal error", None);
        }
    }
    if names_another_person(&st, &req, &user.id) {
        return fail_request(&st, &req, LOGIN_REQUIRED, ANOTHER_PERSON, None);
    }
    // Who may act for the person through the app (`may_act`); "only" (the list
    // chosen under My apps) and no answer leave it as it is.
    let may_act = match domain::oauth::agents::MayAct::from_consent(agents.as_deref()) {
        Ok(m) => m,
        Err(why) => return fail_request(&st, &req, "invalid_request", why, None),
    };
    let now = st.services.now();
    let grant = async {
        let txn = domain::platform::db::write_txn(&st.services.db).await?;
        let g = domain::oauth::consents::allow(
            &txn,
            &user.id,
            &req.client.id,
            &req.scopes,
            ctx.ip.clone(),
            now,
        )
        .await?;
        if let Some(m) = &may_act {
            domain::oauth::agents::apply_may_act(
                &txn,
                &st.services.revocations,
                &g.id,
                m,
                ctx.ip.clone(),
                now,
            )
            .await?;
        }
        txn.commit().await?;
        Ok::<_, domain::DomainError>(g)
    }
    .await;
    match grant {
        Ok(g) => issue_code_and_redirect(&st, &req, &ctx, &user.id, &g.id, auth_time).await,
        Err(e) => {
            tracing::error!(error = %e, "could not store a consent");
            fail_request(&st, &req, "server_error", "", None)
        }
    }
}
