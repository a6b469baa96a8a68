//! What an authorization request is (RFC 6749 §4.1.1, OpenID Connect Core
//! §3.1.2.1, RFC 9126 for pushed ones) and its validation, shared by the
//! authorization endpoint, the consent decision and the PAR endpoint.

use std::collections::HashMap;

use domain::clients::{Client, GrantType};
use domain::oauth::claims_request::ClaimsRequest;

use super::OAuthState;

/// A validated authorization request.
#[derive(Clone, Debug)]
pub struct AuthzRequest {
    pub client: Client,
    pub redirect_uri: String,
    pub redirect_given: bool,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub resource: Option<String>,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    /// The pushed request (RFC 9126) these parameters came from, used once by the
    /// code issued for it or the person's "Deny".
    pub request_uri: Option<String>,
    /// The `claims` parameter (OpenID Connect Core §5.5), when it asks for any.
    pub claims: Option<ClaimsRequest>,
    /// The request demands a sign-in with a second factor (`acr_values` or an
    /// essential `acr` claim naming only `ACR_MFA`).
    pub wants_mfa: bool,
}

pub enum Failure {
    /// Shown on our error page; the reason is one of a fixed set of codes.
    Page(&'static str),
    /// Sent back to the client's redirect URI (when it is trusted).
    Redirect {
        redirect_uri: String,
        error: &'static str,
        description: String,
        state: Option<String>,
        client_name: String,
        trusted: bool,
    },
}

pub fn parse_query(raw: &str) -> Result<HashMap<String, String>, Failure> {
    let mut map = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        if map.insert(k.into_owned(), v.into_owned()).is_some() {
            // Before the redirect URI is trusted we cannot redirect: show it.
            return Err(Failure::Page("repeated_parameter"));
        }
    }
    Ok(map)
}

/// An authorization request as the browser brought it (or a pushed one it names).
pub async fn validate(
    st: &OAuthState,
    q: &HashMap<String, String>,
    ip: Option<&str>,
) -> Result<AuthzRequest, Failure> {
    check(st, q, false, ip).await
}

/// An authorization request being pushed (RFC 9126 §2.1): checked the same way.
pub async fn validate_pushed(
    st: &OAuthState,
    q: &HashMap<String, String>,
    ip: Option<&str>,
) -> Result<AuthzRequest, Failure> {
    check(st, q, true, ip).await
}

