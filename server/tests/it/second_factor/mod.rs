//! Issue 15, second factors: TOTP enrolment, the sign-in's second step, replay and
//! brute force refused, recovery codes, `amr`/`acr` in ID tokens and step-up, and
//! the roles administrators require a second factor of.
//!
//! Codes are computed here with an RFC 6238 function of our own on `ring`'s HMAC
//! (the server uses the `hmac` and `sha1` crates), checked against RFC 6238's
//! appendix B.

mod flows;
mod oidc;
mod policy;

use serde_json::Value;

use crate::helpers::*;

/// RFC 4648 base32 (no padding) decoded.
pub fn base32_decode(s: &str) -> Vec<u8> {
    const A: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut out, mut buf, mut bits) = (Vec::new(), 0u64, 0);
    for c in s.chars() {
        buf = (buf << 5) | A.find(c).expect("base32") as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

/// RFC 6238 with HMAC-SHA-1, `digits` long, at Unix time `t`.
pub fn totp(secret: &[u8], t: i64, digits: u32) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = ring::hmac::sign(&key, &((t / 30) as u64).to_be_bytes());
    let h = tag.as_ref();
    let o = (h[19] & 0xf) as usize;
    let bin = (u32::from(h[o] & 0x7f) << 24)
        | (u32::from(h[o + 1]) << 16)
        | (u32::from(h[o + 2]) << 8)
        | u32::from(h[o + 3]);
    format!("{:0w$}", bin % 10u32.pow(digits), w = digits as usize)
}

#[test]
fn the_tests_own_totp_matches_rfc_6238_appendix_b() {
    let secret = b"12345678901234567890";
    for (t, want) in [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] {
        assert_eq!(totp(secret, t, 8), want, "T = {t}");
    }
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), secret);
}

/// The code of `secret` now (the app's clock).
pub fn code_now(app: &TestApp, secret: &[u8]) -> String {
    totp(secret, app.clock_now(), 6)
}

/// A person `username` (role user) with an authenticator app, enrolled through the
/// account page in `b` (signed in): the secret and the recovery codes shown.
pub async fn enrolled(app: &TestApp, b: &Browser, username: &str) -> (Vec<u8>, Vec<String>) {
    assert!(b.sign_in(username, ADMIN_PASSWORD).await.status < 400);
    let r = b.post("/api/totp_begin", &[]).await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    let v = b.get("/api/second_factor").await.json();
    assert_eq!(v["status"], "pending", "{v}");
    let secret_b32 = v["enrollment"]["secret"].as_str().unwrap().to_owned();
    let uri = v["enrollment"]["uri"].as_str().unwrap();
    assert!(
        uri.starts_with(&format!(
            "otpauth://totp/Portcullis:{username}?secret={secret_b32}"
        )),
        "{uri}"
    );
    assert!(v["enrollment"]["qr_svg"]
        .as_str()
        .unwrap()
        .starts_with("<svg"));
    let secret = base32_decode(&secret_b32);
    assert_eq!(secret.len(), 20);
    // Not active before a code confirms it: a wrong code changes nothing.
    let wrong = b.post("/api/totp_confirm", &[("code", "000000")]).await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let r = b
        .post("/api/totp_confirm", &[("code", &code_now(app, &secret))])
        .await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    let v: Value = b.get("/api/second_factor").await.json();
    assert_eq!(v["status"], "active", "{v}");
    let codes: Vec<String> = v["new_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{v}");
    // Shown once.
    let again: Value = b.get("/api/second_factor").await.json();
    assert_eq!(again["new_codes"], serde_json::json!([]));
    assert_eq!(again["recovery_codes_left"], 10);
    (secret, codes)
}

/// Signs in with the password; returns the second step's address.
pub async fn password_step(b: &Browser, username: &str, return_to: &str) -> String {
    let r = b
        .post(
            "/api/sign_in",
            &[
                ("username", username),
                ("password", ADMIN_PASSWORD),
                ("return_to", return_to),
            ],
        )
        .await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    let loc = r.location().expect("a redirect");
    assert!(loc.starts_with("/login/second-factor?"), "{loc}");
    loc
}

/// Posts the second step; the reply.
pub async fn second_step(b: &Browser, code: &str, return_to: &str) -> Reply {
    b.post(
        "/api/sign_in_second_step",
        &[("code", code), ("return_to", return_to)],
    )
    .await
}
