//! Bearer authentication (RFC 6750 §2.1) for the REST API: a Portcullis access
//! token (RFC 9068) for the portal's audience carrying the `portal` scope — or a
//! DPoP-bound one with a proof for this request (RFC 9449 §7). It names
//! the acting user: the token's person, or — for a client-credentials token — the
//! owner of the client, recorded as `via_client` in the audit trail. Or a
//! person's personal access token (`pcp_…`), which acts for them.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, OriginalUri};
use domain::accounts::{personal_tokens, second_factor};
use domain::apis::PORTAL_SCOPE;
use domain::portal::Who;
use http::request::Parts;

use super::error::ApiError;
use super::ApiState;
use crate::oauth::dpop;

/// The authenticated caller of an API endpoint.
pub struct Caller(pub Who);

const REVOKED: &str = "the access token is invalid, expired or revoked";

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &ApiState) -> Result<Self, ApiError> {
        let (scheme, token) = match dpop::authorization(&parts.headers) {
            Ok(Some(found)) => found,
            Ok(None) => return Err(ApiError::missing_token()),
            Err(m) => return Err(ApiError::invalid_token(m)),
        };
        let app = &st.oauth.services;
        let now = app.now();
        if personal_tokens::is_personal(token) {
            return personal(parts, st, scheme, token, now).await;
        }
        let Some(live) = st.oauth.tokens.live_access_token(token, now).await? else {
            return Err(ApiError::invalid_token(REVOKED));
        };
        // The path as the client addressed it (a nested router sees less of it).
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.path(), |u| u.0.path());
        let presented = dpop::Presentation {
            headers: &parts.headers,
            scheme,
            token,
            htm: parts.method.as_str(),
            path,
        };
        if let Err(r) = dpop::check_use(&st.oauth, &presented, &live.claims, now).await {
            return Err(ApiError::dpop(r));
        }
        // Scope before audience: a token for another API lacks the scope, and
        // `insufficient_scope` tells its holder what to ask for (RFC 6750 §3.1).
        if !live.scopes().contains(PORTAL_SCOPE) {
            return Err(ApiError::insufficient_scope());
        }
        if live.claims.aud != *st.audience {
            return Err(ApiError::invalid_token(
                "the access token is for another API",
            ));
        }
        // A person's token acts for them; a client-credentials token acts for the
        // client's owner, recorded as `via_client`.
        let (user, via_client) = match live.user {
            Some(u) => (u, None),
            None => {
                if live.client.owner_id.is_none() {
                    return Err(ApiError::forbidden(
                        "this client has no owner for its tokens to act for",
                    ));
                }
                match st.oauth.tokens.owner_of(&live).await? {
                    Some(owner) => (owner, Some(live.client.id.clone())),
                    None => return Err(ApiError::invalid_token(REVOKED)),
                }
            }
        };
        let ip = client_ip(parts, st.trust_proxy_headers);
        Ok(Caller(Who::acting(user, ip, via_client)))
    }
}

/// A personal access token (`accounts::personal_tokens`): the person who made
/// it, as they are now. A read-only one (`portal:read`) may only read.
async fn personal(
    parts: &Parts,
    st: &ApiState,
    scheme: dpop::Scheme,
    token: &str,
    now: i64,
) -> Result<Caller, ApiError> {
    if scheme != dpop::Scheme::Bearer {
        return Err(ApiError::invalid_token(
            "a personal access token is sent as Authorization: Bearer",
        ));
    }
    let app = &st.oauth.services;
    let settings = app.runtime.get(&app.db).await?;
    let Some((user, pat)) =
        personal_tokens::authenticate(&app.db, token, settings.personal_token_max_days, now)
            .await?
    else {
        return Err(ApiError::invalid_token(REVOKED));
    };
    // A token made before an administrator required a second factor of the
    // person's role works again once the person has set one up.
    if second_factor::policy::covers(&settings.second_factor_roles, user.user().role)
        && !second_factor::factor::is_active(&app.db, &user.user().id).await?
    {
        return Err(ApiError::invalid_token(
            "a second factor is required of this person's role: they sign in and set one up first",
        ));
    }
    if pat.read_only() && !matches!(parts.method, http::Method::GET | http::Method::HEAD) {
        return Err(ApiError::insufficient_scope());
    }
    Ok(Caller(Who::new(
        user,
        client_ip(parts, st.trust_proxy_headers),
    )))
}

fn client_ip(parts: &Parts, trust_proxy: bool) -> Option<String> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0);
    crate::net::client_ip(&parts.headers, peer, trust_proxy)
}
