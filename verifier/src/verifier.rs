//! The verifier: configuration, discovery, and the checks on one token.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

use crate::caller::{Caller, Subject};
use crate::clock::{Clock, SystemClock};
use crate::dpop::{self, ReplayCache, RequestFacts, Scheme};
use crate::error::{Rejection, SetupError, VerifyError};
use crate::introspect::Introspector;
use crate::jwks::KeyCache;

/// Longer than any access token Portcullis issues; anything bigger is refused
/// before any parsing.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Checks Portcullis access tokens for one API (one audience). Cheap to clone.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audience: String,
    leeway: i64,
    clock: Arc<dyn Clock>,
    keys: Arc<KeyCache>,
    introspector: Option<Introspector>,
    resource_metadata: Option<Arc<str>>,
    /// This API's external base URL, for DPoP's `htu`.
    public_url: Option<String>,
    replay: ReplayCache,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("introspection", &self.inner.introspector.is_some())
            .finish()
    }
}

/// Settings for a [`Verifier`]; [`VerifierBuilder::build`] fetches the issuer's
/// metadata and keys.
#[must_use]
pub struct VerifierBuilder {
    issuer: String,
    audience: String,
    leeway: Duration,
    jwks_refresh_interval: Duration,
    jwks_max_age: Duration,
    introspection: Option<(String, String)>,
    introspection_ttl: Duration,
    clock: Arc<dyn Clock>,
    http: Option<reqwest::Client>,
    resource_metadata: Option<String>,
    public_url: Option<String>,
    dpop_replay_capacity: usize,
}

impl Verifier {
    /// `issuer`: the Portcullis issuer URL (e.g. `https://auth.example.edu`);
    /// `audience`: this API's identifier as registered in Portcullis.
    pub fn builder(issuer: impl Into<String>, audience: impl Into<String>) -> VerifierBuilder {
        VerifierBuilder {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            audience: audience.into(),
            leeway: Duration::from_secs(10),
            jwks_refresh_interval: Duration::from_secs(30),
            jwks_max_age: Duration::from_secs(3600),
            introspection: None,
            introspection_ttl: Duration::from_secs(10),
            clock: Arc::new(SystemClock),
            http: None,
            resource_metadata: None,
            public_url: None,
            dpop_replay_capacity: 100_000,
        }
    }

    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    pub fn audience(&self) -> &str {
        &self.inner.audience
    }

    /// Whether tokens are also checked by introspection.
    pub fn introspects(&self) -> bool {
        self.inner.introspector.is_some()
    }

    /// Verifies the bearer token in `headers` and checks `scopes`, for code outside
    /// axum routing. Without the request's method and URL a DPoP proof cannot be
    /// checked, so DPoP-bound tokens are refused here: use
    /// [`Self::authorize_request`] to accept them.
    pub async fn authorize(
        &self,
        headers: &HeaderMap,
        scopes: &[String],
    ) -> Result<Caller, Rejection> {
        self.authorize_with(headers, None, scopes).await
    }

    /// What the layer does: verifies the token of a request of `method` to `uri` —
    /// a bearer token, or a DPoP-bound token with its proof (RFC 9449 §7) — and
    /// checks `scopes`.
    pub async fn authorize_request(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        headers: &HeaderMap,
        scopes: &[String],
    ) -> Result<Caller, Rejection> {
        let htu = self.htu(uri, headers);
        let facts = RequestFacts {
            method: method.as_str(),
            htu: &htu,
            headers,
        };
        self.authorize_with(headers, Some(&facts), scopes).await
    }

