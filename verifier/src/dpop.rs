//! DPoP-bound tokens at a resource server (RFC 9449 §7): a token whose `cnf.jkt`
//! names a key is accepted only with `Authorization: DPoP <token>` and one `DPoP`
//! proof by that key for this very request (`htm`, `htu`, `ath`, fresh `iat`, a
//! `jti` not seen before). The proof rules are `portcullis_dpop`'s — the issuer's
//! own — and the `jti`s are remembered here, in this process.

use std::collections::HashMap;
use std::sync::Mutex;

use http::HeaderMap;
use portcullis_dpop::Expect;

use crate::error::VerifyError;

/// How old a proof may be (its `iat`), and so how long its `jti` is remembered.
pub(crate) const MAX_AGE_SECS: i64 = 60;
/// How far ahead the client's clock may be.
const FUTURE_SKEW_SECS: i64 = 5;

/// The `jti`s of accepted proofs, each until its `iat` leaves the window. Bounded:
/// when full of live entries, new proofs are refused (fail closed) rather than
/// letting an old `jti` be forgotten early and replayed.
pub(crate) struct ReplayCache {
    capacity: usize,
    seen: Mutex<HashMap<String, i64>>,
}

impl ReplayCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Records the proof; false when it was seen already or there is no room.
    fn first_use(
        &self,
        jkt: &str,
        jti: &str,
        keep_until: i64,
        now: i64,
    ) -> Result<(), VerifyError> {
        let mut seen = self
            .seen
            .lock()
            .map_err(|_| VerifyError::DpopProof("the replay check failed".into()))?;
        if seen.len() >= self.capacity {
            seen.retain(|_, until| *until >= now);
            if seen.len() >= self.capacity {
                return Err(VerifyError::DpopProof(
                    "too many DPoP proofs at once; retry shortly".into(),
                ));
            }
        }
        let key = format!("{jkt} {jti}");
        if seen.contains_key(&key) {
            return Err(VerifyError::DpopProof(
                "the DPoP proof was already used (its jti was seen)".into(),
            ));
        }
        seen.insert(key, keep_until);
        Ok(())
    }
}

/// How the request presented its token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Bearer,
    Dpop,
}

/// What the request looked like, for the proof.
pub(crate) struct RequestFacts<'a> {
    pub method: &'a str,
    /// The URL the client addressed, without query (`htu`).
    pub htu: &'a str,
    pub headers: &'a HeaderMap,
}

/// Checks that `token` is used as its binding (`jkt`) demands.
pub(crate) fn check(
    scheme: Scheme,
    token: &str,
    jkt: Option<&str>,
    request: Option<&RequestFacts<'_>>,
    replay: &ReplayCache,
    now: i64,
) -> Result<(), VerifyError> {
    let Some(bound) = jkt else {
        return match scheme {
            Scheme::Bearer => Ok(()),
            Scheme::Dpop => Err(VerifyError::NotDpopBound),
        };
    };
    if scheme == Scheme::Bearer {
        return Err(VerifyError::DpopRequired);
    }
    // Without the request (method and URL) no proof can be checked: refuse.
    let request = request.ok_or(VerifyError::DpopRequired)?;
    let mut proofs = request.headers.get_all("dpop").iter();
    let proof = match (proofs.next(), proofs.next()) {
        (Some(p), None) => p
            .to_str()
            .map_err(|_| VerifyError::DpopProof("the DPoP header is not a JWT".into()))?,
        (None, _) => return Err(VerifyError::DpopProof("a DPoP proof is required".into())),
        (Some(_), Some(_)) => {
            return Err(VerifyError::DpopProof(
                "send exactly one DPoP header".into(),
            ))
        }
    };
    let proof = portcullis_dpop::verify(
        proof,
        &Expect {
            htm: request.method,
            htu: request.htu,
            access_token: Some(token),
            now,
            max_age: MAX_AGE_SECS,
            future_skew: FUTURE_SKEW_SECS,
        },
    )
    .map_err(|e| VerifyError::DpopProof(e.to_string()))?;
    if proof.jkt != bound {
        return Err(VerifyError::DpopProof(
            "the DPoP proof is signed by another key than the token is bound to".into(),
        ));
    }
    replay.first_use(&proof.jkt, &proof.jti, proof.iat + MAX_AGE_SECS + 1, now)
}
