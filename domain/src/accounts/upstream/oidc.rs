//! Talking to an upstream OpenID provider, with the `openidconnect` crate: its
//! discovery document and keys (kept an hour, fetched again when an ID token's
//! key is unknown), the authorization request, and the checks of what comes back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, JsonWebKeySet, LoginHint, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;

use super::{ProviderConfig, Refusal, UpstreamError};
use crate::oauth::keys::KeySet;
use crate::platform::clock::Timestamp;

/// How long a provider's discovery document and keys are kept.
const METADATA_TTL_SECS: i64 = 3600;
/// The most of a provider's document or userinfo answer read.
const MAX_DOCUMENT: usize = 512 * 1024;

/// What a provider says about the person, checked.
#[derive(Clone, Debug, Default)]
pub struct Person {
    /// The provider's `sub`: with the provider, the identity's key.
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// The role claim's values (when `roles` is configured).
    pub role_values: Vec<String>,
}

struct Known {
    metadata: CoreProviderMetadata,
    /// RFC 9207: the provider says its authorization responses carry `iss`.
    iss_in_response: bool,
    fetched_at: Timestamp,
}

/// Providers' documents, and one HTTP client (no redirects followed).
pub struct Discovery {
    http: openidconnect::reqwest::Client,
    known: Mutex<HashMap<String, Arc<Known>>>,
}