    /// The URL the client addressed (`htu`): this API's public URL when configured,
    /// else the request's own absolute URI, else `https://` and its `Host`.
    fn htu(&self, uri: &http::Uri, headers: &HeaderMap) -> String {
        let path = uri.path();
        if let Some(base) = &self.inner.public_url {
            return format!("{base}{path}");
        }
        if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
            return format!("{scheme}://{authority}{path}");
        }
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        format!("https://{host}{path}")
    }

    async fn authorize_with(
        &self,
        headers: &HeaderMap,
        request: Option<&RequestFacts<'_>>,
        scopes: &[String],
    ) -> Result<Caller, Rejection> {
        let rm = self.inner.resource_metadata.clone();
        let (scheme, token) = presented(headers).map_err(|e| Rejection::token(e, rm.clone()))?;
        let caller = async {
            let caller = self.verify(token).await?;
            let now = self.inner.clock.now();
            dpop::check(
                scheme,
                token,
                caller.dpop_jkt.as_deref(),
                request,
                &self.inner.replay,
                now,
            )?;
            Ok(caller)
        }
        .await
        .map_err(|e: VerifyError| {
            // Never the token itself: only why it was refused.
            tracing::debug!(reason = %e, "access token refused");
            Rejection::token(e, rm.clone())
        })?;
        let missing: Vec<String> = scopes
            .iter()
            .filter(|s| !caller.has_scope(s))
            .cloned()
            .collect();
        if !missing.is_empty() {
            tracing::debug!(client_id = %caller.client_id, ?missing, "insufficient scope");
            return Err(Rejection::insufficient_scope(missing, rm));
        }
        Ok(caller)
    }

    /// Verifies one access token: signature, `typ`, `iss`, `aud`, `exp`/`nbf`, and
    /// (when configured) that the issuer still considers it active.
    pub async fn verify(&self, token: &str) -> Result<Caller, VerifyError> {
        let i = &self.inner;
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::Malformed);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        // RFC 9068 §4: typ is "at+jwt" (or its full media type).
        if !header.typ.as_deref().is_some_and(|t| {
            t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
        }) {
            return Err(VerifyError::WrongType);
        }
        if matches!(
            header.alg,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
        ) {
            return Err(VerifyError::UnsupportedAlgorithm);
        }
        let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
        let key = i.keys.key(&kid).await?;
        // The key decides the algorithm, never the token (no algorithm confusion).
        if header.alg != key.alg {
            return Err(VerifyError::UnsupportedAlgorithm);
        }
        let mut v = Validation::new(key.alg);
        // Time and audience are checked below against our clock and rules.
        v.validate_exp = false;
        v.validate_nbf = false;
        v.validate_aud = false;
        v.leeway = 0;
        v.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Claims>(token, &key.key, &v)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => VerifyError::BadSignature,
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                    VerifyError::UnsupportedAlgorithm
                }
                _ => VerifyError::Malformed,
            })?
            .claims;
        if claims.iss.trim_end_matches('/') != i.issuer {
            return Err(VerifyError::WrongIssuer);
        }
        if !claims.aud.contains(&i.audience) {
            return Err(VerifyError::WrongAudience);
        }
        let now = i.clock.now();
        if claims.exp.saturating_add(i.leeway) <= now {
            return Err(VerifyError::Expired);
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf.saturating_sub(i.leeway) > now)
            || claims
                .iat
                .is_some_and(|iat| iat.saturating_sub(i.leeway) > now)
        {
            return Err(VerifyError::NotYetValid);
        }
        if claims.client_id.is_empty() || claims.sub.is_empty() || claims.jti.is_empty() {
            return Err(VerifyError::Malformed);
        }
        if let Some(intro) = &i.introspector {
            intro.check(&claims.jti, token).await?;
        }
        // Portcullis puts the client in `sub` when no person is involved.
        let user = (claims.sub != claims.client_id).then(|| Subject::new(claims.sub));
        Ok(Caller {
            client_id: claims.client_id,
            user,
            scopes: claims
                .scope
                .as_deref()
                .unwrap_or_default()
                .split_ascii_whitespace()
                .map(str::to_owned)
                .collect(),
            token_id: claims.jti,
            expires_at: claims.exp,
            dpop_jkt: claims.cnf.map(|c| c.jkt),
            actors: actors(claims.act)?,
            resource_metadata: i.resource_metadata.clone(),
        })
    }
}

