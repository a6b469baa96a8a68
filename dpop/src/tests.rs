use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

use super::*;

const NOW: i64 = 1_800_000_000;
const HTU: &str = "https://as.example.com/oauth/token";

struct Signer {
    pair: EcdsaKeyPair,
    jwk: Value,
}

fn signer() -> Signer {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let point = pair.public_key().as_ref().to_vec();
    Signer {
        pair,
        jwk: json!({
            "kty": "EC", "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        }),
    }
}

impl Signer {
    fn sign(&self, header: Value, claims: Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }

    fn header(&self) -> Value {
        json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk })
    }

    fn proof(&self, claims: Value) -> String {
        self.sign(self.header(), claims)
    }
}

fn claims() -> Value {
    json!({ "jti": "j-1", "htm": "POST", "htu": HTU, "iat": NOW })
}

fn expect() -> Expect<'static> {
    Expect {
        htm: "POST",
        htu: HTU,
        access_token: None,
        now: NOW,
        max_age: 60,
        future_skew: 5,
    }
}

fn with(mut v: Value, name: &str, value: Value) -> Value {
    v[name] = value;
    v
}

#[test]
fn rfc7638_example_thumbprint() {
    // RFC 7638 §3.1.
    let jwk = json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    });
    assert_eq!(
        thumbprint(&jwk).unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn a_good_proof_passes_and_names_its_key() {
    let s = signer();
    let p = verify(&s.proof(claims()), &expect()).unwrap();
    assert_eq!(p.jkt, thumbprint(&s.jwk).unwrap());
    assert_eq!(p.jti, "j-1");
    assert_eq!(p.iat, NOW);
    assert_eq!(p.nonce, None);
    // The thumbprint ignores optional members (RFC 7638 §3.3).
    let mut extra = s.jwk.clone();
    extra["kid"] = json!("k");
    assert_eq!(thumbprint(&extra).unwrap(), p.jkt);
}

#[test]
fn htu_ignores_query_fragment_case_and_default_port() {
    let s = signer();
    let c = with(
        claims(),
        "htu",
        json!("HTTPS://AS.example.com:443/oauth/token?x=1#f"),
    );
    assert!(verify(&s.proof(c), &expect()).is_ok());
    for wrong in [
        "https://as.example.com/oauth/token/",
        "https://as.example.com/oauth/Token",
        "http://as.example.com/oauth/token",
        "https://as.example.com:8443/oauth/token",
        "https://other.example.com/oauth/token",
        "not a url",
    ] {
        let c = with(claims(), "htu", json!(wrong));
        assert_eq!(
            verify(&s.proof(c), &expect()),
            Err(ProofError::WrongUri),
            "{wrong}"
        );
    }
}

#[test]
fn every_claim_rule_is_checked() {
    let s = signer();
    let cases = [
        (with(claims(), "htm", json!("GET")), ProofError::WrongMethod),
        (
            with(claims(), "htm", json!("post")),
            ProofError::WrongMethod,
        ),
        (with(claims(), "iat", json!(NOW - 61)), ProofError::Stale),
        (with(claims(), "iat", json!(NOW + 6)), ProofError::Stale),
        (with(claims(), "iat", json!("now")), ProofError::Stale),
        (with(claims(), "jti", json!("")), ProofError::MissingJti),
        (
            with(claims(), "jti", json!("j".repeat(201))),
            ProofError::MissingJti,
        ),
        (with(claims(), "jti", json!(7)), ProofError::MissingJti),
    ];
    for (c, want) in cases {
        assert_eq!(verify(&s.proof(c.clone()), &expect()), Err(want), "{c}");
    }
    let mut no_jti = claims();
    no_jti.as_object_mut().unwrap().remove("jti");
    assert_eq!(
        verify(&s.proof(no_jti), &expect()),
        Err(ProofError::MissingJti)
    );
    // Inside the window on both edges.
    for iat in [NOW - 60, NOW + 5] {
        assert!(verify(&s.proof(with(claims(), "iat", json!(iat))), &expect()).is_ok());
    }
}

#[test]
fn ath_binds_the_proof_to_the_token() {
    let s = signer();
    let token = "eyJ.token.sig";
    let e = Expect {
        access_token: Some(token),
        ..expect()
    };
    let good = with(claims(), "ath", json!(ath(token)));
    assert!(verify(&s.proof(good), &e).is_ok());
    let other = with(claims(), "ath", json!(ath("another")));
    assert_eq!(verify(&s.proof(other), &e), Err(ProofError::WrongTokenHash));
    assert_eq!(
        verify(&s.proof(claims()), &e),
        Err(ProofError::WrongTokenHash)
    );
}

#[test]
fn the_header_must_be_typed_asymmetric_and_public() {
    let s = signer();
    let h = s.header();
    let cases = [
        (with(h.clone(), "typ", json!("JWT")), ProofError::WrongType),
        (
            with(h.clone(), "typ", json!("DPOP+JWT")),
            ProofError::WrongType,
        ),
        (
            with(h.clone(), "alg", json!("HS256")),
            ProofError::UnsupportedAlgorithm,
        ),
        (
            with(h.clone(), "alg", json!("none")),
            ProofError::UnsupportedAlgorithm,
        ),
        (with(h.clone(), "alg", json!("RS256")), ProofError::BadKey),
        (
            with(h.clone(), "jwk", with(s.jwk.clone(), "d", json!("AAAA"))),
            ProofError::BadKey,
        ),
        (
            with(h.clone(), "jwk", with(s.jwk.clone(), "crv", json!("P-384"))),
            ProofError::BadKey,
        ),
        (with(h.clone(), "jwk", json!("key")), ProofError::BadKey),
    ];
    for (header, want) in cases {
        assert_eq!(
            verify(&s.sign(header.clone(), claims()), &expect()),
            Err(want),
            "{header}"
        );
    }
    let mut no_jwk = h.clone();
    no_jwk.as_object_mut().unwrap().remove("jwk");
    assert_eq!(
        verify(&s.sign(no_jwk, claims()), &expect()),
        Err(ProofError::BadKey)
    );
}

#[test]
fn a_signature_by_another_key_fails() {
    let s = signer();
    let other = signer();
    // Signed by `other`, claiming `s`'s key.
    let forged = other.sign(s.header(), claims());
    assert_eq!(verify(&forged, &expect()), Err(ProofError::BadSignature));
}

#[test]
fn junk_is_refused_without_panicking() {
    for junk in [
        "",
        "a.b",
        "a.b.c.d",
        "!!!.???.***",
        "e30.e30.",
        &"a".repeat(5000),
    ] {
        assert!(verify(junk, &expect()).is_err(), "{junk}");
    }
}
