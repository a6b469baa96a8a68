//! The developer portal's REST API (seed 002), for automation from CI: the same
//! operations and rules as the portal's pages, called with a Portcullis access
//! token carrying the `portal` scope. Handlers are adapters: extract, authenticate,
//! call one `domain::portal` function (which checks access itself), map the result.
//!
//! The API reads no cookies, so the portal's session and CSRF middleware skips it
//! ([`is_api_path`]): a bearer token is not sent by browsers on their own, which is
//! what CSRF exploits.

mod auth;
mod authorizations;
mod clients;
mod error;
mod logout_deliveries;
mod openapi;
mod registration;
mod requests;
mod schemas;
mod scopes;
mod secrets;
mod stage;
mod team;
mod usage;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts};
use axum::routing::{any, delete, get, post, put, MethodRouter};
use axum::Router;
use serde::de::DeserializeOwned;

use crate::oauth::OAuthState;
use error::ApiResult;
pub use error::{ApiError, ErrorBody};

/// Every API route, in one place: the router and the OpenAPI test use these.
pub mod routes {
    pub const PREFIX: &str = "/api/v1";
    pub const OPENAPI: &str = "/api/v1/openapi.json";
    pub const CLIENTS: &str = "/api/v1/clients";
    pub const CLIENT: &str = "/api/v1/clients/{id}";
    pub const ROTATE_SECRET: &str = "/api/v1/clients/{id}/rotate-secret";
    pub const SECRETS: &str = "/api/v1/clients/{id}/secrets";
    pub const SECRET: &str = "/api/v1/clients/{id}/secrets/{secret_id}";
    pub const LOGOUT_DELIVERIES: &str = "/api/v1/clients/{id}/logout-deliveries";
    pub const USAGE: &str = "/api/v1/clients/{id}/usage";
    /// A client's owner, co-owners and waiting ownership offer.
    pub const TEAM: &str = "/api/v1/clients/{id}/team";
    pub const CO_OWNERS: &str = "/api/v1/clients/{id}/co-owners";
    pub const CO_OWNER: &str = "/api/v1/clients/{id}/co-owners/{user_id}";
    /// Offer the client's ownership (PUT) or withdraw the offer (DELETE).
    pub const TRANSFER: &str = "/api/v1/clients/{id}/transfer";
    /// A co-owner takes over a client whose owner left.
    pub const TAKE_OVER: &str = "/api/v1/clients/{id}/take-over";
    /// Ownership offers waiting for the caller.
    pub const TRANSFERS: &str = "/api/v1/transfers";
    pub const ACCEPT_TRANSFER: &str = "/api/v1/transfers/{client_id}/accept";
    pub const DECLINE_TRANSFER: &str = "/api/v1/transfers/{client_id}/decline";
    pub const DISABLE: &str = "/api/v1/clients/{id}/disable";
    pub const ENABLE: &str = "/api/v1/clients/{id}/enable";
    /// A team member asks for a client in development to go to production.
    pub const PROMOTION: &str = "/api/v1/clients/{id}/promotion";
    /// Administrators: a client's stage, changed at once.
    pub const STAGE: &str = "/api/v1/clients/{id}/stage";
    pub const REQUESTS: &str = "/api/v1/requests";
    pub const REQUEST: &str = "/api/v1/requests/{id}";
    pub const APPROVE: &str = "/api/v1/requests/{id}/approve";
    pub const REJECT: &str = "/api/v1/requests/{id}/reject";
    pub const SCOPES: &str = "/api/v1/scopes";
    pub const SCOPE: &str = "/api/v1/scopes/{name}";
    pub const RULES: &str = "/api/v1/rules";
    pub const RULE: &str = "/api/v1/rules/{id}";
    pub const REGISTRATION: &str = "/api/v1/registration";
    pub const INITIAL_TOKENS: &str = "/api/v1/registration/tokens";
    /// Client ID metadata documents: on/off, trusted hosts, protected names.
    pub const METADATA_DOCUMENTS: &str = "/api/v1/registration/documents";
    pub const INITIAL_TOKEN: &str = "/api/v1/registration/tokens/{id}";
    /// A developer claims a self-registered client.
    pub const CLAIM: &str = "/api/v1/registration/claim";
    /// A person's authorizations (administrators).
    pub const AUTHORIZATIONS: &str = "/api/v1/users/{id}/authorizations";
    pub const AUTHORIZATION: &str = "/api/v1/users/{id}/authorizations/{grant_id}";
    pub const ANY: &str = "/api/v1/{*rest}";
}