/// The token from `Authorization: Bearer …` (RFC 6750 §2.1) or `DPoP …` (RFC 9449
/// §7.1); schemes are case-insensitive. Tokens in query strings are not accepted
/// (they end up in logs).
fn presented(headers: &HeaderMap) -> Result<(Scheme, &str), VerifyError> {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(VerifyError::Missing);
    };
    if values.next().is_some() {
        return Err(VerifyError::BadRequest);
    }
    let value = value.to_str().map_err(|_| VerifyError::BadRequest)?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        // Another scheme (Basic…) carries no access token: a bare challenge.
        return Err(VerifyError::Missing);
    };
    let token = rest.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(VerifyError::BadRequest);
    }
    Ok((scheme, token))
}

/// RFC 7800 confirmation (RFC 9449 §6.1).
#[derive(Deserialize)]
struct Confirmation {
    jkt: String,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: Audience,
    client_id: String,
    #[serde(default)]
    scope: Option<String>,
    jti: String,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    cnf: Option<Confirmation>,
    #[serde(default)]
    act: Option<Act>,
}

/// RFC 8693 §4.1: the actor, and the one before it nested inside.
#[derive(Deserialize)]
struct Act {
    sub: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    act: Option<Box<Act>>,
}

/// The chain, current actor first; a chain deeper than this is refused (no
/// issuer needs it, and it bounds the work a token can cause).
const MAX_ACTORS: usize = 16;

fn actors(act: Option<Act>) -> Result<Vec<crate::caller::Actor>, VerifyError> {
    let mut out = Vec::new();
    let mut next = act.map(Box::new);
    while let Some(a) = next {
        if out.len() == MAX_ACTORS {
            return Err(VerifyError::Malformed);
        }
        let Act {
            sub,
            client_id,
            act,
        } = *a;
        out.push(crate::caller::Actor { sub, client_id });
        next = act;
    }
    Ok(out)
}

/// RFC 7519 §4.1.3: one audience or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, aud: &str) -> bool {
        match self {
            Audience::One(a) => a == aud,
            Audience::Many(v) => v.iter().any(|a| a == aud),
        }
    }
}

impl VerifierBuilder {
    /// Clock skew tolerated on `exp`, `nbf` and `iat` (default 10 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The least time between two JWKS fetches triggered by unknown `kid`s
    /// (default 30 s): tokens with made-up key ids cannot make us hammer the issuer.
    pub fn jwks_refresh_interval(mut self, interval: Duration) -> Self {
        self.jwks_refresh_interval = interval;
        self
    }

    /// After this long the key set is refetched in the background, so keys the
    /// issuer withdrew stop being trusted (default 1 h).
    pub fn jwks_max_age(mut self, age: Duration) -> Self {
        self.jwks_max_age = age;
        self
    }

    /// Also ask the issuer's introspection endpoint (RFC 7662) whether each token is
    /// still active, authenticating as this API's own confidential client
    /// (`client_secret_basic`). Revocation then takes effect within
    /// [`Self::introspection_cache_ttl`] instead of the token's lifetime.
    pub fn introspection(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.introspection = Some((client_id.into(), client_secret.into()));
        self
    }

    /// How long an introspection answer is reused (default 10 s; zero: ask every time).
    pub fn introspection_cache_ttl(mut self, ttl: Duration) -> Self {
        self.introspection_ttl = ttl;
        self
    }

    /// Where "now" comes from (tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The HTTP client for discovery, JWKS and introspection (default: rustls,
    /// 10 s timeout, no redirects).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// This API's RFC 9728 metadata URL
    /// (`https://api.example.edu/.well-known/oauth-protected-resource`): 401 and 403
    /// answers then carry it as `resource_metadata`, which is how clients such as
    /// Model Context Protocol agents find the authorization server.
    pub fn resource_metadata(mut self, url: impl Into<String>) -> Self {
        self.resource_metadata = Some(url.into());
        self
    }

    /// This API's external base URL (`https://api.example.edu`), which DPoP proofs
    /// name in `htu` (RFC 9449 §4.3). Set it when the API is reached through a proxy
    /// or over plain http; without it the request's `Host` is used, with https.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// How many DPoP proofs (`jti`s of the last minute) are remembered against
    /// replay (default 100 000, about 1 700 DPoP requests a second). When it is full
    /// of live entries, further proofs are refused until room frees up: never
    /// forgotten early. The memory is this process's: see `docs/RESOURCE_SERVERS.md`
    /// for several replicas.
    pub fn dpop_replay_capacity(mut self, n: usize) -> Self {
        self.dpop_replay_capacity = n;
        self
    }

