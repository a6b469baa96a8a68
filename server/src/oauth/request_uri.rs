//! Request objects by reference (RFC 9101 §5.2, OpenID Connect Core §6.2): a
//! `request_uri` that is not one of our pushed-request URNs names a document on the
//! client's site holding its signed request object.
//!
//! - Pre-registration is required (discovery: `require_request_uri_registration`,
//!   OIDC Registration §2 `request_uris`): a URI the client did not register is
//!   refused with `invalid_request_uri` without being fetched, so this endpoint
//!   cannot be made to fetch arbitrary addresses (RFC 9101 §10.4.1).
//! - The fetch goes through the outbound guard (`Services::documents`: public
//!   addresses only, no redirects, the outbound timeout) and reads at most
//!   [`limits::REQUEST_URI_DOCUMENT`] bytes; any failure is `invalid_request_uri`.
//! - Registration §2's fragment: a request may add `#` and the base64url SHA-256
//!   of the document to a registered URI; the fragment is never sent, and the
//!   document fetched must hash to it. Nothing is cached, so every use fetches.
//! - The document is then a request object exactly like an inline `request`
//!   (`request_object::open`): same verification, algorithm pinning and §5
//!   precedence. Every refusal is shown on our error page: the redirect URI is not
//!   known to be the client's until the object is verified (RFC 6749 §4.1.2.1).

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::OAuthState;

/// Why a `request_uri` was refused; the reason goes to the log.
fn refused(why: &str) -> &'static str {
    tracing::info!(reason = why, "refused a request_uri");
    "invalid_request_uri"
}

/// The request object the client registered at `uri` (with `q`'s `client_id`):
/// the client's parameters without `request_uri`, and the object's text.
pub async fn fetch(
    st: &OAuthState,
    q: &HashMap<String, String>,
    uri: &str,
) -> Result<(HashMap<String, String>, String), &'static str> {
    if q.contains_key("request") {
        return Err("invalid_request_object");
    }
    // RFC 9101 §5: `client_id` must be beside a `request_uri`.
    let client_id = q.get("client_id").ok_or("missing_client_id")?;
    if uri.len() > limits::REQUEST_URI || !uri.is_ascii() {
        return Err(refused("longer than 512 ASCII characters"));
    }
    let client = domain::clients::find(&st.services.db, client_id)
        .await
        .map_err(|_| "server_error")?
        .ok_or("unknown_client")?;
    if client.unusable_reason(st.services.now()).is_some() {
        return Err("client_unavailable");
    }
    let (registered, digest) = match uri.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (uri, None),
    };
    if !client.metadata.request_uris.iter().any(|r| r == registered) {
        return Err(refused("not registered by the client"));
    }
    let body = st
        .services
        .documents
        .get(registered, limits::REQUEST_URI_DOCUMENT)
        .await
        .map_err(|why| refused(&why))?;
    if let Some(want) = digest {
        if URL_SAFE_NO_PAD.encode(Sha256::digest(&body)) != want {
            return Err(refused(
                "the document does not match the fragment's SHA-256",
            ));
        }
    }
    let object = String::from_utf8(body)
        .map_err(|_| "invalid_request_object")?
        .trim()
        .to_owned();
    let mut rest = q.clone();
    rest.remove("request_uri");
    Ok((rest, object))
}