/// Whether a path belongs to the API (and so bypasses the cookie/CSRF middleware).
pub fn is_api_path(path: &str) -> bool {
    path == routes::PREFIX
        || path
            .strip_prefix(routes::PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[derive(Clone)]
pub struct ApiState {
    pub oauth: OAuthState,
    /// The portal API's audience: tokens for other APIs are refused.
    pub audience: Arc<str>,
    pub trust_proxy_headers: bool,
}

impl ApiState {
    pub fn new(oauth: OAuthState, trust_proxy_headers: bool) -> Self {
        Self {
            audience: domain::apis::portal_audience(oauth.issuer()).into(),
            oauth,
            trust_proxy_headers,
        }
    }
}

/// A JSON body; a malformed one is a JSON `invalid_request`, not axum's plain text.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Query parameters, with JSON errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters, with JSON errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// The `page` query parameter: 1-based, default 1. Any page up to the largest
/// 64-bit integer is answered (past the end, with no items).
pub(crate) fn page_param(page: Option<i64>) -> Result<u64, ApiError> {
    match page {
        None => Ok(1),
        Some(p) if p >= 1 => Ok(p as u64),
        Some(_) => Err(ApiError::invalid_field("page", "must be at least 1")),
    }
}

/// The `per_page` query parameter: 1 to [`limits::PER_PAGE`], default 50.
pub(crate) fn per_page_param(per_page: Option<i64>) -> Result<u64, ApiError> {
    match per_page {
        None => Ok(50),
        Some(n) if (1..=limits::PER_PAGE as i64).contains(&n) => Ok(n as u64),
        Some(_) => Err(ApiError::invalid_field(
            "per_page",
            format!("must be between 1 and {}", limits::PER_PAGE),
        )),
    }
}

/// An optional JSON body: empty (or `null`) means the defaults.
pub(crate) fn optional_json<T: DeserializeOwned + Default>(body: &Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice::<Option<T>>(body)
        .map(Option::unwrap_or_default)
        .map_err(|e| ApiError::invalid_request(format!("the JSON body is invalid: {e}")))
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// `body` with `status` and a `Location` header naming what was made (201) or
/// what will be decided (202).
pub(crate) fn located(
    status: axum::http::StatusCode,
    body: impl axum::response::IntoResponse,
    location: &str,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut resp = (status, body).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(location) {
        resp.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    resp
}

fn only(m: MethodRouter<ApiState>) -> MethodRouter<ApiState> {
    m.fallback(method_not_allowed)
}

pub fn router<S: Clone + Send + Sync + 'static>(state: ApiState) -> Router<S> {
    Router::new()
        .route(routes::OPENAPI, only(get(openapi::document)))
        .route(
            routes::CLIENTS,
            only(get(clients::list).post(clients::create)),
        )
        .route(
            routes::CLIENT,
            only(
                get(clients::show)
                    .put(clients::update)
                    .delete(clients::delete),
            ),
        )
        .route(routes::ROTATE_SECRET, only(post(clients::rotate_secret)))
        .route(routes::SECRETS, only(get(secrets::list)))
        .route(routes::USAGE, only(get(usage::show)))
        .route(routes::TEAM, only(get(team::show)))
        .route(routes::CO_OWNERS, only(post(team::add_co_owner)))
        .route(routes::CO_OWNER, only(delete(team::remove_co_owner)))
        .route(
            routes::TRANSFER,
            only(put(team::offer).delete(team::cancel)),
        )
        .route(routes::TAKE_OVER, only(post(team::take_over)))
        .route(routes::TRANSFERS, only(get(team::offers)))
        .route(routes::ACCEPT_TRANSFER, only(post(team::accept)))
        .route(routes::DECLINE_TRANSFER, only(post(team::decline)))
        .route(routes::SECRET, only(delete(secrets::revoke)))
        .route(
            routes::LOGOUT_DELIVERIES,
            only(get(logout_deliveries::list)),
        )
        .route(routes::DISABLE, only(post(clients::disable)))
        .route(routes::ENABLE, only(post(clients::enable)))
        .route(routes::PROMOTION, only(post(stage::promote)))
        .route(routes::STAGE, only(put(stage::set)))
        .route(
            routes::REQUESTS,
            only(get(requests::list).post(requests::create)),
        )
        .route(routes::REQUEST, only(get(requests::show)))
        .route(routes::APPROVE, only(post(requests::approve)))
        .route(routes::REJECT, only(post(requests::reject)))
        .route(routes::SCOPES, only(get(scopes::list)))
        .route(routes::SCOPE, only(put(scopes::update)))
        .route(
            routes::RULES,
            only(get(scopes::rules).post(scopes::create_rule)),
        )
        .route(
            routes::RULE,
            only(put(scopes::update_rule).delete(scopes::delete_rule)),
        )
        .route(
            routes::REGISTRATION,
            only(get(registration::show).put(registration::update)),
        )
        .route(
            routes::INITIAL_TOKENS,
            only(get(registration::tokens).post(registration::mint)),
        )
        .route(routes::INITIAL_TOKEN, only(delete(registration::revoke)))
        .route(routes::CLAIM, only(post(registration::claim)))
        .route(routes::AUTHORIZATIONS, only(get(authorizations::list)))
        .route(routes::AUTHORIZATION, only(delete(authorizations::revoke)))
        .route(
            routes::METADATA_DOCUMENTS,
            only(get(registration::documents).put(registration::update_documents)),
        )
        .route(routes::PREFIX, any(not_found))
        .route(routes::ANY, any(not_found))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::is_api_path;

    #[test]
    fn only_paths_under_the_prefix_are_api_paths() {
        assert!(is_api_path("/api/v1/clients"));
        assert!(is_api_path("/api/v1"));
        assert!(!is_api_path("/api/v1clients"));
        assert!(!is_api_path("/api/shell"));
    }

    /// The browser bundle cannot use the domain: its copy of the admission
    /// rule's key must be the domain's.
    #[test]
    fn the_pages_know_the_admission_rules_key() {
        assert_eq!(
            app::model::ADMISSION_TARGET,
            domain::portal::rules::ADMISSION_TARGET
        );
    }
}