    /// Reads the issuer's metadata (RFC 8414, falling back to OpenID discovery) and
    /// its keys. Fails when the issuer is not reachable or not who it says.
    pub async fn build(self) -> Result<Verifier, SetupError> {
        let issuer_url = url::Url::parse(&self.issuer)
            .map_err(|_| SetupError::BadIssuer(self.issuer.clone()))?;
        if !secure(&issuer_url) {
            return Err(SetupError::Insecure(self.issuer));
        }
        let http = match self.http {
            Some(h) => h,
            None => reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| SetupError::Http(e.to_string()))?,
        };
        let meta = discover(&http, &issuer_url, &self.issuer).await?;
        let jwks_ok = url::Url::parse(&meta.jwks_uri).is_ok_and(|u| secure(&u));
        if !jwks_ok {
            return Err(SetupError::Jwks {
                url: meta.jwks_uri,
                cause: "not an https URL".into(),
            });
        }
        let keys = KeyCache::load(
            meta.jwks_uri.clone(),
            http.clone(),
            self.jwks_refresh_interval,
            self.jwks_max_age,
        )
        .await
        .map_err(|cause| SetupError::Jwks {
            url: meta.jwks_uri.clone(),
            cause,
        })?;
        let introspector = match self.introspection {
            None => None,
            Some((id, secret)) => {
                let endpoint = meta
                    .introspection_endpoint
                    .filter(|e| url::Url::parse(e).is_ok_and(|u| secure(&u)))
                    .ok_or(SetupError::NoIntrospectionEndpoint)?;
                Some(Introspector::new(
                    endpoint,
                    id,
                    secret,
                    self.introspection_ttl,
                    http.clone(),
                ))
            }
        };
        Ok(Verifier {
            inner: Arc::new(Inner {
                issuer: self.issuer,
                audience: self.audience,
                leeway: i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX),
                clock: self.clock,
                keys: Arc::new(keys),
                introspector,
                resource_metadata: self.resource_metadata.map(Into::into),
                public_url: self.public_url,
                replay: ReplayCache::new(self.dpop_replay_capacity),
            }),
        })
    }
}

/// https, or http to a loopback address (development).
fn secure(u: &url::Url) -> bool {
    match u.scheme() {
        "https" => true,
        "http" => match u.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        },
        _ => false,
    }
}

#[derive(Deserialize)]
struct Metadata {
    issuer: String,
    jwks_uri: String,
    #[serde(default)]
    introspection_endpoint: Option<String>,
}

/// RFC 8414 §3.1: the well-known segment goes between the host and the issuer's
/// path. OpenID Connect Discovery appends it instead; try both.
async fn discover(
    http: &reqwest::Client,
    issuer_url: &url::Url,
    issuer: &str,
) -> Result<Metadata, SetupError> {
    let path = issuer_url.path().trim_end_matches('/');
    let mut origin = issuer_url.clone();
    origin.set_path("");
    origin.set_query(None);
    let origin = origin.as_str().trim_end_matches('/').to_owned();
    let candidates = [
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{issuer}/.well-known/openid-configuration"),
    ];
    let mut last_err = None;
    for url in candidates {
        match fetch_metadata(http, &url).await {
            Ok(meta) => {
                if meta.issuer.trim_end_matches('/') != issuer {
                    return Err(SetupError::IssuerMismatch {
                        url,
                        found: meta.issuer,
                        expected: issuer.to_owned(),
                    });
                }
                return Ok(meta);
            }
            Err(cause) => last_err = Some(SetupError::Discovery { url, cause }),
        }
    }
    Err(last_err.unwrap_or_else(|| SetupError::BadIssuer(issuer.to_owned())))
}

async fn fetch_metadata(http: &reqwest::Client, url: &str) -> Result<Metadata, String> {
    let resp = http.get(url).send().await.map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status()));
    }
    resp.json::<Metadata>().await.map_err(|e| e.to_string())
}
