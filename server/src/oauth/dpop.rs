//! DPoP (RFC 9449) at this server: proofs at the token endpoint bind the tokens
//! issued (§5), and protected resources here — userinfo and the REST API — accept a
//! bound token only with a proof by its key (§7). The proof rules are
//! `portcullis_dpop`'s (shared with the verifier crate); this module adds what needs
//! the server: the `jti` replay check across processes (`domain::platform::once`), the
//! nonces (§8), and the policy (required for every client, or per client).

use domain::oauth::access_tokens::AccessClaims;
use domain::platform::clock::Timestamp;
use domain::platform::once::{Claim, Ledger};
use domain::platform::secret::{ct_eq, hmac_b64};
use http::HeaderMap;
use portcullis_dpop::{Expect, Proof};

use super::{OAuthError, OAuthShared};

/// How old a proof's `iat` may be. Short, so the replay table stays small (§11.1:
/// it holds only the proofs of the last minute); clients make a proof per request.
pub const MAX_AGE_SECS: i64 = 60;
/// How far ahead a client's clock may be.
pub const FUTURE_SKEW_SECS: i64 = 5;
/// A nonce is valid in the window it was made in and the next one: 1–2 minutes.
const NONCE_WINDOW_SECS: i64 = 60;

/// The nonce policy (`[dpop]` settings). Whether every client must use DPoP is a
/// run-time setting (`domain::settings::REQUIRE_DPOP`, defaulting to `[dpop]
/// required`).
pub struct DpopPolicy {
    /// Proofs at the token endpoint must carry a nonce from us (§8).
    pub require_nonce: bool,
    /// Nonces are `window.MAC(window)`, so every process that shares the session
    /// secret issues and accepts the same ones, with nothing stored.
    nonce_key: Vec<u8>,
}

impl DpopPolicy {
    pub fn new(require_nonce: bool, session_secret: &[u8]) -> Self {
        Self {
            require_nonce,
            nonce_key: hmac_b64(session_secret, b"portcullis dpop nonce key").into_bytes(),
        }
    }

    /// The nonce to hand out now (`DPoP-Nonce`).
    pub fn nonce(&self, now: Timestamp) -> String {
        self.nonce_for(now.div_euclid(NONCE_WINDOW_SECS))
    }

    fn nonce_for(&self, window: i64) -> String {
        let mac = hmac_b64(&self.nonce_key, window.to_string().as_bytes());
        format!("{window}.{}", &mac[..22])
    }

    fn nonce_is_fresh(&self, nonce: &str, now: Timestamp) -> bool {
        let Some(window) = nonce
            .split_once('.')
            .and_then(|(w, _)| w.parse::<i64>().ok())
        else {
            return false;
        };
        let current = now.div_euclid(NONCE_WINDOW_SECS);
        (window == current || window == current - 1) && ct_eq(nonce, &self.nonce_for(window))
    }
}

/// The request's one `DPoP` header (§4.3 item 1: exactly one), `None` without one.
fn proof_header(headers: &HeaderMap) -> Result<Option<&str>, String> {
    let mut values = headers.get_all("dpop").iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err("send exactly one DPoP header".into());
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| "the DPoP header is not a JWT".into())
}

/// Why a proof is not accepted.
pub enum Refusal {
    /// `invalid_dpop_proof` (§5, §7.1), with a reason for the client.
    Invalid(String),
    /// `use_dpop_nonce` (§8): retry with the nonce in `DPoP-Nonce`.
    NeedsNonce,
}

impl Refusal {
    fn message(&self) -> &str {
        match self {
            Refusal::Invalid(m) => m,
            Refusal::NeedsNonce => "a DPoP nonce from this server is required",
        }
    }
}

/// Checks `proof` against the request (`htm`, this issuer's `path`, and the access
/// token when one is presented) and accepts its `jti` once.
async fn check(
    st: &OAuthShared,
    proof: &str,
    htm: &str,
    path: &str,
    access_token: Option<&str>,
    now: Timestamp,
    nonce_required: bool,
) -> Result<Proof, Refusal> {
    let htu = format!("{}{path}", st.issuer());
    let proof = portcullis_dpop::verify(
        proof,
        &Expect {
            htm,
            htu: &htu,
            access_token,
            now,
            max_age: MAX_AGE_SECS,
            future_skew: FUTURE_SKEW_SECS,
        },
    )
    .map_err(|e| Refusal::Invalid(e.to_string()))?;
    if nonce_required
        && !proof
            .nonce
            .as_deref()
            .is_some_and(|n| st.dpop.nonce_is_fresh(n, now))
    {
        return Err(Refusal::NeedsNonce);
    }
    // Remembered until its `iat` leaves the window: after that it is refused as
    // stale anyway.
    let keep_until = proof.iat + MAX_AGE_SECS + 1;
    let claim = Claim::new(Ledger::DpopProof, &proof.jkt, &proof.jti, keep_until);
    match st.tokens.audit.claim_once(claim).await {
        Ok(true) => Ok(proof),
        Ok(false) => Err(Refusal::Invalid(
            "the DPoP proof was already used (its jti was seen)".into(),
        )),
        Err(e) => {
            tracing::error!(error = %e, "recording a DPoP proof failed");
            Err(Refusal::Invalid(
                "the DPoP proof could not be checked".into(),
            ))
        }
    }
}

