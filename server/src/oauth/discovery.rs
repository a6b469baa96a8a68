//! RFC 8414 metadata and the JWKS, both served from pre-serialised bytes.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue};
use serde_json::{json, Value};

use super::routes;
use super::OAuthState;

/// The metadata document, built from the same route constants as the router.
pub fn metadata_document(
    issuer: &str,
    role: &domain::oauth::claims::RoleClaim,
    require_par: bool,
) -> Value {
    let url = |path: &str| format!("{}{path}", issuer.trim_end_matches('/'));
    let mut scopes: Vec<&str> = domain::apis::BUILTIN_SCOPES
        .iter()
        .map(|(n, _)| *n)
        .collect();
    scopes.push(&role.scope);
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": url(routes::AUTHORIZE),
        "jwks_uri": url(routes::JWKS),
        "token_endpoint": url(routes::TOKEN),
        "userinfo_endpoint": url(routes::USERINFO),
        "introspection_endpoint": url(routes::INTROSPECT),
        "revocation_endpoint": url(routes::REVOKE),
        "end_session_endpoint": url(routes::END_SESSION),
        "pushed_authorization_request_endpoint": url(routes::PAR),
        "require_pushed_authorization_requests": require_par,
        "request_parameter_supported": true,
        // RFC 9101 §5.2: by reference from a URI the client registered (OIDC
        // Registration §2 `request_uris`), or a pushed request's URN.
        "request_uri_parameter_supported": true,
        "require_request_uri_registration": true,
        "request_object_signing_alg_values_supported": super::client_assertion::ALGS,
        "request_object_encryption_alg_values_supported": domain::oauth::jwe::ALGS,
        "request_object_encryption_enc_values_supported": domain::oauth::jwe::ENCS,
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "device_authorization_endpoint": url(routes::DEVICE_AUTHORIZATION),
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", domain::oauth::GrantType::DeviceCode.as_str(), domain::oauth::GrantType::TokenExchange.as_str()],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "userinfo_signing_alg_values_supported": ["RS256", "ES256"],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_supported": domain::oauth::claims::supported(role),
        // OIDC Core §5.5: `claims` asks for claims one by one, for the ID token and
        // userinfo (released within the scopes and the client's approved list).
        "claims_parameter_supported": true,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": super::client_assertion::ALGS,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "introspection_endpoint_auth_signing_alg_values_supported": super::client_assertion::ALGS,
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "revocation_endpoint_auth_signing_alg_values_supported": super::client_assertion::ALGS,
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": scopes,
        "authorization_response_iss_parameter_supported": true,
        "dpop_signing_alg_values_supported": portcullis_dpop::ALGORITHMS,
    });
    // (Added here and below: one `json!` this long reaches the macro's recursion
    // limit.) RFC 7591: advertised always; while an administrator has
    // registration off the endpoint answers 403 `access_denied` (docs/AGENTS.md).
    doc["registration_endpoint"] = json!(url(routes::REGISTER));
    // OIDC Core §2 `acr`: a password, or a password and a second factor
    // (docs/IDENTITY.md).
    doc["acr_values_supported"] = json!(domain::accounts::second_factor::ACR_VALUES);
    // OIDC Core §10.2: signed, then encrypted to the client's key when it
    // registered `…_encrypted_response_alg` (Registration §2).
    for what in ["id_token", "userinfo"] {
        doc[format!("{what}_encryption_alg_values_supported")] =
            json!(domain::oauth::jwe::SEAL_ALGS);
        doc[format!("{what}_encryption_enc_values_supported")] = json!(domain::oauth::jwe::ENCS);
    }
    doc
}

fn json_bytes(bytes: &[u8], max_age: &'static str) -> Response {
    let mut resp = bytes.to_vec().into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(max_age));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

pub async fn metadata(State(st): State<OAuthState>) -> Response {
    json_bytes(&super::cimd::discovery(&st).await, "public, max-age=3600")
}

pub async fn jwks(State(st): State<OAuthState>) -> Response {
    // Short cache: clients pick up rotated keys quickly.
    json_bytes(&st.keys().jwks_json, "public, max-age=300")
}