/// `ip`: the requester's address (a metadata document's fetch counts against it).
async fn check(
    st: &OAuthState,
    q: &HashMap<String, String>,
    pushing: bool,
    ip: Option<&str>,
) -> Result<AuthzRequest, Failure> {
    // RFC 9126 §4: with a `request_uri`, the pushed parameters are the request and
    // whatever else the browser carries (but `client_id`, which must match) is not.
    let pushed;
    let request_uri = q.get("request_uri").cloned();
    let q = match &request_uri {
        Some(uri) => {
            let client_id = q
                .get("client_id")
                .ok_or(Failure::Page("missing_client_id"))?;
            pushed =
                domain::oauth::pushed::find(&st.services.db, uri, client_id, st.services.now())
                    .await
                    .map_err(|_| Failure::Page("server_error"))?
                    .ok_or(Failure::Page("invalid_request_uri"))?;
            &pushed
        }
        None => q,
    };
    let client_id = q
        .get("client_id")
        .ok_or(Failure::Page("missing_client_id"))?;
    // A client ID metadata document's URL is resolved first (fetched when its
    // copy is stale); a document that cannot be used is shown, never redirected.
    let client = match super::cimd::resolve(st, client_id, ip).await {
        Ok(Some(c)) => c,
        // The cached record the token endpoint uses (dropped in every process when
        // the client changes: the change feed). A miss is asked of the database
        // once more, so that its failure is a server error, not "unknown client".
        Ok(None) => match st.tokens.clients.record(&st.services.db, client_id).await {
            Some(r) => r.client.clone(),
            None => domain::clients::find(&st.services.db, client_id)
                .await
                .map_err(|_| Failure::Page("server_error"))?
                .ok_or(Failure::Page("unknown_client"))?,
        },
        Err(u) => return Err(Failure::Page(u.reason())),
    };
    let document = domain::clients::metadata_document::looks_like_url(&client.id);
    if client.unusable_reason(st.services.now()).is_some() {
        // A dynamically registered client starts disabled: awaiting admission;
        // so does a metadata document's from a host not trusted at once. One
        // that was refused says so.
        let admission = if client.disabled {
            domain::portal::admission::latest(&st.services.db, &client.id)
                .await
                .map_err(|_| Failure::Page("server_error"))?
        } else {
            None
        };
        // A self-registered client from before admissions were requests has none.
        let self_registered = || async {
            Ok::<_, Failure>(
                document
                    || domain::clients::dynamic::origin(&st.services.db, &client.id)
                        .await
                        .map_err(|_| Failure::Page("server_error"))?
                        .is_some(),
            )
        };
        return Err(Failure::Page(match admission {
            Some(domain::portal::Status::Pending) => "awaiting_admission",
            Some(domain::portal::Status::Rejected) => "admission_refused",
            None if client.disabled && self_registered().await? => "awaiting_admission",
            _ => "client_unavailable",
        }));
    }
    // The runtime settings' copy, as the token endpoint reads it: every process
    // hears of the switch through the change feed, so no database read per request.
    if !client.first_party
        && !st
            .tokens
            .third_party_enabled()
            .await
            .map_err(|_| Failure::Page("server_error"))?
    {
        return Err(Failure::Page("third_party_disabled"));
    }
    let (redirect_uri, redirect_given) = match q.get("redirect_uri") {
        // The draft, §5: a document's redirect URIs match exactly (no loopback
        // port leeway).
        Some(r) if document && client.metadata.redirect_uris.contains(r) => (r.clone(), true),
        Some(r) if !document && client.accepts_redirect(r) => (r.clone(), true),
        Some(_) => return Err(Failure::Page("bad_redirect_uri")),
        None if client.metadata.redirect_uris.len() == 1 => {
            (client.metadata.redirect_uris[0].clone(), false)
        }
        None => return Err(Failure::Page("missing_redirect_uri")),
    };
    let state = q.get("state").cloned();
    let fail = |error: &'static str, description: &str| Failure::Redirect {
        redirect_uri: redirect_uri.clone(),
        error,
        description: description.to_owned(),
        state: state.clone(),
        client_name: client.metadata.name.clone(),
        trusted: client.trusts_redirect(&redirect_uri),
    };
    if request_uri.is_none()
        && !pushing
        && (st.require_par || client.metadata.require_pushed_authorization_requests)
    {
        return Err(fail(
            "invalid_request",
            "this client's authorization requests must be pushed first (RFC 9126: pushed_authorization_request_endpoint)",
        ));
    }
    match q.get("response_type").map(String::as_str) {
        Some("code") => {}
        Some(_) => {
            return Err(fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            ))
        }
        None => return Err(fail("invalid_request", "response_type is missing")),
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err(fail(
            "unauthorized_client",
            "this client may not use the authorization code flow",
        ));
    }
    // PKCE with S256 for every client (OAuth 2.1, RFC 9700 §2.1.1); `plain` is refused.
    let code_challenge = match (
        q.get("code_challenge"),
        q.get("code_challenge_method").map(String::as_str),
    ) {
        (Some(c), Some("S256")) if c.len() == 43 => c.clone(),
        (Some(_), Some("S256")) => {
            return Err(fail(
                "invalid_request",
                "code_challenge must be a base64url SHA-256 (43 characters)",
            ))
        }
        (None, _) => {
            return Err(fail(
                "invalid_request",
                "PKCE is required: send code_challenge with code_challenge_method=S256",
            ))
        }
        _ => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method must be S256",
            ))
        }
    };
    let scopes =
        domain::oauth::ScopeSet::parse_vec(q.get("scope").map(String::as_str).unwrap_or(""));
    for s in &scopes {
        if !client.scopes.contains(s) {
            return Err(fail(
                "invalid_scope",
                &format!("the client may not request the scope '{s}'"),
            ));
        }
    }
    // OIDC Core §5.5: a JSON object (a request object's is serialised again by
    // `request_object::open`); malformed or over its bounds is `invalid_request`.
    let claims = match q.get("claims") {
        Some(raw) => Some(ClaimsRequest::parse(raw).map_err(|d| fail("invalid_request", &d))?)
            .filter(|c| !c.is_empty()),
        None => None,
    };
    let resource = q.get("resource").cloned();
    // RFC 8707 and the audience rule of the token endpoint, checked here already so
    // the person is never asked to consent to something no token can carry: a
    // resource must be an API whose scopes are asked for.
    let scope_set: domain::oauth::ScopeSet = scopes.iter().cloned().collect();
    if let Err(e) = st.tokens.audience(&scope_set, resource.as_deref()).await {
        use domain::oauth::IssueError;
        return Err(match e {
            IssueError::InvalidScope(d) => fail("invalid_scope", &d),
            IssueError::InvalidTarget(d) => fail("invalid_target", &d),
            IssueError::InvalidGrant(d) => fail("invalid_request", &d),
            IssueError::Internal(e) => {
                tracing::error!(error = %e, "checking the audience of an authorization request");
                Failure::Page("server_error")
            }
        });
    }
    // OpenID Connect Core §3.1.2.1: a space-delimited list (repeats count once).
    let mut prompt: Vec<String> = q
        .get("prompt")
        .map(String::as_str)
        .unwrap_or("")
        .split(' ')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    prompt.sort();
    prompt.dedup();
    if prompt.contains(&"none".to_owned()) && prompt.len() > 1 {
        return Err(fail(
            "invalid_request",
            "prompt=none cannot be combined with other values",
        ));
    }
    let max_age =
        match q.get("max_age") {
            Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                fail("invalid_request", "max_age must be a non-negative integer")
            })?),
            None => None,
        };
    let wants_mfa = demands_mfa(q.get("acr_values").map(String::as_str), claims.as_ref());
    Ok(AuthzRequest {
        wants_mfa,
        client,
        redirect_uri,
        redirect_given,
        scopes,
        state,
        nonce: q.get("nonce").cloned(),
        code_challenge,
        resource,
        prompt,
        max_age,
        request_uri,
        claims,
    })
}