fn failed(what: &str, e: impl std::fmt::Display) -> UpstreamError {
    tracing::warn!(error = %e, "upstream provider: {what}");
    UpstreamError::Refused(Refusal::Failed)
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> UpstreamError {
    tracing::warn!(error = %e, "upstream provider unavailable: {what}");
    UpstreamError::Refused(Refusal::Unavailable)
}

impl Discovery {
    pub(crate) fn new() -> Result<Self, String> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // An authorization server's answers are never redirects to follow
            // (SSRF, and the spec's own advice for the token endpoint).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot build the upstream HTTP client: {e}"))?;
        Ok(Self {
            http,
            known: Mutex::new(HashMap::new()),
        })
    }

    /// Forgets every provider's document and keys (a provider was changed).
    pub(crate) fn forget(&self) {
        if let Ok(mut m) = self.known.lock() {
            m.clear();
        }
    }

    /// Reads the provider's discovery document and keys now, as a sign-in would:
    /// an administrator's check that the provider answers before it is saved.
    pub async fn probe(&self, p: &ProviderConfig, now: Timestamp) -> Result<(), UpstreamError> {
        let known = self.metadata(p, true, now).await?;
        if p.client_auth == super::ClientAuth::PrivateKeyJwt {
            let methods = known
                .metadata
                .token_endpoint_auth_methods_supported()
                .map(|m| m.iter().map(|m| m.as_ref().to_owned()).collect::<Vec<_>>());
            if methods.is_some_and(|m| !m.iter().any(|x| x == "private_key_jwt")) {
                return Err(failed(
                    "discovery document",
                    "the provider does not take private_key_jwt",
                ));
            }
        }
        Ok(())
    }

    async fn get_json(&self, p: &ProviderConfig, url: &str) -> Result<Value, UpstreamError> {
        let r = self
            .http
            .get(url)
            .header("accept", "application/json")
            .timeout(Duration::from_secs(p.timeout_secs))
            .send()
            .await
            .map_err(|e| unavailable(url, e))?;
        if !r.status().is_success() {
            return Err(unavailable(url, format!("HTTP {}", r.status())));
        }
        if r.content_length()
            .is_some_and(|n| n as usize > MAX_DOCUMENT)
        {
            return Err(failed(url, "document too large"));
        }
        let body = r.bytes().await.map_err(|e| unavailable(url, e))?;
        if body.len() > MAX_DOCUMENT {
            return Err(failed(url, "document too large"));
        }
        serde_json::from_slice(&body).map_err(|e| failed(url, e))
    }

    /// The provider's document and keys: kept for an hour, or fetched now
    /// (`fresh`: the keys we hold did not verify a token).
    async fn metadata(
        &self,
        p: &ProviderConfig,
        fresh: bool,
        now: Timestamp,
    ) -> Result<Arc<Known>, UpstreamError> {
        if !fresh {
            let known = self.known.lock().ok().and_then(|m| m.get(&p.id).cloned());
            if let Some(k) = known.filter(|k| now - k.fetched_at < METADATA_TTL_SECS) {
                return Ok(k);
            }
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            p.issuer.trim_end_matches('/')
        );
        let doc = self.get_json(p, &url).await?;
        let iss_in_response = doc
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let metadata: CoreProviderMetadata =
            serde_json::from_value(doc).map_err(|e| failed("discovery document", e))?;
        // OpenID Connect Discovery §4.3: the issuer is exactly the one configured.
        if metadata.issuer().as_str() != p.issuer {
            return Err(failed(
                "discovery document",
                format!("issuer {} is not {}", metadata.issuer().as_str(), p.issuer),
            ));
        }
        let jwks_uri = metadata.jwks_uri().to_string();
        let jwks: JsonWebKeySet<_> = serde_json::from_value(self.get_json(p, &jwks_uri).await?)
            .map_err(|e| failed("JWKS", e))?;
        let known = Arc::new(Known {
            metadata: metadata.set_jwks(jwks),
            iss_in_response,
            fetched_at: now,
        });
        if let Ok(mut m) = self.known.lock() {
            m.insert(p.id.clone(), known.clone());
        }
        Ok(known)
    }

    fn client(
        known: &Known,
        p: &ProviderConfig,
        redirect_uri: &str,
    ) -> Result<
        openidconnect::core::CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        UpstreamError,
    > {
        use super::ClientAuth;
        use openidconnect::AuthType;
        let secret = p
            .client_auth
            .uses_secret()
            .then(|| ClientSecret::new(p.client_secret.expose().to_owned()));
        let client = CoreClient::from_provider_metadata(
            known.metadata.clone(),
            ClientId::new(p.client_id.clone()),
            secret,
        )
        .set_redirect_uri(
            RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| failed("redirect URI", e))?,
        );
        Ok(match p.client_auth {
            ClientAuth::ClientSecretBasic => client.set_auth_type(AuthType::BasicAuth),
            // private_key_jwt: `client_id` in the body, the assertion beside it.
            ClientAuth::ClientSecretPost | ClientAuth::PrivateKeyJwt => {
                client.set_auth_type(AuthType::RequestBody)
            }
        })
    }

    /// The address of the authorization request (code flow, PKCE S256, `nonce`).
    pub async fn authorization_url(
        &self,
        p: &ProviderConfig,
        redirect_uri: &str,
        secrets: &RequestSecrets,
        login_hint: Option<&str>,
        now: Timestamp,
    ) -> Result<String, UpstreamError> {
        let known = self.metadata(p, false, now).await?;
        let client = Self::client(&known, p, redirect_uri)?;
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            secrets.verifier.clone(),
        ));
        let state = secrets.state.clone();
        let nonce = secrets.nonce.clone();
        let mut req = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .set_pkce_challenge(challenge);
        for s in p.scopes.iter().filter(|s| s.as_str() != "openid") {
            req = req.add_scope(Scope::new(s.clone()));
        }
        if let Some(h) = login_hint {
            req = req.set_login_hint(LoginHint::new(h.to_owned()));
        }
        let (url, _, _) = req.url();
        Ok(url.to_string())
    }

    /// Redeems `code` and checks what the provider returned: `iss` of the
    /// response (RFC 9207), the ID token (signature with the provider's keys —
    /// fetched again once if its key is unknown — issuer, audience, expiry,
    /// nonce); then userinfo fills in the claims the ID token left out.
    #[allow(clippy::too_many_arguments)]
    pub async fn redeem(
        &self,
        p: &ProviderConfig,
        redirect_uri: &str,
        secrets: &RequestSecrets,
        code: &str,
        iss: Option<&str>,
        signer: Option<&KeySet>,
        now: Timestamp,
    ) -> Result<Person, UpstreamError> {
        let known = self.metadata(p, false, now).await?;
        match iss {
            Some(i) if i != p.issuer => {
                return Err(failed("authorization response", format!("iss {i}")))
            }
            None if known.iss_in_response => {
                return Err(failed("authorization response", "iss missing"))
            }
            _ => {}
        }
        let client = Self::client(&known, p, redirect_uri)?;
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| failed("token endpoint", e))?
            .set_pkce_verifier(PkceCodeVerifier::new(secrets.verifier.clone()));
        if p.client_auth == super::ClientAuth::PrivateKeyJwt {
            let keys = signer.ok_or_else(|| failed("client assertion", "no signing keys"))?;
            let assertion = client_assertion(p, &known, keys, now)?;
            request = request
                .add_extra_param(
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                )
                .add_extra_param("client_assertion", assertion);
        }
        let tokens = request
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::Request(e) => unavailable("token endpoint", e),
                other => failed("token endpoint", other),
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| failed("token response", "no ID token"))?;
        let nonce = Nonce::new(secrets.nonce.clone());
        let verify = |k: &Known| -> Result<String, String> {
            let c = Self::client(k, p, redirect_uri).map_err(|e| e.to_string())?;
            // Expiry and issue time against our clock, as every other check here.
            let verifier = c
                .id_token_verifier()
                .set_allowed_algs(ALGS)
                .set_time_fn(move || chrono::DateTime::from_timestamp(now, 0).unwrap_or_default());
            id_token
                .claims(&verifier, &nonce)
                .map(|c| c.subject().as_str().to_owned())
                .map_err(|e| e.to_string())
        };
        let subject = match verify(&known) {
            Ok(s) => s,
            // A key rotated in since we fetched the set: fetch it once more.
            Err(_) => {
                let fresh = self.metadata(p, true, now).await?;
                verify(&fresh).map_err(|e| failed("ID token", e))?
            }
        };
        // The signature is checked: its claims, as JSON, for the mapped names.
        let mut claims =
            payload(&id_token.to_string()).ok_or_else(|| failed("ID token", "payload"))?;
        if let Some(endpoint) = known.metadata.userinfo_endpoint() {
            let info = self
                .userinfo(p, endpoint.as_str(), tokens.access_token().secret())
                .await?;
            // OpenID Connect Core §5.3.2: userinfo's `sub` must be the ID token's.
            if info.get("sub").and_then(Value::as_str) != Some(subject.as_str()) {
                return Err(failed("userinfo", "sub differs from the ID token's"));
            }
            if let (Some(c), Value::Object(i)) = (claims.as_object_mut(), info) {
                for (k, v) in i {
                    c.entry(k).or_insert(v);
                }
            }
        }
        Ok(person(p, subject, &claims))
    }

    async fn userinfo(
        &self,
        p: &ProviderConfig,
        endpoint: &str,
        access_token: &str,
    ) -> Result<Value, UpstreamError> {
        let r = self
            .http
            .get(endpoint)
            .bearer_auth(access_token)
            .header("accept", "application/json")
            .timeout(Duration::from_secs(p.timeout_secs))
            .send()
            .await
            .map_err(|e| unavailable("userinfo", e))?;
        let json = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        // A signed or encrypted userinfo answer: the ID token's claims suffice.
        if !r.status().is_success() || !json {
            return Ok(Value::Object(Default::default()));
        }
        let body = r.bytes().await.map_err(|e| unavailable("userinfo", e))?;
        if body.len() > MAX_DOCUMENT {
            return Err(failed("userinfo", "answer too large"));
        }
        serde_json::from_slice(&body).map_err(|e| failed("userinfo", e))
    }
}

