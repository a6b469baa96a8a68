//! Reading client credentials (RFC 6749 §2.3.1) and parsing form bodies.

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use domain::clients::{self, AuthMethod, Client, ClientAuthError, Presented};
use http::{header, HeaderMap};

use super::{OAuthError, OAuthState};

/// A form body as a map, refusing repeated parameters (RFC 6749 §3.1) and bodies that
/// are not `application/x-www-form-urlencoded`.
pub fn parse_form(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let mut map = HashMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        if map.insert(k.clone().into_owned(), v.into_owned()).is_some() {
            return Err(OAuthError::invalid_request(format!(
                "the parameter '{k}' is repeated"
            )));
        }
    }
    Ok(map)
}

fn percent_decode(s: &str) -> String {
    // client_id and secret are form-urlencoded inside Basic (RFC 6749 §2.3.1).
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Authenticates the calling client by Basic header, form secret, or (public
/// clients) client_id alone. Using two methods at once is refused. `ip` is the
/// caller's address, for throttling failed attempts.
pub async fn authenticate(
    st: &OAuthState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    ip: Option<&str>,
) -> Result<Client, OAuthError> {
    let assertion =
        form.contains_key("client_assertion") || form.contains_key("client_assertion_type");
    let basic_header = headers.contains_key(header::AUTHORIZATION);
    if assertion {
        if basic_header || form.contains_key("client_secret") {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        return super::client_assertion::authenticate(st, form).await;
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .map(|b64| {
            STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|s| {
                    s.split_once(':')
                        .map(|(i, p)| (percent_decode(i), percent_decode(p)))
                })
                .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))
        })
        .transpose()?;
    let form_secret = form.get("client_secret");
    let (client_id, secret, method) = match (basic, form_secret) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ))
        }
        (Some((id, secret)), None) => {
            if form.get("client_id").is_some_and(|f| *f != id) {
                return Err(OAuthError::invalid_request(
                    "client_id differs from the authenticated client",
                ));
            }
            (id, Some(secret), AuthMethod::ClientSecretBasic)
        }
        (None, Some(secret)) => {
            let id = form
                .get("client_id")
                .cloned()
                .ok_or_else(|| OAuthError::invalid_request("client_id is missing"))?;
            (id, Some(secret.clone()), AuthMethod::ClientSecretPost)
        }
        (None, None) => {
            let id = form
                .get("client_id")
                .cloned()
                .ok_or_else(|| OAuthError::invalid_client("client authentication is required"))?;
            (id, None, AuthMethod::None)
        }
    };
    // A client ID metadata document's client: its stored copy refreshed when
    // stale, or refused (the same `invalid_client`, with the document's problem).
    if let Err(u) = super::cimd::resolve(st, &client_id, ip).await {
        return Err(match u {
            super::cimd::Unresolved::Internal => {
                OAuthError::server_error("resolving a client metadata document")
            }
            super::cimd::Unresolved::TooMany => OAuthError::too_many_requests(
                "invalid_client",
                u.description(),
                super::cimd::RETRY_AFTER_SECS,
            ),
            _ => OAuthError::invalid_client(u.description()),
        });
    }
    let presented = Presented {
        client_id: &client_id,
        secret: secret.as_deref(),
        method,
        ip,
    };
    let now = st.services.now();
    clients::authenticate(
        &st.services.db,
        &st.services.hasher,
        &st.tokens.clients,
        st.services.throttle.clients,
        presented,
        now,
    )
    .await
    .inspect_err(|e| {
        // The client exists: its developer sees the refusal on the usage card.
        if matches!(
            e,
            ClientAuthError::WrongSecret
                | ClientAuthError::MethodNotAllowed
                | ClientAuthError::Unusable(_)
        ) {
            st.tokens
                .clients
                .refusals
                .note(&client_id, "invalid_client", now);
        }
    })
    .map_err(|e| match e {
        ClientAuthError::Throttled { retry_after_secs } => OAuthError::too_many_requests(
            "invalid_client",
            "too many failed client authentication attempts",
            retry_after_secs,
        ),
        ClientAuthError::Internal(cause) => OAuthError::server_error(cause),
        // One message for unknown, disabled or expired client, wrong secret and
        // wrong method: no oracle (finding L2).
        ClientAuthError::UnknownClient
        | ClientAuthError::WrongSecret
        | ClientAuthError::MethodNotAllowed
        | ClientAuthError::Unusable(_) => {
            OAuthError::invalid_client("client authentication failed")
        }
    })
}