/// Whether a request demands a second factor. `acr_values` (OIDC Core §3.1.2.1)
/// is voluntary, but a client that lists only our `mfa` class asks for it, and
/// gets it or `unmet_authentication_requirements`; so does an essential `acr`
/// claim (§5.5.1.1) that accepts `mfa` and not `pwd`. Classes we do not know are
/// ignored.
pub fn demands_mfa(acr_values: Option<&str>, claims: Option<&ClaimsRequest>) -> bool {
    use domain::accounts::second_factor::{ACR_MFA, ACR_PWD};
    let listed = acr_values.is_some_and(|v| {
        let v: Vec<&str> = v.split(' ').collect();
        v.contains(&ACR_MFA) && !v.contains(&ACR_PWD)
    });
    let essential = claims.and_then(|c| c.id_token.get("acr")).is_some_and(|a| {
        a.essential
            && a.accepts(&serde_json::json!(ACR_MFA))
            && !a.accepts(&serde_json::json!(ACR_PWD))
    });
    listed || essential
}

#[cfg(test)]
mod acr_tests {
    use super::demands_mfa;

    #[test]
    fn only_a_demand_for_mfa_alone_is_a_step_up() {
        let mfa = "urn:portcullis:acr:mfa";
        assert!(demands_mfa(Some(mfa), None));
        assert!(demands_mfa(Some(&format!("other {mfa}")), None));
        assert!(!demands_mfa(
            Some(&format!("urn:portcullis:acr:pwd {mfa}")),
            None
        ));
        assert!(!demands_mfa(Some("urn:other"), None));
        assert!(!demands_mfa(None, None));
        let essential = domain::oauth::claims_request::ClaimsRequest::parse(&format!(
            r#"{{"id_token":{{"acr":{{"essential":true,"values":["{mfa}"]}}}}}}"#
        ))
        .unwrap();
        assert!(demands_mfa(None, Some(&essential)));
        let voluntary = domain::oauth::claims_request::ClaimsRequest::parse(&format!(
            r#"{{"id_token":{{"acr":{{"values":["{mfa}"]}}}}}}"#
        ))
        .unwrap();
        assert!(!demands_mfa(None, Some(&voluntary)));
    }
}