/// The client assertion of `private_key_jwt` (RFC 7523 §3, OpenID Connect Core
/// §9): this server's signing key (ES256, or RS256 when the provider takes only
/// that), `iss` = `sub` = our client id, `aud` the provider's issuer alone (as
/// draft-ietf-oauth-rfc7523bis asks, against audience injection), a minute
/// long, a random `jti`.
fn client_assertion(
    p: &ProviderConfig,
    known: &Known,
    keys: &KeySet,
    now: Timestamp,
) -> Result<String, UpstreamError> {
    use crate::oauth::keys::Alg;
    let offered: Option<Vec<String>> = known
        .metadata
        .token_endpoint_auth_signing_alg_values_supported()
        .map(|a| {
            a.iter()
                .filter_map(|x| serde_json::to_value(x).ok())
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        });
    let alg = match offered {
        Some(algs) if !algs.iter().any(|a| a == "ES256") && algs.iter().any(|a| a == "RS256") => {
            Alg::RS256
        }
        _ => Alg::ES256,
    };
    let claims = serde_json::json!({
        "iss": p.client_id,
        "sub": p.client_id,
        "aud": p.issuer,
        "iat": now,
        "exp": now + 60,
        "jti": crate::platform::secret::random_token(),
    });
    crate::oauth::access_tokens::sign_jwt(keys, alg, &claims)
        .map_err(|e| failed("client assertion", e))
}