/// At the token endpoint (§5): the proof's key thumbprint, `None` when the request
/// carries no proof and none is required of `client`.
pub async fn token_request_key(
    st: &OAuthShared,
    headers: &HeaderMap,
    client: &domain::clients::Client,
    now: Timestamp,
) -> Result<Option<String>, OAuthError> {
    let required = client.metadata.dpop_bound_access_tokens
        || st.tokens.runtime.get(&st.tokens.db).await?.require_dpop;
    let Some(proof) = proof_header(headers).map_err(OAuthError::invalid_dpop_proof)? else {
        if required {
            return Err(OAuthError::invalid_dpop_proof(
                "this client's tokens must be bound with DPoP: send a DPoP proof (RFC 9449)",
            ));
        }
        return Ok(None);
    };
    let path = super::routes::TOKEN;
    match check(st, proof, "POST", path, None, now, st.dpop.require_nonce).await {
        Ok(p) => Ok(Some(p.jkt)),
        Err(Refusal::NeedsNonce) => Err(OAuthError::use_dpop_nonce(st.dpop.nonce(now))),
        Err(Refusal::Invalid(m)) => Err(OAuthError::invalid_dpop_proof(m)),
    }
}

/// How a request presented its access token (RFC 6750 §2.1, RFC 9449 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Bearer,
    Dpop,
}

/// The `Authorization` header's scheme and token: `Ok(None)` without one, `Err`
/// when it is not `Bearer <token>` or `DPoP <token>` (schemes are
/// case-insensitive).
pub fn authorization(headers: &HeaderMap) -> Result<Option<(Scheme, &str)>, &'static str> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| "the Authorization header is malformed")?;
    match value.split_once(' ') {
        Some((scheme, token)) if !token.trim().is_empty() => {
            if scheme.eq_ignore_ascii_case("bearer") {
                Ok(Some((Scheme::Bearer, token.trim())))
            } else if scheme.eq_ignore_ascii_case("dpop") {
                Ok(Some((Scheme::Dpop, token.trim())))
            } else {
                Err("expected Authorization: Bearer <token> or DPoP <token>")
            }
        }
        _ => Err("expected Authorization: Bearer <token> or DPoP <token>"),
    }
}

/// Why a live token may not be used the way it was presented (§7.1).
#[derive(Debug)]
pub enum UseRefusal {
    /// `invalid_token`: the scheme does not fit the token.
    Token(&'static str),
    /// `invalid_dpop_proof`: the proof is missing, wrong, replayed or by another key.
    Proof(String),
}

/// A request to a protected resource of this server, as far as DPoP cares.
pub struct Presentation<'a> {
    pub headers: &'a HeaderMap,
    pub scheme: Scheme,
    pub token: &'a str,
    /// The request's method.
    pub htm: &'a str,
    /// The request's path on this server.
    pub path: &'a str,
}

/// At a protected resource of this server: a DPoP-bound token only with the `DPoP`
/// scheme and a proof by its key for this request (`htm`, `path`, `ath`); an
/// unbound token only as a bearer token.
pub async fn check_use(
    st: &OAuthShared,
    p: &Presentation<'_>,
    claims: &AccessClaims,
    now: Timestamp,
) -> Result<(), UseRefusal> {
    let Presentation {
        headers,
        scheme,
        token,
        htm,
        path,
    } = *p;
    let Some(bound) = claims.jkt() else {
        return match scheme {
            Scheme::Bearer => Ok(()),
            Scheme::Dpop => Err(UseRefusal::Token(
                "the access token is not DPoP-bound: send it with Authorization: Bearer",
            )),
        };
    };
    if scheme == Scheme::Bearer {
        // §7.2: a bound token presented as a bearer token is refused, or the
        // binding would protect nothing.
        return Err(UseRefusal::Token(
            "the access token is DPoP-bound: send it with Authorization: DPoP and a DPoP proof",
        ));
    }
    let proof = match proof_header(headers) {
        Ok(Some(p)) => p,
        Ok(None) => return Err(UseRefusal::Proof("a DPoP proof is required".into())),
        Err(m) => return Err(UseRefusal::Proof(m)),
    };
    let proof = check(st, proof, htm, path, Some(token), now, false)
        .await
        .map_err(|r| UseRefusal::Proof(r.message().to_owned()))?;
    if !ct_eq(&proof.jkt, bound) {
        return Err(UseRefusal::Proof(
            "the DPoP proof is signed by another key than the token is bound to".into(),
        ));
    }
    Ok(())
}

/// The `WWW-Authenticate` challenge of a refused DPoP presentation (§7.1).
pub fn challenge(error: &str, description: &str) -> String {
    format!(
        "DPoP algs=\"{}\", error=\"{error}\", error_description=\"{}\"",
        portcullis_dpop::ALGORITHMS.join(" "),
        description.replace('"', "'")
    )
}