/// Every asymmetric algorithm; never `none`, never a MAC keyed with our secret.
const ALGS: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// The claims of a compact JWS whose signature was checked.
fn payload(jws: &str) -> Option<Value> {
    use base64::Engine;
    let part = jws.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The person, by the provider's claim names.
fn person(p: &ProviderConfig, subject: String, claims: &Value) -> Person {
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    // The claim beside the address says whether the provider verified it:
    // `email_verified`, or `{claim}_verified` for an address under another name.
    let verified_claim = if p.claims.email == "email" {
        "email_verified".to_owned()
    } else {
        format!("{}_verified", p.claims.email)
    };
    let email_verified = match claims.get(&verified_claim) {
        Some(Value::Bool(b)) => *b,
        // Some providers send it as a string.
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    let role_values = p
        .roles
        .as_ref()
        .map(|r| match claims.get(&r.claim) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => vec![],
        })
        .unwrap_or_default();
    Person {
        subject,
        email: text(&p.claims.email),
        email_verified: email_verified || p.trust_email,
        username: text(&p.claims.username),
        display_name: text(&p.claims.display_name),
        given_name: text(&p.claims.given_name),
        family_name: text(&p.claims.family_name),
        role_values,
    }
}

/// What one authorization request needs kept secret, derived from the browser's
/// binding cookie and the `state` (so the server stores neither verifier nor
/// nonce, and a code redeemed without the cookie has no verifier).
pub struct RequestSecrets {
    pub state: String,
    pub verifier: String,
    pub nonce: String,
}

impl RequestSecrets {
    pub fn derive(binding: &str, state: &str) -> Self {
        use base64::Engine;
        use sha2::{Digest, Sha256};
        let derive = |label: &str| {
            let mut h = Sha256::new();
            h.update(label.as_bytes());
            h.update([0]);
            h.update(binding.as_bytes());
            h.update([0]);
            h.update(state.as_bytes());
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize())
        };
        Self {
            state: state.to_owned(),
            // 43 characters of base64url: a valid verifier (RFC 7636 §4.1).
            verifier: derive("portcullis upstream pkce"),
            nonce: derive("portcullis upstream nonce"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_differ_by_binding_and_state_and_fit_pkce() {
        let a = RequestSecrets::derive("binding-a", "state");
        let b = RequestSecrets::derive("binding-b", "state");
        let c = RequestSecrets::derive("binding-a", "other");
        assert_ne!(a.verifier, b.verifier);
        assert_ne!(a.verifier, c.verifier);
        assert_ne!(a.nonce, a.verifier);
        assert_eq!(a.verifier.len(), 43);
        assert!(a
            .verifier
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn claims_map_by_configured_names() {
        let mut p: ProviderConfig = serde_json::from_value(serde_json::json!({
            "id": "campus", "name": "Campus", "issuer": "https://idp.example",
            "client_id": "c", "client_secret": "s",
            "roles": { "claim": "groups", "admin": ["it"] },
        }))
        .unwrap();
        p.claims.username = "uid".into();
        let got = person(
            &p,
            "s-1".into(),
            &serde_json::json!({
                "uid": "ada", "email": "ada@campus.example", "email_verified": "true",
                "groups": ["it", "staff"], "name": "  ", "given_name": "Ada",
            }),
        );
        assert_eq!(got.username.as_deref(), Some("ada"));
        assert!(got.email_verified);
        assert_eq!(got.display_name, None);
        assert_eq!(got.given_name.as_deref(), Some("Ada"));
        assert_eq!(got.role_values, vec!["it".to_owned(), "staff".into()]);

        // The address under another name, and its verification beside it.
        p.claims.email = "mail".into();
        let got = person(
            &p,
            "s-2".into(),
            &serde_json::json!({
                "mail": "bo@campus.example", "mail_verified": true,
                "email": "other@elsewhere.example", "email_verified": false,
            }),
        );
        assert_eq!(got.email.as_deref(), Some("bo@campus.example"));
        assert!(got.email_verified);
    }
}
